"""Scores have a floor as well as a ceiling: the app's front end posts scores from 0 to the board's
``max_score``, and a time (``time_ms``) is never below 0, whoever posts it. A board whose scores go
below zero (a golf score under par) takes them from the app's backend.

A probe: on a lowest-wins ``time_ms`` board taking client scores with ``max_score`` 600000, a guest
posted -9007199254740991, got 200 and rank 1, and the board showed a negative time: ``max_score``
only capped the high side, which on such a board is the losing side."""

from __future__ import annotations

import pytest

from tests.social.test_leaderboards import bearer, person, post_score, put_board
from tests.studio import browser, csrf_of

LOWEST = -(2**53 - 1)


def client_score(player, app, board: str, score: int):
    return player.post(
        f"/api/apps/{app.app_id}/leaderboards/{board}/scores", json={"score": score}, headers=csrf_of(player)
    )


def test_the_front_end_cannot_post_a_negative_time_on_a_lowest_wins_board(client, studio):
    put_board(client, studio, "sprint", sort="asc", format="time_ms", client_scores=True, max_score=600_000)
    cheat = browser(client)
    for score in (LOWEST, -1):
        refused = client_score(cheat, studio, "sprint", score)
        assert (refused.status_code, refused.json()["code"], refused.json()["field"]) == (
            422,
            "INVALID_ARGUMENT",
            "score",
        ), score
    runner = browser(client)
    assert client_score(runner, studio, "sprint", 9_580).json()["rank"] == 1
    board = runner.get(f"/api/apps/{studio.app_id}/leaderboards/sprint/entries").json()
    assert [e["score"] for e in board["items"]] == [9_580]  # no negative time on the board
    assert client_score(runner, studio, "sprint", 0).status_code == 200  # 0 is the floor, allowed


@pytest.mark.parametrize("sort", ["asc", "desc"])
def test_front_end_scores_are_from_zero_to_max_score_on_every_board(client, studio, sort):
    put_board(client, studio, "stars", sort=sort, client_scores=True, max_score=1000)
    player = browser(client)
    assert client_score(player, studio, "stars", -5).status_code == 422
    assert client_score(player, studio, "stars", 1001).status_code == 422
    assert [client_score(player, studio, "stars", s).status_code for s in (0, 1000)] == [200, 200]


def test_the_backend_cannot_post_a_negative_time_either(client, studio):
    put_board(client, studio, "sprint", sort="asc", format="time_ms")
    _, openid = person(client, studio, consent=False)
    refused = post_score(client, studio, "sprint", openid, -1)
    assert (refused.status_code, refused.json()["field"]) == (422, "score")
    assert post_score(client, studio, "sprint", openid, 0).status_code == 200


def test_the_backend_may_post_scores_below_zero_on_a_board_of_whole_numbers(client, studio):
    put_board(client, studio, "golf", sort="asc")  # strokes against par: -3 is a fine round
    _, openid = person(client, studio, consent=False)
    assert post_score(client, studio, "golf", openid, -3).json()["rank"] == 1
    top = client.get("/openapi/v1/leaderboards/golf/entries", headers=bearer(client, studio)).json()
    assert [e["score"] for e in top["items"]] == [-3]
