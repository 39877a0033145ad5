"""The host on a desktop screen (1440x900): the phone-shaped feed in the middle with the Minis hub
beside it, and games in the orientation their manifest declares. Checked by the boxes the
browser lays out, not by pixels; the phone layout is what every other browser test sees."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import FIXTURE_PACKAGES
from tests.browser.host_page import Developer, HostPage, package_zip

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 1440, 900


def box(locator) -> dict:
    """Where the element is once its entrance animation (if any) has finished."""
    locator.evaluate("(element) => Promise.all(element.getAnimations().map((animation) => animation.finished))")
    found = locator.bounding_box()
    assert found is not None, locator
    return found


def test_a_desktop_screen_shows_the_feed_centred_with_the_hub_beside_it_and_games_in_their_orientation(
    browser, live_server
):
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, device_scale_factor=1)
    host = HostPage(context.new_page(), live_server)
    try:
        host.open("?prewarm=0")
        feed = host.page.locator("#feed-view")
        hub = host.page.locator("#minis-view")
        nav = host.page.get_by_role("navigation", name="Main")
        expect(host.current_item).to_be_visible()
        expect(hub.get_by_role("heading", name="Minis")).to_be_visible()
        expect(host.hub_tile("tower-stack")).to_be_visible()

        # The feed: phone-shaped (taller than wide, at most the phone column), centred on the screen.
        column = box(feed)
        assert column["width"] <= 480 and column["height"] / column["width"] > 1.6, column
        assert abs(column["x"] + column["width"] / 2 - WIDTH / 2) <= 1, column
        # Its card fills it, and the bottom navigation sits under it, as on a phone.
        card = box(host.current_item)
        assert abs(card["width"] - column["width"]) <= 2 and card["height"] >= column["height"] * 0.9, card
        bar = box(nav)
        assert abs(bar["x"] - column["x"]) <= 1 and abs(bar["width"] - column["width"]) <= 1, bar
        assert abs(bar["y"] - (column["y"] + column["height"])) <= 1 and bar["y"] + bar["height"] <= HEIGHT + 0.5

        # The hub beside it, on the right, clear of it, inside the screen.
        side = box(hub)
        assert side["x"] >= column["x"] + column["width"] + 8, (side, column)
        assert side["x"] + side["width"] <= WIDTH and 300 <= side["width"] <= 420, side
        assert side["height"] > HEIGHT / 2, side

        # Me takes the hub's place beside the feed, and the feed stays; Minis brings the hub back.
        nav.get_by_role("link", name="Me").click()
        expect(host.page.locator("#me-view")).to_be_visible()
        expect(hub).to_be_hidden()
        expect(feed).to_be_visible()
        assert box(host.page.locator("#me-view"))["x"] == side["x"]
        nav.get_by_role("link", name="Minis").click()
        expect(hub).to_be_visible()

        # A portrait game opens in a phone-shaped column in the middle of the screen.
        host.launch_from_hub("tower-stack")
        portrait = box(host.frame_element("tower-stack"))
        assert portrait["height"] == HEIGHT and portrait["width"] <= 480, portrait
        assert abs(portrait["x"] + portrait["width"] / 2 - WIDTH / 2) <= 1, portrait
        host.close_app()

        # A landscape game (its developer's preview) opens in a 16:9 stage, wider than tall, centred.
        app_id = f"wide-{secrets.token_hex(3)}"
        studio = Developer(host, f"{app_id}@example.com")
        studio.register_app(app_id, "Wide Witness")
        csrf = host.call_api("GET", "/api/me")["body"]["csrf_token"]
        package = package_zip(
            FIXTURE_PACKAGES / "witness", manifest={"id": app_id, "name": "Wide Witness", "orientation": "landscape"}
        )
        uploaded = host.page.request.post(
            f"{live_server.url}/api/developer/apps/{app_id}/versions",
            data=package,
            headers={"Content-Type": "application/zip", "X-CSRF-Token": csrf},
        )
        assert uploaded.status == 201, uploaded.text()
        host.page.goto(f"{live_server.url}/preview/{app_id}/{uploaded.json()['version']}")
        frame = host.frame_element(app_id)
        expect(frame).to_be_visible()
        landscape = box(frame)
        assert landscape["width"] == WIDTH and abs(landscape["height"] - WIDTH * 9 / 16) <= 1, landscape
        assert abs(landscape["y"] + landscape["height"] / 2 - HEIGHT / 2) <= 1, landscape
    finally:
        context.close()
    assert host.errors == [], host.errors


@pytest.mark.parametrize("width", [1200, 1280])
def test_on_the_narrowest_desktop_screens_the_hub_beside_the_feed_keeps_a_margin_to_the_edge(
    browser, live_server, width
):
    """A probe at 1280x800: the hub beside the feed ran to the screen's right edge, its border and
    padding cut off there, while the feed stood centred."""
    context = browser.new_context(viewport={"width": width, "height": 800}, device_scale_factor=1)
    host = HostPage(context.new_page(), live_server)
    try:
        host.open("?prewarm=0")
        hub = host.page.locator("#minis-view")
        expect(hub.get_by_role("heading", name="Minis")).to_be_visible()
        side, column = box(hub), box(host.page.locator("#feed-view"))
        assert side["x"] + side["width"] <= width - 16, (side, width)
        assert side["x"] - (column["x"] + column["width"]) >= 16, (side, column)  # clear of the feed too
        assert abs(column["x"] + column["width"] / 2 - width / 2) <= 1, column  # which stays centred
    finally:
        context.close()
        assert host.errors == [], host.errors
