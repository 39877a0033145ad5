"""Payouts in Chromium (issue 15, item 6): a creator is paid their commission once, through the sandbox.

The commission is arranged over HTTP and in the database, as the other browser tests arrange what
they do not test: a creator, a game of its own selling a 100-coin gem, a post linking to it (the row
as the media pipeline leaves it, deleted once it has done its work so that the shared feed never
shows it), a player who launches the game from the post and buys a gem, and then 15 days pass in
the ledger (tests/payouts/test_payouts.py's ``days_pass``). What is tested in the browsers: finance
lowers the minimum payout in /admin (proposed, and approved there by another member), the creator
sees the commission withdrawable on the Me screen, adds a sandbox payout account, quotes and
confirms; finance approves it in the Payouts tab; the creator sees it paid.
"""

from __future__ import annotations

import secrets
import time

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from openminis.payouts.models import SandboxPayoutTransfer
from openminis.platform import Platform
from openminis.settings import Settings
from tests.browser.staff import signed_in_staff
from tests.browser.test_creators import become_creator, signed_in_host
from tests.browser.test_finance import DESKTOP, shop
from tests.creators.conftest import launch, ready_post
from tests.payouts.test_payouts import books_hold, days_pass
from tests.studio import buy, csrf_of, top_up

pytestmark = pytest.mark.browser

COMMISSION = 7  # coins: 10 % of the developer's 70 from a 100-coin gem; a coin pays a cent


def wait_until_paid(creator: httpx.Client, payout_id: str, timeout: float = 60) -> None:
    """The server's job worker sends the approved payout to the sandbox within moments."""
    deadline = time.monotonic() + timeout
    while (status := creator.get(f"/api/creator/payouts/{payout_id}").json()["status"]) != "paid":
        assert status == "in_transit" and time.monotonic() < deadline, f"payout {payout_id} is {status}"
        time.sleep(0.2)


def test_a_creator_is_paid_their_commission_once_after_finance_approves_it_in_admin(browser, live_server):
    tag = secrets.token_hex(3)
    email = f"payee-{tag}@example.com"
    creator = become_creator(live_server, email, f"payee_{tag}")
    player = httpx.Client(base_url=live_server.url, timeout=30)
    platform = Platform(Settings(data_dir=live_server.data_dir))  # the live server's database
    contexts = []
    try:
        # A player launches a game from the creator's post and buys in it; then the hold passes.
        app_id = shop(live_server)
        post_id = ready_post(platform, creator.get("/api/creator").json()["user_id"], app_id)
        top_up(player, "coins-100")
        launch(player, app_id, "post", post_id=post_id)
        assert buy(player, app_id, "gem", "via-post").status_code == 200
        assert creator.delete(f"/api/creator/posts/{post_id}", headers=csrf_of(creator)).status_code == 200
        days_pass(platform, 15)

        # Finance lets payouts of a few cents through (the default minimum is $10).
        admin, admin_context, admin_errors = signed_in_staff(
            browser, live_server, f"finance-{tag}@example.com", "finance", viewport=DESKTOP, path="/admin#payouts"
        )
        contexts.append(admin_context)
        terms = admin.get_by_role("form", name="Payout policy")
        terms.get_by_role("group", name="USD").get_by_label("Minimum payout (USD minor units)").fill("5")
        terms.get_by_label("Reason").fill("commissions of a few cents are paid out")
        terms.get_by_role("button", name="Publish policy").click()
        expect(admin.locator("#admin-status")).to_contain_text("Proposed")
        # A lower minimum loosens the terms: another member of finance approves it (docs/payouts.md).
        colleague, colleague_context, colleague_errors = signed_in_staff(
            browser, live_server, f"finance-b-{tag}@example.com", "finance", viewport=DESKTOP, path="/admin#payouts"
        )
        contexts.append(colleague_context)
        waiting = colleague.get_by_role("region", name="Change waiting for approval")
        waiting.get_by_role("button", name="Approve change").click()
        expect(colleague.locator("#admin-status")).to_contain_text("Approved")

        # The creator sees the commission withdrawable, adds a sandbox account, quotes and confirms.
        studio, studio_context = signed_in_host(browser, live_server, email)
        contexts.append(studio_context)
        studio.go_to_me()
        panel = studio.page.get_by_role("region", name="Payouts")
        coins = panel.locator('[data-currency="COIN"]')
        expect(coins.locator('[data-figure="withdrawable"]')).to_have_attribute("data-value", str(COMMISSION))
        hold = "Earnings wait 14 days before they can be paid out, so refunds can come out of them."
        expect(panel).to_contain_text(hold)
        account = panel.get_by_role("form", name="Payout account")
        expect(account).to_contain_text("New accounts are opened with sandbox.")
        account.get_by_label("Destination").fill(f"payee-bank-{tag}")
        account.get_by_label("Currency").select_option("USD")
        account.get_by_label("Account holder").fill("Pat Payee")
        account.get_by_role("button", name="Add account").click()
        expect(panel.get_by_role("form", name="Payout account")).to_contain_text(f"Payouts go to payee-bank-{tag} (USD")
        ask = panel.get_by_role("form", name="Request payout")
        ask.get_by_role("button", name="Quote").click()
        expect(ask.locator(".payout-receive")).to_have_text("You will receive $0.07")
        confirming = studio.page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/api/creator/payouts"))
        with confirming as sent:
            ask.get_by_role("button", name="Confirm payout").click()
        confirmed = sent.value.post_data_json
        assert (confirmed["source"], confirmed["expect"]) == ("COIN", COMMISSION) and confirmed["idempotency_key"]
        item = panel.locator(".payout-item")
        expect(item).to_have_attribute("data-status", "requested")
        payout_id = item.get_attribute("data-payout-id")
        expect(coins.locator('[data-figure="in_payout"]')).to_have_attribute("data-value", str(COMMISSION))

        # Finance approves it in the Payouts tab; the worker sends it to the sandbox.
        queue = admin.get_by_role("region", name="Payouts")
        queue.get_by_role("button", name="Refresh").click()
        row = queue.locator(f'tr[data-payout-id="{payout_id}"]')
        expect(row).to_contain_text("$0.07")
        expect(row).to_contain_text(f"payee-bank-{tag}")
        expect(row.get_by_role("rowheader")).to_contain_text(f"(@payee_{tag})")  # by name, not only an id
        row.get_by_role("checkbox").check()
        approval = queue.get_by_role("form", name="Approve payouts")
        approval.get_by_label("Reason for approving", exact=False).fill("commission checked")
        approval.get_by_role("button", name="Approve selected").click()
        expect(admin.locator("#admin-status")).to_contain_text("Approved 1 payout")
        wait_until_paid(creator, payout_id)

        # The creator reloads: paid.
        studio.page.reload()
        studio.go_to_me()
        expect(panel.locator(f'[data-payout-id="{payout_id}"]')).to_have_attribute("data-status", "paid")
        expect(coins.locator('[data-figure="paid"]')).to_have_attribute("data-value", str(COMMISSION))
        assert admin_errors == [] and colleague_errors == [] and studio.errors == []
    finally:
        for context in contexts:
            context.close()
        creator.close()
        player.close()

    try:
        with platform.db.session() as session:
            book = session.scalars(
                select(SandboxPayoutTransfer).where(SandboxPayoutTransfer.destination == f"payee-bank-{tag}")
            ).all()
        assert [(t.key, t.amount, t.currency) for t in book] == [(f"payout-{payout_id}", COMMISSION, "USD")]
        books_hold(platform)
    finally:
        platform.close()
