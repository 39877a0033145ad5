"""The hub in one call: the person's own shelves (continue playing, favourites, continue watching), then new,
popular this week, the rankings (most played, top grossing, rising) and each category; shelves
with nothing in them are left out, and a request costs the same few queries however many apps."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from sqlalchemy import event

from openminis.db import utcnow
from openminis.drama.models import Episode, Series, WatchProgress
from openminis.feed.hub import TTL
from openminis.identity.models import User
from openminis.payments.models import Order
from openminis.runtime.models import Launch
from tests.factories import publish
from tests.studio import browser


@pytest.fixture
def now(platform):
    moment = utcnow()
    platform.hub.clock = lambda: moment
    return moment


def players(platform, app_id: str, count: int, *, days_ago: float, now) -> None:
    """``count`` different people launched the app ``days_ago`` days before ``now``."""
    with platform.db.session() as session:
        for _ in range(count):
            user_id = "u" + secrets.token_hex(8)
            session.add(User(id=user_id, kind="full", display_name="Player"))
            session.flush()
            session.add(
                Launch(
                    id=secrets.token_hex(16),
                    user_id=user_id,
                    app_id=app_id,
                    version="1.0.0",
                    source="hub",
                    created_at=now - timedelta(days=days_ago),
                )
            )
        session.commit()


def paid(platform, app_id: str, amount: int, *, refunded: int = 0, now) -> None:
    """An order of ``amount`` coins, paid an hour ago, as the purchase flow leaves it."""
    with platform.db.session() as session:
        user_id = "b" + secrets.token_hex(8)
        session.add(User(id=user_id, kind="full", display_name="Buyer"))
        session.flush()
        session.add(
            Order(
                id="ord_" + secrets.token_hex(8),
                app_id=app_id,
                user_id=user_id,
                product_id="gem",
                product_type="consumable",
                quantity=1,
                amount=amount,
                fee=amount // 10,
                idempotency_key=secrets.token_hex(8),
                created_by="sdk",
                status="refunded" if refunded else "paid",
                refunded=refunded,
                created_at=now - timedelta(hours=1),
                paid_at=now - timedelta(hours=1),
            )
        )
        session.commit()


def shelves(client) -> dict[str, dict]:
    response = client.get("/api/hub/sections")
    assert response.status_code == 200, response.text
    return {section["id"]: section for section in response.json()["sections"]}


def ids(section: dict) -> list[str]:
    if section["layout"] == "ranking":
        return [entry["card"]["app_id"] for entry in section["ranked"]]
    return [card["app_id"] for card in section["cards"]]


def test_an_empty_platform_has_no_shelves_and_a_new_one_only_what_it_has(client, platform, now):
    assert shelves(client) == {}
    publish(platform, id="only-game", name="Only Game", category="puzzle")
    platform.hub.clock = lambda: now + TTL  # the board is rebuilt as it ages (publishing also marks it stale)
    found = shelves(client)
    assert list(found) == ["new", "category:puzzle"]
    assert ids(found["new"]) == ["only-game"]


def test_popular_rankings_and_rising_come_from_launches_and_paid_orders(client, platform, now):
    for app_id, category in (("tiles", "puzzle"), ("racer", "racing"), ("blocks", "puzzle"), ("quiet", "arcade")):
        publish(platform, id=app_id, name=app_id.title(), category=category)
    players(platform, "tiles", 5, days_ago=1, now=now)  # 5 this week, 10 the week before: falling
    players(platform, "tiles", 10, days_ago=10, now=now)
    players(platform, "racer", 6, days_ago=2, now=now)  # 6 this week, 2 before: rising +200%
    players(platform, "racer", 2, days_ago=9, now=now)
    players(platform, "blocks", 1, days_ago=3, now=now)  # new this week
    players(platform, "quiet", 4, days_ago=40, now=now)  # older than the month: counts nowhere
    paid(platform, "blocks", 300, now=now)
    paid(platform, "blocks", 200, refunded=200, now=now)  # refunded: grosses nothing
    paid(platform, "tiles", 120, now=now)
    paid(platform, "racer", 50, refunded=20, now=now)

    found = shelves(client)
    assert list(found) == [
        "new",
        "popular",
        "most_played",
        "top_grossing",
        "rising",
        "category:puzzle",
        "category:racing",
        "category:arcade",
    ]
    assert ids(found["popular"]) == ["racer", "tiles", "blocks"]
    assert [entry["label"] for entry in found["popular"]["ranked"]] == ["6 players", "5 players", "1 player"]
    assert ids(found["most_played"]) == ["tiles", "racer", "blocks"]
    assert [(e["card"]["app_id"], e["value"], e["label"]) for e in found["top_grossing"]["ranked"]] == [
        ("blocks", 300, "300 coins"),
        ("tiles", 120, "120 coins"),
        ("racer", 30, "30 coins"),
    ]
    assert [(e["card"]["app_id"], e["label"]) for e in found["rising"]["ranked"]] == [
        ("racer", "+200%"),
        ("blocks", "New this week"),
    ]
    # Each category's apps by this week's players; the busiest category first.
    assert ids(found["category:puzzle"]) == ["tiles", "blocks"]
    assert found["category:puzzle"]["title"] == "Puzzle"


def test_the_persons_own_shelves_show_what_they_play_and_where_they_are_in_a_series(client, csrf, platform, now):
    publish(platform, id="tiles", name="Tiles", category="puzzle")
    publish(platform, id="night-drama", name="Night Shift", kind="drama", category="romance")
    launched = client.post(
        "/api/launches", json={"launch_id": secrets.token_hex(16), "app_id": "tiles", "source": "hub"}, headers=csrf
    )
    assert launched.status_code == 200, launched.text
    me = client.get("/api/me").json()["user"]["id"]
    with platform.db.session() as session:
        session.add(Series(id="ser_night", app_id="night-drama", title="Night Shift", status="published"))
        session.add(Series(id="ser_draft", app_id="night-drama", title="Draft", status="draft"))
        session.flush()
        for number in range(1, 11):
            session.add(
                Episode(id=f"ep_{number}", series_id="ser_night", number=number, status="ready", media_key=f"m{number}")
            )
        session.add(WatchProgress(user_id=me, series_id="ser_night", episode_number=4, position_ms=1000))
        session.add(WatchProgress(user_id=me, series_id="ser_draft", episode_number=1, position_ms=0))
        session.commit()

    favourite = client.put("/api/me/favourites/tiles", headers=csrf)
    assert favourite.status_code == 200, favourite.text

    found = shelves(client)
    assert list(found)[:3] == ["continue", "favourites", "watching"]
    assert ids(found["continue"]) == ["tiles"] and ids(found["favourites"]) == ["tiles"]
    (watching,) = found["watching"]["dramas"]
    assert watching["series_id"] == "ser_night" and watching["label"] == "Episode 4 of 10"
    assert watching["cover_url"].endswith("/media/drama/ep_1/m1/poster.jpg?cover=1")
    # Another browser (no session) has no shelves of its own.
    assert "continue" not in shelves(browser(client))


def test_a_hub_request_costs_the_same_queries_with_4_apps_or_24(client, platform, now):
    def queries() -> int:
        counted = []
        listener = lambda *args: counted.append(args[2])  # noqa: E731
        event.listen(platform.db.engine, "before_cursor_execute", listener)
        try:
            platform.hub.clock = lambda: now  # the board as built: per request, only the person's part
            assert client.get("/api/hub/sections").status_code == 200
        finally:
            event.remove(platform.db.engine, "before_cursor_execute", listener)
        return len(counted)

    def more_apps(start: int, count: int) -> None:
        for n in range(start, start + count):
            publish(platform, id=f"game-{n}", name=f"Game {n}", category=("puzzle", "racing", "arcade")[n % 3])
            players(platform, f"game-{n}", 1 + n % 4, days_ago=n % 12, now=now)
            paid(platform, f"game-{n}", 10 * (n + 1), now=now)

    client.get("/api/me")  # a person with a session: their own shelves are read too
    more_apps(0, 4)
    for n in range(4):
        launched = client.post(
            "/api/launches",
            json={"launch_id": secrets.token_hex(16), "app_id": f"game-{n}", "source": "hub"},
            headers={"X-CSRF-Token": client.get("/api/me").json()["csrf_token"]},
        )
        assert launched.status_code == 200, launched.text
    client.get("/api/hub/sections")  # builds the board
    few = queries()
    more_apps(4, 20)
    client.get("/api/hub/sections")
    many = queries()
    assert few == many
    found = shelves(client)
    assert len(found["new"]["cards"]) == 12 and len(ids(found["continue"])) == 4


def test_the_dramas_list_costs_the_same_queries_with_1_series_or_6(client, platform):
    """Each series' ready episodes (its cover and count) come from one query for the whole list."""
    publish(platform, id="night-drama", name="Night Shift", kind="drama", category="romance")

    def add_series(start: int, count: int) -> None:
        with platform.db.session() as session:
            for n in range(start, start + count):
                session.add(Series(id=f"ser_{n}", app_id="night-drama", title=f"Night {n}", status="published"))
                session.flush()
                for number in (1, 2):
                    session.add(
                        Episode(
                            id=f"ep_{n}_{number}", series_id=f"ser_{n}", number=number, status="ready", media_key="m"
                        )
                    )
            session.commit()

    def queries() -> tuple[int, list[dict]]:
        counted = []
        listener = lambda *args: counted.append(args[2])  # noqa: E731
        event.listen(platform.db.engine, "before_cursor_execute", listener)
        try:
            answer = client.get("/api/dramas")
        finally:
            event.remove(platform.db.engine, "before_cursor_execute", listener)
        assert answer.status_code == 200, answer.text
        return len(counted), answer.json()["items"]

    add_series(0, 1)
    few, _ = queries()
    add_series(1, 5)
    many, items = queries()
    assert few == many
    assert len(items) == 6 and {item["episode_count"] for item in items} == {2}
    assert {item["cover_url"].split("/media/drama/")[1] for item in items} == {
        f"ep_{n}_1/m/poster.jpg?cover=1" for n in range(6)
    }
