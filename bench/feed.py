"""Ranked feed pages per second over 100,000 posts and 1,000,000 events, on SQLite and on PostgreSQL.

Each run makes a new data dir and, before the server starts, seeds it: a few apps and creators,
100,000 ready posts (rows inserted in bulk: the feed's JSON needs no media files), the benchmark's
people (guest sessions, one per client), and 1,000,000 analytics events written into the DuckDB
file in one INSERT ... SELECT: exposures, clicks and completions spread over the posts (popular
ones more), some of them the benchmark people's own clicks on their favourite category, so every
person has a history and so an affinity to compute; and, for each, the feed's record of having
served that post to that person, which the ranking joins them with. Then it starts a real ``minis serve`` and,
with the same concurrent clients for the same duration, measures:

- bare: a FastAPI endpoint that does nothing, served by uvicorn as ``minis serve`` is, in a process of
  its own (bench/baselines.py): the bare limit of a request here, not our code;
- feed: ``GET /api/feed?limit=10``, each client following ``next_cursor`` for a few pages, then
  starting over: ranking 100,000 posts for the person in a snapshot, and the page's posts, creators,
  anchors and cards from the database.

While the feed is timed, the operator releases a new version of an app every second (CHANGE_EVERY),
as a live platform changes: each release makes the next page rank a new snapshot of the 100,000
posts, and each person's history (their affinity) is read again once per snapshot they page in. The
table says how often: releases, snapshots seen, pages per snapshot, histories read. It prints both
rates and their ratio (target >= 0.3). Then, if ``bench/funnel.py`` is there, its report.
Run: ``python -m bench.feed [--clients 32] [--seconds 8] [--backend sqlite|postgresql|both]``.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import io
import tempfile
import zipfile
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import duckdb
import httpx
from rich.console import Console

from bench.load import Scratch, bracketed, compare, hammer, run_options, write_package
from openminis.liveserver import LiveServer

POSTS = 100_000
EVENTS = 1_000_000
PAGES = 5  # pages a client scrolls through before starting over
LIMIT = 10
TARGET = 0.3
CATEGORIES = ("puzzle", "arcade", "racing", "comedy", "dance", "cooking", "romance", "pets")
APPS = [(f"bench-{category}", category) for category in CATEGORIES[:6]]
CREATORS = 20
# While the feed is timed, a new release of this app every CHANGE_EVERY seconds (the operator's
# upload): each one makes the next page rank a new snapshot and read each person's history again.
NEWS_APP = "bench-news"
CHANGE_EVERY = 1.0
ADMIN_TOKEN = "bench-feed-admin-token"
# Post n is "pst_" + n in hex, of category n % 8, anchored to an app when its category has one:
# the events can name posts of a category without asking the database.


def seed(data_dir: Path, database_url: str, people: int) -> list[tuple[str, str]]:
    """Apps, creators, posts and the benchmark's people in the database; returns (user id, session token) per person."""
    from sqlalchemy import insert

    from openminis.cli import publish_folder
    from openminis.creators.models import Creator, Post
    from openminis.db import utcnow
    from openminis.identity import service as identity
    from openminis.identity.models import User
    from openminis.migrations import upgrade
    from openminis.platform import Platform
    from openminis.settings import Settings

    settings = Settings(data_dir=data_dir, database_url=database_url)
    platform = Platform(settings)
    upgrade(settings.database)
    try:
        for app_id, category in APPS:
            publish_folder(
                platform,
                write_package(
                    data_dir.parent / app_id,
                    id=app_id,
                    name=app_id.replace("-", " ").title(),
                    category=category,
                    description="A benchmark game.",
                ),
                developer="bench-studio@example.com",
            )
        anchors = {category: app_id for app_id, category in APPS}
        now = utcnow()
        with platform.db.session() as session:
            session.execute(
                insert(User),
                [{"id": f"creator{n:04d}", "kind": "full", "display_name": f"Creator {n}"} for n in range(CREATORS)],
            )
            session.execute(
                insert(Creator),
                [
                    {"user_id": f"creator{n:04d}", "handle": f"creator{n:04d}", "display_name": f"Creator {n}"}
                    for n in range(CREATORS)
                ],
            )
            for start in range(0, POSTS, 10_000):
                rows = []
                for n in range(start, start + 10_000):
                    category = CATEGORIES[n % len(CATEGORIES)]
                    anchor = anchors.get(category)
                    published = now - timedelta(seconds=(n * 7919) % (7 * 86_400))  # spread over a week
                    rows.append({
                        "id": f"pst_{n:020x}", "creator_id": f"creator{n % CREATORS:04d}",
                        "caption": f"Post {n} #{category}", "category": category,
                        "anchor_kind": "app" if anchor else None, "anchor_app_id": anchor,
                        "status": "ready", "progress": 100, "media_key": f"pst_{n:020x}-m", "duration_ms": 15_000,
                        "created_at": published, "published_at": published,
                    })  # fmt: skip
                session.execute(insert(Post), rows)
            persons = [identity.start_guest(session) for _ in range(people)]
            session.commit()
            return [(user.id, token) for user, token in persons]
    finally:
        platform.close()


