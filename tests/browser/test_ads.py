"""Rewarded ads: Sky Runner offers "watch an ad to continue"; the host plays the ad above the game,
and only an ad watched to its end on a visible page continues the run (and reaches the studio's
backend as a verified reward)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from openminis.client import MinisClient
from tests.browser.ad_studio import AD_TITLE, RewardsBackend, create_unit
from tests.browser.conftest import ADMIN_TOKEN, new_host
from tests.browser.host_page import Developer, package_zip

pytestmark = pytest.mark.browser

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
APP_ID = "sky-ads"
WATCH = "Watch an ad to continue"


@pytest.fixture(scope="module")
def sky_ads(browser, live_server, house_ads) -> Iterator[tuple[str, RewardsBackend]]:
    """A studio ships Sky Runner as `sky-ads` with a rewarded unit whose rewards reach its backend."""
    studio_host, context = new_host(browser, live_server)
    studio = Developer(studio_host, "sky-ads@example.com")
    secret = studio.register_app(APP_ID, "Sky Ads")
    client = MinisClient(APP_ID, secret, base_url=live_server.url)
    backend = RewardsBackend(client)
    unit = create_unit(
        client,
        live_server.url,
        {
            "name": "Continue a run",
            "kind": "rewarded",
            "reward": {"type": "continue", "amount": 1},
            "verify_url": backend.url,
            "min_watch_seconds": 2,
        },
    )
    config = f"window.SKY_RUNNER_AD_UNITS = {json.dumps({'continue': unit['id']})};\n"
    studio.upload(
        APP_ID,
        package_zip(
            EXAMPLES / "sky-runner", manifest={"id": APP_ID, "name": "Sky Ads"}, files={"ads-config.js": config}
        ),
    )
    context.close()
    yield unit["id"], backend
    backend.close()


def crash_a_run(host):
    """Opens the game, starts a run and lets Pip fall; returns the game's frame at the game over."""
    host.open("?prewarm=0")
    host.go_to_minis()
    host.launch_from_search("Sky Ads", APP_ID)
    game = host.app_frame(APP_ID)
    game.locator("canvas").click()
    # The game's own clock runs a frame at a time, at most 40 ms a frame: a renderer that draws a
    # few frames a second (a loaded machine) takes many seconds for Pip's fall. A bound, as in
    # open_series, not a figure the game must beat (Playwright's default is 30 s).
    game.wait_for_function("() => window.__game.state().over", timeout=90_000)
    expect(game.get_by_role("button", name="Continue for 50 coins")).to_be_visible()
    return game


def the_ad(host):
    ad = host.page.get_by_role("dialog", name=f"Ad: {AD_TITLE}, from openminis Studios")
    expect(ad).to_be_visible()
    return ad


def test_an_ad_watched_to_its_end_continues_the_run_and_the_studio_backend_gets_a_verified_reward(
    host, sky_ads, house_ads
):
    unit_id, backend = sky_ads
    before = len(backend.verified)
    game = crash_a_run(host)

    game.get_by_role("button", name=WATCH).click()
    ad = the_ad(host)
    # The host paused the game while its ad plays above it.
    game.wait_for_function("() => !minis.isVisible() && window.__game.state().paused")
    expect(ad.get_by_text(re.compile(r"^Reward in \d s$"))).to_be_visible()
    expect(ad.get_by_text("Reward earned", exact=True)).to_be_visible()
    ad.get_by_role("button", name="Close ad").click()
    expect(ad).to_be_hidden()

    game.wait_for_function("() => minis.isVisible() && window.__game.state().continued && !window.__game.state().over")
    expect(game.get_by_role("button", name=WATCH)).to_be_hidden()

    deadline = time.monotonic() + 30
    while len(backend.verified) == before:
        assert time.monotonic() < deadline, f"no verified reward reached the backend (refused: {backend.refused})"
        time.sleep(0.1)
    reward = backend.verified[-1]
    assert (reward["app_id"], reward["unit_id"], reward["reward"]) == (
        APP_ID,
        unit_id,
        {"type": "continue", "amount": 1},
    )
    assert reward["transaction_id"].startswith("rwd_") and reward["openid"]
    # The player showed the ad: its impression came with the show token, so none was refused.
    today = time.strftime("%Y-%m-%d", time.gmtime())
    report = httpx.get(
        f"{host.server.url}/api/admin/ads/invalid-traffic",
        params={"start": today, "end": today, "campaign_id": house_ads["id"]},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=30,
    ).json()
    assert report["billed"] >= 1 and not any(report["refused"].values()), report


def test_closing_the_ad_early_gives_no_reward_and_the_run_stays_over(host, sky_ads):
    game = crash_a_run(host)
    game.get_by_role("button", name=WATCH).click()
    ad = the_ad(host)
    expect(ad.get_by_text(re.compile(r"^Reward in \d s$"))).to_be_visible()
    ad.get_by_role("button", name="Close ad").click()
    expect(ad).to_be_hidden()

    expect(game.get_by_text("Watch the ad to the end to continue.")).to_be_visible()
    state = game.evaluate("() => window.__game.state()")
    assert state["over"] is True and state["continued"] is False


def test_hiding_the_page_while_the_ad_plays_pauses_it_and_gives_no_reward(host, sky_ads):
    game = crash_a_run(host)
    game.get_by_role("button", name=WATCH).click()
    ad = the_ad(host)
    expect(ad.get_by_text(re.compile(r"^Reward in \d s$"))).to_be_visible()

    # Headless Chromium keeps every page visible, so the test says the page was hidden the way the
    # browser does: visibilityState and a visibilitychange event.
    set_page_visibility(host, "hidden")
    expect(ad.get_by_text("No reward: the ad left the screen")).to_be_visible()
    assert host.page.evaluate("() => document.querySelector('#ad-layer video').paused") is True
    set_page_visibility(host, "visible")

    # Back on the page the ad plays on to its end, but the platform grants nothing for it.
    host.page.wait_for_function("() => !document.querySelector('#ad-layer video').paused")
    expect(ad.get_by_text("No reward", exact=True)).to_be_visible()
    ad.get_by_role("button", name="Close ad").click()
    expect(ad).to_be_hidden()
    expect(game.get_by_text("Watch the ad to the end to continue.")).to_be_visible()
    assert game.evaluate("() => window.__game.state().continued") is False


def set_page_visibility(host, state: str) -> None:
    host.page.evaluate(
        """(state) => {
            for (const name of ["visibilityState", "hidden"]) delete document[name];
            if (state === "hidden") {
                Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
                Object.defineProperty(document, "hidden", { configurable: true, get: () => true });
            }
            document.dispatchEvent(new Event("visibilitychange"));
        }""",
        state,
    )
