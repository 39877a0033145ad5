"""Search covers games, drama series and creators, best match first, with the matched part of
each name; an empty query, or one that matches nothing, gets popular picks instead."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from openminis.drama import catalog as drama
from openminis.drama.models import Series
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
