"""Navigation: what opens over the host has a URL, and the browser's back, forward and reload work
on it. Back closes the game or the player and leaves the person where they were; forward opens it
again; a reload of its URL opens it; an app's own origin opened in a tab comes into the launcher;
Escape pressed inside a game and a swipe down from the top edge close it too."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.drama_studio import APP_ID, TITLE
from tests.browser.test_drama import open_series, wait_until_playing

pytestmark = pytest.mark.browser

DEMO_GAMES = {"tower-stack", "merge-2048"}


def path_of(host) -> str:
    return host.page.evaluate("() => location.pathname + location.search + location.hash")


def swipe_down_from_the_top_edge(host) -> None:
    host.page.mouse.move(195, 2)
    host.page.mouse.down()
    host.page.mouse.move(195, 60, steps=4)
    host.page.mouse.move(195, 160, steps=4)
    host.page.mouse.up()


def test_a_game_from_the_feed_has_its_url_back_closes_it_forward_reopens_reload_opens_and_escape_closes(host):
    host.open("?prewarm=0")
    app_id = host.scroll_to_app_card(among=DEMO_GAMES)
    item = host.current_item.get_attribute("data-item-id")

    host.page.locator(".feed-card[data-current]").get_by_role("button", name="Play").click()
    expect(host.overlay).to_be_visible()
    host.wait_for_launch(app_id)
    assert path_of(host) == f"/play/{app_id}?prewarm=0"

    # Back: the game closes and the feed is at the card it was opened from.
    host.page.go_back()
    expect(host.overlay).to_have_count(0)
    expect(host.frame_element(app_id)).to_be_hidden()  # minimised: kept for a resume (test_minimise.py)
    assert path_of(host) == "/?prewarm=0"
    expect(host.current_item).to_have_attribute("data-item-id", item)
    expect(host.current_item).to_be_in_viewport(ratio=0.9)

    # Forward: it opens again, as it was opened (from the feed), resumed where it was.
    host.page.go_forward()
    expect(host.overlay).to_be_visible()
    resumed = host.wait_for_launch(app_id, count=2)
    assert resumed["source"] == "feed" and resumed["resumed"] is True
    assert path_of(host) == f"/play/{app_id}?prewarm=0"

    # Reload: the page comes back with the game open.
    host.page.reload()
    expect(host.overlay).to_be_visible()
    assert host.wait_for_launch(app_id)["source"] == "direct"
    assert host.host_state()["shared"] == "launched"

    # Escape pressed inside the game (the frame has the focus, and the key never reaches the host
    # page): the SDK tells the host, which closes it; the URL is the feed's again.
    frame = host.app_frame(app_id)
    frame.locator("body").click()
    assert frame.evaluate("() => document.hasFocus()")
    host.page.keyboard.press("Escape")
    expect(host.overlay).to_have_count(0)
    assert path_of(host) == "/?prewarm=0"

    # A swipe down from the top edge closes it too. (The reload opened the game directly, so the feed
    # behind it starts at its top, whose first card depends on what other tests did.)
    expect(host.current_item).to_be_visible()
    host.scroll_to_app_card(among={app_id})
    host.page.locator(".feed-card[data-current]").get_by_role("button", name="Play").click()
    expect(host.overlay).to_be_visible()
    host.wait_for_launch(app_id, count=2)
    swipe_down_from_the_top_edge(host)
    expect(host.overlay).to_have_count(0)
    assert path_of(host) == "/?prewarm=0"

    # The app's own origin opened in the tab is no page of its own: it opens in the launcher.
    origin = host.server.app_origin(app_id)
    host.page.goto(origin + "/")
    host.page.wait_for_url(f"{host.server.url}/play/{app_id}")
    expect(host.overlay).to_be_visible()
    host.wait_for_launch(app_id)
    expect(host.frame_element(app_id)).to_have_attribute("src", re.compile(rf"^{re.escape(origin)}/v/"))


def test_an_episode_has_its_url_back_returns_to_the_dramas_tab_forward_reopens_and_reload_opens_it(host, drama_series):
    host.open("?prewarm=0")
    player = open_series(host, drama_series)
    series_id = drama_series["id"]
    wait_until_playing(host, 1)
    assert path_of(host) == f"/watch/{series_id}/1?prewarm=0#/minis"
    host.page.keyboard.press("PageDown")
    wait_until_playing(host, 2)
    assert path_of(host) == f"/watch/{series_id}/2?prewarm=0#/minis"  # the entry follows the episode

    host.page.go_back()
    expect(player).to_be_hidden()
    assert path_of(host) == "/?prewarm=0#/minis"
    expect(host.page.get_by_role("tab", name="Dramas")).to_have_attribute("aria-selected", "true")

    host.page.go_forward()
    expect(player).to_be_visible()
    wait_until_playing(host, 2)
    assert path_of(host) == f"/watch/{series_id}/2?prewarm=0#/minis"

    host.page.reload()
    player = host.page.get_by_role("dialog", name=TITLE)
    expect(player).to_be_visible()
    wait_until_playing(host, 2)
    launch = host.page.evaluate("() => window.__minisHost.drama.launch")
    assert (launch["appId"], launch["source"]) == (APP_ID, "direct")  # the platform has this opening too

    swipe_down_from_the_top_edge(host)
    expect(player).to_be_hidden()
    assert path_of(host) == "/?prewarm=0#/minis"
