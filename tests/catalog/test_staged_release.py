"""Who gets which version, against a real ``minis serve`` on SQLite and on PostgreSQL (issue 14, item 7).

A developer uploads, the platform checks, the developer submits, a staff reviewer (signed in with an
emailed link) approves and releases; then a new version goes to 10 %, 50 %, and back. Two hundred
people, each a guest of their own cookie jar over HTTP, read their hub, feed and search cards and
record a launch: exactly those whose stable bucket falls under the staged percent get the staged
version, the others the released one. A version that was never released is served on the app's
origin only under a valid preview capability, and its preview card only to the app's team and
reviewers. Release requests sent all at once leave one consistent state.
"""

from __future__ import annotations

import asyncio
import secrets
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, closing
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from bench.burst import UNLIMITED
from openminis.catalog import preview
from openminis.catalog.releases import bucket
from openminis.liveserver import LiveServer, run_apart
from tests.conftest import postgres_database, unavailable
from tests.factories import package_files, zip_bytes

pytestmark = pytest.mark.slow  # a real server per database, and hundreds of people

PEOPLE = 200
AT_ONCE = 16  # people served at once (each person's requests in order)
SECRET = "staged-release-test-secret"  # the server's signing secret, to mint capabilities here
PASSWORD = "a staged release password"


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def server(request, tmp_path_factory) -> Iterator[LiveServer]:
    """One live server per database for the module: each test makes apps of its own on it."""
    data = tmp_path_factory.mktemp(f"staged-{request.param}") / "data"
    data.mkdir()
    # Checks without a browser (the package's own checks, at once): the browser's checks are
    # tests/catalog/test_checks.py's. Hundreds of people come from one address.
    env = {**UNLIMITED, "MINIS_BROWSER_CHECKS": "false", "MINIS_SECRET_KEY": SECRET}
    with ExitStack() as stack:
        if request.param == "postgresql":
            env["MINIS_DATABASE_URL"] = stack.enter_context(postgres_database())
        try:
            live = stack.enter_context(LiveServer(data, env=env))
        except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
            unavailable(f"minis serve could not start: {exc} {getattr(exc, 'stderr', '') or ''}".strip())
        yield live


# People over HTTP --------------------------------------------------------------------------------


def browser(server: LiveServer) -> httpx.Client:
    """A new browser: a cookie jar of its own, and the host page's Origin on its changes."""
    return httpx.Client(base_url=server.url, timeout=60, headers={"Origin": server.url})


def csrf(client: httpx.Client) -> dict[str, str]:
    return {"X-CSRF-Token": client.get("/api/me").json()["csrf_token"]}


def full_account(server: LiveServer, email: str) -> tuple[httpx.Client, dict[str, str]]:
    """A person who registered and proved their email with the mailed code."""
    client = browser(server)
    headers = csrf(client)
    registered = client.post("/api/account/register", json={"email": email, "password": PASSWORD}, headers=headers)
    assert registered.status_code == 200, registered.text
    code = server.mailed(email, r"verification code is (\d{6})")
    verified = client.post("/api/account/verify", json={"code": code}, headers=headers)
    assert verified.status_code == 200, verified.text
    return client, csrf(client)


def reviewer(server: LiveServer, email: str) -> tuple[httpx.Client, dict[str, str]]:
    """A staff reviewer made by the operator (``minis staff add``), signed in with an emailed link."""
    server.minis("staff", "add", email, "--role", "reviewer", "--data-dir", str(server.data_dir))
    client = browser(server)
    asked = client.post("/api/account/link", json={"email": email}, headers=csrf(client))
    assert asked.status_code == 200, asked.text
    link = server.mailed(email, r"(http://\S+/account/link\?token=\S+)")
    token = parse_qs(urlsplit(link).query)["token"][0]
    confirmed = client.post("/api/account/link/confirm", json={"token": token}, headers=csrf(client))
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["user"]["email"] == email
    return client, {"X-CSRF-Token": confirmed.json()["csrf_token"]}


