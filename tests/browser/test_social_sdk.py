"""The social SDK in real Chromium: leaderboards with the host's own sheet, a share with a payload
that opens the app for someone else in the sharer's context, tournaments, and the capabilities the
host keeps control of (audio, gameplay, vibration, the clipboard, orientation, opening another app)."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import new_host

pytestmark = pytest.mark.browser

WITNESS = "witness-app"
OTHER = "tower-stack"
# Merge 2048's saved board (row by row) where only the two 8s can merge; after them no move is left.
ONE_MOVE_LEFT = {
    "v": 1,
    "cells": [8, 8, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 4, 32768, 65536, 131072],
    "score": 100,
    "won": False,
}


def code_of(frame, call: str):
    """What an SDK call settled with: its value, or its error's code."""
    return frame.evaluate(f"() => ({call}).then((value) => ({{ok: value}}), (error) => ({{code: error.code}}))")


def test_a_player_posts_scores_shares_a_link_and_a_friend_opens_it_in_the_same_context(browser, live_server, host):
    host.page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    host.open("?prewarm=0")
    name = host.call_api("GET", "/api/me")["body"]["user"]["display_name"]
    host.go_to_minis()
    host.launch_from_hub(WITNESS)
    game = host.app_frame(WITNESS)
    game.wait_for_function("() => window.__witness.ready")

    # What the SDK can do, and where this launch came from.
    assert game.evaluate(
        "() => ['leaderboard.submit', 'share', 'openApp', 'nope', 'storage', 'leaderboard.nope'].map(minis.canIUse)"
    ) == [True, True, True, False, False, False]
    assert game.evaluate("() => minis.getLaunchOptions()") == {
        "scene": "hub",
        "query": {},
        "context": None,
        "referrer": None,
    }

    # Scores: the best is kept; bad ones are refused before or by the host.
    assert code_of(game, "minis.leaderboard.submit('stars', 120)") == {"ok": {"best": 120, "improved": True, "rank": 1}}
    assert code_of(game, "minis.leaderboard.submit('stars', 90)")["ok"]["best"] == 120
    assert code_of(game, "minis.leaderboard.submit('stars', 1.5)") == {"code": "INVALID_ARGUMENT"}
    assert code_of(game, "minis.leaderboard.submit('stars', 100001)") == {"code": "INVALID_ARGUMENT"}
    assert code_of(game, "minis.leaderboard.submit('nope', 1)") == {"code": "NOT_FOUND"}
    assert code_of(game, "minis.leaderboard.submit('sprint', 61234)")["ok"]["best"] == 61234
    [mine] = game.evaluate("() => minis.leaderboard.getEntries('sprint').then((page) => page.entries)")
    assert (mine["formatted"], mine["name"], mine["isMe"]) == ("1:01.234", "Player", True)
    assert mine["avatarUrl"] == f"{live_server.url}/static/player-avatar.svg"

    # After the consent sheet's Allow, the board shows the person's own name.
    game.evaluate("() => { window.__profile = minis.getUserProfile(); }")
    host.sheet.get_by_role("button", name="Allow", exact=True).click()
    expect(host.sheet).to_be_hidden()
    top = game.evaluate("() => minis.leaderboard.getEntries('stars', {scope: 'around_me', limit: 5})")
    assert [(e["rank"], e["score"], e["name"]) for e in top["entries"]] == [(1, 120, name)]

    # The host draws the board itself, above the app.
    game.evaluate("() => { window.__shown = minis.leaderboard.show('stars').then(() => 'closed'); }")
    expect(host.sheet.locator(".board-row.is-me")).to_contain_text(name)
    expect(host.sheet.locator(".board-row.is-me")).to_contain_text("120")
    host.page.keyboard.press("Escape")
    assert game.evaluate("() => window.__shown") == "closed"

    # Audio: muted while the person mutes it, told to the app.
    game.evaluate("() => { window.__audio = []; minis.onAudioChange((s) => window.__audio.push(s.muted)); }")
    host.page.evaluate("() => window.__minisHost.muteApp(true)")
    game.wait_for_function("() => window.__audio.length === 1")
    host.page.evaluate("() => window.__minisHost.muteApp(false)")
    game.wait_for_function("() => window.__audio.length === 2")
    assert game.evaluate("() => [window.__audio, minis.isMuted()]") == [[True, False], False]

    # Gameplay is timed into an analytics event; vibration and orientation are the host's to do.
    reported: list[str] = []
    host.page.on("request", lambda r: reported.append(r.post_data or "") if r.url.endswith("/api/events") else None)
    game.evaluate("() => minis.gameplayStart().then(() => minis.gameplayStop())")
    assert code_of(game, "minis.vibrate([100, 50, 100])")["ok"] in ({"vibrated": True}, {"vibrated": False})
    assert code_of(game, "minis.vibrate(5000)") == {"code": "INVALID_ARGUMENT"}
    game.evaluate("() => minis.setOrientation('landscape')")
    expect(host.frame_element(WITNESS)).to_have_class(re.compile("is-landscape"))
    game.evaluate("() => minis.setOrientation('portrait')")

    # The clipboard from a gesture in the frame (without one, below: the friend's launch).
    game.evaluate(
        "() => document.addEventListener('click', () => {"
        " window.__copied = minis.setClipboardData('level 3 code').then(() => 'ok', (e) => e.code); }, {once: true})"
    )
    game.locator("canvas").click()
    assert game.evaluate("() => window.__copied") == "ok"
    assert host.page.evaluate("() => navigator.clipboard.readText()") == "level 3 code"

    # A share with a payload: the host's sheet with the link and its QR code; the sharer is now in a context.
    game.evaluate(
        "() => { window.__shared = minis.share({title: 'Beat my 120', query: {level: '3', copy: 'uninvited'}})"
        ".then(() => 'closed'); }"
    )
    link = host.sheet.locator("#share-link")
    expect(link).to_have_value(re.compile(r"/play/witness-app\?share=[0-9a-f]{24}$"))
    host.page.wait_for_function("() => document.querySelector('#sheet-layer img.share-qr')?.naturalWidth > 100")
    url = link.input_value()
    host.page.keyboard.press("Escape")
    assert game.evaluate("() => window.__shared") == "closed"
    context = game.evaluate("() => minis.getLaunchOptions().context")
    assert game.evaluate("() => minis.context.get()") == {"id": context, "type": "share", "membersCount": 1}

    # A friend opens the link: same app, scene "share", the payload, the sharer's context.
    friend, friend_context = new_host(browser, live_server)
    try:
        friend.page.goto(url)
        friend.wait_for_launch(WITNESS)
        other = friend.app_frame(WITNESS)
        other.wait_for_function("() => window.__witness.ready")
        options = other.evaluate("() => minis.getLaunchOptions()")
        assert (options["scene"], options["query"], options["context"]) == (
            "share",
            {"level": "3", "copy": "uninvited"},
            context,
        )
        # The witness copies query.copy at launch, with no tap: refused.
        other.wait_for_function("() => window.__witness.clipboard !== undefined")
        assert other.evaluate("() => window.__witness.clipboard") == "NOT_ALLOWED"
        assert options["referrer"].startswith("o_")
        assert other.evaluate("() => minis.context.get()")["membersCount"] == 2
        [member] = other.evaluate("() => minis.context.getMembers()")  # the friend did not consent: unnamed
        assert member["name"] == name and member["avatarUrl"].startswith(f"{live_server.url}/api/avatars/")
        other.evaluate("() => minis.leaderboard.submit('stars', 50)")
        ranking = other.evaluate("() => minis.leaderboard.getEntries('stars', {scope: 'context'})")["entries"]
        assert [(e["score"], e["name"], e["isMe"]) for e in ranking] == [(120, name, False), (50, "Player", True)]

        # A tournament: it becomes the friend's context, its scores rank on their own.
        made = other.evaluate("() => minis.tournament.create({board: 'stars', endsAt: new Date(Date.now() + 3600e3)})")
        assert other.evaluate("() => minis.getLaunchOptions().context") == made["id"]
        assert other.evaluate("() => minis.context.get()")["type"] == "tournament"
        other.evaluate("() => minis.leaderboard.submit('stars', 40)")
        standings = other.evaluate("() => minis.leaderboard.getEntries('stars', {scope: 'context'})")
        assert standings["period"] == f"t:{made['id']}" and [e["score"] for e in standings["entries"]] == [40]
        other.evaluate("() => { window.__tshare = minis.tournament.share().then(() => 'closed'); }")
        expect(friend.sheet.locator("#share-link")).to_have_value(re.compile(r"\?share=[0-9a-f]{24}$"))
        friend.page.keyboard.press("Escape")
        assert other.evaluate("() => window.__tshare") == "closed"

        # Opening another mini-program: the host asks first; it opens with scene other_app.
        other.evaluate("() => { window.__opened = minis.openApp('tower-stack', {query: {from: 'witness'}}); }")
        expect(friend.sheet.get_by_text("Witness wants to open Tower Stack")).to_be_visible()
        friend.sheet.get_by_role("button", name="Open", exact=True).click()
        launch = friend.wait_for_launch(OTHER)
        assert launch["source"] == "other_app"
        tower = friend.app_frame(OTHER)
        tower.wait_for_function("() => window.minis && minis.getLaunchOptions() !== null")
        assert tower.evaluate("() => minis.getLaunchOptions()") == {
            "scene": "other_app",
            "query": {"from": "witness"},
            "context": None,
            "referrer": WITNESS,
        }
        assert friend.errors == []
    finally:
        friend_context.close()

    # The demo game Merge 2048 keeps a weekly board of its own, declared in its minis.json.
    host.close_app()
    host.launch_from_hub("merge-2048")
    demo = host.app_frame("merge-2048")
    demo.wait_for_function("() => window.__game && minis.getLaunchOptions() !== null")
    # It honours the host's mute (the launcher menu's toggle): its synth is suspended, then back.
    assert demo.evaluate("() => window.Sound.muted") is False
    host.page.evaluate("() => window.__minisHost.muteApp(true)")
    demo.wait_for_function("() => window.Sound.muted === true")
    host.page.evaluate("() => window.__minisHost.muteApp(false)")
    demo.wait_for_function("() => window.Sound.muted === false")
    board = demo.evaluate("() => minis.leaderboard.getEntries('best', {limit: 3})")
    assert board["period"].startswith("20") and "-W" in board["period"]

    # Its game-over screen offers "Remind me": one message with the week's result (minis.json
    # `messages`), asked on that tap. A saved board with one move left; restarted, it loads it.
    demo.evaluate(f"() => minis.storage.set('board', {json.dumps(ONE_MOVE_LEFT)})")
    host.page.locator(".capsule-more").click()
    host.page.get_by_role("menuitem", name="Restart").click()
    host.wait_for_launch("merge-2048", count=2)
    expect(host.frame_element("merge-2048")).to_have_count(1)  # the old document is gone
    demo = host.app_frame("merge-2048")
    demo.wait_for_function("() => window.__game && window.__game.state().score === 100")
    host.frame_element("merge-2048").click()  # "Continue"
    host.page.keyboard.press("ArrowLeft")  # 8 + 8: no move is left after it
    demo.wait_for_function("() => window.__game.remindButton() !== null")
    button = demo.evaluate("() => window.__game.remindButton()")
    row = host.sheet.locator(".message-template")
    host.tap_app("merge-2048", button["x"] + button["w"] / 2, button["y"] + button["h"] / 2)
    try:
        expect(row.locator(".message-template-title")).to_have_text("Your week on the board", timeout=10_000)
    except AssertionError:
        # Once in a clean-clone run on a loaded machine the tap brought no sheet, the button still
        # there (the game asked nothing, or its tap was lost). A person taps again: so does the test,
        # once, after saying what the game showed.
        print("no sheet after the tap; the game:", demo.evaluate("() => window.__game.state()"))
        assert demo.evaluate("() => window.__game.remindButton()") is not None
        host.tap_app("merge-2048", button["x"] + button["w"] / 2, button["y"] + button["h"] / 2)
        expect(row.locator(".message-template-title")).to_have_text("Your week on the board")
    row.locator("input[type=checkbox]").check()
    host.sheet.get_by_role("button", name="Done").click()
    expect(host.sheet).to_be_hidden()
    demo.wait_for_function("() => window.__game.remindButton() === null")  # answered: the button goes
    granted = host.call_api("GET", "/api/apps/merge-2048/message-grants")["body"]["items"]
    assert [(grant["template_id"], grant["kind"]) for grant in granted] == [("weekly_result", "one-time")]

    # The host sends its analytics every few seconds: by now the play time has gone too.
    host.page.wait_for_function("() => window.__minisHost.eventsSent > 0")
    assert any('"type":"gameplay"' in body and '"duration_ms"' in body for body in reported), reported


