"""An app leaves the screen with the page and comes back with it."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

WITNESS = "witness-app"

# Headless Chromium never hides a page on its own; this makes the page report `hidden`
# (or `visible`) exactly as a switched tab or a locked phone does, then tells listeners.
SET_PAGE_VISIBILITY = """(state) => {
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => state });
    Object.defineProperty(document, "hidden", { configurable: true, get: () => state === "hidden" });
    document.dispatchEvent(new Event("visibilitychange"));
}"""


def test_an_open_app_is_hidden_when_the_page_is_hidden_and_shown_when_it_comes_back(host):
    host.open("?prewarm=0")
    host.go_to_minis()
    host.launch_from_hub(WITNESS)
    witness = host.app_frame(WITNESS)
    witness.wait_for_function("() => window.__witness.ready")
    assert witness.evaluate("() => minis.isVisible()") is True

    host.page.evaluate(SET_PAGE_VISIBILITY, "hidden")
    witness.wait_for_function("() => window.__witness.events.length === 1")
    assert witness.evaluate("() => [window.__witness.events, minis.isVisible()]") == [["hide"], False]

    host.page.evaluate(SET_PAGE_VISIBILITY, "visible")
    witness.wait_for_function("() => window.__witness.events.length === 2")
    assert witness.evaluate("() => [window.__witness.events, minis.isVisible()]") == [["hide", "show"], True]