@dataclass
class Studio:
    """A developer (the app's owner) and a reviewer, on one live server."""

    server: LiveServer
    owner: httpx.Client
    owner_headers: dict[str, str]
    staff: httpx.Client
    staff_headers: dict[str, str]

    def register(self, name: str) -> str:
        app_id = f"staged-{secrets.token_hex(3)}"
        created = self.owner.post(
            "/api/developer/apps",
            json={"app_id": app_id, "name": name, "kind": "game", "category": "arcade"},
            headers=self.owner_headers,
        )
        assert created.status_code == 201, created.text
        return app_id

    def upload(self, app_id: str, version: str, name: str) -> dict:
        """Upload and submit: the platform's checks pass at once (no browser checks on this server)."""
        files = package_files(id=app_id, version=version, name=name) | {
            "index.html": f"<!doctype html><title>{name}</title><p id=v>{app_id} {version}</p>".encode()
        }
        uploaded = self.owner.post(
            f"/api/developer/apps/{app_id}/versions",
            content=zip_bytes(files),
            headers={**self.owner_headers, "Content-Type": "application/zip"},
        )
        assert uploaded.status_code == 201, uploaded.text
        assert uploaded.json()["state"] == "checked" and uploaded.json()["check_report"]["passed"], uploaded.json()
        submitted = self.owner.post(
            f"/api/developer/apps/{app_id}/versions/{version}/submit", headers=self.owner_headers
        )
        assert submitted.status_code == 200, submitted.text
        assert submitted.json()["state"] == "in_review"
        return submitted.json()

    def in_queue(self, app_id: str, version: str) -> dict:
        queue = self.staff.get("/api/admin/review")
        assert queue.status_code == 200, queue.text
        found = [i for i in queue.json()["items"] if (i["app_id"], i["version"]["version"]) == (app_id, version)]
        assert len(found) == 1, queue.json()
        return found[0]

    def approve(self, app_id: str, version: str, percent: int | None = None) -> dict:
        body = {"note": "looks good"} | ({"percent": percent} if percent is not None else {})
        approved = self.staff.post(
            f"/api/admin/review/{app_id}/{version}/approve", json=body, headers=self.staff_headers
        )
        assert approved.status_code == 200, approved.text
        return approved.json()

    def reject(self, app_id: str, version: str, note: str) -> dict:
        rejected = self.staff.post(
            f"/api/admin/review/{app_id}/{version}/reject", json={"note": note}, headers=self.staff_headers
        )
        assert rejected.status_code == 200, rejected.text
        return rejected.json()

    def release(self, app_id: str, version: str, percent: int) -> dict:
        released = self.staff.post(
            f"/api/admin/apps/{app_id}/versions/{version}/release",
            json={"percent": percent},
            headers=self.staff_headers,
        )
        assert released.status_code == 200, released.text
        return released.json()

    def roll_back(self, app_id: str, version: str, note: str) -> dict:
        rolled = self.staff.post(
            f"/api/admin/apps/{app_id}/rollback", json={"version": version, "note": note}, headers=self.staff_headers
        )
        assert rolled.status_code == 200, rolled.text
        return rolled.json()

    def history(self, app_id: str, version: str) -> list[dict]:
        """The version's history, as its developer reads it in the console."""
        detail = self.owner.get(f"/api/developer/apps/{app_id}/versions/{version}")
        assert detail.status_code == 200, detail.text
        return detail.json()["history"]

    def released_app(self, name: str) -> str:
        """A new app whose 1.0.0 went through review and out to everyone."""
        app_id = self.register(name)
        self.upload(app_id, "1.0.0", name)
        assert self.approve(app_id, "1.0.0", percent=100)["version"]["share"] == 100
        return app_id


@pytest.fixture(scope="module")
def studio(server) -> Iterator[Studio]:
    owner, owner_headers = full_account(server, f"owner-{secrets.token_hex(3)}@example.com")
    named = owner.post("/api/developer", json={"name": "Staged Studio"}, headers=owner_headers)
    assert named.status_code == 200, named.text
    staff, staff_headers = reviewer(server, f"reviewer-{secrets.token_hex(3)}@example.com")
    with closing(owner), closing(staff):
        yield Studio(server, owner, owner_headers, staff, staff_headers)


def in_feed(server: LiveServer, app_id: str) -> None:
    """Waits until the feed lists the app: the feed ranks from a snapshot that a request rebuilds
    after a change while the others meanwhile rank with the one before (feed/ranking.py)."""
    deadline = time.monotonic() + 30
    with closing(browser(server)) as person:
        while time.monotonic() < deadline:
            items = person.get("/api/feed", params={"limit": 50}).json()["items"]
            if any(item["kind"] == "app" and item["card"]["app_id"] == app_id for item in items):
                return
            time.sleep(0.05)
    raise AssertionError(f"{app_id} never came into the feed")


def app_file(server: LiveServer, app_id: str, path: str) -> httpx.Response:
    """A file on the app's own origin (``{app_id}.apps.localhost``), asked of the live server."""
    return httpx.get(f"{server.url}{path}", headers={"Host": f"{app_id}.apps.localhost:{server.port}"}, timeout=30)


