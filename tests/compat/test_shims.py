"""The shims are served by the platform on every app's origin, with the app's own ad units: the
games never name one (docs/compat.md)."""

from __future__ import annotations

import pytest

from openminis.ads import inventory
from openminis.unit_of_work import unit_of_work
from tests.conftest import app_client
from tests.factories import publish


@pytest.mark.parametrize("name", ["poki", "crazygames", "playables", "fbinstant", "wechat"])
def test_each_platform_shim_is_served_with_the_shared_part_and_the_apps_units(client, platform, name):
    publish(platform)
    with unit_of_work(platform.db) as session:
        rewarded = inventory.create_unit(
            session, "test-game", inventory.UnitFields("Coins", "rewarded", reward_type="coins", reward_amount=10)
        )
        paused = inventory.create_unit(session, "test-game", inventory.UnitFields("Old", "interstitial", active=False))
        between = inventory.create_unit(session, "test-game", inventory.UnitFields("Breaks", "interstitial"))
        units = (rewarded.id, paused.id, between.id)
    response = app_client(client, "test-game").get(f"/sdk/compat/{name}.js")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    first_line = response.text.splitlines()[0]
    # An inactive unit is never chosen.
    assert first_line == f'window.__minisCompatUnits = {{"interstitial": "{units[2]}", "rewarded": "{units[0]}"}};'
    assert "window.__minisCompat = Object.freeze" in response.text


def test_an_app_without_ad_units_gets_none_and_an_unknown_platform_is_404(client, platform):
    publish(platform)
    app = app_client(client, "test-game")
    assert app.get("/sdk/compat/poki.js").text.startswith("window.__minisCompatUnits = {};\n")
    assert app.get("/sdk/compat/steam.js").status_code == 404
    assert app.get("/sdk/compat/common.js").status_code == 404


def test_a_launch_of_an_imported_game_carries_its_origin_sdk_and_a_native_ones_none(client, platform):
    publish(platform)  # test-game, native
    publish(platform, id="poki-game", origin_sdk="poki")
    csrf = {"X-CSRF-Token": client.get("/api/me").json()["csrf_token"]}
    answers = [
        client.post("/api/launches", json={"launch_id": f"{n}" * 32, "app_id": app, "source": "hub"}, headers=csrf)
        for n, app in ((1, "poki-game"), (2, "test-game"))
    ]
    assert [(answer.status_code, answer.json()["origin_sdk"]) for answer in answers] == [(200, "poki"), (200, None)]
