"""Subscribe messages in real Chromium: a game asks after a tap, the host's sheet lists the
template's title as text, the person accepts, the game's backend sends, Me's badge counts it, and a
tap in Me → Messages opens the game with scene subscribe_message and the message's query. And
Me's switch that turns Web Push on in this browser."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tests.attacks.test_message_attacks import backend, keys

pytestmark = pytest.mark.browser

WITNESS = "witness-app"
TITLE = "<img src=x onerror=alert(1)> Turn"  # witness's minis.json: a title that is markup


def sent_by_backend(host, live_server) -> httpx.Response:
    """Witness's backend learns the host page's person by openid (a login code) and sends them a
    "turn" message with the query level=7; the person must have allowed "turn"."""
    code = host.call_api("POST", f"/api/apps/{WITNESS}/login-code")["body"]["code"]
    headers = backend(live_server, None, WITNESS)
    openid = httpx.post(
        f"{live_server.url}/openapi/v1/auth/code2session", json={"code": code}, headers=headers, timeout=30
    ).json()["openid"]
    body = {"openid": openid, "template_id": "turn", "fields": {"who": "Ada"}, "query": {"level": "7"}}
    sent = httpx.post(f"{live_server.url}/openapi/v1/messages", json=body, headers=headers, timeout=30)
    assert sent.status_code == 200, sent.text
    return sent


def test_a_game_asks_the_backend_sends_and_a_tap_in_me_opens_the_game_with_the_message(live_server, host):
    host.open("?prewarm=0")
    host.go_to_minis()
    host.launch_from_hub(WITNESS)
    game = host.app_frame(WITNESS)
    game.wait_for_function("() => window.__witness.ready")
    assert game.evaluate("() => minis.canIUse('requestSubscribeMessage')") is True

    # Asked from a tap in the game (without one the host refuses: tests/js/messages.test.mjs).
    asked = "minis.requestSubscribeMessage(['turn']).then((v) => ({ok: v}), (e) => ({code: e.code}))"
    game.evaluate(f"() => document.addEventListener('click', () => {{ window.__asked = {asked}; }}, {{once: true}})")
    game.locator("canvas").click()
    row = host.sheet.locator(".message-template")
    expect(row.locator(".message-template-title")).to_have_text(TITLE)  # the characters, not an image
    assert host.sheet.locator("img[src='x']").count() == 0
    row.locator("input[type=checkbox]").check()
    host.sheet.get_by_role("button", name="Done").click()
    expect(host.sheet).to_be_hidden()
    assert game.evaluate("() => window.__asked") == {"ok": {"turn": "accept"}}

    # The app menu's About lists what the person allowed this app.
    host.page.locator(".capsule-more").click()
    host.page.get_by_role("menuitem", name="About").click()
    expect(host.sheet.locator(".app-messages")).to_contain_text(TITLE)
    host.page.keyboard.press("Escape")
    expect(host.sheet).to_be_hidden()

    # The game's backend knows the person by openid, and sends.
    sent = sent_by_backend(host, live_server)

    host.close_app()
    badge = host.page.locator('.bottom-nav a[data-route="me"] [data-unread-badge]')
    expect(badge).to_have_text("1")
    host.go_to_me()
    item = host.page.locator(".message-item.is-unread")
    expect(item).to_contain_text(TITLE)
    expect(item).to_contain_text("Ada")
    item.click()

    host.wait_for_launch(WITNESS, count=2)
    opened = host.app_frame(WITNESS)
    opened.wait_for_function("() => window.__witness.ready")
    options = opened.evaluate("() => minis.getLaunchOptions()")
    assert (options["scene"], options["query"]) == ("subscribe_message", {"level": "7"})
    host.close_app()
    expect(badge).to_be_hidden()
    assert host.page.evaluate("() => window.__pwned") is None

    # A push's tap opens the host at the message's link (push-sw.js): the same launch.
    host.page.goto(f"{live_server.url}/play/{WITNESS}?message={sent.json()['id']}")
    host.wait_for_launch(WITNESS)
    pushed = host.app_frame(WITNESS)
    pushed.wait_for_function("() => window.__witness.ready")
    options = pushed.evaluate("() => minis.getLaunchOptions()")
    assert (options["scene"], options["query"]) == ("subscribe_message", {"level": "7"})


def test_me_turns_notifications_on_in_this_browser(live_server, host):
    # Headless Chromium reaches no push service here: its PushManager answers with a subscription
    # as a push service would make it (an https endpoint and the browser's keys).
    fake = {"endpoint": "https://push.example.com/sub/browser-test", "keys": keys()}
    host.page.context.grant_permissions(["notifications"], origin=live_server.url)
    host.page.add_init_script(
        f"""PushManager.prototype.subscribe = async function (options) {{
              window.__pushKey = options.applicationServerKey.byteLength;
              const made = {fake!r};
              return {{ endpoint: made.endpoint, toJSON: () => made, unsubscribe: async () => true }};
            }};"""
    )
    host.open("?prewarm=0")
    host.go_to_me()
    toggle = host.page.locator("[data-push-toggle]")
    expect(toggle).to_have_text("Turn on notifications")
    toggle.click()
    expect(toggle).to_have_text("Turn off notifications")
    assert host.page.evaluate("() => window.__pushKey") == 65  # the platform's VAPID key, raw
    assert host.page.evaluate(
        "() => navigator.serviceWorker.getRegistration('/').then((r) => r.active?.scriptURL)"
    ) == (f"{live_server.url}/push-sw.js")
    assert host.call_api("GET", "/api/messages/unread")["body"]["push"] == 1


RAW_ASK = """() => new Promise((resolve) => {
    const id = 900002;
    addEventListener("message", function answered(event) {
        if (event.data?.__minis !== 1 || event.data.type !== "response" || event.data.id !== id) return;
        removeEventListener("message", answered);
        resolve(event.data.ok ? "sheet answered" : event.data.error.code);
    });
    // Past the SDK, with its "a gesture in the app" flag set by hand.
    const params = { templateIds: ["turn"], activated: true };
    parent.postMessage({ __minis: 1, type: "request", id, method: "requestSubscribeMessage", params }, "*");
})"""


def test_a_game_cannot_ask_again_on_the_persons_not_now_nor_have_its_tap_turn_a_switch_on(live_server, host):
    """Two probes of the message sheet. Pressing "Not now" activates the host page, as a tap in the
    game does: an app that asked again at once, its gesture flag forged, reopened the sheet each time
    with no tap in the game. And a switch worked at once when the sheet appeared: the person's next
    tap, meant for a game target placed where the switch appears, accepted the messages."""
    host.open("?prewarm=0")
    host.go_to_minis()
    host.launch_from_hub(WITNESS)
    game = host.app_frame(WITNESS)
    game.wait_for_function("() => window.__witness.ready")
    asked = "minis.requestSubscribeMessage(['turn']).then((v) => ({ok: v}), (e) => ({code: e.code}))"
    game.evaluate(f"() => document.addEventListener('click', () => {{ window.__asked = {asked}; }}, {{once: true}})")
    host.time_presses()
    game.locator("canvas").click()
    switch = host.sheet.locator(".message-template input[type=checkbox]")
    expect(switch).to_be_visible()
    # A second tap right where the switch appeared, as the game's next target would take it.
    box = switch.bounding_box()
    assert box is not None
    host.page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    shown, presses = host.presses_after_sheet()
    if presses[-1] - shown < 500:
        expect(switch).not_to_be_checked()
    else:
        # A loaded machine took more than the switch's half second to send the tap (a full run at a
        # load average of 22): the switch had woken, as it should, and the tap turned it on. Off
        # again, by the person, for what follows.
        expect(switch).to_be_checked()
        host.page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        expect(switch).not_to_be_checked()
    host.sheet.get_by_role("button", name="Not now").click()
    expect(host.sheet).to_be_hidden()
    game.wait_for_function("() => window.__asked !== undefined")
    assert game.evaluate("() => window.__asked") == {"ok": {"turn": "reject"}}

    # The app asks again at once, claiming a gesture it did not have: refused, and no sheet.
    assert game.evaluate(RAW_ASK) == "NOT_ALLOWED"
    expect(host.sheet).to_be_hidden()
