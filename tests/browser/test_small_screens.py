"""The host on small and short screens: a 320x568 phone, a phone held sideways (844x390) and a
small one held sideways (568x320). Everything a person taps stays on the screen, clear of the bottom
bar and of what it would cover: the feed card's Play button, the drama player's rail, the hub's
shelves and the search's status line and recent searches."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import closing

import pytest
from playwright.sync_api import expect

from tests.browser.ad_studio import ADMIN_TOKEN
from tests.browser.host_page import SHORT_OF_A_THUMB, HostPage
from tests.browser.test_creators import become_creator
from tests.browser.test_drama_extras import ENGLISH, add_subtitles
from tests.factories import publish_over_http

pytestmark = pytest.mark.browser

SMALL_PHONE = (320, 568)
LANDSCAPE = (844, 390)
SMALL_LANDSCAPE = (568, 320)


@pytest.fixture
def phone(browser, live_server) -> Iterator:
    """Opens a new guest's host page on a touch phone of the size asked for; fails the test on any
    uncaught host error."""
    opened: list[tuple[HostPage, object]] = []

    def open_at(size: tuple[int, int]) -> HostPage:
        width, height = size
        context = browser.new_context(
            viewport={"width": width, "height": height}, device_scale_factor=1, has_touch=True, is_mobile=True
        )
        host = HostPage(context.new_page(), live_server)
        opened.append((host, context))
        return host

    yield open_at
    for host, context in opened:
        context.close()
        assert host.errors == [], f"uncaught errors in the host page: {host.errors}"


RAIL_BOXES = """() => Object.fromEntries(
    [...document.querySelectorAll(".drama-rail-button")]
        .filter((button) => button.checkVisibility())
        .map((button) => {
            const r = button.getBoundingClientRect();
            return [button.className, { x: r.x, y: r.y, width: r.width, height: r.height }];
        })
)"""


def box(locator) -> dict:
    found = locator.bounding_box()
    assert found is not None, f"{locator} is not drawn"
    return found


def boxes_of(within, selectors: dict[str, str]) -> dict[str, dict]:
    """Each named part's box, found by its selector within a page or a locator."""
    return {name: box(within.locator(selector)) for name, selector in selectors.items()}


def on_screen(found: dict, size: tuple[int, int]) -> bool:
    width, height = size
    return (
        found["x"] >= 0
        and found["y"] >= 0
        and found["x"] + found["width"] <= width + 0.5
        and found["y"] + found["height"] <= height + 0.5
    )


