"""Leaderboards: boards declared in minis.json or through the Open API, the best score per person
and period, standings that name only those who consented, and tournaments whose results are final
at their end and reach the developer's backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from openminis.social import boards
from openminis.social.models import Leaderboard
from tests.factories import publish
from tests.payments.test_notifications import NOTIFY_URL, Backend, Clock
from tests.studio import DevApp, browser, csrf_of, login_code


def bearer(client: TestClient, app: DevApp) -> dict[str, str]:
    return {"Authorization": f"Bearer {app.backend(client).access_token()}"}


def person(client: TestClient, app: DevApp, *, consent: bool) -> tuple[TestClient, str]:
    """A player of the app, as its backend knows them (by openid); with ``consent`` they allowed the
    consent sheet (their name and avatar)."""
    player = browser(client)
    openid = app.backend(client).code2session(login_code(player, app.app_id))["openid"]
    if consent:
        assert player.post(f"/api/apps/{app.app_id}/profile-consent", headers=csrf_of(player)).status_code == 200
    return player, openid


def put_board(client: TestClient, app: DevApp, board_id: str, **fields: object):
    return client.put(f"/openapi/v1/leaderboards/{board_id}", json=fields, headers=bearer(client, app))


def post_score(client: TestClient, app: DevApp, board_id: str, openid: str, score: object, **extra: object):
    return client.post(
        f"/openapi/v1/leaderboards/{board_id}/scores",
        json={"openid": openid, "score": score, **extra},
        headers=bearer(client, app),
    )


def test_the_backend_keeps_each_persons_best_and_names_only_those_who_consented(client, studio):
    assert put_board(client, studio, "stars", sort="desc").status_code == 200
    ada, ada_id = person(client, studio, consent=True)
    _, bo_id = person(client, studio, consent=False)
    answers = [post_score(client, studio, "stars", ada_id, s).json() for s in (10, 30, 20)]
    assert [(a["best"], a["improved"]) for a in answers] == [(10, True), (30, True), (30, False)]
    assert post_score(client, studio, "stars", bo_id, 25).json()["rank"] == 2

    top = client.get("/openapi/v1/leaderboards/stars/entries?limit=5", headers=bearer(client, studio)).json()
    assert top["players"] == 2 and top["period"] == "all"
    assert [(e["rank"], e["score"], e["openid"]) for e in top["items"]] == [(1, 30, ada_id), (2, 25, bo_id)]
    ada_name = ada.get("/api/me").json()["user"]["display_name"]
    assert [e["name"] for e in top["items"]] == [ada_name, "Player"]
    assert top["items"][0]["avatar_url"].endswith(".svg") and "/api/avatars/" in top["items"][0]["avatar_url"]
    assert top["items"][1]["avatar_url"].endswith("/static/player-avatar.svg")

    # The person's own view, from the host: their entry marked, the others as the backend sees them.
    mine = ada.get(f"/api/apps/{studio.app_id}/leaderboards/stars/entries?scope=around_me&limit=3").json()
    assert [(e["rank"], e["name"], e["me"]) for e in mine["items"]] == [(1, ada_name, True), (2, "Player", False)]


def test_a_board_sorted_ascending_keeps_the_lowest_time(client, studio):
    put_board(client, studio, "sprint", sort="asc", format="time_ms")
    _, runner = person(client, studio, consent=False)
    for time_ms in (9_800, 9_580, 9_700):
        post_score(client, studio, "sprint", runner, time_ms)
    [entry] = client.get("/openapi/v1/leaderboards/sprint/entries", headers=bearer(client, studio)).json()["items"]
    assert entry["score"] == 9_580


def test_around_me_centres_the_page_on_the_person(client, studio):
    put_board(client, studio, "stars")
    openids = [person(client, studio, consent=False)[1] for _ in range(7)]
    for score, openid in enumerate(openids):
        post_score(client, studio, "stars", openid, score * 10)
    page = client.get(
        f"/openapi/v1/leaderboards/stars/entries?scope=around_me&limit=3&openid={openids[3]}",
        headers=bearer(client, studio),
    ).json()["items"]
    assert [(e["rank"], e["score"], e["me"]) for e in page] == [(3, 40, False), (4, 30, True), (5, 20, False)]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"sort": "sideways"}, "sort"),
        ({"reset": "hourly"}, "reset"),
        ({"max_score": 2**60}, "max_score"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_board_is_refused(client, studio, fields, field):
    refused = put_board(client, studio, "stars", **fields)
    assert refused.status_code in (400, 422), refused.text
    assert field in refused.text


def test_bad_scores_and_reads_are_refused_with_clear_errors(client, studio):
    put_board(client, studio, "stars")
    _, openid = person(client, studio, consent=False)
    assert put_board(client, studio, "bad id!").status_code in (400, 404, 422)
    for score in (1.5, "12", True, None, 2**53):
        assert post_score(client, studio, "stars", openid, score).status_code in (400, 422), score
    assert post_score(client, studio, "stars", "o_nobody", 5).json()["code"] == "UNKNOWN_OPENID"
    assert post_score(client, studio, "nope", openid, 5).json()["code"] == "NO_SUCH_LEADERBOARD"
    headers = bearer(client, studio)
    for query in ("scope=everyone", "limit=0", "limit=101", "scope=around_me", "limit=ten"):
        answer = client.get(f"/openapi/v1/leaderboards/stars/entries?{query}", headers=headers)
        assert answer.status_code in (400, 422), query
    other = browser(client)
    no_context = other.get(f"/api/apps/{studio.app_id}/leaderboards/stars/entries?scope=context")
    assert (no_context.status_code, no_context.json()["field"]) == (422, "context")
    ctx = other.get(f"/api/apps/{studio.app_id}/leaderboards/stars/entries?scope=context&context={'0' * 20}")
    assert ctx.json()["code"] == "NO_SUCH_CONTEXT"


def test_the_apps_front_end_may_post_only_to_boards_that_allow_it_below_their_cap_and_not_too_often(
    client, studio, platform
):
    put_board(client, studio, "backend-only")
    put_board(client, studio, "casual", client_scores=True, max_score=1000)
    player = browser(client)
    headers = csrf_of(player)
    url = f"/api/apps/{studio.app_id}/leaderboards"
    refused = player.post(f"{url}/backend-only/scores", json={"score": 5}, headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (403, "CLIENT_SCORES_OFF")
    over = player.post(f"{url}/casual/scores", json={"score": 1001}, headers=headers)
    assert (over.status_code, over.json()["field"]) == (422, "score")
    assert player.post(f"{url}/casual/scores", json={"score": "5"}, headers=headers).status_code == 422
    allowed = platform.settings.rate_scores_per_person.split("/")[0]
    answers = [player.post(f"{url}/casual/scores", json={"score": n}, headers=headers) for n in range(int(allowed) + 2)]
    codes = [a.status_code for a in answers]
    assert codes.count(429) >= 2 and set(codes) == {200, 429}
    assert player.get(f"{url}/casual/entries").json()["items"][0]["score"] < int(allowed) + 2


def test_boards_declared_in_the_manifest_come_with_each_release_and_a_bad_one_is_refused(client, platform):
    publish(platform, id="board-game", leaderboards=[{"id": "stars", "reset": "weekly", "timezone": "Asia/Tokyo"}])
    board = client.get("/api/apps/board-game/leaderboards/stars").json()
    assert (board["reset"], board["timezone"], board["client_scores"], board["sort"]) == (
        "weekly",
        "Asia/Tokyo",
        False,
        "desc",
    )
    publish(platform, id="board-game", version="1.1.0", leaderboards=[])
    assert client.get("/api/apps/board-game/leaderboards/stars").status_code == 404
    from openminis.catalog.package import PackageError

    with pytest.raises(PackageError, match="time zone"):
        publish(platform, id="board-game", version="1.2.0", leaderboards=[{"id": "x", "timezone": "Nowhere/Land"}])
    with pytest.raises(PackageError, match="unique"):
        publish(platform, id="board-game", version="1.2.0", leaderboards=[{"id": "x"}, {"id": "x"}])


def test_a_period_is_the_day_week_or_month_in_the_boards_own_time_zone():
    board = Leaderboard(app_id="a", id="b", reset="daily", timezone="Pacific/Auckland")
    late_utc = datetime(2026, 12, 3, 13, 0, tzinfo=UTC)  # already the 4th in Auckland
    assert boards.period_of(board, late_utc) == "2026-12-04"
    board.reset = "weekly"
    assert boards.period_of(board, late_utc) == "2026-W49"
    board.reset, board.timezone = "monthly", "America/Los_Angeles"
    assert boards.period_of(board, datetime(2027, 1, 1, 5, 0, tzinfo=UTC)) == "2026-12"
    board.reset = "never"
    assert boards.period_of(board, late_utc) == "all"


def test_a_tournament_ends_final_and_its_results_reach_the_backend(client, studio, platform):
    backend = Backend(studio.secret)
    platform.__dict__["http"] = TestClient(backend.app)
    assert (
        client.put(
            "/openapi/v1/payment-settings", json={"notify_url": NOTIFY_URL}, headers=bearer(client, studio)
        ).status_code
        == 200
    )
    put_board(client, studio, "stars", client_scores=True)
    host, host_openid = person(client, studio, consent=True)
    headers = csrf_of(host)
    ends_at = datetime.now(UTC) + timedelta(minutes=5)
    made = host.post(
        f"/api/apps/{studio.app_id}/tournaments",
        json={"board": "stars", "ends_at": ends_at.isoformat()},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    tournament = made.json()
    assert (tournament["type"], tournament["members"], tournament["board"]) == ("tournament", 1, "stars")
    url = f"/api/apps/{studio.app_id}/leaderboards/stars"
    assert (
        host.post(f"{url}/scores", json={"score": 70, "context": tournament["id"]}, headers=headers).status_code == 200
    )
    _, guest_openid = person(client, studio, consent=False)
    assert post_score(client, studio, "stars", guest_openid, 90, tournament_id=tournament["id"]).status_code == 200
    put_board(client, studio, "other")
    elsewhere = post_score(client, studio, "other", guest_openid, 5, tournament_id=tournament["id"])
    assert (elsewhere.status_code, elsewhere.json()["field"]) == (422, "tournament_id")
    ranking = host.get(f"{url}/entries?scope=context&context={tournament['id']}").json()
    assert ranking["period"] == f"t:{tournament['id']}"
    assert [e["score"] for e in ranking["items"]] == [90, 70]

    clock = Clock()
    clock.now = ends_at + timedelta(seconds=1)
    platform.worker(clock=clock).drain()
    [event] = [e for e in backend.events if e["type"] == "tournament.ended"]
    assert event["data"]["tournament"]["id"] == tournament["id"]
    assert [(r["rank"], r["openid"], r["score"]) for r in event["data"]["results"]] == [
        (1, guest_openid, 90),
        (2, host_openid, 70),
    ]
    late = host.post(f"{url}/scores", json={"score": 99, "context": tournament["id"]}, headers=headers)
    assert (late.status_code, late.json()["code"]) == (409, "TOURNAMENT_ENDED")
    late = post_score(client, studio, "stars", guest_openid, 99, tournament_id=tournament["id"])
    assert (late.status_code, late.json()["code"]) == (409, "TOURNAMENT_ENDED")
    assert host.get(f"/api/apps/{studio.app_id}/contexts/{tournament['id']}").json()["ended"] is True


def test_a_tournament_ends_between_a_minute_and_thirty_days_away(client, studio):
    put_board(client, studio, "stars")
    host = browser(client)
    for ends_at in (datetime.now(UTC), datetime.now(UTC) + timedelta(days=31), datetime(2030, 1, 1)):
        refused = host.post(
            f"/api/apps/{studio.app_id}/tournaments",
            json={"board": "stars", "ends_at": ends_at.isoformat()},
            headers=csrf_of(host),
        )
        assert (refused.status_code, refused.json()["code"]) == (422, "INVALID_ARGUMENT"), ends_at
