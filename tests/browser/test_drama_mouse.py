"""The drama player with a mouse: a drag moves between episodes as a finger's swipe does."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_drama import drama_state, wait_until_playing

pytestmark = pytest.mark.browser


def test_a_mouse_drag_up_over_the_picture_moves_to_the_next_episode(host, drama_series):
    """A probe found a mouse drag never changing episode: the press landed on the slide's poster
    image, which the browser dragged as an image (dragstart, then pointercancel)."""
    page = host.page
    page.goto(f"{host.server.url}/watch/{drama_series['id']}/1?prewarm=0")
    wait_until_playing(host, 1)
    # Paused, so that the 3 s episode does not move on by itself while the test drags.
    page.keyboard.press("k")
    page.wait_for_function("() => !window.__minisHost.drama.playing")
    player = page.get_by_role("dialog", name="Harbor Lights")
    expect(player.get_by_text("Episode 1 of 5")).to_be_visible()
    picture = page.locator('.drama-slide[data-episode="1"]').bounding_box()
    assert picture is not None
    x, y = picture["x"] + picture["width"] / 2, picture["y"] + picture["height"] * 0.6
    # Where the press lands is the slide's own picture, not a control over it.
    pressed = page.evaluate("([x, y]) => document.elementFromPoint(x, y).className", [x, y])
    assert "drama-slide" in pressed or "drama-reel" in pressed, pressed

    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x, y - picture["height"] * 0.4, steps=10)
    page.mouse.up()
    page.wait_for_function("() => window.__minisHost.drama.episode === 2")
    expect(player.get_by_text("Episode 2 of 5")).to_be_visible()
    # An episode's timing is recorded at its first frame on screen, which follows the change of
    # episode by a frame or more (CI once read the list in between and found episode 1's).
    page.wait_for_function("() => window.__minisHost.drama.timings.some((t) => t.number === 2)")
    timing = next(t for t in drama_state(host)["timings"] if t["number"] == 2)
    assert timing["cause"] == "swipe"
