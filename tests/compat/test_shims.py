"""The shims are served by the platform on every app's origin, with the app's own ad units: the
games never name one (docs/compat.md)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from openminis.ads import inventory
from openminis.compat.origin_sdks import ORIGIN_SDKS
from openminis.compat.shims import shim_script
from openminis.unit_of_work import unit_of_work
from tests.conftest import app_client
from tests.factories import publish

SDK = Path(__file__).resolve().parents[2] / "src" / "openminis" / "sdk" / "minis-sdk.js"


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


def test_the_shim_names_the_apps_active_leaderboards_for_fbinstant_tournaments(client, platform):
    publish(platform, leaderboards=[{"id": "stars", "client_scores": True}, {"id": "arena"}])
    app = app_client(client, "test-game")
    second_line = app.get("/sdk/compat/fbinstant.js").text.splitlines()[1]
    assert second_line == 'window.__minisCompatBoards = ["arena", "stars"];'


@pytest.mark.browser
@pytest.mark.parametrize("name", ["poki", "crazygames", "playables", "fbinstant", "wechat"])
def test_every_api_the_shim_supports_partly_or_not_is_logged_once_at_its_first_call(browser, name):
    """Each such API of the platform's table (origin_sdks.py) is a function of the shim's global
    that writes one ``[minis compat]`` warning at its first call, and none at the next."""
    sdk = ORIGIN_SDKS[name]
    watched = {api: found for api, found in sdk.apis.items() if found.status != "supported"}
    origin = "http://compat.test"
    files = {
        "/": ("text/html", '<!doctype html><canvas id="wx-canvas"></canvas>'),
        "/minis-sdk.js": ("text/javascript", SDK.read_text()),
        f"/sdk/compat/{name}.js": ("text/javascript", shim_script(name, {}) or ""),
    }
    context = browser.new_context()
    try:
        context.route(
            f"{origin}/**",
            lambda route: route.fulfill(
                status=200,
                content_type=files[urlsplit(route.request.url).path][0],
                body=files[urlsplit(route.request.url).path][1],
            ),
        )
        page = context.new_page()
        warnings: list[str] = []
        page.on("console", lambda message: warnings.append(message.text) if message.type == "warning" else None)
        page.goto(f"{origin}/")
        for script in ("/minis-sdk.js", f"/sdk/compat/{name}.js"):
            page.add_script_tag(url=script)
        # Called twice each, whatever the arguments: a rejected promise or a thrown error is the
        # API's own answer, not the log's. An API the shim leaves out is read twice instead.
        found = page.evaluate(
            """([global, paths]) => paths.map((path) => {
                const names = [...global.split("."), ...path.split(".")];
                const key = names.pop();
                const owner = names.reduce((at, name) => (at == null ? undefined : at[name]), window);
                if (owner == null) return "no object";
                if (owner[key] === undefined && owner[key] === undefined) return "absent";
                if (typeof owner[key] !== "function") return "not a function";
                for (let i = 0; i < 2; i++) {
                    try {
                        const answer = owner[key]();
                        if (answer && typeof answer.catch === "function") answer.catch(() => {});
                    } catch (error) {}
                }
                return "function";
            })""",
            [sdk.global_name, list(watched)],
        )
        assert dict(zip(watched, found, strict=True)) == {
            api: "absent" if api_found.status == "not" and kind == "absent" else "function"
            for (api, api_found), kind in zip(watched.items(), found, strict=True)
        }
        logged = [line for line in warnings if line.startswith("[minis compat] ")]
        levels = {"partly": "partly supported", "not": "not supported"}
        assert logged == [
            f"[minis compat] {sdk.global_name}.{api}: {levels[api_found.status]}: {api_found.how}"
            for api, api_found in watched.items()
        ]
    finally:
        context.close()
