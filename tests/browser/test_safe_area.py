"""Safe-area insets reach the app through ``minis.getSystemInfo().safeArea`` (issue 18, item 7), in
real Chromium: the device's insets are set with the DevTools protocol's
``Emulation.setSafeAreaInsetsOverride`` (what a notch and a home bar give ``env(safe-area-inset-*)``),
and the host's own probe reads them, with its close capsule, from each edge of the app's frame;
opened standalone, the SDK reads them itself."""

from __future__ import annotations

from pathlib import Path

import pytest

import openminis
from tests.browser.conftest import new_host
from tests.browser.host_page import HostPage

pytestmark = pytest.mark.browser

WITNESS = "witness-app"
SDK = Path(openminis.__file__).parent / "sdk" / "minis-sdk.js"
STANDALONE = "http://standalone-game.localhost"
STANDALONE_PAGE = '<!doctype html><meta name="viewport" content="width=device-width, viewport-fit=cover">'
STANDALONE_PAGE += '<script src="/minis-sdk.js"></script>'
# The close capsule's band at the top (host.css): 10 px above it, 32 px of capsule, 8 px below.
CAPSULE = 10 + 32 + 8


def safe_area(host: HostPage) -> dict:
    return host.app_frame(WITNESS).evaluate("() => minis.getSystemInfo().then((info) => info.safeArea)")


def open_witness(host: HostPage) -> None:
    host.page.goto(f"{host.server.url}/play/{WITNESS}")
    host.wait_for_launch(WITNESS)
    host.app_frame(WITNESS).wait_for_function("() => window.__witness.ready")


def test_a_phones_notch_and_home_bar_reach_the_app_below_the_close_capsule_and_follow_a_change(host):
    host.set_safe_area_insets(top=47, bottom=34)
    open_witness(host)
    assert safe_area(host) == {"top": 47 + CAPSULE, "right": 0, "bottom": 34, "left": 0}

    # The phone turned and gave other insets: the next getSystemInfo says so.
    host.set_safe_area_insets(top=20, bottom=0)
    assert safe_area(host) == {"top": 20 + CAPSULE, "right": 0, "bottom": 0, "left": 0}

    # No insets (a desktop browser): only the capsule's band.
    host.set_safe_area_insets()
    assert safe_area(host) == {"top": CAPSULE, "right": 0, "bottom": 0, "left": 0}


def test_a_landscape_phones_side_notch_counts_only_where_the_apps_frame_reaches_it(browser, live_server):
    """On a phone held sideways the host lays a portrait app out in the middle, clear of the notch
    at the side; after setOrientation('landscape') the frame spans the screen and the notch is the app's."""
    host, context = new_host(browser, live_server)
    try:
        host.page.set_viewport_size({"width": 844, "height": 390})
        host.set_safe_area_insets(right=47, bottom=21, left=47)
        open_witness(host)
        frame = host.frame_element(WITNESS).bounding_box()
        assert frame is not None and frame["x"] > 47  # the phone column, away from the edges
        assert safe_area(host) == {"top": CAPSULE, "right": 0, "bottom": 21, "left": 0}

        host.app_frame(WITNESS).evaluate("() => minis.setOrientation('landscape')")
        assert safe_area(host) == {"top": CAPSULE, "right": 47, "bottom": 21, "left": 47}
        assert host.errors == []
    finally:
        context.close()


def test_opened_standalone_the_app_gets_the_devices_own_insets_and_follows_a_change(browser):
    """A page outside the platform with the SDK (a developer's own server; the platform itself opens
    an app's tab in the host): no capsule, the notch and the home bar alone, as
    env(safe-area-inset-*) gives the page."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.route(f"{STANDALONE}/", lambda route: route.fulfill(content_type="text/html", body=STANDALONE_PAGE))
        page.route(f"{STANDALONE}/minis-sdk.js", lambda route: route.fulfill(path=SDK, content_type="text/javascript"))
        cdp = context.new_cdp_session(page)
        cdp.send("Emulation.setSafeAreaInsetsOverride", {"insets": {"top": 47, "right": 0, "bottom": 34, "left": 0}})
        page.goto(f"{STANDALONE}/")
        page.evaluate("() => minis.init()")
        read = "() => minis.getSystemInfo().then((info) => [info.environment, info.safeArea])"
        assert page.evaluate(read) == ["standalone", {"top": 47, "right": 0, "bottom": 34, "left": 0}]

        # The phone turned: the next call says so.
        cdp.send("Emulation.setSafeAreaInsetsOverride", {"insets": {"top": 0, "right": 47, "bottom": 21, "left": 47}})
        assert page.evaluate(read) == ["standalone", {"top": 0, "right": 47, "bottom": 21, "left": 47}]
    finally:
        context.close()
