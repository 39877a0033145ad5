"""The drama player's viewing controls (subtitles, speed, picture-in-picture, the scrubber's
preview), and where a person is in a series followed from one device to another."""

from __future__ import annotations

import secrets

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import new_host
from tests.browser.drama_studio import TITLE
from tests.browser.test_drama import CURRENT_VIDEO, drama_state, open_series, wait_until_playing

pytestmark = pytest.mark.browser

# One cue over the whole (3 s) episode, so that it is on screen wherever the episode is paused.
ENGLISH = "WEBVTT\n\n1\n00:00.000 --> 00:03.000\nWho keeps the light tonight?\n"
SPANISH = "WEBVTT\n\n1\n00:00.000 --> 00:03.000\n¿Quién cuida la luz esta noche?\n"


def add_subtitles(drama_studio, number: int, language: str, text: str) -> None:
    with httpx.Client(base_url=drama_studio.server_url, timeout=30, headers=drama_studio.headers) as producer:
        uploaded = producer.put(
            f"/openapi/v1/series/{drama_studio.series_id}/episodes/{number}/subtitles/{language}",
            content=text.encode(),
            headers={"Content-Type": "text/vtt"},
        )
        assert uploaded.status_code == 200, uploaded.text


def pause(host) -> None:
    """Space pauses the episode on screen (a 3 s episode would otherwise move on by itself)."""
    host.page.keyboard.press(" ")
    host.page.wait_for_function("() => !window.__minisHost.drama.playing")


def test_subtitles_speed_picture_in_picture_and_the_scrubber_preview(host, drama_studio, drama_series):
    add_subtitles(drama_studio, 1, "en", ENGLISH)
    add_subtitles(drama_studio, 1, "es", SPANISH)
    host.open("?prewarm=0")
    player = open_series(host, drama_series)
    wait_until_playing(host, 1)
    pause(host)

    # Subtitles are off at first; CC lists the episode's languages by their own names.
    captions = player.locator(".drama-captions")
    expect(captions).to_have_accessible_name("Subtitles: off")
    assert drama_state(host)["subtitles"] is None
    captions.click()
    menu = player.get_by_role("menu", name="Subtitles")
    expect(menu.get_by_role("menuitemradio")).to_have_text(["Off", "English", "español"])
    expect(menu.get_by_role("menuitemradio", name="Off")).to_have_attribute("aria-checked", "true")
    menu.get_by_role("menuitemradio", name="English").click()
    expect(menu).to_be_hidden()
    expect(captions).to_have_accessible_name("Subtitles: English")
    host.page.wait_for_function("() => window.__minisHost.drama.cue === 'Who keeps the light tonight?'")

    # Speed: the video plays at the rate picked.
    player.locator(".drama-speed").click()
    speeds = player.get_by_role("menu", name="Playback speed")
    expect(speeds.get_by_role("menuitemradio")).to_have_text(["0.75×", "Normal", "1.25×", "1.5×", "2×"])
    # From the keyboard: the menu has the arrows (the episode stays), Enter picks.
    expect(speeds.get_by_role("menuitemradio", name="Normal")).to_be_focused()
    host.page.keyboard.press("ArrowDown")
    host.page.keyboard.press("ArrowDown")
    expect(speeds.get_by_role("menuitemradio", name="1.5×")).to_be_focused()
    host.page.keyboard.press("Enter")
    expect(speeds).to_be_hidden()
    assert drama_state(host)["episode"] == 1
    expect(player.locator(".drama-speed")).to_have_accessible_name("Playback speed: 1.5×")
    assert drama_state(host)["playbackRate"] == 1.5

    # Dragging the scrubber shows the frame under the thumb, from the episode's preview sprite.
    seek = player.get_by_role("slider", name="Playback position").bounding_box()
    preview = player.locator(".drama-seek-preview")
    y = seek["y"] + seek["height"] / 2
    host.page.mouse.move(seek["x"] + 4, y)
    host.page.mouse.down()
    host.page.mouse.move(seek["x"] + seek["width"] * 0.2, y, steps=3)
    expect(preview).to_be_visible()
    expect(preview).to_have_attribute("data-tile", "0")
    assert "preview.jpg" in preview.evaluate("(element) => getComputedStyle(element).backgroundImage")
    host.page.mouse.move(seek["x"] + seek["width"] * 0.9, y, steps=3)
    expect(preview).to_have_attribute("data-tile", "2")
    box = preview.bounding_box()
    assert box["y"] + box["height"] <= seek["y"] and (box["width"], box["height"]) == (94, 164)  # 90x160 + border
    host.page.mouse.up()
    expect(preview).to_be_hidden()

    # Both choices are remembered: after a reload the next opening has them from the start.
    player.get_by_role("button", name="Close player").click()
    expect(player).to_be_hidden()
    host.page.reload()
    player = open_series(host, drama_series)
    host.page.wait_for_function("() => window.__minisHost.drama.episode === 1 && window.__minisHost.drama.playing")
    pause(host)
    state = drama_state(host)
    assert (state["playbackRate"], state["subtitles"]) == (1.5, "en"), state
    expect(player.locator(".drama-captions")).to_have_accessible_name("Subtitles: English")

    # An episode without subtitles has no CC button; turning them off is remembered too.
    player.locator(".drama-captions").click()
    player.get_by_role("menuitemradio", name="Off").click()
    assert drama_state(host)["subtitles"] is None
    # Picture-in-picture (Chromium offers it; the second test has a browser that does not): the
    # button takes the episode's video into its own window, the next episode follows it there, and
    # the button brings it back.
    assert host.page.evaluate("() => document.pictureInPictureEnabled")
    pip = player.get_by_role("button", name="Picture in picture")
    pip.click()
    in_window = "(selector) => document.pictureInPictureElement === document.querySelector(selector)"
    host.page.wait_for_function(in_window, arg=CURRENT_VIDEO)
    host.page.keyboard.press("PageDown")
    wait_until_playing(host, 2)
    host.page.wait_for_function(in_window, arg='.drama-slide[data-episode="2"] video')
    expect(player.locator(".drama-captions")).to_be_hidden()
    assert drama_state(host)["playbackRate"] == 1.5
    pip.click()
    host.page.wait_for_function("() => document.pictureInPictureElement === null")