def write_events(data_dir: Path, people: list[str]) -> None:
    """1,000,000 events in one statement; a tenth of them the benchmark people's history."""
    from openminis.events.store import DuckDBEventStore

    path = data_dir / "events.duckdb"
    DuckDBEventStore(path).close()  # the schema, with every added column
    categories = len(CATEGORIES)
    connection = duckdb.connect(str(path))
    try:
        connection.execute(
            "CREATE TEMP TABLE people AS SELECT * FROM (VALUES "
            + ", ".join(f"({i}, '{user_id}')" for i, user_id in enumerate(people))
            + ") AS t(i, user_id)"
        )
        connection.execute(f"""
            INSERT INTO events (type, app_id, user_id, launch_id, source, ts, received_at, post_id)
            WITH raw AS (
                SELECT i, random() AS r, random() AS pick, random() AS who,
                    now() - to_seconds(CAST(random() * 6 * 86400 AS BIGINT)) AS moment
                FROM range({EVENTS}) AS t(i)
            ), shaped AS (
                SELECT *,
                    -- the benchmark people: a tenth of the events, clicks on their favourite category
                    CASE WHEN i % 10 = 0 THEN CAST(floor(who * {len(people)}) AS BIGINT) END AS person,
                    -- skewed toward low numbers, so that some posts are popular and many barely seen
                    CAST(floor(pick * pick * {POSTS}) AS BIGINT) AS post
                FROM raw
            )
            SELECT
                CASE WHEN person IS NOT NULL THEN 'click' WHEN r < 0.7 THEN 'exposure'
                     WHEN r < 0.8 THEN 'click' ELSE 'complete' END,
                'bench-puzzle',
                coalesce(people.user_id, 'visitor' || CAST(floor(who * 50000) AS BIGINT)),
                NULL, 'feed', moment, moment,
                printf('pst_%020x', CASE WHEN person IS NULL THEN post
                    ELSE (post - post % {categories} + person % {categories}) % {POSTS} END)
            FROM shaped LEFT JOIN people ON people.i = shaped.person
        """)
        # The feed served each of those posts to each of those people a moment before: the ranking
        # counts a signal only then (feed/served.py). A live store holds both kinds of row, so these
        # come on top of the EVENTS signals (about as many again), and the timed pages add their own.
        connection.execute("""
            INSERT INTO events (type, app_id, user_id, source, ts, received_at, post_id)
            SELECT DISTINCT 'served', app_id, user_id, 'feed', ts - INTERVAL 1 SECOND,
                received_at - INTERVAL 1 SECOND, post_id
            FROM events WHERE type <> 'served'
        """)
    finally:
        connection.close()


async def person(server: LiveServer, token: str) -> httpx.AsyncClient:
    """A benchmark person's client: their guest session (made in the seed) and its CSRF token."""
    client = httpx.AsyncClient(
        base_url=server.url, timeout=30, limits=httpx.Limits(max_connections=4), cookies={"minis_session": token}
    )
    client.headers["X-CSRF-Token"] = (await client.get("/api/me")).json()["csrf_token"]
    return client


