"""The feed: a person scrolls it, plays a game from it and finds the game in Recently played.

Creators' posts (test_creators.py) may be in the feed too, three slots in four: the tests swipe to
the mini-program cards they need."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import new_host

pytestmark = pytest.mark.browser

DEMO_GAMES = {"tower-stack", "merge-2048"}


def test_a_person_scrolls_the_feed_plays_a_game_sees_it_draw_and_finds_it_in_recently_played(host):
    host.open("?prewarm=0")
    expect(host.feed_cards.first).to_be_attached()
    # Both demo games are in the feed; the apps and engagement other tests bring to this server
    # may rank one of them past the first page, so the feed is read further than the screen.
    listed = host.call_api("GET", "/api/feed?limit=50")["body"]["items"]
    assert {item["id"].removeprefix("app:") for item in listed if item["kind"] == "app"} >= DEMO_GAMES
    first = host.current_item.get_attribute("data-item-id")

    # One swipe moves exactly one item: the feed snaps to the next one.
    host.swipe_up()
    assert (
        host.current_item.get_attribute("data-item-id") == host.feed_items.nth(1).get_attribute("data-item-id") != first
    )
    expect(host.current_item).to_be_in_viewport(ratio=0.9)

    app_id = host.scroll_to_app_card(among=DEMO_GAMES)
    card = host.page.locator(".feed-card[data-current]")
    name = card.get_by_role("heading").inner_text()
    expect(card).to_be_in_viewport(ratio=0.9)

    card.get_by_role("button", name="Play").click()
    expect(host.overlay).to_be_visible()
    launch = host.wait_for_launch(app_id)
    assert launch["source"] == "feed" and launch["prewarmed"] is False and launch["loadMs"] > 0
    expect(host.page.locator(".app-loading")).to_be_hidden()
    frame = host.page.locator("iframe.app-frame.is-active")
    expect(frame).to_be_visible()
    assert host.distinct_colors(frame.screenshot()) > 20, "the game drew nothing"

    host.close_app()
    expect(host.frame_element(app_id)).to_have_attribute("data-minimised", "")  # kept, hidden (test_minimise.py)
    expect(card).to_be_visible()

    host.go_to_minis()
    recents = host.page.get_by_role("region", name="Recently played")
    expect(recents.get_by_role("button", name=f"Play {name}")).to_be_visible()


def test_on_a_first_visit_a_launch_is_recorded_and_shows_in_recently_played(browser, live_server):
    host, context = new_host(browser, live_server)
    try:
        host.open("?prewarm=0")
        host.scroll_to_app_card(among=DEMO_GAMES)
        card = host.page.locator(".feed-card[data-current]")
        name = card.get_by_role("heading").inner_text()
        with host.page.expect_response("**/api/launches") as recorded:
            card.get_by_role("button", name="Play").click()
        assert recorded.value.ok, recorded.value.text()
        host.close_app()
        host.go_to_minis()
        expect(
            host.page.get_by_role("region", name="Recently played").get_by_role("button", name=f"Play {name}")
        ).to_be_visible()
    finally:
        context.close()
