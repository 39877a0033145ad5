"""The payouts page of /admin in Chromium: a member of finance who loosens the payout terms sees
them proposed, not published, with only a way to withdraw them; another member sees who proposed
what and why, and approves or refuses it there. On SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from openminis.liveserver import LiveServer
from tests.browser.staff import DESKTOP
from tests.payouts.live import operator, server_per_database

pytestmark = [pytest.mark.browser, pytest.mark.slow]

POLICY = "/api/admin/payouts/policy"


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def server(request, tmp_path_factory) -> Iterator[LiveServer]:
    with server_per_database(request, tmp_path_factory, minimum=1000) as live:
        yield live


def signed_in_staff(browser, server: LiveServer, email: str, role: str):
    """tests/browser/staff.py's, with ``minis staff add`` run as a command of its own: run in this
    process on PostgreSQL, it left a connection to the garbage collector (a ResourceWarning)."""
    server.minis("staff", "add", email, "--role", role, "--data-dir", str(server.data_dir))
    context = browser.new_context(viewport=DESKTOP, device_scale_factor=1)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{server.url}/admin")
    form = page.get_by_role("form", name="Sign in to review")
    form.get_by_label("Email").fill(email)
    form.get_by_role("button", name="Email me a sign-in link").click()
    expect(form.get_by_text(f"We sent a sign-in link to {email}", exact=False)).to_be_visible()
    page.goto(server.mailed(email, r"(http://\S+/account/link\?token=\S+)"))
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url("**/#/me")
    page.goto(f"{server.url}/admin#payouts")
    expect(page.locator(".admin-email")).to_have_text(email)
    return page, context, errors


def propose_minimum(page, minimum: str, reason: str) -> None:
    terms = page.get_by_role("form", name="Payout policy")
    terms.get_by_role("group", name="USD").get_by_label("Minimum payout (USD minor units)").fill(minimum)
    terms.get_by_label("Reason", exact=True).fill(reason)
    terms.get_by_role("button", name="Publish policy").click()


def test_a_loosening_is_proposed_by_one_member_and_decided_by_another_on_the_payouts_page(browser, server):
    tag = secrets.token_hex(3)
    contexts = []
    try:
        proposer, context, proposer_errors = signed_in_staff(browser, server, f"finance-a-{tag}@example.com", "finance")
        contexts.append(context)
        propose_minimum(proposer, "5", "commissions of a few cents are paid out")
        expect(proposer.locator("#admin-status")).to_contain_text("Proposed")
        waiting = proposer.get_by_role("region", name="Change waiting for approval")
        expect(waiting).to_contain_text("USD minimum: 1000 → 5")
        expect(waiting).to_contain_text("You proposed it")
        expect(waiting.get_by_role("button", name="Approve change")).to_have_count(0)
        usd = proposer.get_by_role("form", name="Payout policy").get_by_role("group", name="USD")
        expect(usd.get_by_label("Minimum payout (USD minor units)")).to_have_value("1000")  # still in force
        assert operator(server, "GET", POLICY).json()["minimums"]["USD"] == 1000

        colleague_email = f"finance-b-{tag}@example.com"
        colleague, context, colleague_errors = signed_in_staff(browser, server, colleague_email, "finance")
        contexts.append(context)
        waiting = colleague.get_by_role("region", name="Change waiting for approval")
        expect(waiting).to_contain_text(f"Proposed by staff:finance-a-{tag}@example.com (finance)")
        expect(waiting).to_contain_text("commissions of a few cents are paid out")
        expect(waiting.locator('[data-list="terms"]')).to_contain_text("the least payout is $0.05")
        waiting.get_by_label("Reason for deciding", exact=False).fill("agreed with the creators' team")
        waiting.get_by_role("button", name="Approve change").click()
        expect(colleague.locator("#admin-status")).to_contain_text("Approved")
        expect(waiting).to_have_count(0)
        usd = colleague.get_by_role("form", name="Payout policy").get_by_role("group", name="USD")
        expect(usd.get_by_label("Minimum payout (USD minor units)")).to_have_value("5")
        assert operator(server, "GET", POLICY).json()["minimums"]["USD"] == 5

        # The next one the colleague refuses, and must say why.
        proposer.reload()
        propose_minimum(proposer, "1", "a cent")
        expect(proposer.locator("#admin-status")).to_contain_text("Proposed")
        colleague.reload()
        waiting = colleague.get_by_role("region", name="Change waiting for approval")
        waiting.get_by_role("button", name="Refuse change").click()
        expect(waiting).to_contain_text("Say why the change is refused.")
        waiting.get_by_label("Reason for deciding", exact=False).fill("five cents is low enough")
        waiting.get_by_role("button", name="Refuse change").click()
        expect(colleague.locator("#admin-status")).to_contain_text("Refused")
        expect(waiting).to_have_count(0)
        assert operator(server, "GET", POLICY).json()["minimums"]["USD"] == 5
        assert operator(server, "GET", f"{POLICY}/proposals").json() == {"items": []}
        assert proposer_errors == [] and colleague_errors == []
    finally:
        for context in contexts:
            context.close()