# Where a person meets an app's version: the host's lists, and the launch the host records.
EVERYWHERE = ("hub", "feed", "search", "launch")


async def guests(server: LiveServer, count: int) -> list[dict[str, str]]:
    """``count`` new people, each made a guest by GET /api/me in a fresh cookie jar."""
    transport = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=AT_ONCE))
    gate = asyncio.Semaphore(AT_ONCE)

    async def one() -> dict[str, str]:
        async with gate:
            # A client per person (its own cookie jar) on one shared pool of connections; not
            # closed, as closing a client closes the pool.
            client = httpx.AsyncClient(base_url=server.url, transport=transport, timeout=60)
            me = await client.get("/api/me")
            assert me.status_code == 200, me.text
            return {"id": me.json()["user"]["id"], "csrf": me.json()["csrf_token"], "cookie": me.headers["set-cookie"]}

    try:
        return await asyncio.gather(*(one() for _ in range(count)))
    finally:
        await transport.aclose()


async def what_people_get(
    server: LiveServer, people: list[dict[str, str]], app_id: str, name: str, where: tuple[str, ...]
) -> list[dict[str, str | None]]:
    """Each person's version of the app ``where`` asked: their hub, feed or search card (None
    when the list has no card of the app), or the version their new launch records."""
    transport = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=AT_ONCE))
    gate = asyncio.Semaphore(AT_ONCE)

    def version_in(items: list[dict]) -> str | None:
        # The endless feed shows the app again after its caught-up card: always the same version.
        found = {card["version"] for card in items if card["app_id"] == app_id}
        assert len(found) <= 1, items
        return found.pop() if found else None

    async def one(person: dict[str, str]) -> dict[str, str | None]:
        cookie = person["cookie"].split(";", 1)[0]
        headers = {"Cookie": cookie, "X-CSRF-Token": person["csrf"], "Origin": server.url}
        client = httpx.AsyncClient(base_url=server.url, transport=transport, timeout=60, headers=headers)
        seen: dict[str, str | None] = {}
        async with gate:
            if "hub" in where:
                seen["hub"] = version_in((await client.get("/api/hub", params={"kind": "game"})).json()["items"])
            if "feed" in where:
                items = (await client.get("/api/feed", params={"limit": 50})).json()["items"]
                seen["feed"] = version_in([item["card"] for item in items if item["kind"] == "app"])
            if "search" in where:
                seen["search"] = version_in((await client.get("/api/search", params={"q": name})).json()["items"])
            if "launch" in where:
                body = {"launch_id": secrets.token_hex(16), "app_id": app_id, "source": "hub"}
                launched = await client.post("/api/launches", json=body)
                assert launched.status_code == 200, launched.text
                seen["launch"] = launched.json()["version"]
        return seen

    try:
        return list(await asyncio.gather(*(one(person) for person in people)))
    finally:
        await transport.aclose()


def assert_people_get(
    server: LiveServer,
    people: list[dict[str, str]],
    app_id: str,
    name: str,
    *,
    staged: str,
    percent: int,
    released: str,
    where: tuple[str, ...] = EVERYWHERE,
) -> int:
    """Person by person: the staged version exactly for those whose bucket is under ``percent``,
    the released one for everyone else. Returns how many got the staged one."""
    seen = run_apart(what_people_get(server, people, app_id, name, where))
    wrong = []
    for person, got in zip(people, seen, strict=True):
        expected = staged if bucket(app_id, person["id"]) < percent else released
        if got != dict.fromkeys(where, expected):
            wrong.append((person["id"], bucket(app_id, person["id"]), expected, got))
    assert not wrong, f"{len(wrong)} of {len(people)} people got another version than theirs: {wrong[:5]}"
    return sum(1 for person in people if bucket(app_id, person["id"]) < percent)


# The tests ---------------------------------------------------------------------------------------


