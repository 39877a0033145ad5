"""Starting tournaments is limited per person in an app, and per app: each one ends with a signed
``tournament.ended`` to the app's backend, so a script must not be able to make them by the hundred.

A probe: one guest who never opened the app started 240 tournaments in 15 s (only the host's
generic limit per route, about 20 a second, held it back), and the app's backend got 240 signed
notifications of tournaments with one player and no score."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from openminis.social import api as social_api
from openminis.web import limits
from tests.social.test_leaderboards import put_board
from tests.studio import DevApp, browser, csrf_of


def start(player: TestClient, app: DevApp):
    ends_at = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    return player.post(
        f"/api/apps/{app.app_id}/tournaments", json={"board": "stars", "ends_at": ends_at}, headers=csrf_of(player)
    )


def test_a_person_starts_at_most_the_limit_of_tournaments_in_an_app(client, studio):
    put_board(client, studio, "stars")
    player = browser(client)
    most = limits.rate(social_api.TOURNAMENTS_PER_PERSON).limit
    assert [start(player, studio).status_code for _ in range(most)] == [201] * most
    refused = start(player, studio)
    assert (refused.status_code, refused.json()["code"]) == (429, "RATE_LIMITED")
    assert "retry-after" in refused.headers
    assert start(browser(client), studio).status_code == 201  # someone else still can


def test_an_app_has_at_most_the_limit_of_new_tournaments_from_all_its_players(client, studio, monkeypatch):
    monkeypatch.setattr(social_api, "TOURNAMENTS_PER_APP", "3/minute")
    put_board(client, studio, "stars")
    answers = [start(browser(client), studio) for _ in range(4)]
    assert [a.status_code for a in answers] == [201, 201, 201, 429]
    assert answers[-1].json()["code"] == "RATE_LIMITED"