def test_a_sheet_an_app_asked_for_never_opens_once_the_person_has_closed_the_app(host):
    """openApp asks the platform for the other app's card before its sheet: a person who closed the
    app meanwhile must not find "Open ...?" over the feed, nor open the other app from it (a probe:
    on a slow network it appeared, and its Open launched the app; the same for the leaderboard, the
    share and the messages sheets, each shown after a request)."""
    host.open("?prewarm=0")
    host.go_to_minis()
    host.launch_from_search("Witness", WITNESS)
    witness = host.app_frame(WITNESS)
    witness.wait_for_function("() => window.minis && minis.getLaunchOptions() !== null")
    held = []
    host.page.route(lambda url: url.endswith(f"/api/apps/{OTHER}/card"), lambda route: held.append(route))
    witness.evaluate(f"() => {{ window.__opened = minis.openApp('{OTHER}').then(() => 'opened', (e) => e.code); }}")
    for _ in range(200):
        if held:
            break
        host.page.wait_for_timeout(100)
    assert held, "openApp asked for no card"

    host.close_app()
    with host.page.expect_response(lambda response: response.url.endswith(f"/api/apps/{OTHER}/card")):
        held[0].continue_()
    assert witness.evaluate("() => window.__opened") == "NOT_ALLOWED"
    expect(host.sheet).to_be_hidden()
    assert [launch["appId"] for launch in host.host_state()["launches"]] == [WITNESS]
