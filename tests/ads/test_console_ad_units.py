"""Ad units in the developer console, on the person's session: the team lists them with the app's
share of ad revenue; developers and owners make and change them; a viewer only reads; someone
outside the team finds no app."""

from __future__ import annotations

import pytest

from tests.console_team import join_team, outsider
from tests.studio import register_app

REWARDED = {"name": "Extra life", "kind": "rewarded", "reward": {"type": "coins_ingame", "amount": 10}}


def path(studio, rest: str = "") -> str:
    return f"/api/developer/apps/{studio.app_id}/ad-units{rest}"


def test_an_owner_creates_and_changes_units_and_sees_the_revenue_share(studio):
    empty = studio.developer.get(path(studio))
    assert empty.json() == {"items": [], "developer_share_bps": 7000}
    created = studio.developer.post(path(studio), json={**REWARDED, "id": "au_extra_life"}, headers=studio.headers)
    assert created.status_code == 201, created.text
    unit = created.json()
    assert (unit["id"], unit["app_id"], unit["min_watch_seconds"], unit["active"]) == (
        "au_extra_life",
        studio.app_id,
        15,
        True,
    )
    paused = studio.developer.put(
        path(studio, "/au_extra_life"), json={**REWARDED, "active": False}, headers=studio.headers
    )
    assert paused.status_code == 200, paused.text
    assert paused.json()["active"] is False
    assert [(u["id"], u["active"]) for u in studio.developer.get(path(studio)).json()["items"]] == [
        ("au_extra_life", False)
    ]


def test_a_team_developer_advertises_but_a_viewer_only_reads(studio):
    developer, developer_headers = join_team(studio, "builder@example.com", "developer")
    made = developer.post(
        path(studio), json={"name": "Between levels", "kind": "interstitial"}, headers=developer_headers
    )
    assert made.status_code == 201, made.text

    viewer, headers = join_team(studio, "watcher@example.com", "viewer")
    assert [u["name"] for u in viewer.get(path(studio)).json()["items"]] == ["Between levels"]
    refused = [
        viewer.post(path(studio), json=REWARDED, headers=headers),
        viewer.put(path(studio, f"/{made.json()['id']}"), json={**REWARDED, "kind": "interstitial"}, headers=headers),
    ]
    assert [(r.status_code, r.json()["code"]) for r in refused] == [(403, "ROLE_FORBIDS")] * 2


def test_someone_outside_the_team_finds_no_app(studio):
    unit = studio.developer.post(path(studio), json=REWARDED, headers=studio.headers).json()
    stranger, headers = outsider(studio)
    answers = [
        stranger.get(path(studio)),
        stranger.post(path(studio), json=REWARDED, headers=headers),
        stranger.put(path(studio, f"/{unit['id']}"), json=REWARDED, headers=headers),
    ]
    assert [r.status_code for r in answers] == [404, 404, 404]


def test_a_unit_of_another_app_is_not_found_through_this_one(studio):
    other = register_app(studio.developer, studio.headers, "other-game")
    unit = studio.developer.post(path(other), json=REWARDED, headers=studio.headers).json()
    moved = studio.developer.put(path(studio, f"/{unit['id']}"), json=REWARDED, headers=studio.headers)
    assert moved.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "kind": "rewarded"}, "reward_type"),
        ({"name": "x", "kind": "banner"}, "kind"),
        ({"name": "", "kind": "interstitial"}, "name"),
        ({"name": "x", "kind": "interstitial", "floor_cpm": -1}, "floor_cpm"),
        ({"name": "x", "kind": "interstitial", "id": "not-a-unit-id"}, "id"),
        ({**REWARDED, "verify_url": "ftp://example.com/r"}, "verify_url"),
        ({**REWARDED, "min_watch_seconds": 0}, "min_watch_seconds"),
    ],
)
def test_an_invalid_unit_is_refused_naming_the_field(studio, body, field):
    response = studio.developer.post(path(studio), json=body, headers=studio.headers)
    assert (response.status_code, response.json().get("field")) == (422, field), response.text


@pytest.mark.parametrize("rest", ["/au_none_such", "/bad%20id", "/" + "x" * 33])
def test_changing_a_unit_that_cannot_exist_is_a_clear_4xx(studio, rest):
    response = studio.developer.put(path(studio, rest), json=REWARDED, headers=studio.headers)
    assert response.status_code in (404, 422), response.text
    assert response.json()["code"]


def test_a_unit_id_already_taken_is_a_conflict_on_the_id(studio):
    assert (
        studio.developer.post(path(studio), json={**REWARDED, "id": "au_taken"}, headers=studio.headers).status_code
        == 201
    )
    again = studio.developer.post(path(studio), json={**REWARDED, "id": "au_taken"}, headers=studio.headers)
    assert (again.status_code, again.json()["code"]) == (409, "UNIT_ID_TAKEN")
