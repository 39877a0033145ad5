"""The demo games use the social SDK as a player meets it (issue 18, item 8), in real Chromium:
Tower Stack's tournament with friends, Merge 2048's "Copy result" and "More games" (which opens Sky
Runner, and Sky Runner greets the player), Sky Runner's wide view, and Tower Stack's HUD inside the
phone's safe area."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Frame, expect

from tests.browser.conftest import new_host
from tests.browser.host_page import HostPage

pytestmark = pytest.mark.browser

TOWER, MERGE, SKY = "tower-stack", "merge-2048", "sky-runner"
# Merge 2048's saved board (row by row) where only the two 8s can merge; after them no move is left.
ONE_MOVE_LEFT = {
    "v": 1,
    "cells": [8, 8, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 4, 32768, 65536, 131072],
    "score": 100,
    "won": False,
}


def play_tower_round(host: HostPage, tower: Frame, lined_up: int = 0) -> int:
    """One round of Tower Stack, tapped as a person taps: `lined_up` drops over the tower first,
    then drops far out until one misses the tower. Returns the round's floors."""

    def tap() -> None:
        host.page.mouse.click(195, 300)  # the canvas, above the pills

    tap()  # start
    tower.wait_for_function("() => window.__game.overhang() !== null")
    for _ in range(lined_up):
        tower.wait_for_function("() => Math.abs(window.__game.overhang()) < 10")
        tap()
    while not tower.evaluate("() => window.__game.state().over"):
        tower.wait_for_function("() => window.__game.state().over || Math.abs(window.__game.overhang()) > 150")
        if not tower.evaluate("() => window.__game.state().over"):
            tap()
    return tower.evaluate("() => window.__game.state().score")


def ranking(tower: Frame):
    return tower.get_by_role("region", name="Tournament").locator("li")


def test_tower_stack_challenges_friends_to_a_tournament_and_a_friend_from_the_link_sees_both_scores_ranked(
    browser, live_server, host
):
    host.open("?prewarm=0")
    host.go_to_minis()
    host.launch_from_hub(TOWER)
    tower = host.app_frame(TOWER)
    tower.wait_for_function("() => window.__game !== undefined")
    banner = tower.get_by_role("region", name="Tournament")
    expect(banner).to_be_hidden()  # no tournament: no banner
    mine = play_tower_round(host, tower)
    # The player lets the game have their name (its "Sign in" pill: the host's consent sheet).
    tower.get_by_role("button", name="Sign in").click()
    host.sheet.get_by_role("button", name="Allow", exact=True).click()
    name = host.call_api("GET", "/api/me")["body"]["user"]["display_name"]
    expect(tower.get_by_text(f"Hi, {name}")).to_be_visible()

    # Game over: the challenge starts a week-long tournament with this round in it and shares its link.
    tower.get_by_role("button", name="Challenge friends").click()
    link = host.sheet.locator("#share-link")
    # Four requests come before the sheet (the tournament, the round's score, the ranking, the
    # share): on a busy machine more than the default 5 s (a clean-clone CI run's failure).
    expect(link).to_have_value(re.compile(rf"/play/{TOWER}\?share=[0-9a-f]{{24}}$"), timeout=30_000)
    url = link.input_value()
    host.page.keyboard.press("Escape")
    expect(banner.locator("#tournament-line")).to_have_text(
        re.compile(r"^Tournament · 1 player · ends in (7 d 0 h|6 d 23 h)$")
    )
    expect(ranking(tower)).to_have_text([re.compile(rf"^1\s*You\s*{mine}$")])
    expect(banner.locator("#tournament-members")).to_be_empty()  # no one else yet (the player is not listed)
    expect(tower.get_by_role("button", name="Invite friends")).to_be_visible()  # the same tournament now

    # A friend opens the link: in the tournament, the sharer's round ranked; then their own.
    friend, friend_context = new_host(browser, live_server)
    try:
        friend.page.goto(url)
        assert friend.wait_for_launch(TOWER)["source"] == "share"
        theirs_frame = friend.app_frame(TOWER)
        theirs_frame.wait_for_function("() => window.__game !== undefined")
        their_banner = theirs_frame.get_by_role("region", name="Tournament")
        expect(their_banner.locator("#tournament-line")).to_have_text(re.compile(r"^Tournament · 2 players · ends in "))
        expect(ranking(theirs_frame)).to_have_text([re.compile(rf"^1\s*{name}\s*{mine}$")])
        expect(their_banner.get_by_text(f"With {name}", exact=True)).to_be_visible()

        theirs = play_tower_round(friend, theirs_frame, lined_up=3)
        assert theirs > mine
        expect(ranking(theirs_frame)).to_have_text(
            [re.compile(rf"^1\s*You\s*{theirs}$"), re.compile(rf"^2\s*{name}\s*{mine}$")]
        )
        assert friend.errors == []
    finally:
        friend_context.close()


def tap_merge_button(host: HostPage, merge: Frame, name: str) -> None:
    """A tap in the middle of one of the buttons Merge 2048 draws on its canvas, once it is drawn."""
    merge.wait_for_function("(name) => window.__game.button(name) !== null", arg=name)
    button = merge.evaluate("(name) => window.__game.button(name)", name)
    host.tap_app(MERGE, button["x"] + button["w"] / 2, button["y"] + button["h"] / 2)