def test_a_person_signed_in_on_two_browsers_continues_on_the_second_where_the_first_paused(
    browser, live_server, drama_series
):
    email = f"viewer-{secrets.token_hex(4)}@example.com"
    password = "night-shift-viewer-1"
    phone, phone_context = new_host(browser, live_server)
    laptop, laptop_context = new_host(browser, live_server)
    try:
        phone.open("?prewarm=0")
        assert phone.call_api("POST", "/api/account/register", {"email": email, "password": password})["status"] == 200
        code = live_server.mailed(email, r"verification code is (\d{6})")
        assert phone.call_api("POST", "/api/account/verify", {"code": code})["status"] == 200
        # The laptop's browser has no picture-in-picture (or it is turned off there).
        laptop.page.add_init_script(
            "Object.defineProperty(Document.prototype, 'pictureInPictureEnabled', { get: () => false })"
        )
        laptop.open("?prewarm=0")
        assert laptop.call_api("POST", "/api/account/sign-in", {"email": email, "password": password})["status"] == 200

        # On the phone: episode 2, paused a moment in. The pause saves the place on the platform.
        player = open_series(phone, drama_series)
        wait_until_playing(phone, 1)
        phone.page.keyboard.press("PageDown")
        wait_until_playing(phone, 2, past=0.4)
        with phone.page.expect_request(lambda r: r.url.endswith("/progress") and r.method == "PUT") as saved:
            pause(phone)
        body = saved.value.post_data_json
        assert body["episode_number"] == 2 and body["position_ms"] >= 400, body
        expect(player.get_by_text("Episode 2 of 5")).to_be_visible()

        # On the laptop, the same person opens the series: episode 2, from where the phone paused.
        laptop.page.reload()
        resumed = open_series(laptop, drama_series)
        laptop.page.wait_for_function("() => window.__minisHost.drama.episode === 2")
        expect(resumed.get_by_text("Episode 2 of 5")).to_be_visible()
        laptop.page.wait_for_function(
            "(at) => window.__minisHost.drama.currentTime >= at", arg=body["position_ms"] / 1000 - 0.05
        )
        expect(resumed.get_by_role("heading", name=TITLE)).to_be_visible()
        expect(resumed.locator(".drama-pip")).to_be_hidden()
        expect(resumed.locator(".drama-speed")).to_be_visible()
    finally:
        phone_context.close()
        laptop_context.close()
    assert phone.errors == [] and laptop.errors == [], (phone.errors, laptop.errors)
