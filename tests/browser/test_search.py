"""Search in the Minis hub: games, dramas and creators grouped and marked where they matched, a
drama opening in the player at its /watch URL, a creator's posts, suggestions and recent searches
when nothing is asked or nothing matches; and Recently played holding the series watched."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.drama_studio import TITLE
from tests.browser.test_creators import become_creator

pytestmark = pytest.mark.browser


def searches_sent(requests: list[str]) -> list[str]:
    return [url for url in requests if "/api/search?" in url]


def test_a_person_finds_games_dramas_and_creators_and_comes_back_to_what_they_watched(host, live_server, drama_series):
    become_creator(live_server, "harborfan@example.com", "harborfan").close()
    requests: list[str] = []
    host.page.on("request", lambda request: requests.append(request.url))
    host.open("?prewarm=0")
    host.go_to_minis()
    page = host.page
    field = page.get_by_role("searchbox", name="Search minis")
    results = page.locator("#search-results")

    # Focusing the empty field suggests this week's popular games and dramas; no recent searches yet.
    field.focus()
    expect(results.get_by_role("heading", name="Popular games")).to_be_visible()
    expect(results.get_by_role("heading", name="Popular dramas")).to_be_visible()
    expect(results.get_by_role("heading", name="Recent searches")).to_have_count(0)
    expect(page.locator("#hub-browse")).to_be_hidden()

    # Typing sends one request for the whole word, not one per key. (Waited for: on a busy machine a
    # pause between keys may send a search for the start of the word first, "ha", whose results show
    # the Dramas group too, before the last key's search goes.)
    sent = len(searches_sent(requests))
    with page.expect_response(lambda response: response.url.endswith("/api/search?q=harbor")):
        field.press_sequentially("harbor")
    dramas = results.locator("[data-group=dramas]")
    expect(dramas.get_by_role("heading", name="Dramas")).to_be_visible()
    expect(page.locator("#search-status")).to_have_text(re.compile(r"^\d+ results?$"))
    assert len(searches_sent(requests)) - sent < len("harbor")
    assert searches_sent(requests)[-1].endswith("q=harbor")

    # The series and the creator, each with the match marked; the game group is absent.
    expect(results.locator("[data-group=games]")).to_have_count(0)
    series = dramas.locator(f'.series-card[data-series-id="{drama_series["id"]}"]')
    expect(series.locator("mark")).to_have_text("Harbor")
    expect(series.locator(".series-title")).to_have_text(TITLE)
    creator = results.locator("[data-group=creators] .creator-result[data-handle=harborfan]")
    expect(creator.locator(".creator-result-name mark")).to_have_text("Harbor")

    # A creator opens their page (no posts yet) over the results, which are there on closing it.
    creator.click()
    sheet = page.get_by_role("dialog", name="@harborfan")
    expect(sheet).to_contain_text("No posts yet.")
    expect(sheet.get_by_role("button", name="Follow @harborfan")).to_be_visible()
    sheet.get_by_role("button", name="Close").click()
    expect(series).to_be_visible()

    # A drama result opens the series player at its /watch URL.
    series.click()
    player = page.get_by_role("dialog", name=TITLE)
    expect(player).to_be_visible()
    page.wait_for_function("(id) => location.pathname.startsWith(`/watch/${id}/`)", arg=drama_series["id"])
    # Closed once its first episode is on screen (closed before the series has loaded, nothing was
    # watched and nothing is saved), with where the person stopped on record before going on.
    page.wait_for_function("() => window.__minisHost.drama.episode === 1")
    with page.expect_response(lambda response: response.url.endswith("/progress") and response.ok):
        player.get_by_role("button", name="Close player").click()
    expect(player).to_be_hidden()

    # A game: matched in the middle of its name.
    field.fill("runner")
    games = results.locator("[data-group=games]")
    expect(games.locator('.app-tile[data-app-id="sky-runner"] mark')).to_have_text("Runner")
    expect(games.locator('.app-tile[data-app-id="sky-runner"] .app-tile-name')).to_have_text("Sky Runner")

    # Nothing matches: the person is told, and gets their recent searches and popular picks.
    field.fill("zzqx nothing")
    expect(page.locator("#search-status")).to_have_text("Nothing matches “zzqx nothing”. Try one of these.")
    chips = results.locator("[data-group=recent] .search-chip")
    expect(chips).to_have_text(["harbor"])
    expect(results.get_by_role("heading", name="Popular dramas")).to_be_visible()
    chips.first.click()
    expect(field).to_have_value("harbor")
    expect(series).to_be_visible()

    # Cancel ends the search: the hub is back, and Continue watching has the series, where it stopped.
    page.get_by_role("button", name="Cancel").click()
    expect(page.locator("#hub-browse")).to_be_visible()
    recent = page.locator(f'[data-section=watching] [data-series-id="{drama_series["id"]}"]')
    expect(recent).to_contain_text("Episode 1 of 5")
    # The shelves are asked for again (the player's save and each Cancel ask): the same shelves stay
    # where they are, so a tap on one is not lost to its replacement between press and release.
    recent.evaluate("(button) => { window.__shelfButton = button; }")
    field.focus()
    with page.expect_response(lambda response: "/api/hub/sections" in response.url):
        page.get_by_role("button", name="Cancel").click()
    assert page.evaluate("() => window.__shelfButton.isConnected")
    recent.click()
    expect(player).to_be_visible()
    page.wait_for_function("(id) => location.pathname === `/watch/${id}/1`", arg=drama_series["id"])
    # The recent search stays in this browser only: it is kept in localStorage, never sent.
    assert page.evaluate("() => JSON.parse(localStorage.getItem('openminis.recent-searches'))") == ["harbor"]


def test_a_suggestion_pressed_as_the_typed_querys_results_arrive_still_opens(host):
    """A probe's tap on a suggested game, made as the results of what had just been typed replaced
    the suggestions, opened nothing: the pressed tile was gone when the finger lifted. Results that
    arrive during a press are drawn once it ends."""
    host.open("?prewarm=0")
    host.go_to_minis()
    page = host.page
    field = page.get_by_role("searchbox", name="Search minis")
    results = page.locator("#search-results")
    field.focus()
    tile = results.locator("[data-group=games] .app-tile").first
    expect(tile).to_be_visible()
    app_id = tile.get_attribute("data-app-id")
    launched = page.evaluate("(id) => window.__minisHost.launches.filter((l) => l.appId === id).length", app_id)

    # The typed query's search is held at the network until the finger is down on the suggestion.
    held = []
    page.route(re.compile(r"/api/search\?q=runner"), lambda route: held.append(route))
    field.fill("runner")
    for _ in range(200):  # the search goes 200 ms after the last key
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the typed query's search was never sent"
    box = tile.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    with page.expect_response(lambda response: "/api/search?q=runner" in response.url):
        held[0].continue_()
    expect(results).to_have_attribute("aria-busy", "false")
    page.mouse.up()

    host.wait_for_launch(app_id, count=launched + 1)
    # Then the typed query's results, held during the press, are what the search shows.
    expect(page.locator("#search-status")).to_have_text(re.compile(r"^\d+ results?$"))
