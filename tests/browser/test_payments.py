"""Paying with coins: the host's pay sheet, a top-up on the way, and an app that cannot pay alone."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from openminis.client import MinisClient
from tests.browser.conftest import new_host
from tests.browser.host_page import Developer, package_zip

pytestmark = pytest.mark.browser

SKY_RUNNER = "sky-runner"
PROBE = "pay-probe"
PROBE_PACKAGE = Path(__file__).resolve().parents[1] / "fixtures" / "packages" / "pay-probe"


def ship_probe(browser, live_server, email: str, app_id: str, name: str) -> str:
    """A studio (signed in as ``email``) registers ``app_id`` and uploads the probe as it; the app's secret."""
    studio_host, studio_context = new_host(browser, live_server)
    try:
        studio = Developer(studio_host, email)
        secret = studio.register_app(app_id, name)
        studio.upload(app_id, package_zip(PROBE_PACKAGE, manifest={"id": app_id, "name": name}))
    finally:
        studio_context.close()
    return secret


def test_a_player_short_of_coins_tops_up_on_the_pay_sheet_buys_the_golden_bird_and_keeps_it_after_a_reload(host):
    host.open("?prewarm=0")
    assert host.balance() == 0
    host.go_to_minis()
    host.launch_from_hub(SKY_RUNNER)
    game = host.app_frame(SKY_RUNNER)
    assert game.evaluate("() => window.__game.state().skin") == "default"
    game.get_by_role("button", name="Golden bird — 300 coins").click()

    # The host's sheet, not the game: the price, the balance and that it falls short.
    sheet = host.sheet
    expect(sheet.get_by_role("heading", name="Confirm purchase")).to_be_visible()
    expect(sheet.locator(".pay-item")).to_have_text(re.compile(r"Golden bird × 1\s*300"))
    expect(sheet.locator(".pay-balance")).to_have_text(re.compile(r"Your balance\s*0"))
    expect(sheet.get_by_text("Not enough coins: you need 300 coins more.")).to_be_visible()
    expect(sheet.get_by_role("button", name="Pay 300 coins")).to_be_disabled()

    sheet.get_by_role("button", name="Top up").click()
    # The pack's coins are 550 in all, 50 of them a bonus (a probe read "550 +50 bonus" as 600).
    pack = sheet.get_by_role("button", name=re.compile(r"^550 coins, 50 of them a bonus, for \$4\.99$"))
    expect(pack).to_have_text(re.compile(r"550\s*incl\. 50 bonus\s*\$4\.99"))
    pack.click()
    expect(sheet.get_by_text("Sandbox checkout — no real money")).to_be_visible()
    sheet.get_by_role("button", name="4242 4242 4242 4242").click()
    expect(sheet.get_by_role("textbox", name="Card number")).to_have_value("4242 4242 4242 4242")
    sheet.get_by_role("button", name="Pay $4.99").click()

    # Back on the same pay sheet, with the coins that just arrived.
    expect(sheet.get_by_role("heading", name="Confirm purchase")).to_be_visible()
    expect(sheet.locator(".pay-balance")).to_have_text(re.compile(r"Your balance\s*550"))
    expect(sheet.get_by_text("550 coins added to your balance.")).to_be_visible()
    sheet.get_by_role("button", name="Pay 300 coins").click()

    expect(sheet).to_be_hidden()
    game.wait_for_function("() => window.__game.state().skin === 'golden'")
    expect(host.page.locator("#minis-view [data-coin-balance]")).to_have_text("250")
    assert host.balance() == 250

    # Nothing of it lives in the page: after a reload the game asks getPurchases() and restores it.
    host.close_app()
    host.page.reload()
    host.launch_from_hub(SKY_RUNNER)
    game = host.app_frame(SKY_RUNNER)
    game.wait_for_function("() => window.__game.state().skin === 'golden'")
    expect(game.get_by_role("button", name="Golden bird ✓")).to_be_disabled()
    assert host.balance() == 250


