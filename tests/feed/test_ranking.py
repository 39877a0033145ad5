"""The feed is ranked: freshness, engagement with priors, the person's affinity and exploration,
in snapshots that page without repeats and explain themselves."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from openminis.cli import app as cli
from openminis.creators.models import Creator, Post
from openminis.db import utcnow
from openminis.feed import served
from openminis.feed.ranking import KEPT, TTL
from openminis.identity.models import User
from openminis.platform import Platform
from openminis.settings import Settings
from tests.factories import publish

EVENT_COLUMNS = ("type", "app_id", "user_id", "launch_id", "source", "ts", "received_at", "post_id")
ADMIN = {"Authorization": "Bearer test-admin-token"}


class Feed:
    """Posts, apps and events for one test, on a frozen clock."""

    def __init__(self, platform: Platform):
        self.platform = platform
        self.now = utcnow()
        platform.ranking.clock = lambda: self.now
        self.posts = 0
        with platform.db.session() as session:
            session.add(User(id="maker", kind="full", display_name="Maker"))
            session.flush()
            session.add(Creator(user_id="maker", handle="maker", display_name="Maker"))
            session.commit()

    def post(self, category: str = "general", *, age: timedelta = timedelta(hours=1)) -> str:
        self.posts += 1
        post_id = f"pst_{self.posts:020x}"
        with self.platform.db.session() as session:
            session.add(
                Post(
                    id=post_id,
                    creator_id="maker",
                    caption=f"Post {self.posts}",
                    category=category,
                    status="ready",
                    published_at=self.now - age,
                )
            )
            session.commit()
        return post_id

    def events(self, type: str, post_id: str, times: int, *, user_id: str | None = None) -> None:
        """``times`` events about the post: from one person when ``user_id`` is given, else from
        ``times`` different people (a person counts once per item per day)."""
        at = self.now - timedelta(minutes=5)
        people = [user_id or f"viewer-{n}" for n in range(times)]
        self.served(post_id, people, at - timedelta(seconds=1))
        rows = [(type, "any-app", person, None, "feed", at, at, post_id) for person in people]
        self.platform.events.append(rows, EVENT_COLUMNS)

    def served(self, post_id: str, people: list[str], at) -> None:
        """The feed served the post to these people at ``at`` (their signals about it count)."""
        rows = [(served.SERVED, "any-app", person, "feed", at, at, post_id) for person in people]
        self.platform.events.append(rows, served.COLUMNS)

    def engagement(self, post_id: str, *, exposures: int, clicks: int, completes: int) -> None:
        for type, times in (("exposure", exposures), ("click", clicks), ("complete", completes)):
            self.events(type, post_id, times)

    def order(self, user_id: str | None = None, *, rebuild: bool = True) -> list[str]:
        ranking = self.platform.ranking
        with self.platform.db.session() as session:
            snapshot = ranking.rebuild(session) if rebuild else ranking.newest()
        return [
            f"{items.kind}:{items.ids[i]}"
            for items, i in snapshot.slots(ranking.affinity(snapshot, user_id), 0, snapshot.size)
        ]


@pytest.fixture
def feed(platform) -> Feed:
    return Feed(platform)


def pages(client, limit: int) -> list[dict]:
    """The pages of one feed session up to the one with the caught-up card (the feed goes on past
    it, so that is where "everything new" ends); each page's items only up to the card."""
    result, cursor = [], None
    while True:
        page = client.get("/api/feed", params={"limit": limit, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        body = page.json()
        kinds = [item["kind"] for item in body["items"]]
        assert body["next_cursor"], "the feed never ends"
        cursor = body["next_cursor"]
        if "caught_up" in kinds:
            result.append(body | {"items": body["items"][: kinds.index("caught_up")]})
            return result
        result.append(body)


def test_paging_returns_each_post_and_card_exactly_once_interleaved(client, platform, feed):
    for n in range(8):
        publish(platform, id=f"game-{n}", name=f"Game {n}", category="puzzle" if n % 2 else "arcade")
    posts = {f"post:{feed.post('puzzle' if n % 3 else 'arcade', age=timedelta(hours=n))}" for n in range(52)}
    got = pages(client, 7)
    ids = [item["id"] for page in got for item in page["items"]]
    assert len(ids) == len(set(ids)) == 60
    assert set(ids) == posts | {f"app:game-{n}" for n in range(8)}
    assert len(got) == 9 and {page["snapshot"] for page in got} == {got[0]["snapshot"]}
    # Every fourth slot is a mini-program card while both kinds last.
    assert [position for position, item_id in enumerate(ids) if item_id.startswith("app:")] == [
        3,
        7,
        11,
        15,
        19,
        23,
        27,
        31,
    ]
    first = got[0]["items"]
    assert first[3]["card"]["app_id"].startswith("game-") and first[3]["post"] is None
    assert first[0]["kind"] == "post" and first[0]["post"]["creator"]["handle"] == "maker" and first[0]["card"] is None


def test_an_item_with_a_far_better_engagement_rate_ranks_above_an_otherwise_equal_one(feed):
    ignored, liked = (
        feed.post("comedy", age=timedelta(days=1)),
        feed.post("comedy", age=timedelta(days=1)),
    )  # by id alone, ignored would lead
    for _ in range(6):
        feed.engagement(feed.post("comedy", age=timedelta(days=1)), exposures=200, clicks=20, completes=60)
    feed.engagement(liked, exposures=200, clicks=90, completes=160)
    feed.engagement(ignored, exposures=200, clicks=2, completes=10)
    order = feed.order()
    assert order[0] == f"post:{liked}"
    assert order[-1] == f"post:{ignored}"


def test_an_unseen_item_starts_at_the_average_rate_not_at_zero(feed):
    unseen = feed.post("comedy", age=timedelta(days=1))
    poor = feed.post("comedy", age=timedelta(days=1))
    for _ in range(6):
        feed.engagement(feed.post("comedy", age=timedelta(days=1)), exposures=200, clicks=20, completes=60)
    feed.engagement(poor, exposures=200, clicks=1, completes=5)
    with feed.platform.db.session() as session:
        explanation = {
            row.id: row
            for row in feed.platform.ranking.rebuild(session).explain(
                feed.platform.ranking.affinity(feed.platform.ranking.newest(), None), 10
            )
        }
    assert explanation[f"post:{unseen}"].ctr == pytest.approx(0.5, abs=0.01)
    assert explanation[f"post:{poor}"].ctr < 0.2


def test_a_person_who_plays_puzzle_games_sees_puzzle_items_higher_than_another_person(feed):
    puzzles = [feed.post("puzzle", age=timedelta(hours=n)) for n in range(10)]
    racing = [feed.post("racing", age=timedelta(hours=n)) for n in range(10)]
    # Seven puzzle choices to one racing one (each item counts once a day: repeats add nothing).
    for post_id in puzzles[:4]:
        feed.events("click", post_id, 3, user_id="puzzler")
    for post_id in puzzles[4:7]:
        feed.events("launch", post_id, 2, user_id="puzzler")
    feed.events("click", racing[0], 1, user_id="puzzler")
    order = feed.order("puzzler")
    assert set(order[:10]) == {f"post:{post_id}" for post_id in puzzles}
    # Someone with no history gets the order of freshness, the categories mixed.
    assert feed.order("newcomer", rebuild=False)[:2] == [f"post:{puzzles[0]}", f"post:{racing[0]}"]


def test_a_new_item_gets_exploration_traffic(feed):
    for _ in range(40):
        feed.engagement(feed.post("comedy", age=timedelta(days=3)), exposures=100, clicks=10, completes=30)
    unseen = feed.post("comedy", age=timedelta(days=3))  # as old as the others: freshness does not lift it
    order = feed.order()
    assert f"post:{unseen}" in order[:3]


def test_the_same_snapshot_and_person_give_the_same_order_ties_broken_by_id(platform, feed):
    posts = [feed.post("comedy" if n % 2 else "dance", age=timedelta(days=1)) for n in range(12)]
    feed.events("click", posts[5], 2, user_id="someone")
    first = feed.order("someone")
    assert first[:6] == sorted(f"post:{post_id}" for post_id in posts[1::2])  # comedy first
    assert feed.order("someone", rebuild=False) == first
    # Recomputed from the events, the person's affinity is the same: events received after the
    # snapshot was built (here, enough to make them a dancer) wait for the next one.
    late = feed.now + timedelta(seconds=1)
    platform.events.append([("click", "any-app", "someone", None, "feed", late, late, posts[4])] * 5, EVENT_COLUMNS)
    platform.ranking._affinities.clear()
    assert feed.order("someone", rebuild=False) == first
    # Equal scores fall back to the id, so even a rebuild over the same data gives the same order.
    assert feed.order() == sorted(f"post:{post_id}" for post_id in posts)


def test_a_cursor_chain_keeps_its_snapshot_while_new_sessions_get_a_newer_one(client, feed):
    for n in range(20):
        feed.post(age=timedelta(hours=n))
    first = client.get("/api/feed?limit=5").json()
    feed.now += TTL
    feed.post(age=timedelta(0))
    fresh = client.get("/api/feed?limit=5").json()
    assert fresh["snapshot"] != first["snapshot"]
    second = client.get("/api/feed", params={"limit": 5, "cursor": first["next_cursor"]}).json()
    assert second["snapshot"] == first["snapshot"]
    assert not {item["id"] for item in first["items"]} & {item["id"] for item in second["items"]}


def test_a_cursor_whose_snapshot_is_gone_continues_from_its_position_in_the_newest(client, platform, feed):
    for n in range(20):
        feed.post(age=timedelta(hours=n))
    first = client.get("/api/feed?limit=7").json()
    for _ in range(KEPT):
        feed.order()
    newest = platform.ranking.newest()
    page = client.get("/api/feed", params={"limit": 7, "cursor": first["next_cursor"]}).json()
    me = client.get("/api/me").json()["user"]["id"]
    assert page["snapshot"] == newest.id != first["snapshot"]
    assert [item["id"] for item in page["items"]] == feed.order(me, rebuild=False)[7:14]


def _cursor(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "bm90IGpzb24",
        _cursor(["zzzz", 3]),
        _cursor(["0123456789ab", -1]),
        _cursor(["0123456789ab", "7"]),
        _cursor({"a": 1}),
    ],
)
def test_a_forged_cursor_is_an_invalid_argument(client, feed, cursor):
    response = client.get("/api/feed", params={"cursor": cursor})
    assert response.status_code == 422
    assert response.json()["field"] == "cursor"


def test_the_admin_explanation_shows_parts_that_sum_to_each_total(client, feed):
    publish(feed.platform, id="tile-game", name="Tile Game", category="puzzle")
    for n in range(6):
        feed.engagement(
            feed.post("puzzle" if n % 2 else "comedy", age=timedelta(days=n)), exposures=50, clicks=n, completes=3 * n
        )
    me = client.get("/api/me").json()["user"]["id"]
    feed.events("click", f"pst_{1:020x}", 3, user_id=me)
    assert client.get("/api/admin/feed/explain", params={"user_id": me}).status_code == 401
    response = client.get("/api/admin/feed/explain", params={"user_id": me, "limit": 5}, headers=ADMIN)
    assert response.status_code == 200, response.text
    explanation = response.json()
    rows = explanation["items"]
    assert [row["position"] for row in rows] == [0, 1, 2, 3, 4] and rows[3]["kind"] == "app"
    for row in rows:
        parts = ("freshness", "ctr", "completion", "like", "affinity", "exploration")
        assert sum(row[part] for part in parts) == pytest.approx(row["total"])
    posts = [row["total"] for row in rows if row["kind"] == "post"]
    assert posts == sorted(posts, reverse=True)
    # The feed the person gets is the order explained.
    assert [item["id"] for item in client.get("/api/feed?limit=5").json()["items"]] == [row["id"] for row in rows]
    unknown = client.get("/api/admin/feed/explain", params={"user_id": "nobody"}, headers=ADMIN)
    assert unknown.status_code == 404 and unknown.json()["field"] == "user_id"


def test_minis_feed_explain_prints_each_items_score_parts(tmp_path):
    runner = CliRunner()
    data = tmp_path / "data"
    assert runner.invoke(cli, ["db", "upgrade", "--data-dir", str(data)]).exit_code == 0
    platform = Platform(Settings(data_dir=data))
    feed = Feed(platform)
    post_id = feed.post("comedy")
    feed.engagement(post_id, exposures=10, clicks=3, completes=4)
    with platform.db.session() as session:
        session.add(User(id="viewer", kind="full", display_name="Viewer", email="viewer@example.com"))
        session.commit()
    platform.close()
    result = runner.invoke(
        cli, ["feed", "explain", "--user", "viewer@example.com", "--data-dir", str(data)], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    for heading in ("item", "category", "fresh", "ctr", "completion", "affinity", "explore", "total"):
        assert heading in result.output
    assert f"post:{post_id}" in result.output and "comedy" in result.output
    missing = runner.invoke(cli, ["feed", "explain", "--user", "ghost@example.com", "--data-dir", str(data)])
    assert missing.exit_code == 1 and "NOT_FOUND" in missing.output


def test_an_app_published_since_the_snapshot_is_in_the_next_feed_request(client, platform):
    first = client.get("/api/feed").json()
    publish(platform, id="brand-new", name="Brand New")
    ids = [item["id"] for item in client.get("/api/feed", params={"limit": 50}).json()["items"]]
    assert "app:brand-new" in ids and "app:brand-new" not in [item["id"] for item in first["items"]]


def test_a_persons_repeated_events_count_once_per_item_per_day(platform, feed):
    post, other = feed.post("comedy"), feed.post("comedy")
    feed.events("exposure", post, 50, user_id="fan")
    feed.events("click", post, 50, user_id="fan")
    feed.events("exposure", other, 3)  # three people, once each
    yesterday = feed.now - timedelta(days=1, minutes=5)  # the day before the others (they are 5 minutes old)
    feed.served(post, ["fan"], yesterday)
    platform.events.append(
        [("exposure", "any-app", "fan", None, "feed", yesterday, yesterday, post)] * 20, EVENT_COLUMNS
    )
    # Events from before sessions were required carry no person: they count for nothing.
    platform.events.append([("click", "any-app", None, None, "feed", yesterday, yesterday, other)] * 20, EVENT_COLUMNS)
    with platform.db.session() as session:
        snapshot = platform.ranking.rebuild(session)
    counts = {
        row.id: (row.exposures, row.clicks) for row in snapshot.explain(platform.ranking.affinity(snapshot, None), 10)
    }
    assert counts[f"post:{post}"] == (2, 1)  # yesterday's exposure and today's, today's click
    assert counts[f"post:{other}"] == (3, 0)


def test_a_persons_signals_count_only_for_what_the_feed_served_them_that_day_or_the_day_before(platform, feed):
    post = feed.post("comedy")
    now = feed.now - timedelta(minutes=5)
    feed.served(post, ["yesterday"], now - timedelta(days=1))
    feed.served(post, ["long-ago"], now - timedelta(days=2))
    feed.served(post, ["later"], now + timedelta(minutes=1))  # served after their click was received
    people = ["yesterday", "long-ago", "later", "never"]
    platform.events.append([("click", "any-app", p, None, "feed", now, now, post) for p in people], EVENT_COLUMNS)
    platform.events.append([("exposure", "any-app", p, None, "feed", now, now, post) for p in people], EVENT_COLUMNS)
    with platform.db.session() as session:
        snapshot = platform.ranking.rebuild(session, now + timedelta(minutes=2))
    counts = {
        row.id: (row.exposures, row.clicks) for row in snapshot.explain(platform.ranking.affinity(snapshot, None), 10)
    }
    # "later" was served the same day: the day is the unit (a retried batch may arrive after a refetch).
    assert counts[f"post:{post}"] == (2, 2)


def test_the_feed_records_what_it_served_to_whom(client, platform, feed):
    post = feed.post("comedy")
    publish(platform, id="served-game", name="Served Game")
    me = client.get("/api/me").json()["user"]["id"]
    ids = [item["id"] for item in client.get("/api/feed", params={"limit": 50}).json()["items"]]
    assert "app:served-game" in ids
    platform.ranking.served.flush()
    rows = platform.events.query("SELECT app_id, post_id FROM events WHERE type = 'served' AND user_id = ?", [me])
    # A post without an anchor is not reported by the host (the event schema needs an app), so not served.
    assert ("served-game", None) in rows and all(post_id != post for _app, post_id in rows)
