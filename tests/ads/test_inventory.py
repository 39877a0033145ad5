"""Ad units: made, listed and changed by the developer's backend through the Open API."""

from __future__ import annotations

import pytest

from tests.studio import register_app


def test_a_developer_creates_lists_and_changes_ad_units(ads, client):
    headers = ads.bearer()
    created = client.post(
        "/openapi/v1/ad-units",
        json={
            "name": "Extra life",
            "kind": "rewarded",
            "reward": {"type": "coins_ingame", "amount": 10},
            "floor_cpm": 2_000_000,
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    unit = created.json()
    assert unit["id"].startswith("au_") and unit["app_id"] == ads.studio.app_id
    assert (unit["min_watch_seconds"], unit["min_interval_seconds"], unit["verify_url"], unit["active"]) == (
        15,
        None,
        None,
        True,
    )
    between = client.post(
        "/openapi/v1/ad-units", json={"name": "Between levels", "kind": "interstitial"}, headers=headers
    ).json()
    assert (between["min_interval_seconds"], between["min_watch_seconds"], between["reward"]) == (60, None, None)
    assert [u["id"] for u in client.get("/openapi/v1/ad-units", headers=headers).json()["items"]] == [
        unit["id"],
        between["id"],
    ]
    changed = client.put(
        f"/openapi/v1/ad-units/{unit['id']}",
        json={
            "name": "Extra life",
            "kind": "rewarded",
            "reward": {"type": "gems", "amount": 2},
            "min_watch_seconds": 10,
            "verify_url": "https://game.example/rewards",
            "active": False,
        },
        headers=headers,
    ).json()
    assert (
        changed["reward"],
        changed["min_watch_seconds"],
        changed["verify_url"],
        changed["active"],
        changed["floor_cpm"],
    ) == (
        {"type": "gems", "amount": 2},
        10,
        "https://game.example/rewards",
        False,
        0,
    )
    assert client.get(f"/openapi/v1/ad-units/{unit['id']}", headers=headers).json() == changed


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "kind": "rewarded"}, "reward_type"),
        ({"name": "x", "kind": "interstitial", "reward": {"type": "coins", "amount": 1}}, "reward_type"),
        (
            {"name": "x", "kind": "rewarded", "reward": {"type": "coins", "amount": 1}, "min_interval_seconds": 30},
            "min_interval_seconds",
        ),
        ({"name": "x", "kind": "interstitial", "min_watch_seconds": 5}, "min_watch_seconds"),
        (
            {
                "name": "x",
                "kind": "rewarded",
                "reward": {"type": "coins", "amount": 1},
                "verify_url": "http://example.com/r",
            },
            "verify_url",
        ),
        (
            {
                "name": "x",
                "kind": "rewarded",
                "reward": {"type": "coins", "amount": 1},
                "verify_url": "ftp://example.com/r",
            },
            "verify_url",
        ),
        ({"name": "x", "kind": "banner"}, "kind"),
        ({"name": "x", "kind": "interstitial", "floor_cpm": -1}, "floor_cpm"),
    ],
)
def test_an_invalid_unit_is_refused_naming_the_field(ads, client, body, field):
    response = client.post("/openapi/v1/ad-units", json=body, headers=ads.bearer())
    assert response.status_code == 422 and response.json()["field"] == field


def test_a_verify_url_may_be_plain_http_only_on_this_machine(ads, client):
    body = {
        "name": "x",
        "kind": "rewarded",
        "reward": {"type": "coins", "amount": 1},
        "verify_url": "http://localhost:3000/rewards",
    }
    assert client.post("/openapi/v1/ad-units", json=body, headers=ads.bearer()).status_code == 201


def test_a_units_kind_cannot_change(ads, client):
    unit = ads.unit("interstitial")
    response = client.put(
        f"/openapi/v1/ad-units/{unit}",
        json={"name": "x", "kind": "rewarded", "reward": {"type": "c", "amount": 1}},
        headers=ads.bearer(),
    )
    assert response.status_code == 422 and response.json()["field"] == "kind"


def test_an_app_sees_only_its_own_units(ads, client, studio):
    unit = ads.unit()
    other = register_app(studio.developer, studio.headers, "other-game")
    headers = {"Authorization": f"Bearer {other.backend(client).access_token()}"}
    assert client.get(f"/openapi/v1/ad-units/{unit}", headers=headers).status_code == 404
    assert client.get("/openapi/v1/ad-units", headers=headers).json()["items"] == []


def test_a_paused_unit_fills_nothing(ads, player, client):
    ads.campaign(ads.advertiser())
    unit = ads.unit("interstitial", active=False)
    response = ads.request(player, unit)
    assert response.status_code == 404 and response.json()["code"] == "NO_FILL"


def test_units_need_the_apps_token(client):
    assert client.get("/openapi/v1/ad-units").status_code == 401
