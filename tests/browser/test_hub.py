"""A living hub and an endless feed, as a person sees them in Chromium: the Tower Stack card plays
its looping preview while it is in view; scrolling on reaches "You're all caught up" and older
items follow; the Minis hub shows its shelves. A guest asked to like is sent to sign in; a signed-in
person likes a post, follows its creator, opens the creator's page from their name, and finds the
post in the Following tab."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from openminis.drama.synth import make_clip
from tests.browser.host_page import HostPage
from tests.browser.test_creators import become_creator, post_video, signed_in_host, wait_until_ready

pytestmark = pytest.mark.browser

TOWER = "tower-stack"


def test_the_feed_plays_a_cards_preview_reaches_the_caught_up_card_and_goes_on_and_the_hub_has_shelves(host):
    host.open("?prewarm=0")
    assert host.scroll_feed_to(f'.feed-card[data-app-id="{TOWER}"]')
    preview = host.feed_card(TOWER).locator("video.feed-card-preview")
    host.page.wait_for_function("(video) => !video.paused && video.currentTime > 0", arg=preview.element_handle())
    expect(preview).to_be_visible()
    assert preview.evaluate("(video) => video.muted && video.loop && video.hasAttribute('playsinline')") is True
    host.swipe_up()
    host.page.wait_for_function("(video) => video.paused", arg=preview.element_handle())

    assert host.scroll_feed_to(".feed-caught-up"), "the feed never said everything new was shown"
    expect(host.current_item.get_by_role("heading", name="You’re all caught up")).to_be_visible()
    host.swipe_up()  # older items come after it: the feed goes on
    expect(host.current_item).not_to_have_class("feed-item feed-caught-up")

    host.go_to_minis()
    new = host.page.get_by_role("region", name="New", exact=True)
    expect(new.locator(f'.app-tile[data-app-id="{host.hub_shelf("new")[0]}"]')).to_be_visible()
    arcade = host.page.get_by_role("region", name="Arcade")
    expect(arcade.locator(f'.app-tile[data-app-id="{host.hub_shelf("category:arcade")[0]}"]')).to_be_attached()


def test_a_person_who_asked_for_less_motion_sees_the_cards_icon_not_its_looping_preview(browser, live_server):
    """prefers-reduced-motion: reduce (the system's setting): no loop plays by itself; the card
    shows the app's icon, and the game still opens from it."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, reduced_motion="reduce")
    host = HostPage(context.new_page(), live_server)
    try:
        host.open("?prewarm=0")
        assert host.scroll_feed_to(f'.feed-card[data-app-id="{TOWER}"]')
        card = host.feed_card(TOWER)
        expect(card.locator(".feed-card-media .app-icon-hero")).to_be_visible()
        host.page.wait_for_timeout(1500)  # long enough for a preview to have started (it plays at once)
        preview = card.locator("video.feed-card-preview")
        assert preview.evaluate("(video) => video.paused && video.currentTime === 0 && video.hidden") is True
        expect(card.locator(".feed-card-media .app-icon-hero")).to_be_visible()
        card.get_by_role("button", name="Play Tower Stack").click()
        expect(host.page.locator(f'iframe[src*="{TOWER}.apps."]')).to_be_visible()
        assert host.errors == []
    finally:
        context.close()


def test_a_person_likes_a_post_follows_its_creator_opens_their_page_and_sees_the_post_in_following(
    browser, live_server, host, tmp_path
):
    maker = become_creator(live_server, "hubmaker@example.com", "hubmaker")
    try:
        clip = make_clip(tmp_path / "post.mp4", seconds=1, lines=["Tower"], width=360, height=640, seed=11)
        post_id = post_video(
            maker, clip, caption="Tallest tower yet", anchor={"anchor_kind": "app", "anchor_app_id": TOWER}
        )
        wait_until_ready(maker, post_id)
    finally:
        maker.close()

    # A guest who taps Like is asked to sign in, on Me.
    host.page.goto(f"{live_server.url}/p/{post_id}?prewarm=0")
    post = host.feed_post(post_id)
    post.get_by_role("button", name="Like @hubmaker’s post, 0 likes").click()
    expect(host.page.locator("#toast")).to_have_text("Sign in to like posts and follow creators.")
    expect(host.page.get_by_role("heading", name="Me", exact=True)).to_be_visible()

    fan = become_creator(live_server, "hubfan@example.com", "hubfan")  # a full account (a creator too, no matter)
    fan.close()
    person, context = signed_in_host(browser, live_server, "hubfan@example.com")
    try:
        person.page.goto(f"{live_server.url}/p/{post_id}?prewarm=0")
        post = person.feed_post(post_id)
        post.get_by_role("button", name="Like @hubmaker’s post, 0 likes").click()
        expect(post.get_by_role("button", name="Unlike @hubmaker’s post, 1 like")).to_have_attribute(
            "aria-pressed", "true"
        )
        post.get_by_role("button", name="Follow @hubmaker").click()
        expect(post.get_by_role("button", name="Unfollow @hubmaker")).to_have_text("Following")

        post.get_by_role("link", name="@hubmaker").click()
        page = person.sheet
        expect(page.get_by_role("heading", name="@hubmaker")).to_be_visible()
        expect(page.locator(".creator-followers")).to_have_text("1 follower")
        expect(page.locator(f'.creator-post[data-post-id="{post_id}"]')).to_contain_text("♥ 1")
        expect(page.locator(f'.app-tile[data-app-id="{TOWER}"]')).to_be_visible()
        person.page.keyboard.press("Escape")
        expect(page).to_be_hidden()

        person.page.get_by_role("button", name="Following", exact=True).click()
        expect(person.page.locator(f'#feed .feed-post[data-post-id="{post_id}"]')).to_be_visible()
        assert person.call_api("GET", f"/api/posts/{post_id}")["body"]["likes"] == 1
    finally:
        context.close()


def test_a_hub_the_server_was_too_busy_to_answer_fills_once_the_server_said_to_retry(host):
    """A 503 with Retry-After is what an overloaded server answers (docs/architecture.md): the
    host sends the GET again after the wait rather than leaving the hub empty."""
    answers: list[int] = []

    def busy_once(route):
        if not answers:
            answers.append(503)
            route.fulfill(
                status=503,
                headers={"Retry-After": "1", "Content-Type": "application/json"},
                body='{"code": "OVERLOADED", "message": "too busy; retry in a moment"}',
            )
        else:
            answers.append(200)
            route.continue_()

    host.page.route("**/api/hub/sections", busy_once)
    host.open("?prewarm=0")
    host.go_to_minis()
    new = host.page.get_by_role("region", name="New", exact=True)
    expect(new.locator(".app-tile").first).to_be_visible()
    assert answers == [503, 200]


def test_the_hubs_grid_is_drawn_no_sooner_than_the_shelves_above_it(host):
    """Shelves drawn in above a grid already on screen would push its tiles down under a finger on
    its way to one, and the tap would land on whatever took the tile's place (another app): the
    grid waits for the shelves' answer, and both come on screen together."""
    held = []
    host.page.route("**/api/hub/sections", lambda route: held.append(route))
    host.open("?prewarm=0")
    with host.page.expect_response(lambda response: "/api/hub?kind=game" in response.url):
        host.go_to_minis()
    # The grid's answer is in and the page has drawn since; the shelves' is held.
    host.wait_for_drawing()
    expect(host.page.locator("#hub-sections")).to_have_attribute("aria-busy", "true")
    expect(host.page.locator("#hub-grid .app-tile")).to_have_count(0)
    assert len(held) == 1
    held[0].continue_()
    expect(host.hub_tile(TOWER)).to_be_visible()
    expect(host.page.get_by_role("region", name="New", exact=True)).to_be_visible()
    expect(host.page.locator("#hub-sections")).to_have_attribute("aria-busy", "false")


def test_a_hub_list_that_could_not_be_loaded_is_asked_again_from_its_try_again_button(host):
    # The series' list is refused twice over, as an overloaded server refuses (503 with Retry-After,
    # which the host's Api asks again three times in all): the tab says so and offers to try again.
    refusing = {"on": True}

    def series(route):
        if refusing["on"]:
            route.fulfill(status=503, headers={"Retry-After": "0"}, json={"code": "OVERLOADED", "message": "busy"})
        else:
            route.continue_()

    host.page.route("**/api/dramas*", series)
    host.open("?prewarm=0")
    host.go_to_minis()
    host.page.get_by_role("tab", name="Dramas").click()
    note = host.page.locator("#hub-grid .grid-note")
    expect(note).to_contain_text("This list could not be loaded.")
    refusing["on"] = False
    note.get_by_role("button", name="Try again").click()
    expect(host.page.locator("#hub-panel")).to_have_attribute("aria-busy", "false")
    expect(host.page.locator("#hub-grid")).not_to_contain_text("could not be loaded")


def test_shelves_that_changed_between_two_refreshes_keep_every_tile_that_did_not(host):
    """The board changes while the hub is on screen (here an app leaves New, as a taken-down app
    does, and a ranking turns over): the next refresh changes only that. Every other tile, and every
    shelf, is the same element as before, so a finger already on one (the press) still gets its tap
    (the release); a ranked tile that moved shows its new place."""
    answered = []

    def sections(route):
        response = route.fetch()
        body = response.json()
        answered.append(body)
        new = next(section for section in body["sections"] if section["id"] == "new")
        ranked = [
            {"card": card, "value": 3 - n, "label": f"{3 - n} players"} for n, card in enumerate(new["cards"][:3])
        ]
        if len(answered) > 1:
            new["cards"] = new["cards"][:-1]
            ranked.reverse()
        body["sections"].append({"id": "ranked", "title": "Ranked", "layout": "ranking", "ranked": ranked})
        route.fulfill(response=response, json=body)

    host.page.route("**/api/hub/sections", sections)
    host.open("?prewarm=0")
    host.go_to_minis()
    new = host.page.get_by_role("region", name="New", exact=True)
    tiles = new.locator(".app-tile")
    expect(tiles.first).to_be_visible()
    before = tiles.count()
    assert before >= 2
    leaving = tiles.last.get_attribute("data-app-id")
    tiles.first.evaluate("(tile) => { window.__tile = tile; window.__new = tile.closest('section'); }")
    other = host.page.locator("#hub-sections > section:not([data-section=new])").first
    other.evaluate("(section) => { window.__other = section; }")
    ranking = host.page.locator("[data-section=ranked] .ranking-entry")
    expect(ranking.locator(".ranking-place")).to_have_text(["1", "2", "3"])
    top = ranking.first.locator(".app-tile").get_attribute("data-app-id")
    ranking.first.evaluate("(entry) => { window.__top = entry; }")

    field = host.page.get_by_role("searchbox", name="Search minis")
    field.focus()
    with host.page.expect_response(lambda response: "/api/hub/sections" in response.url):
        host.page.get_by_role("button", name="Cancel").click()
    expect(tiles).to_have_count(before - 1)
    expect(new.locator(f'.app-tile[data-app-id="{leaving}"]')).to_have_count(0)
    assert len(answered) == 2
    expect(ranking.locator(".ranking-place")).to_have_text(["1", "2", "3"])
    expect(ranking.last.locator(".app-tile")).to_have_attribute("data-app-id", top)
    held = "[window.__tile, window.__new, window.__other, window.__top].map((e) => e.isConnected)"
    assert host.page.evaluate(f"() => {held}") == [True, True, True, True]
    assert host.page.evaluate("() => window.__top.querySelector('.ranking-place').textContent") == "3"