def test_a_staged_release_reaches_exactly_its_share_of_people_and_a_rollback_returns_everyone(server, studio):
    name = f"Staged Stars {secrets.token_hex(2)}"
    app_id = studio.released_app(name)
    studio.upload(app_id, "2.0.0", name)
    item = studio.in_queue(app_id, "2.0.0")
    assert item["released_version"] == "1.0.0" and item["version"]["check_report"]["passed"]
    # Not approved yet, 2.0.0 is nobody's and its files are not served.
    assert app_file(server, app_id, "/v/2.0.0/index.html").status_code == 404
    approved = studio.approve(app_id, "2.0.0", percent=10)
    assert approved["version"]["state"] == "released" and approved["version"]["share"] == 10
    in_feed(server, app_id)
    people = run_apart(guests(server, PEOPLE))
    assert len({person["id"] for person in people}) == PEOPLE

    got = assert_people_get(server, people, app_id, name, staged="2.0.0", percent=10, released="1.0.0")
    print(f"\n{got} of {PEOPLE} people got the 10 % release")
    assert 0.03 * PEOPLE <= got <= 0.18 * PEOPLE  # 10 % of 200: 20, 3.3 and 3.8 deviations away
    assert f"{app_id} 2.0.0" in app_file(server, app_id, "/v/2.0.0/index.html").text
    assert f"{app_id} 1.0.0" in app_file(server, app_id, "/v/1.0.0/index.html").text

    # The next cards and launches follow each change: a sample of the places keeps the test short.
    assert studio.release(app_id, "2.0.0", 50)["version"]["share"] == 50
    got = assert_people_get(
        server, people, app_id, name, staged="2.0.0", percent=50, released="1.0.0", where=("hub", "launch")
    )
    assert 0.35 * PEOPLE <= got <= 0.65 * PEOPLE

    rolled = studio.roll_back(app_id, "1.0.0", "a crash on start in 2.0.0")
    assert rolled["released_version"] == "1.0.0" and rolled["version"]["share"] == 100
    assert_people_get(
        server, people, app_id, name, staged="1.0.0", percent=0, released="1.0.0", where=("feed", "launch")
    )
    # Whoever still plays 2.0.0 keeps its files; the history says who did what, and why.
    assert app_file(server, app_id, "/v/2.0.0/index.html").status_code == 200
    events = {
        version: [(e["action"], e["state"], e["note"]) for e in studio.history(app_id, version)]
        for version in ("1.0.0", "2.0.0")
    }
    assert events["2.0.0"] == [
        ("uploaded", "uploaded", ""),
        ("checked", "checked", "checks passed"),
        ("submitted", "in_review", ""),
        ("approved", "approved", "looks good"),
        ("released", "released", "to 10 %"),
        ("released", "released", "to 50 %"),
        ("superseded", "superseded", ""),
    ], events["2.0.0"]
    assert events["1.0.0"][-1] == ("rolled back to", "released", "a crash on start in 2.0.0")


def test_a_rejected_version_never_reaches_anyone_and_only_a_valid_capability_serves_it(server, studio):
    name = f"Rejected Rockets {secrets.token_hex(2)}"
    app_id = studio.released_app(name)
    studio.upload(app_id, "1.1.0", name)
    rejected = studio.reject(app_id, "1.1.0", "the start screen is blank on small phones")
    assert rejected["version"]["state"] == "rejected" and rejected["version"]["share"] == 0
    last = studio.history(app_id, "1.1.0")[-1]
    assert (last["action"], last["note"]) == ("rejected", "the start screen is blank on small phones")

    in_feed(server, app_id)
    people = run_apart(guests(server, 30))
    assert_people_get(server, people, app_id, name, staged="1.0.0", percent=0, released="1.0.0")
    assert app_file(server, app_id, "/v/1.1.0/index.html").status_code == 404
    assert app_file(server, app_id, "/v/1.0.0/index.html").status_code == 200

    # The owner's preview card points under a capability, which serves the version's files.
    card = studio.owner.get(f"/api/developer/preview/{app_id}/1.1.0").json()["card"]
    path = urlsplit(card["entry_url"]).path
    assert path.startswith("/p/") and path.endswith("/index.html")
    served = app_file(server, app_id, path)
    assert served.status_code == 200 and f"{app_id} 1.1.0" in served.text
    # Expired, forged, or made for another app: not found.
    expired = preview.capability(SECRET, app_id, "1.1.0", ttl_s=-60)
    forged = preview.capability("not-the-servers-secret", app_id, "1.1.0")
    other = preview.capability(SECRET, "another-app", "1.1.0")
    for token in (expired, forged, other, "garbage", path.split("/")[2] + "x"):
        assert app_file(server, app_id, f"/p/{token}/index.html").status_code == 404, token
    # A capability that is sound serves exactly what it names.
    fresh = preview.capability(SECRET, app_id, "1.1.0")
    assert app_file(server, app_id, f"/p/{fresh}/index.html").status_code == 200