def overlap(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


# The hub ------------------------------------------------------------------------------------------


def test_a_series_in_continue_watching_has_a_tile_the_size_of_the_other_shelves_tiles(phone, drama_series):
    """A probe found the Continue watching tile drawing its 720x1280 cover at its natural size:
    728x1320 CSS px on a 390 px phone, pushing the other shelves off the screen."""
    host = phone((390, 844))
    page = host.page
    page.goto(f"{host.server.url}/watch/{drama_series['id']}/1?prewarm=0")
    page.wait_for_function("() => window.__minisHost.drama.episode === 1")
    with page.expect_response(lambda response: response.url.endswith("/progress") and response.ok):
        page.get_by_role("button", name="Close player").click()
    host.go_to_minis()

    watching = page.locator(f'[data-section=watching] [data-series-id="{drama_series["id"]}"]')
    expect(watching).to_be_visible()
    game = page.locator("[data-section=new] .app-tile").first
    expect(game).to_be_visible()
    tile, cover, game_tile, icon = (
        box(watching),
        box(watching.locator("img")),
        box(game),
        box(game.locator(".app-icon")),
    )
    assert tile["width"] == pytest.approx(game_tile["width"], abs=1), (tile, game_tile)
    assert tile["height"] <= game_tile["height"] + 20, (tile, game_tile)  # a name of two lines at most
    assert (cover["width"], cover["height"]) == pytest.approx((icon["width"], icon["height"]), abs=1)
    # The cover is cropped to the tile, not squeezed into it.
    assert watching.locator("img").evaluate("(image) => getComputedStyle(image).objectFit") == "cover"


def test_a_game_whose_name_is_one_long_word_has_a_tile_as_wide_as_its_shelfs_others(phone, live_server):
    """A clean-clone run found a New tile 125 px wide beside 92 px ones: a shelf's tile was as wide
    as the longest word of its name (a flex item is never narrower than its content), so one long
    name pushed the shelf's other tiles along. The name breaks inside the word instead."""
    publish_over_http(
        live_server.url, ADMIN_TOKEN, id="long-word-name", name="Wanderingcartographersguildhall", category="puzzle"
    )
    host = phone((390, 844))
    host.open("?prewarm=0")
    host.go_to_minis()
    for shelf in ("new", "category:puzzle"):
        long_named = host.page.locator(f'[data-section="{shelf}"] .app-tile[data-app-id="long-word-name"]')
        expect(long_named).to_be_visible()
        widths = host.page.locator(f'[data-section="{shelf}"] .recents-row > li').evaluate_all(
            "(items) => items.map((item) => item.getBoundingClientRect().width)"
        )
        assert len(widths) >= 2, shelf
        assert widths == pytest.approx([92] * len(widths), abs=0.5), (shelf, widths)
        name = long_named.locator(".app-tile-name")
        assert name.evaluate("(name) => name.scrollWidth <= name.clientWidth"), f"the name overflows in {shelf}"


# The drama player ---------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [SMALL_PHONE, LANDSCAPE, SMALL_LANDSCAPE], ids=["320x568", "844x390", "568x320"])
def test_every_button_of_the_drama_players_rail_is_on_screen_and_clear_of_the_titles(
    phone, drama_studio, drama_series, size
):
    """A probe found the rail (Episodes, Sound, CC, Speed, PiP, Report, pinned 112 px above the
    bottom) going off the top of the screen on a phone held sideways, and Episodes cut at 320x568."""
    add_subtitles(drama_studio, 1, "en", ENGLISH)  # so that the rail has its CC button too
    host = phone(size)
    page = host.page
    page.goto(f"{host.server.url}/watch/{drama_series['id']}/1?prewarm=0")
    page.wait_for_function("() => window.__minisHost.drama.episode === 1")
    expect(page.locator(".drama-captions")).to_be_visible()
    expect(page.locator(".drama-episode-title")).not_to_be_empty()
    # The hint a first-time viewer gets, in its place once its entrance has played.
    expect(page.locator(".drama-hint")).to_be_visible()
    page.locator(".drama-hint").evaluate("(hint) => Promise.all(hint.getAnimations().map((a) => a.finished))")

    # The rail's drawn buttons at one moment, read in one go: counted, then looked up one by one, one
    # that the player hid meanwhile was waited for until the timeout (CI, 320x568).
    boxes = page.evaluate(RAIL_BOXES)
    assert len(boxes) >= 5, boxes
    for name, found in boxes.items():
        assert on_screen(found, size), f"{name} is off the {size} screen: {found}"
    keep_clear = boxes_of(
        page,
        {
            "series title": ".drama-heading",
            "close": ".drama-close",
            "episode title": ".drama-episode-title",
            "scrubber": ".drama-seek",
            "hint": ".drama-hint",
        },
    )
    for name, found in boxes.items():
        for other, cleared in keep_clear.items():
            assert not overlap(found, cleared), f"{name} covers the {other} at {size}: {found} {cleared}"
    assert on_screen(keep_clear["hint"], size), keep_clear["hint"]
    for other in ("series title", "episode title", "scrubber"):
        assert not overlap(keep_clear["hint"], keep_clear[other]), f"the hint covers the {other} at {size}"

    # Each button answers a tap where it is drawn: Episodes opens the list.
    page.locator(".drama-episodes").tap()
    expect(host.sheet.get_by_role("heading", name="Episodes")).to_be_visible()


# The feed -----------------------------------------------------------------------------------------


def feed_cards_in_view(host: HostPage, count: int) -> Iterator:
    """The first `count` app cards the feed has loaded, each brought into view in turn (its preview
    playing, when it has one, as a person sees it)."""
    cards = host.page.locator(".feed-card")
    for index in range(min(count, cards.count())):
        card = cards.nth(index)
        card.evaluate("(card) => { document.getElementById('feed').scrollTop = card.offsetTop; }")
        expect(card).to_have_attribute("data-current", "")
        preview = card.locator(".feed-card-preview")
        if preview.count():
            expect(preview).to_be_visible()
        host.wait_for_drawing()
        yield card


@pytest.mark.parametrize("size", [SMALL_PHONE, LANDSCAPE, SMALL_LANDSCAPE], ids=["320x568", "844x390", "568x320"])
def test_a_feed_cards_play_button_stays_above_the_bottom_bar_and_the_hint_covers_none_of_it(phone, size):
    """A probe found the Play button under the bottom bar at 320x568 and on a phone held sideways,
    and the "Swipe up for more" hint over the card's description."""
    host = phone(size)
    host.open("?prewarm=0")
    bar = box(host.page.locator(".bottom-nav"))
    topbar = box(host.page.locator(".feed-tabs"))
    for card in feed_cards_in_view(host, 6):  # the example games lead the feed, Tower Stack (a preview) among them
        app = card.get_attribute("data-app-id")
        play = box(card.locator(".play-button"))
        assert on_screen(play, size) and play["y"] + play["height"] <= bar["y"], f"{app}'s Play at {size}: {play}"
        parts = boxes_of(
            card, {"title": ".feed-card-title", "description": ".feed-card-description", "Play": ".play-button"}
        )
        for name, found in parts.items():
            assert found["y"] >= topbar["y"] + topbar["height"], f"{app}'s {name} under the tabs at {size}"
            assert found["y"] + found["height"] <= bar["y"], f"{app}'s {name} under the bottom bar at {size}"
        hint = card.locator(".swipe-hint")
        if hint.count() and hint.is_visible():
            for name, found in parts.items():
                assert not overlap(box(hint), found), f"the hint covers {app}'s {name} at {size}"


# Search -------------------------------------------------------------------------------------------


def test_a_long_unbroken_query_wraps_in_the_status_line_and_its_recent_search_chip(phone):
    """A probe found a 100-character query without a space running off a 320 px screen, in the
    status line and in the recent-search chip."""
    host = phone(SMALL_PHONE)
    host.open("?prewarm=0")
    host.go_to_minis()
    page = host.page
    query = "x" * 100
    field = page.get_by_role("searchbox", name="Search minis")
    field.fill(query)
    field.press("Enter")  # a search run is remembered
    status = page.locator("#search-status")
    expect(status).to_contain_text("Nothing matches")
    chip = page.locator("[data-group=recent] .search-chip").first
    expect(chip).to_be_visible()
    for found in (box(status), box(chip)):
        assert on_screen(found, SMALL_PHONE), found
    assert page.evaluate("() => document.documentElement.scrollWidth") <= SMALL_PHONE[0]


def test_a_creator_whose_name_and_bio_are_long_words_has_a_sheet_as_wide_as_the_phone(phone, live_server):
    """A probe: a bio holding a link (one long word) made the creator sheet's body 1,730 px wide on a
    390 px phone, its Follow button an empty bar whose label was off the screen; a 30-character
    handle ran under the sheet's close button; and the title, focused for screen readers as a
    sheet opens, wore a keyboard's focus ring on a touch screen."""
    handle = "maximilian_alexander_hohenzoll"
    with closing(become_creator(live_server, f"{handle}@example.com", handle)) as client:
        changed = client.post(
            "/api/creator",
            json={
                "handle": handle,
                "display_name": "Wolfeschlegelsteinhausenbergerdorff",
                "bio": "https://example.com/" + "x" * 150,
            },
            headers={"X-CSRF-Token": client.get("/api/me").json()["csrf_token"]},
        )
        assert changed.status_code == 200, changed.text
    host = phone((390, 844))
    page = host.page
    page.goto(f"{live_server.url}/c/{handle}")
    sheet = page.get_by_role("dialog")
    follow = sheet.get_by_role("button", name=f"Follow @{handle}")
    expect(follow).to_be_visible()
    sheet_box, follow_box = box(sheet), box(follow)
    assert follow_box["width"] <= sheet_box["width"], (follow_box, sheet_box)
    overflowing = sheet.evaluate(
        "(sheet) => [sheet, ...sheet.querySelectorAll('*')]"
        ".filter((e) => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible')"
        ".map((e) => `${e.className} ${e.scrollWidth}>${e.clientWidth}`)"
    )
    assert overflowing == []
    title, close = sheet.locator(".sheet-title"), sheet.get_by_role("button", name="Close")
    assert not overlap(box(title), box(close)), (box(title), box(close))
    assert title.evaluate("(title) => title.scrollWidth <= title.clientWidth")
    assert (
        title.evaluate("(title) => document.activeElement === title && getComputedStyle(title).outlineStyle") == "none"
    )


def test_the_top_bars_coin_and_name_chips_take_a_tap_44_px_high(phone):
    """A probe measured the coin chip 44x28 and the name chip 28 high, beside each other on the feed's
    top bar: a thumb meant for one hit the other, or nothing. Each takes a tap anywhere in a band 44
    px high around it (drawn as before)."""
    host = phone((390, 844))
    host.open("?prewarm=0")
    page = host.page
    for chip in ("#feed-view .coin-chip", "#feed-view .user-chip"):
        drawn = box(page.locator(chip).first)
        middle = drawn["x"] + drawn["width"] / 2
        centre = drawn["y"] + drawn["height"] / 2
        for y in (centre - 21, centre + 21):  # 44 px high, less a pixel each side
            hit = page.evaluate(
                "([x, y, chip]) => document.elementFromPoint(x, y)?.closest(chip) !== null", [middle, y, chip]
            )
            assert hit, (chip, drawn, y)


def test_every_control_of_the_feed_the_hub_search_and_me_takes_a_tap_44_px_across(phone):
    """A probe measured the feed's tabs 33 px high, search's Cancel 33, Me's Top up and account
    segments 36, and the Search and Edit name icons 40x40: a thumb (Apple's guidance is 44 points,
    Material's 48 dp) meant for one of them hit what was beside it, or nothing. Each takes a tap
    anywhere in a 44 px square around its centre now, in every view a person starts from."""
    host = phone((390, 844))
    host.open("?prewarm=0")
    page = host.page
    short: dict[str, list[str]] = {"feed": page.evaluate(SHORT_OF_A_THUMB)}
    host.go_to_minis()
    short["minis"] = page.evaluate(SHORT_OF_A_THUMB)
    search = page.get_by_role("searchbox", name="Search minis")
    search.fill("tower")
    expect(page.locator("#search-status")).to_have_text(re.compile(r"^\d+ results?$"))
    short["search"] = page.evaluate(SHORT_OF_A_THUMB)
    page.get_by_role("button", name="Cancel").click()
    host.go_to_me()
    short["me"] = page.evaluate(SHORT_OF_A_THUMB)
    assert short == {"feed": [], "minis": [], "search": [], "me": []}


def test_every_control_of_the_drama_player_takes_a_tap_44_px_across(phone, drama_series):
    """The drama player's scrubber was 20 px high: a thumb meant for it paused the episode or
    missed. Each of the player's controls takes a tap anywhere in a 44 px square around its centre."""
    host = phone((390, 844))
    page = host.page
    page.goto(f"{host.server.url}/watch/{drama_series['id']}/1?prewarm=0")
    page.wait_for_function("() => window.__minisHost.drama.episode === 1")
    expect(page.locator(".drama-seek")).to_be_visible()
    assert page.evaluate(SHORT_OF_A_THUMB) == []