def open_the_probe_with_100_coins(host) -> list[str]:
    """A guest with 100 coins opens the pay probe; the purchases its page sends, as they are sent."""
    host.open("?prewarm=0")
    assert host.top_up("coins-100") == 100
    charges: list[str] = []
    host.page.on(
        "request",
        lambda request: (
            charges.append(request.url) if request.method == "POST" and "/purchases" in request.url else None
        ),
    )
    host.go_to_minis()
    host.launch_from_search("Pay Probe", PROBE)
    return charges


def test_an_app_cannot_answer_its_own_pay_sheet_and_closing_the_sheet_cancels(host):
    charges = open_the_probe_with_100_coins(host)  # enough to pay: only the person's tap is missing
    frame_element = host.frame_element(PROBE)
    probe = host.app_frame(PROBE)
    probe.wait_for_function("() => window.__probe.ready")
    # Titles come in the host's language (en-US here: "Gem", not "Gemme").
    assert probe.evaluate("() => minis.getProducts()") == [
        {"id": "gem", "type": "consumable", "price": 10, "title": "Gem"}
    ]

    probe.evaluate("() => window.__probe.pay()")
    sheet = host.sheet
    expect(sheet.locator(".pay-item")).to_have_text(re.compile(r"Gem × 1\s*10"))
    assert host.page.evaluate("(frame) => frame.closest('[inert]') !== null", frame_element.element_handle())

    # The app takes focus: the host takes it straight back into the sheet.
    probe.evaluate("() => window.__probe.grabFocus()")
    host.page.wait_for_function("() => document.querySelector('#sheet-layer .sheet').contains(document.activeElement)")
    # The person taps where the app's button is, and presses keys: none of it reaches the app.
    host.page.mouse.click(195, 120)
    host.page.keyboard.press("Enter")
    host.page.keyboard.press("Space")
    assert probe.evaluate("() => [window.__probe.clicks, window.__probe.keys]") == [0, 0]
    # One sheet at a time.
    assert probe.evaluate("() => minis.pay({ productId: 'gem' }).then(() => 'paid', (e) => e.code)") == "NOT_ALLOWED"
    assert probe.evaluate("() => minis.getUserProfile().then(() => 'shared', (e) => e.code)") == "NOT_ALLOWED"
    expect(sheet).to_be_visible()
    assert probe.evaluate("() => window.__probe.outcome") is None
    assert charges == [] and host.balance() == 100

    host.page.keyboard.press("Escape")
    expect(sheet).to_be_hidden()
    probe.wait_for_function("() => window.__probe.outcome !== null")
    assert probe.evaluate("() => window.__probe.outcome") == {"ok": False, "code": "USER_CANCELLED"}
    assert host.page.evaluate("(frame) => frame.closest('[inert]') === null", frame_element.element_handle())
    assert charges == [] and host.balance() == 100

    # The person's own tap on Pay is what charges: once.
    probe.evaluate("() => window.__probe.pay()")
    sheet.get_by_role("button", name="Pay 10 coins").click()
    probe.wait_for_function("() => window.__probe.outcome !== null")
    outcome = probe.evaluate("() => window.__probe.outcome")
    assert outcome["ok"] is True
    assert {key: outcome["result"][key] for key in ("productId", "quantity", "status")} == {
        "productId": "gem",
        "quantity": 1,
        "status": "paid",
    }
    assert len(charges) == 1 and host.balance() == 90


def test_a_declined_card_is_explained_and_another_card_tops_up_from_the_me_screen(host):
    host.open("?prewarm=0")
    host.go_to_me()
    host.page.locator("#me-view").get_by_role("button", name="Top up").click()
    sheet = host.sheet
    sheet.get_by_role("button", name=re.compile(r"^100 coins for \$0\.99$")).click()
    sheet.get_by_role("button", name="4000 0000 0000 0002").click()
    sheet.get_by_role("button", name="Pay $0.99").click()
    expect(sheet.get_by_role("alert")).to_have_text("Your card was declined. Try another card.")
    assert host.balance() == 0

    sheet.get_by_role("button", name="4000 0000 0000 3220").click()
    sheet.get_by_role("button", name="Pay $0.99").click()
    expect(sheet.get_by_text("Sandbox checkout — no real money")).to_be_visible()
    sheet.get_by_role("button", name="Approve").click()
    expect(sheet.get_by_text("100 coins added")).to_be_visible()
    sheet.get_by_role("button", name="Done").click()
    expect(sheet).to_be_hidden()
    expect(host.page.locator("[data-me-balance]")).to_have_text("100")
    assert host.balance() == 100


