"""Add to home screen, Mute and offline relaunch, in real Chromium. The launcher's "..." menu adds
the open app to the home screen (headless Chromium fires no beforeinstallprompt, so the host's
guide shows) and mutes it (the app hears onAudioChange); minis.addToHomeScreen() needs a gesture;
and a game played once relaunches with the network gone, its first frame drawn from the caches of
the host's worker (/sw.js, scope /play/) and the app origin's (/minis-sw.js)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from tests.browser.conftest import new_host
from tests.browser.host_page import HostPage
from tests.conftest import CHROMIUM

pytestmark = pytest.mark.browser

WITNESS = "witness-app"


@pytest.fixture(scope="module")
def third_party_storage_browser(browser):
    """A Chromium of its own that lets a framed app origin (another site than the host's) keep
    storage: Chromium's third-party cookie phase-out also refuses a third-party frame the Cache API
    and service workers, which an app origin's offline copy needs (the limit docs/home-screen.md
    tells of). The session's browser keeps Chromium's default."""
    own = browser.browser_type.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=["--no-sandbox", "--disable-background-networking", "--disable-features=TrackingProtection3pcd"],
    )
    yield own
    own.close()


def play(chromium, live_server) -> Iterator[HostPage]:
    """The witness game, opened from its link (asked to offer the home screen at launch) and ready."""
    host, context = new_host(chromium, live_server)
    host.page.goto(f"{live_server.url}/play/{WITNESS}?home=1")
    host.app_frame(WITNESS).wait_for_function("() => window.__witness.ready")
    yield host
    context.close()


@pytest.fixture
def played(browser, live_server) -> Iterator[HostPage]:
    yield from play(browser, live_server)


@pytest.fixture
def played_keeping_storage(third_party_storage_browser, live_server) -> Iterator[HostPage]:
    yield from play(third_party_storage_browser, live_server)


def test_the_menu_adds_to_the_home_screen_with_the_hosts_guide_and_the_sdk_needs_a_gesture(played):
    host = played
    page = host.page
    assert page.locator('link[rel="manifest"]').get_attribute("href") == f"/home-screen/{WITNESS}/manifest.webmanifest"
    witness = host.app_frame(WITNESS)

    # Called at launch with no tap (?home=1 asks the witness to): refused, and no sheet.
    witness.wait_for_function("() => window.__witness.home !== undefined")
    assert witness.evaluate("() => window.__witness.home") == "NOT_ALLOWED"
    assert host.host_state()["sheetOpen"] is False
    assert witness.evaluate("() => minis.canIUse('addToHomeScreen') && minis.version") == "1.6.1"

    # The menu's item: the guide, naming the app; Done closes it.
    page.get_by_role("button", name="More options").click()
    page.get_by_role("menuitem", name="Add to home screen").click()
    expect(host.sheet.get_by_role("heading", name="Add Witness to your home screen")).to_be_visible()
    expect(host.sheet.locator(".home-screen-steps li")).to_have_count(3)
    host.sheet.get_by_role("button", name="Done").click()
    expect(page.locator("#sheet-layer")).to_be_hidden()  # the app is no longer inert under it

    # From a tap in the app: the same guide, and the app learns it was guided.
    witness.evaluate(
        """() => addEventListener('pointerdown', () => {
            window.__tapped = true;
            minis.addToHomeScreen().then((answer) => (window.__home = answer), (error) => (window.__home = error.code));
        }, { once: true })"""
    )
    # A tap that the app never got is tapped again, as a person would: twice in clean-clone runs of
    # the whole suite, the first tap right after the sheet closed never reached the frame.
    for _ in range(3):
        host.tap_app(WITNESS, 40, 400)
        with contextlib.suppress(PlaywrightTimeout):
            witness.wait_for_function("() => window.__tapped === true", timeout=10_000)
            break
    guide = host.sheet.get_by_role("heading", name="Add Witness to your home screen")
    try:  # if it never comes, say what the app heard
        expect(guide).to_be_visible()
    except AssertionError as missing:
        heard = witness.evaluate("() => [window.__tapped, window.__home]")
        raise AssertionError(f"no guide after the tap; the app (tapped, answered): {heard!r}") from missing
    host.sheet.get_by_role("button", name="Done").click()
    witness.wait_for_function("() => window.__home !== undefined")
    assert witness.evaluate("() => window.__home") == {"added": False, "guided": True}
    assert host.errors == []


def test_the_menus_mute_mutes_the_app_and_then_offers_unmute(played):
    host = played
    page = host.page
    witness = host.app_frame(WITNESS)
    witness.evaluate("() => { window.__audio = []; minis.onAudioChange((state) => window.__audio.push(state.muted)); }")
    assert witness.evaluate("() => minis.isMuted()") is False
    more = page.get_by_role("button", name="More options")
    more.click()
    page.get_by_role("menuitem", name="Mute").click()
    witness.wait_for_function("() => window.__audio.length === 1")
    assert witness.evaluate("() => [window.__audio, minis.isMuted()]") == [[True], True]
    more.click()
    page.get_by_role("menuitem", name="Unmute").click()
    witness.wait_for_function("() => window.__audio.length === 2")
    assert witness.evaluate("() => window.__audio") == [True, False]
    more.click()
    expect(page.get_by_role("menuitem", name="Mute")).to_be_visible()
    assert host.errors == []


def test_a_game_played_once_relaunches_offline_and_one_never_played_shows_the_offline_page(
    played_keeping_storage, live_server
):
    host = played_keeping_storage
    page = host.page
    # Kept once the launch finished: the host's copy of its /play/ page, the app origin's files.
    page.wait_for_function(
        "(key) => window.__minisHost.offline[key] !== undefined", arg=f"{WITNESS}@1.0.0", timeout=20_000
    )
    assert host.host_state()["offline"] == {f"{WITNESS}@1.0.0": "kept"}
    assert host.app_frame(WITNESS).evaluate("async () => (await caches.keys()).sort()") == [
        "minis-runtime",
        "minis-v-1.0.0",
    ]

    scopes = page.evaluate("async () => (await navigator.serviceWorker.getRegistrations()).map((r) => r.scope)")
    assert scopes == [f"{live_server.url}/play/"]  # the host's offline worker only: not "/", push's

    page.context.set_offline(True)
    page.reload()
    witness = host.app_frame(WITNESS)
    witness.wait_for_function("() => window.__witness.ready", timeout=20_000)
    # The first frame drew: the game's canvas has its colours, not a blank frame.
    assert host.distinct_colors(host.frame_element(WITNESS).screenshot()) > 2
    assert host.errors == []  # offline, what needs the network fails quietly (the feed, the launch's record)

    page.goto(f"{live_server.url}/play/merge-2048")
    expect(page.get_by_role("heading", name="You are offline")).to_be_visible()
    expect(page.get_by_role("link", name="Back to openminis")).to_have_attribute("href", "/")


def test_the_demo_game_tower_stack_offers_the_home_screen_from_a_pill_of_its_own(host):
    """Tower Stack asks minis.addToHomeScreen on a tap of its own pill, on its start screen."""
    host.open("?prewarm=0")
    host.go_to_minis()
    host.launch_from_hub("tower-stack")
    tower = host.app_frame("tower-stack")
    tower.get_by_role("button", name="Add to home screen").click()
    expect(host.sheet.get_by_role("heading", name="Add Tower Stack to your home screen")).to_be_visible()
    host.sheet.get_by_role("button", name="Done").click()
    expect(host.page.locator("#sheet-layer")).to_be_hidden()
    # Guided, not added (headless Chromium offers no install prompt): the pill stays on offer.
    expect(tower.get_by_role("button", name="Add to home screen")).to_be_visible()
    assert host.errors == []
