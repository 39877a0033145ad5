"""Prewarm: the card in view is loaded ahead of the tap, so the tap only reveals it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

# Games that call minis.ready(), so a prewarmed frame becomes ready (the test fixtures may not).
EXAMPLE_GAMES = {"merge-2048", "sky-runner", "tower-stack"}


def test_the_card_in_view_is_prewarmed_hidden_and_a_tap_reveals_the_same_frame_without_reloading(host):
    host.open()
    app_id = host.scroll_to_app_card(among=EXAMPLE_GAMES)
    hidden = host.page.locator(f'iframe.app-frame[data-app-id="{app_id}"][data-prewarmed][data-ready]:not(.is-active)')
    expect(hidden).to_have_count(1)  # loaded and ready in the background
    expect(host.overlay).to_have_count(0)
    assert host.page.evaluate("(el) => getComputedStyle(el).opacity", hidden.element_handle()) == "0"
    frame = host.app_frame(app_id)
    assert frame.evaluate("() => minis.isVisible()") is False
    frame.evaluate("() => { window.__sameDocument = true; }")

    host.feed_card(app_id).get_by_role("button", name="Play").click()
    launch = host.wait_for_launch(app_id)
    assert launch["prewarmed"] is True and launch["source"] == "feed"
    assert launch["loadMs"] > 0 and launch["readyAt"] > launch["tapAt"]
    expect(host.frame_element(app_id)).to_have_count(1)
    expect(host.page.locator(f'iframe.app-frame.is-active[data-app-id="{app_id}"]')).to_be_visible()
    assert frame.evaluate("() => window.__sameDocument") is True, "the prewarmed frame was reloaded"
    assert frame.evaluate("() => minis.isVisible()") is True


def test_with_prewarm_off_no_app_frame_exists_before_the_tap(host):
    host.open("?prewarm=0")
    app_id = host.scroll_to_app_card(among=EXAMPLE_GAMES)
    host.wait_until_settled_on(app_id)
    expect(host.page.locator("iframe")).to_have_count(0)

    host.feed_card(app_id).click()
    launch = host.wait_for_launch(app_id)
    assert launch["prewarmed"] is False
    expect(host.frame_element(app_id)).to_have_count(1)
