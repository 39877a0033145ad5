"""The feed, the hub, search and recents list cards that launch straight into the app's origin."""

from __future__ import annotations

import pytest

from tests.factories import publish

LAUNCH = "0123456789abcdef" * 2


@pytest.fixture
def catalog(platform):
    for n in range(7):
        publish(platform, id=f"game-{n}", name=f"Game {n}", category="puzzle" if n % 2 else "arcade")
    publish(
        platform,
        id="night-drama",
        name="Night Shift",
        kind="drama",
        category="romance",
        description="A hospital romance",
    )


def test_a_card_carries_everything_a_launch_needs(client, catalog):
    item = client.get("/api/feed?limit=1").json()["items"][0]
    card = item["card"]
    assert item == {"kind": "app", "id": f"app:{card['app_id']}", "card": card, "post": None}
    assert card["origin"] == f"http://{card['app_id']}.apps.localhost:8000"
    assert card["entry_url"] == f"{card['origin']}/v/1.0.0/index.html"
    assert card["icon_url"] == f"{card['origin']}/v/1.0.0/icon.svg"


def test_paging_the_feed_returns_every_app_once_before_the_caught_up_card(client, catalog):
    seen, cursor = [], None
    while "caught_up" not in seen:
        page = client.get("/api/feed", params={"limit": 3, **({"cursor": cursor} if cursor else {})}).json()
        seen += [item["card"]["app_id"] if item["kind"] == "app" else item["kind"] for item in page["items"]]
        cursor = page["next_cursor"]
    new = seen[: seen.index("caught_up")]
    assert len(new) == len(set(new)) == 8


def test_a_forged_cursor_is_an_invalid_argument(client, catalog):
    response = client.get("/api/feed?cursor=bm90IGpzb24")
    assert response.status_code == 422
    assert response.json()["field"] == "cursor"


def test_the_hub_lists_games_and_dramas_apart(client, catalog):
    games = client.get("/api/hub?kind=game").json()["items"]
    dramas = client.get("/api/hub?kind=drama").json()["items"]
    assert len(games) == 7 and {card["kind"] for card in games} == {"game"}
    assert [card["app_id"] for card in dramas] == ["night-drama"]
    assert client.get("/api/hub?kind=movie").status_code == 422


def test_search_matches_name_category_and_description_and_treats_wildcards_literally(client, catalog):
    assert [c["app_id"] for c in client.get("/api/search?q=night").json()["items"]] == ["night-drama"]
    assert [c["app_id"] for c in client.get("/api/search?q=HOSPITAL").json()["items"]] == ["night-drama"]
    assert len(client.get("/api/search?q=puzzle").json()["items"]) == 3
    # A literal "%" matches nothing: what comes back are suggestions, marked as such.
    assert client.get("/api/search?q=%25").json()["suggested"] is True
    assert client.get("/api/search?q=").json()["suggested"] is True


def test_recently_played_lists_launched_apps_most_recent_first(client, csrf, catalog):
    for n, app_id in enumerate(["game-1", "game-2", "game-1"]):
        launch_id = f"{n:032x}"
        response = client.post(
            "/api/launches", json={"launch_id": launch_id, "app_id": app_id, "source": "feed"}, headers=csrf
        )
        launched = response.json()
        assert {key: launched[key] for key in ("launch_id", "app_id", "version", "init_data")} == {
            "launch_id": launch_id,
            "app_id": app_id,
            "version": "1.0.0",
            "init_data": None,
        }
    assert [c["app_id"] for c in client.get("/api/recents").json()["items"]] == ["game-1", "game-2"]


def test_a_retried_launch_is_recorded_once(client, csrf, catalog, session):
    from sqlalchemy import func, select

    from openminis.runtime.models import Launch

    body = {"launch_id": LAUNCH, "app_id": "game-3", "source": "search"}
    assert client.post("/api/launches", json=body, headers=csrf).status_code == 200
    assert client.post("/api/launches", json=body, headers=csrf).status_code == 200
    assert session.scalar(select(func.count()).select_from(Launch)) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"launch_id": "short", "app_id": "game-1", "source": "feed"}, "launch_id"),
        ({"launch_id": LAUNCH, "app_id": "game-1", "source": "billboard"}, "source"),
    ],
)
def test_a_bad_launch_is_an_invalid_argument(client, csrf, catalog, body, field):
    response = client.post("/api/launches", json=body, headers=csrf)
    assert response.status_code == 422
    assert response.json()["field"] == field


def test_launching_an_unknown_app_is_not_found(client, csrf, catalog):
    response = client.post(
        "/api/launches", json={"launch_id": LAUNCH, "app_id": "ghost-app", "source": "feed"}, headers=csrf
    )
    assert response.status_code == 404
