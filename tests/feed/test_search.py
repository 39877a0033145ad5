"""Search covers games, drama series and creators, best match first, with the matched part of
each name; an empty query, or one that matches nothing, gets popular picks instead."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import update

from openminis.db import utcnow
from openminis.drama import catalog as drama
from openminis.drama.models import Episode, Series
from openminis.runtime.models import Launch
from openminis.unit_of_work import unit_of_work
from tests.creators.conftest import make_creator
from tests.factories import publish


@pytest.fixture
def shelf(platform):
    publish(platform, id="moon-runner", name="Moon Runner", kind="game", category="arcade")
    publish(platform, id="runner", name="Runner", kind="game", category="arcade")
    publish(platform, id="night-run", name="Nightrun", kind="game", category="arcade")
    publish(platform, id="moon-tv", name="Moon TV", kind="drama", category="romance")
    with unit_of_work(platform.db) as session:
        for title in ("The Runaway Bride", "Moon Palace"):
            series = drama.create_series(session, "moon-tv", title=title, synopsis="A short drama.")
            session.execute(update(Series).where(Series.id == series.id).values(status="published"))
            # Episodes people can watch (progress is saved only at one of those).
            for number in range(1, 5):
                session.add(
                    Episode(
                        id=f"ep_{series.id[-8:]}{number:04d}",
                        series_id=series.id,
                        number=number,
                        status="ready",
                        media_key=f"media-{number}",
                        duration_ms=60_000,
                    )
                )


def test_games_series_and_creators_are_found_best_match_first_with_the_match_marked(client, shelf):
    make_creator(client, "runfast")
    found = client.get("/api/search", params={"q": "run"}).json()
    assert found["suggested"] is False
    # The whole name, then a word's start, then anywhere in it.
    assert [card["app_id"] for card in found["items"]] == ["runner", "moon-runner", "night-run"]
    assert found["matches"]["moon-runner"] == {"start": 5, "end": 8}
    assert [(hit["series"]["title"], hit["match"]) for hit in found["series"]] == [
        ("The Runaway Bride", {"start": 4, "end": 7})
    ]
    assert [(hit["creator"]["handle"], hit["match"]) for hit in found["creators"]] == [
        ("runfast", {"start": 0, "end": 3})
    ]


def test_an_empty_or_fruitless_query_gets_popular_picks(client, shelf):
    for query in ("", "zzz-nothing", "%"):
        found = client.get("/api/search", params={"q": query}).json()
        assert found["suggested"] is True, query
        assert {card["app_id"] for card in found["items"]} == {"moon-runner", "runner", "night-run"}
        assert {hit["series"]["title"] for hit in found["series"]} == {"The Runaway Bride", "Moon Palace"}
        assert found["creators"] == [] and found["matches"] == {}


def launch(person, app_id: str) -> None:
    headers = {"X-CSRF-Token": person.get("/api/me").json()["csrf_token"]}
    body = {"launch_id": uuid.uuid4().hex, "app_id": app_id, "source": "search"}
    assert person.post("/api/launches", json=body, headers=headers).status_code == 200


def watch(person, series_id: str, episode: int) -> None:
    headers = {"X-CSRF-Token": person.get("/api/me").json()["csrf_token"]}
    saved = person.put(
        f"/api/dramas/{series_id}/progress", json={"episode_number": episode, "position_ms": 0}, headers=headers
    )
    assert saved.status_code == 200, saved.text


def series_ids(client) -> dict[str, str]:
    return {s["title"]: s["id"] for s in client.get("/api/dramas").json()["items"]}


def test_among_equal_matches_this_weeks_most_played_comes_first(client, shelf, platform):
    from tests.studio import browser

    publish(platform, id="sun-runner", name="Sun Runner", kind="game", category="arcade")
    publish(platform, id="ice-runner", name="Ice Runner", kind="game", category="arcade")
    people = [browser(client) for _ in range(3)]
    for person in people:
        launch(person, "ice-runner")
    launch(people[0], "moon-runner")
    # Last month's plays do not count: sun-runner's many old launches leave it last among equals.
    for person in people:
        launch(person, "sun-runner")
    with unit_of_work(platform.db) as session:
        session.execute(
            update(Launch).where(Launch.app_id == "sun-runner").values(created_at=utcnow() - timedelta(days=30))
        )

    found = client.get("/api/search", params={"q": "runner"}).json()
    assert [card["app_id"] for card in found["items"]] == ["runner", "ice-runner", "moon-runner", "sun-runner"]

    ids = series_ids(client)
    watch(people[0], ids["Moon Palace"], 1)
    suggested = client.get("/api/search", params={"q": ""}).json()
    assert [card["app_id"] for card in suggested["items"]][:2] == ["ice-runner", "moon-runner"]
    assert [hit["series"]["title"] for hit in suggested["series"]] == ["Moon Palace", "The Runaway Bride"]


def test_recently_played_holds_the_series_watched_with_the_episode_reached(client, shelf):
    ids = series_ids(client)
    launch(client, "runner")
    watch(client, ids["The Runaway Bride"], 4)
    recents = client.get("/api/recents").json()
    assert [card["app_id"] for card in recents["items"]] == ["runner"]
    assert set(recents["played_at"]) == {"runner"}
    assert [(hit["series"]["title"], hit["episode_number"]) for hit in recents["series"]] == [("The Runaway Bride", 4)]
    # Someone else's progress is theirs alone.
    from tests.studio import browser

    assert browser(client).get("/api/recents").json()["series"] == []


def test_a_creator_result_opens_their_public_page(client, shelf, platform):
    make_creator(client, "runfast")
    page = client.get("/api/creators/runfast").json()
    assert page["creator"]["handle"] == "runfast" and page["posts"] == [] and page["followers"] == 0
    # As a search result names them: with or without the @, in any case.
    assert client.get("/api/creators/@RunFast").json()["creator"]["handle"] == "runfast"
    assert client.get("/api/creators/nobody").status_code == 404
    assert client.get("/api/creators/" + "x" * 65).status_code == 422
