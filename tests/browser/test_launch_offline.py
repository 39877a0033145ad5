"""A game that cannot load (the phone is offline, its files cannot be reached) is not left on
"Loading…": the loading view says so within a bounded wait and offers to try again, and the game
opens once the connection is back."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

GAME = "merge-2048"


def loading_view(host):
    return host.page.locator("#app-layer .app-loading")


def test_a_game_opened_offline_says_so_with_try_again_and_opens_by_itself_once_back_online(host):
    """A probe opened a game offline: "Loading…" stayed for good, even after the connection came back."""
    host.open("?prewarm=0")
    host.go_to_minis()
    expect(host.hub_tile(GAME)).to_be_visible()
    host.page.context.set_offline(True)
    host.hub_tile(GAME).click()

    loading = loading_view(host)
    expect(loading.locator(".app-loading-status")).to_have_text(re.compile("offline"))
    expect(loading.get_by_role("button", name="Try again")).to_be_visible()
    assert host.host_state()["launches"] == []

    host.page.context.set_offline(False)
    host.wait_for_launch(GAME)
    expect(loading).to_be_hidden()
    host.app_frame(GAME).wait_for_function("() => document.readyState === 'complete'")


def test_a_game_that_did_not_load_is_closed_from_the_keyboard(host):
    """The keyboard stayed in the game's frame, which held the browser's error page: Escape never
    reached the host, and the game could not be closed without a pointer (a probe, player52). The
    keyboard goes to Try again when the failure shows."""
    host.open("?prewarm=0")
    host.go_to_minis()
    expect(host.hub_tile(GAME)).to_be_visible()
    host.page.context.set_offline(True)
    host.hub_tile(GAME).click()
    again = loading_view(host).get_by_role("button", name="Try again")
    expect(again).to_be_visible()
    host.page.wait_for_function("() => document.activeElement?.classList.contains('app-loading-retry')")
    host.page.keyboard.press("Escape")
    expect(host.overlay).to_have_count(0)
    host.page.context.set_offline(False)


def test_a_game_whose_files_cannot_be_reached_offers_try_again_which_opens_it_once_they_can(host):
    """Not offline as far as the browser knows, but the game's origin and the platform unreachable
    (a captive Wi-Fi, a dead route): Try again is the person's way on."""
    host.open("?prewarm=0")
    host.go_to_minis()
    expect(host.hub_tile(GAME)).to_be_visible()
    apps_host = host.page.evaluate("() => JSON.parse(document.getElementById('minis-config').textContent).appsHost")
    unreachable = re.compile(rf"(://[^/]*\.{re.escape(apps_host)}[:/])|(/api/launches)")
    host.page.context.route(unreachable, lambda route: route.abort("internetdisconnected"))
    host.hub_tile(GAME).click()

    loading = loading_view(host)
    again = loading.get_by_role("button", name="Try again")
    expect(again).to_be_visible()
    expect(loading.locator(".app-loading-status")).to_have_text(re.compile("didn’t load"))

    host.page.context.unroute(unreachable)
    again.click()
    host.wait_for_launch(GAME)
    expect(loading).to_be_hidden()


def test_a_game_tapped_offline_opens_by_itself_when_the_connection_returns_before_the_wait_ends(host):
    """The attack on the bounded wait: back online within its 4 s, no failure had been shown yet,
    so nothing tried again, and at 4 s the view said the game did not load, for good."""
    host.open("?prewarm=0")
    host.go_to_minis()
    expect(host.hub_tile(GAME)).to_be_visible()
    host.page.context.set_offline(True)
    host.hub_tile(GAME).click()
    expect(loading_view(host)).to_be_visible()
    host.page.wait_for_timeout(500)  # the launch's request has failed by now; the 4 s wait still runs
    host.page.context.set_offline(False)

    host.wait_for_launch(GAME)
    expect(loading_view(host)).to_be_hidden()
    host.app_frame(GAME).wait_for_function("() => document.readyState === 'complete'")