def test_the_preview_card_is_for_the_apps_team_and_reviewers_and_nobody_else(server, studio):
    name = f"Preview Planets {secrets.token_hex(2)}"
    app_id = studio.released_app(name)
    studio.upload(app_id, "1.2.0", name)
    path = f"/api/developer/preview/{app_id}/1.2.0"

    def invited(role: str) -> httpx.Client:
        email = f"{role}-{secrets.token_hex(3)}@example.com"
        person, headers = full_account(server, email)
        sent = studio.owner.post(
            f"/api/developer/apps/{app_id}/team/invitations",
            json={"email": email, "role": role},
            headers=studio.owner_headers,
        )
        assert sent.status_code == 201, sent.text
        invitation = person.get("/api/developer/invitations").json()["items"][0]
        assert person.post(f"/api/developer/invitations/{invitation['id']}/accept", headers=headers).status_code == 200
        return person

    with closing(invited("viewer")) as viewer, closing(invited("tester")) as tester:
        allowed = {"owner": studio.owner, "viewer": viewer, "tester": tester, "reviewer": studio.staff}
        for who, person in allowed.items():
            answer = person.get(path)
            assert answer.status_code == 200, (who, answer.text)
            assert answer.json()["version"] == "1.2.0" and answer.json()["preview"] is True, who
            assert urlsplit(answer.json()["card"]["entry_url"]).path.startswith("/p/"), who

    stranger, _ = full_account(server, f"stranger-{secrets.token_hex(3)}@example.com")
    with closing(stranger), closing(browser(server)) as guest:
        for who, person in {"an uninvited person": stranger, "a guest": guest}.items():
            answer = person.get(path)
            assert answer.status_code == 404, (who, answer.text)
            assert "entry_url" not in answer.text, who


def test_release_requests_sent_at_once_leave_one_staged_version_at_a_requested_share(server, studio):
    name = f"Racing Releases {secrets.token_hex(2)}"
    app_id = studio.released_app(name)
    studio.upload(app_id, "2.0.0", name)
    studio.approve(app_id, "2.0.0")
    percents = [10, 50] * 25
    cookies = dict(studio.owner.cookies)

    async def storm() -> list[httpx.Response]:
        headers = {**studio.owner_headers, "Origin": server.url}
        limits = httpx.Limits(max_connections=len(percents))
        async with httpx.AsyncClient(
            base_url=server.url, headers=headers, cookies=cookies, limits=limits, timeout=60
        ) as client:
            start = asyncio.Event()

            async def one(percent: int) -> httpx.Response:
                await start.wait()
                # As a developer's script does: "busy, retry after" is asked again, after that long.
                # (A slow machine does not give 50 requests their turn within the server's 5 s.)
                for _ in range(20):
                    answer = await client.post(
                        f"/api/developer/apps/{app_id}/versions/2.0.0/release", json={"percent": percent}
                    )
                    if answer.status_code != 503:
                        return answer
                    busy.append(answer)
                    await asyncio.sleep(float(answer.headers["Retry-After"]))
                return answer

            tasks = [asyncio.create_task(one(percent)) for percent in percents]
            await asyncio.sleep(0.2)
            start.set()
            return list(await asyncio.gather(*tasks))

    busy: list[httpx.Response] = []
    answers = run_apart(storm())
    statuses = Counter(answer.status_code for answer in answers)
    print(f"\n50 release requests at once: {dict(statuses)}, after {len(busy)} answers of busy")
    assert statuses == {200: len(percents)}, [a.text for a in answers if a.status_code != 200][:3]
    # A busy answer did nothing (each request released once, below) and said when to come back.
    assert {answer.json()["code"] for answer in busy} <= {"OVERLOADED", "DATABASE_BUSY"}

    app = studio.owner.get(f"/api/developer/apps/{app_id}").json()
    assert app["latest_version"] == "1.0.0" and app["staged_version"] == "2.0.0"
    assert app["staged_percent"] in (10, 50)
    versions = {v["version"]: v for v in studio.owner.get(f"/api/developer/apps/{app_id}/versions").json()["items"]}
    assert {v: (versions[v]["state"], versions[v]["share"]) for v in ("1.0.0", "2.0.0")} == {
        "1.0.0": ("released", 100 - app["staged_percent"]),
        "2.0.0": ("released", app["staged_percent"]),
    }
    released = [event["note"] for event in studio.history(app_id, "2.0.0") if event["action"] == "released"]
    assert len(released) == len(percents)
    assert Counter(released) == {"to 10 %": 25, "to 50 %": 25}
    # The share in force is the one the last request applied.
    assert released[-1] == f"to {app['staged_percent']} %"