def test_an_order_made_by_the_games_backend_is_shown_and_paid_on_the_host_sheet(browser, live_server, host):
    # A studio ships the probe as `order-demo`, with a backend holding its secret.
    secret = ship_probe(browser, live_server, "orders@example.com", "order-demo", "Order Demo")

    host.open("?prewarm=0")
    assert host.top_up("coins-100") == 100
    host.go_to_minis()
    host.launch_from_search("Order Demo", "order-demo")
    game = host.app_frame("order-demo")
    game.wait_for_function("() => window.__probe.ready")

    # The backend learns who plays from the login code, and makes them an order of two gems.
    code = game.evaluate("() => minis.login().then((login) => login.code)")
    with MinisClient("order-demo", secret, base_url=live_server.url) as backend:
        openid = backend.code2session(code)["openid"]
        token = backend.access_token()
    made = httpx.post(
        f"{live_server.url}/openapi/v1/orders",
        json={"openid": openid, "product_id": "gem", "quantity": 2, "payload": "chest-7", "idempotency_key": "chest-7"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert made.status_code == 201, made.text
    order_id = made.json()["id"]

    game.evaluate(
        "(orderId) => { minis.pay({ orderId })"
        ".then((r) => { window.__paid = r; }, (e) => { window.__paid = e.code; }); }",
        order_id,
    )
    expect(host.sheet.locator(".pay-item")).to_have_text(re.compile(r"Gem × 2\s*20"))
    host.sheet.get_by_role("button", name="Pay 20 coins").click()
    game.wait_for_function("() => window.__paid !== undefined")
    assert game.evaluate("() => window.__paid") == {
        "orderId": order_id,
        "productId": "gem",
        "quantity": 2,
        "status": "paid",
    }
    assert host.balance() == 80
    # Paid once: the same order cannot be paid again.
    assert game.evaluate("(orderId) => minis.pay({ orderId }).catch((e) => e.code)", order_id) == "INVALID_ARGUMENT"


def test_a_price_changed_while_the_pay_sheet_is_open_is_shown_and_charges_nothing_until_confirmed_again(
    browser, live_server, host
):
    """Issue 12, item 1: the sheet said "Pay 1 coins", the developer changed the price to 90, the
    tap charged 90. Now the tap carries the price shown; the platform refuses the other one, and the
    sheet shows the new price for a new confirmation."""
    secret = ship_probe(browser, live_server, "prices@example.com", "price-demo", "Price Demo")
    with MinisClient("price-demo", secret, base_url=live_server.url) as backend:
        token = backend.access_token()

    host.open("?prewarm=0")
    assert host.top_up("coins-100") == 100
    host.go_to_minis()
    host.launch_from_search("Price Demo", "price-demo")
    game = host.app_frame("price-demo")
    game.wait_for_function("() => window.__probe.ready")
    charges: list[dict] = []
    host.page.on(
        "request",
        lambda request: (
            charges.append(request.post_data_json) if request.method == "POST" and "/purchases" in request.url else None
        ),
    )

    game.evaluate(
        "() => { minis.pay({ productId: 'gem' })"
        ".then((r) => { window.__paid = r; }, (e) => { window.__paid = e.code; }); }"
    )
    sheet = host.sheet
    expect(sheet.get_by_role("button", name="Pay 10 coins")).to_be_enabled()
    # The developer raises the price while the sheet is open.
    repriced = httpx.put(
        f"{live_server.url}/openapi/v1/products/gem",
        json={"type": "consumable", "price": 90, "title": {"en": "Gem"}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert repriced.status_code == 200, repriced.text

    sheet.get_by_role("button", name="Pay 10 coins").click()
    expect(sheet.get_by_text("The price changed from 10 coins to 90 coins. Nothing was charged")).to_be_visible()
    expect(sheet.locator(".pay-item")).to_have_text(re.compile(r"Gem × 1\s*90"))
    expect(sheet.get_by_role("button", name="Pay 90 coins")).to_be_visible()
    assert host.balance() == 100  # nothing charged
    assert game.evaluate("() => window.__paid") is None  # the app has no answer yet: the person decides
    assert [(charge["amount"], charge["currency"]) for charge in charges] == [(10, "COIN")]

    sheet.get_by_role("button", name="Pay 90 coins").click()
    game.wait_for_function("() => window.__paid !== undefined")
    assert game.evaluate("() => window.__paid.status") == "paid"
    assert host.balance() == 10
    assert [charge["amount"] for charge in charges] == [10, 90]
    # One key for the one pay() call: the refused try made no order, the confirmed one made one.
    assert len({charge["idempotency_key"] for charge in charges}) == 1


def test_a_stream_of_taps_meant_for_the_game_never_presses_pay(host):
    """A person tapping fast in a game when it opens the pay sheet: the taps go on landing where Pay
    appears. Pay wakes up only once the taps have stopped for a moment (a probe: a fixed half second
    after the sheet appeared, the fourth of a tap every 150 ms paid)."""
    charges = open_the_probe_with_100_coins(host)
    probe = host.app_frame(PROBE)
    probe.wait_for_function("() => window.__probe.ready")

    host.time_presses()
    probe.evaluate("() => window.__probe.pay()")
    pay = host.sheet.get_by_role("button", name="Pay 10 coins")
    expect(pay).to_be_visible()
    box = pay.bounding_box()
    assert box is not None
    for _ in range(20):  # two seconds and more of taps, each well within the half second
        host.page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        host.page.wait_for_timeout(100)
    if charges:
        # A loaded machine stalled between two taps for longer than Pay's half second (a clean-clone
        # run): Pay woke in that pause, as it should, and the tap after it paid. What must hold is
        # that it never woke within half a second of a press or of its appearing.
        shown, presses = host.presses_after_sheet()
        pauses = [later - earlier for earlier, later in zip([shown, *presses], presses, strict=False)]
        assert max(pauses) >= 500, pauses
        return
    assert probe.evaluate("() => window.__probe.outcome") is None
    expect(host.sheet).to_be_visible()

    # Once the taps stop, Pay wakes up, and the person's tap on it is what pays.
    expect(pay).to_be_enabled()
    pay.click()
    probe.wait_for_function("() => window.__probe.outcome !== null")
    assert probe.evaluate("() => window.__probe.outcome.ok") is True
    assert len(charges) == 1 and host.balance() == 90


def test_an_app_name_or_a_link_with_markup_in_it_still_opens_the_host(browser, live_server, host):
    """The host page carries its config as JSON in a script element: text in it such as
    "<!--<script>" (an app's name, a path) once turned the rest of the page into script text, and
    the host was blank (a probe: /play/<that app>, /c/%3C%21--%3Cscript%3E, ...)."""
    name = "<!--<script>Sneaky"
    ship_probe(browser, live_server, "markup@example.com", "markup-name", name)
    for path in (
        "/play/markup-name",
        "/c/%3C%21--%3Cscript%3E",
        "/p/%3C%21--%3Cscript%3E",
        "/watch/%3C%21--%3Cscript%3E/1",
        "/preview/x/1.0.0?check=%3C%21--%3Cscript%3E",
    ):
        host.page.goto(live_server.url + path)
        host.page.wait_for_function("() => window.__minisHost !== undefined")
        assert host.page.evaluate("() => document.body.childElementCount") > 1, path
    host.page.goto(live_server.url + "/play/markup-name")
    expect(host.page.get_by_text(name).first).to_be_attached()  # the name, shown as the text it is
