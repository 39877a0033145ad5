"""The demo games use the social SDK as a player meets it (issue 18, item 8), in real Chromium:
Tower Stack's tournament with friends, Merge 2048's "Copy result" and "More games" (which opens Sky
Runner, and Sky Runner greets the player), and Sky Runner's wide view."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Frame, expect

from tests.browser.conftest import new_host
from tests.browser.host_page import HostPage

pytestmark = pytest.mark.browser

TOWER = "tower-stack"


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

    # Game over: the challenge starts a week-long tournament with this round in it and shares its link.
    tower.get_by_role("button", name="Challenge friends").click()
    link = host.sheet.locator("#share-link")
    expect(link).to_have_value(re.compile(rf"/play/{TOWER}\?share=[0-9a-f]{{24}}$"))
    url = link.input_value()
    host.page.keyboard.press("Escape")
    expect(banner.locator("p")).to_have_text(re.compile(r"^Tournament · 1 player · ends in (7 d 0 h|6 d 23 h)$"))
    expect(ranking(tower)).to_have_text([re.compile(rf"^1\s*You\s*{mine}$")])
    expect(tower.get_by_role("button", name="Invite friends")).to_be_visible()  # the same tournament now

    # A friend opens the link: in the tournament, the sharer's round ranked; then their own.
    friend, friend_context = new_host(browser, live_server)
    try:
        friend.page.goto(url)
        assert friend.wait_for_launch(TOWER)["source"] == "share"
        theirs_frame = friend.app_frame(TOWER)
        theirs_frame.wait_for_function("() => window.__game !== undefined")
        their_banner = theirs_frame.get_by_role("region", name="Tournament")
        expect(their_banner.locator("p")).to_have_text(re.compile(r"^Tournament · 2 players · ends in "))
        expect(ranking(theirs_frame)).to_have_text([re.compile(rf"^1\s*Player\s*{mine}$")])  # not consented: unnamed

        theirs = play_tower_round(friend, theirs_frame, lined_up=3)
        assert theirs > mine
        expect(ranking(theirs_frame)).to_have_text(
            [re.compile(rf"^1\s*You\s*{theirs}$"), re.compile(rf"^2\s*Player\s*{mine}$")]
        )
        assert friend.errors == []
    finally:
        friend_context.close()