def test_merge_2048_copies_the_rounds_result_to_the_clipboard_from_the_players_tap(host, live_server):
    host.page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    host.open("?prewarm=0")
    # The person's cloud save: a board with one move left, which the game loads at launch.
    saved = host.call_api("PUT", f"/api/apps/{MERGE}/storage/board", {"value": ONE_MOVE_LEFT})
    assert saved["status"] in (200, 204), saved
    host.go_to_minis()
    host.launch_from_hub(MERGE)
    merge = host.app_frame(MERGE)
    merge.wait_for_function("() => window.__game && window.__game.state().score === 100")
    host.frame_element(MERGE).click()  # "Continue"
    host.page.keyboard.press("ArrowLeft")  # 8 + 8, and no move is left

    tap_merge_button(host, merge, "copy")
    merge.wait_for_function("() => window.__game.copied() !== null")
    assert merge.evaluate("() => window.__game.copied()") == "Copied"
    assert host.page.evaluate("() => navigator.clipboard.readText()") == (
        "I scored 116 in Merge 2048, best tile 131072."
    )
    assert host.errors == []


def test_merge_2048_opens_sky_runner_from_more_games_and_sky_runner_welcomes_the_player(host):
    host.open("?prewarm=0")
    host.go_to_minis()
    host.launch_from_hub(MERGE)
    merge = host.app_frame(MERGE)
    tap_merge_button(host, merge, "more")  # on the start screen, under "Play"

    expect(host.sheet.get_by_text("Merge 2048 wants to open Sky Runner")).to_be_visible()
    host.sheet.get_by_role("button", name="Open", exact=True).click()
    assert host.wait_for_launch(SKY)["source"] == "other_app"
    sky = host.app_frame(SKY)
    expect(sky.get_by_role("status").filter(has_text="Welcome from Merge 2048")).to_be_visible()
    assert sky.evaluate("() => minis.getLaunchOptions()") == {
        "scene": "other_app",
        "query": {"from": MERGE},
        "context": None,
        "referrer": MERGE,
    }
    assert host.errors == []


def test_sky_runners_wide_view_lays_the_game_out_landscape_and_is_kept_for_the_next_launch(browser, live_server):
    """On a desktop screen, where the host has room for a landscape stage beside the phone column."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, device_scale_factor=1)
    host = HostPage(context.new_page(), live_server)
    size = "() => { const c = document.getElementById('game'); return [c.clientWidth, c.clientHeight]; }"
    try:
        host.open("?prewarm=0")
        host.launch_from_hub(SKY)
        frame = host.frame_element(SKY)
        sky = host.app_frame(SKY)
        wide = sky.get_by_role("button", name="Wide view")
        expect(wide).to_have_attribute("aria-pressed", "false")
        width, height = sky.evaluate(size)
        assert height > width

        wide.click()
        expect(frame).to_have_class(re.compile(r"\bis-landscape\b"))
        expect(wide).to_have_attribute("aria-pressed", "true")
        # The canvas follows the frame: the 16:9 stage, not the phone column stretched.
        sky.wait_for_function(f"() => ({size})()[0] > 1000")
        stage = frame.bounding_box()
        assert stage is not None
        assert sky.evaluate(size) == [round(stage["width"]), round(stage["height"])]

        # Kept in the game's storage: the next launch opens wide again, and the pill turns it off.
        host.page.locator(".capsule-more").click()
        host.page.get_by_role("menuitem", name="Restart").click()
        host.wait_for_launch(SKY, count=2)
        expect(frame).to_have_count(1)
        expect(frame).to_have_class(re.compile(r"\bis-landscape\b"))
        sky = host.app_frame(SKY)
        wide = sky.get_by_role("button", name="Wide view")
        expect(wide).to_have_attribute("aria-pressed", "true")
        sky.wait_for_function(f"() => ({size})()[0] > 1000")
        wide.click()
        expect(frame).not_to_have_class(re.compile(r"\bis-landscape\b"))
        sky.wait_for_function(f"() => ({size})()[1] > ({size})()[0]")
        assert host.errors == []
    finally:
        context.close()


def test_tower_stacks_score_and_tournament_banner_move_inside_a_notched_phones_safe_area(host):
    """The device's insets come from the DevTools protocol (HostPage.set_safe_area_insets); the game
    reads them through getSystemInfo().safeArea at launch."""

    def start_round() -> tuple[Frame, dict, dict]:
        tower = host.app_frame(TOWER)
        tower.wait_for_function("() => window.__game !== undefined")
        host.page.mouse.click(195, 300)
        tower.wait_for_function("() => window.__game.state().started")
        safe = tower.evaluate("() => minis.getSystemInfo().then((info) => info.safeArea)")
        return tower, safe, tower.evaluate("() => window.__game.score()")

    host.open("?prewarm=0")
    host.go_to_minis()
    host.launch_from_hub(TOWER)
    tower, safe, score = start_round()
    assert safe["top"] > 0 and score["top"] >= safe["top"]  # below the host's close capsule

    # The same phone with a notch and a home bar: the game launched again reads them.
    host.set_safe_area_insets(top=47, bottom=34)
    host.page.locator(".capsule-more").click()
    host.page.get_by_role("menuitem", name="Restart").click()
    host.wait_for_launch(TOWER, count=2)
    tower, notched, moved = start_round()
    assert notched["top"] == safe["top"] + 47
    assert moved["top"] == pytest.approx(score["top"] + 47)
    banner = "() => { const s = getComputedStyle(document.getElementById('tournament')); return [s.bottom, s.left]; }"
    assert tower.evaluate(banner) == ["46px", "12px"]  # 12 px above the home bar
    assert host.errors == []
