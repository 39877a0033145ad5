"""Coupons on the host's pay sheet (issue 18, item 5): the person's coupons for the product are
offered, the best chosen, the price shown before and after; what they confirm is what they pay."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.ad_studio import ADMIN_TOKEN

pytestmark = pytest.mark.browser

PROBE = "pay-probe"  # sells a gem for 10 coins


def platform_coupon(live_server, **fields) -> dict:
    body = {
        "title": "Gift",
        "app_id": PROBE,
        "code": "T" + secrets.token_hex(6).upper(),
        "ends_at": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
        "reason": "browser test",
        **fields,
    }
    answer = httpx.post(
        f"{live_server.url}/api/admin/money/coupons",
        json=body,
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_the_pay_sheet_offers_the_persons_coupons_and_charges_the_price_after_the_one_they_chose(host, live_server):
    three_off = platform_coupon(live_server, title="Three off", amount_off=3)
    half_off = platform_coupon(live_server, title="Half off", percent_off_bps=5000)
    host.open("?prewarm=0")
    assert host.top_up("coins-100") == 100
    for coupon in (three_off, half_off):
        assert host.call_api("POST", "/api/coupons/claim", {"code": coupon["code"].lower()})["status"] == 200
    host.go_to_minis()
    host.launch_from_search("Pay Probe", PROBE)
    probe = host.app_frame(PROBE)
    probe.wait_for_function("() => window.__probe.ready")

    # The app sees the person's coupons for itself, with what each takes off a gem; it cannot apply one.
    offered = probe.evaluate("() => minis.getCoupons({ productId: 'gem' })")
    assert [(c["title"], c["price"], c["discount"], c["pay"], c["usesLeft"]) for c in offered] == [
        ("Half off", 10, 5, 5, 1),
        ("Three off", 10, 3, 7, 1),
    ]
    assert probe.evaluate("() => minis.getCoupons({ productId: 5 }).then(() => 'ok', (e) => e.code)") == (
        "INVALID_ARGUMENT"
    )

    probe.evaluate("() => window.__probe.pay()")
    sheet = host.sheet
    expect(sheet.locator(".pay-item")).to_have_text(re.compile(r"Gem × 1\s*10"))
    # The best coupon is chosen: the price before, the discount, and what the person pays.
    expect(sheet.get_by_role("radio", name="Half off: 5 off")).to_be_checked()
    expect(sheet.locator(".pay-discount")).to_have_text(re.compile("Half off\\s*\u22125"))
    expect(sheet.locator(".pay-total")).to_have_text(re.compile(r"You pay\s*5"))
    expect(sheet.get_by_role("button", name="Pay 5 coins")).to_be_visible()
    # No coupon: the list price.
    sheet.get_by_role("radio", name="No coupon").check()
    expect(sheet.locator(".pay-discount")).to_have_count(0)
    expect(sheet.get_by_role("button", name="Pay 10 coins")).to_be_visible()
    # The person chooses the other coupon and pays what the sheet shows.
    sheet.get_by_role("radio", name="Three off: 3 off").check()
    expect(sheet.locator(".pay-total")).to_have_text(re.compile(r"You pay\s*7"))
    sheet.get_by_role("button", name="Pay 7 coins").click()

    expect(sheet).to_be_hidden()
    probe.wait_for_function("() => window.__probe.outcome !== null")
    outcome = probe.evaluate("() => window.__probe.outcome")
    assert outcome["ok"] is True, outcome
    assert {key: outcome["result"][key] for key in ("productId", "amount", "couponId", "discount")} == {
        "productId": "gem",
        "amount": 7,
        "couponId": three_off["id"],
        "discount": 3,
    }
    assert host.balance() == 93
    # Used once (each person may use each once): only the other is left.
    assert [c["id"] for c in probe.evaluate("() => minis.getCoupons()")] == [half_off["id"]]
    history = host.call_api("GET", "/api/wallet/history")["body"]["items"]
    assert (history[0]["amount"], history[0]["discount"], history[0]["coupon_id"]) == (-7, 3, three_off["id"])


def test_sky_runner_shows_the_golden_birds_price_with_the_persons_coupon_and_the_sheet_charges_it(host, live_server):
    """The demo game Sky Runner reads getCoupons for its golden bird: the button shows the price
    with the coupon, and the pay sheet offers the coupon the game only showed."""
    half_off = platform_coupon(
        live_server, app_id="sky-runner", title="Sky half off", percent_off_bps=5000, product_ids=["golden-bird"]
    )
    host.open("?prewarm=0")
    assert host.top_up("coins-550") == 550
    assert host.call_api("POST", "/api/coupons/claim", {"code": half_off["code"]})["status"] == 200
    host.go_to_minis()
    host.launch_from_hub("sky-runner")
    game = host.app_frame("sky-runner")
    game.get_by_role("button", name="Golden bird — 150 coins with your coupon").click()

    sheet = host.sheet
    expect(sheet.locator(".pay-item")).to_have_text(re.compile(r"Golden bird × 1\s*300"))
    expect(sheet.get_by_role("radio", name="Sky half off: 150 off")).to_be_checked()
    sheet.get_by_role("button", name="Pay 150 coins").click()
    expect(sheet).to_be_hidden()
    game.wait_for_function("() => window.__game.state().skin === 'golden'")
    expect(game.get_by_role("button", name="Golden bird ✓")).to_be_disabled()
    assert host.balance() == 400
