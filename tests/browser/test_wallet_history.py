"""Me's coin history in a real browser: a top-up waiting for the bank's approval stays listed
across a reload until it settles, then shows as coins in; a purchase in a game shows with the
game's name; and a signed-in person who is no creator visits Me without one failed request."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.host_page import HostPage

pytestmark = pytest.mark.browser

SKY_RUNNER = "sky-runner"
APPROVAL_CARD = "4000 0000 0000 3220"  # the sandbox asks the person's bank to approve it


def sign_up(host: HostPage, email: str) -> None:
    host.page.goto(f"{host.server.url}/?prewarm=0")
    assert (
        host.call_api("POST", "/api/account/register", {"email": email, "password": "wallet-password-1"})["status"]
        == 200
    )
    code = host.server.mailed(email, r"verification code is (\d{6})")
    assert host.call_api("POST", "/api/account/verify", {"code": code})["status"] == 200
    host.page.reload()  # the page's CSRF token belongs to the new session


def test_me_shows_a_settling_top_up_across_a_reload_then_every_movement_with_its_app(host):
    failures: list[str] = []
    host.page.on("response", lambda r: failures.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    host.page.on("console", lambda m: failures.append(m.text) if m.type == "error" else None)
    sign_up(host, "coin-history@example.com")
    host.go_to_me()
    history = host.page.get_by_role("region", name="Coin history")
    expect(history).to_contain_text("No coin movements yet.")

    host.page.locator("#me-view").get_by_role("button", name="Top up").click()
    sheet = host.sheet
    sheet.get_by_role("button", name=re.compile(r"^100 coins for \$0\.99$")).click()
    sheet.get_by_role("button", name=APPROVAL_CARD).click()
    sheet.get_by_role("button", name="Pay $0.99").click()
    expect(sheet.get_by_role("heading", name="Approve payment")).to_be_visible()
    host.page.keyboard.press("Escape")  # the person leaves before their bank answers

    waiting = history.locator("[data-pending-topups] li")
    expect(waiting).to_have_text(re.compile(r"Waiting for your approval · 100 coins"))
    host.page.reload()
    host.go_to_me()
    expect(waiting).to_have_text(re.compile(r"Waiting for your approval · 100 coins"))

    # The bank approves, elsewhere: Me sees it settle without a reload.
    topup_id = waiting.get_attribute("data-topup-id")
    approved = host.call_api("POST", f"/api/wallet/topups/{topup_id}/sandbox/challenge", {"approve": True})
    assert approved["body"]["status"] == "succeeded", approved
    # Me asks again every 3 s while one settles; the wait allows for a loaded machine (the full suite
    # on two cores once took longer than 15 s here), it measures nothing.
    expect(waiting).to_have_count(0, timeout=30_000)
    movements = history.locator("[data-wallet-history] li")
    expect(movements).to_have_count(1)
    expect(movements.first).to_have_attribute("data-movement-kind", "topup")
    expect(movements.first.locator(".history-amount")).to_have_attribute("aria-label", "plus 100 coins")
    expect(host.page.locator("[data-me-balance]")).to_have_text("100")

    # Coins from another tab, then a purchase in a game.
    host.top_up("coins-550")
    host.go_to_minis()
    host.launch_from_hub(SKY_RUNNER)
    game = host.app_frame(SKY_RUNNER)
    game.get_by_role("button", name="Golden bird — 300 coins").click()
    host.sheet.get_by_role("button", name="Pay 300 coins").click()
    expect(host.sheet).to_be_hidden()
    host.close_app()
    # What the game asked is its own business (its ad requests): from here on, only Me's.
    host.page.wait_for_load_state("networkidle")
    failures.clear()
    host.go_to_me()
    expect(movements).to_have_count(3)
    expect(movements.first).to_contain_text("Purchase")
    expect(movements.first).to_contain_text("Sky Runner")
    expect(movements.first.locator(".history-amount")).to_have_attribute("aria-label", "minus 300 coins")
    expect(host.page.locator("[data-me-balance]")).to_have_text("350")

    # A non-creator's Me asked nothing that failed (it once logged a 404 from /api/creator).
    host.page.wait_for_load_state("networkidle")
    assert failures == []