def release_zip(version: str) -> bytes:
    """A new version of the bench's news app, zipped, for the operator's upload."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_package(Path(tmp) / "pkg", id=NEWS_APP, name="Bench News", category="puzzle", version=version)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for file in folder.iterdir():
                archive.write(file, file.name)
    return buffer.getvalue()


async def measure(server: LiveServer, bare_url: str, tokens: list[str], seconds: float) -> dict:
    clients = [await person(server, token) for token in tokens]
    cursors: dict[int, tuple[str | None, int]] = {}
    seen: list[tuple[str, int]] = []  # (snapshot, client) of every page served in the timed phase

    async def bare(client, n):
        return await client.get(bare_url)

    async def page(client, n):
        cursor, depth = cursors.get(id(client), (None, 0))
        response = await client.get("/api/feed", params={"limit": LIMIT, **({"cursor": cursor} if cursor else {})})
        following = response.json().get("next_cursor") if response.status_code == 200 else None
        cursors[id(client)] = (following, depth + 1) if following and depth + 1 < PAGES else (None, 0)
        if response.status_code == 200:
            seen.append((response.json()["snapshot"], id(client)))
        return response

    releases = 0

    @contextlib.asynccontextmanager
    async def publishing() -> AsyncIterator[None]:
        """What the feed lists changes every CHANGE_EVERY seconds (a new release of an app), as on
        a live platform: each change makes the next page rank a new snapshot, and each person's
        history is read again for it."""
        stop = asyncio.Event()

        async def release_until_stopped() -> None:
            nonlocal releases
            async with httpx.AsyncClient(base_url=server.url, timeout=30) as operator:
                while not stop.is_set():
                    releases += 1
                    answer = await operator.post(
                        "/api/admin/packages",
                        content=release_zip(f"1.0.{releases}"),
                        headers={"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "application/zip"},
                    )
                    assert answer.status_code == 201, answer.text
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), CHANGE_EVERY)

        task = asyncio.create_task(release_until_stopped())
        try:
            yield
        finally:
            stop.set()
            await task

    await hammer(clients, 1.0, bare)  # warm-up: the bare server's connections
    await hammer(clients, 1.0, page)
    seen.clear()
    rates = await bracketed(clients, seconds, bare, {"feed": page}, alongside=publishing)
    rates["releases"] = releases
    snapshots = {snapshot for snapshot, _client in seen}
    rates["snapshots"] = len(snapshots)
    rates["pages/snapshot"] = f"{len(seen) / max(len(snapshots), 1):.0f}"
    rates["histories read"] = len(set(seen))  # each person's affinity, once per snapshot they paged in
    for client in clients:
        await client.aclose()
    return rates


def main() -> None:
    args, backends = run_options(__doc__.splitlines()[0], backend="sqlite")
    console = Console(width=160)  # the table is wide; a pipe would give it 80 columns

    def run(scratch: Scratch) -> dict:
        console.print(
            f"[bold]{scratch.backend}[/bold]: seeding {POSTS:,} posts and {EVENTS:,} events, starting the server"
        )
        people = seed(scratch.data, scratch.env.get("MINIS_DATABASE_URL", ""), args.clients)
        write_events(scratch.data, [user_id for user_id, _token in people])
        scratch.env["MINIS_ADMIN_TOKEN"] = ADMIN_TOKEN
        return asyncio.run(
            measure(scratch.serve(), scratch.bare_fastapi(), [token for _user_id, token in people], args.seconds)
        )

    title = (
        f"feed pages per second, {POSTS:,} posts, {EVENTS:,} events, "
        f"{args.clients} concurrent clients, {args.seconds:.0f} s per phase"
    )
    compare(
        console,
        backends,
        title=title,
        work="feed",
        unit="feed pages",
        target=TARGET,
        measure=run,
        extra=("releases", "snapshots", "pages/snapshot", "histories read"),
    )
    if importlib.util.find_spec("bench.funnel") is not None:
        from bench import funnel

        if hasattr(funnel, "main_part"):
            funnel.main_part(console)


if __name__ == "__main__":
    main()
