"""Who is playing: a game signs the player in, shows their name after they consent on the host's
sheet, and its own backend (examples/backend/app.py) verifies them with the platform."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from openminis.liveserver import free_port
from tests.browser.conftest import new_host
from tests.browser.host_page import Developer, package_zip

pytestmark = pytest.mark.browser

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
APP_ID = "login-demo"


@pytest.fixture(scope="module")
def developer_app(browser, live_server) -> Iterator[tuple[Developer, str]]:
    """A developer signs up and registers `login-demo`; yields them and its secret."""
    host, context = new_host(browser, live_server)
    studio = Developer(host, "studio@example.com")
    yield studio, studio.register_app(APP_ID, "Tower Stack")
    context.close()


@pytest.fixture(scope="module")
def backend(developer_app, live_server) -> Iterator[str]:
    """examples/backend/app.py, unchanged, on a free loopback port with the app's credentials."""
    _dev, secret = developer_app
    port = free_port()
    env = {
        **os.environ,
        "MINIS_APP_ID": APP_ID,
        "MINIS_APP_SECRET": secret,
        "MINIS_URL": live_server.url,
        "MINIS_APP_ORIGIN": live_server.app_origin(APP_ID),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app:app", "--port", str(port), "--host", "127.0.0.1"],
        cwd=EXAMPLES / "backend",
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            pytest.fail(f"the example backend exited: {process.stdout.read()}")
        try:
            httpx.get(url + "/", timeout=1)
            break
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                process.kill()
                pytest.fail("the example backend did not start within 30 s")
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)
    process.stdout.close()


@pytest.fixture(scope="module")
def login_demo(developer_app, backend) -> str:
    """The developer uploads examples/tower-stack as `login-demo`, its config.js set to the backend."""
    studio, _secret = developer_app
    config = f"window.TOWER_BACKEND_URL = {json.dumps(backend)};\n"
    studio.upload(APP_ID, package_zip(EXAMPLES / "tower-stack", manifest={"id": APP_ID}, files={"config.js": config}))
    return backend


def test_a_game_signs_the_player_in_shows_their_name_after_consent_and_its_backend_verifies_them(
    browser, live_server, login_demo
):
    player, context = new_host(browser, live_server)
    try:
        player.open("?prewarm=0")
        name = player.call_api("GET", "/api/me")["body"]["user"]["display_name"]
        player.go_to_minis()
        player.launch_from_search("Tower", APP_ID)
        game = player.app_frame(APP_ID)
        game.get_by_role("button", name="Sign in").click()

        # The host asks, above the game: the game never draws this.
        sheet = player.sheet
        expect(sheet.get_by_text("Tower Stack would like your name and profile picture")).to_be_visible()
        expect(sheet.get_by_text(name, exact=True)).to_be_visible()
        assert game.locator("text=would like your name").count() == 0
        sheet.get_by_role("button", name="Allow", exact=True).click()
        expect(sheet).to_be_hidden()

        expect(game.get_by_text(f"Hi, {name}")).to_be_visible()
        # "verified ✓" shows only after the backend's 200: it checked the signed launch data and
        # exchanged the login code with the platform, and both named the same player.
        expect(game.get_by_text("verified ✓")).to_be_visible()
        signed_in = game.evaluate("() => window.SignIn.state()")
        assert signed_in["verified"] is True and len(signed_in["openid"]) > 10

        # The person can see the grant, and it covers the profile.
        grants = player.call_api("GET", "/api/authorizations")["body"]["items"]
        assert [(grant["app_id"], grant["profile"]) for grant in grants] == [(APP_ID, True)]
        assert player.errors == []
    finally:
        context.close()


def test_a_player_who_does_not_allow_keeps_playing_as_a_guest(host):
    host.open("?prewarm=0")
    host.go_to_minis()
    host.launch_from_hub("tower-stack")
    game = host.app_frame("tower-stack")
    game.get_by_role("button", name="Sign in").click()
    host.sheet.get_by_role("button", name="Don’t allow").click()
    expect(host.sheet).to_be_hidden()
    expect(game.get_by_text("No problem: play on as a guest.")).to_be_visible()
    expect(game.get_by_role("button", name="Sign in")).to_be_visible()
    game.locator("canvas").click()
    game.wait_for_function("() => window.__game.state().started")
    assert host.call_api("GET", "/api/authorizations")["body"]["items"][0]["profile"] is False


def test_a_prewarmed_game_gets_its_signed_launch_data_at_the_tap_before_its_onshow_callbacks_run(host, login_demo):
    host.open()
    host.feed_card(APP_ID).scroll_into_view_if_needed()
    prewarmed = host.page.locator(f'iframe.app-frame[data-app-id="{APP_ID}"][data-prewarmed][data-ready]')
    expect(prewarmed).to_have_count(1)
    game = prewarmed.element_handle().content_frame()
    # Loaded before anyone chose it: no launch on record yet, so nothing signed, and no sign-in.
    assert game.evaluate("() => minis.getLaunchInfo().initData") is None
    assert game.evaluate("() => minis.login().then(() => 'code', (e) => e.code)") == "NOT_ALLOWED"
    game.evaluate("() => minis.onShow(() => { window.__initDataAtShow = minis.getLaunchInfo().initData; })")

    host.feed_card(APP_ID).get_by_role("button", name="Play").click()
    assert host.wait_for_launch(APP_ID)["prewarmed"] is True
    game.wait_for_function("() => window.__initDataAtShow !== undefined")
    init_data = game.evaluate("() => window.__initDataAtShow")
    assert "openid=" in init_data and "signature=" in init_data
    assert game.evaluate("() => minis.getLaunchInfo().initData") == init_data
