"""A guest with coins signs in to the account it has, in real Chromium: the coins are added to the
account, and the person is told so before (the sign-in form, the link's page) and after (Me).

A probe (finding 1 of the money review) paid for 1200 coins as a guest, signed in with a password
and found the account at 0: the coins stayed on the guest, out of reach, and nothing had warned
(the link's page said they would "stay with the guest"; Me said coins "follow you")."""

from __future__ import annotations

import secrets

import httpx
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PASSWORD = "guest-coins-password"
CODE = r"verification code is (\d{6})"
LINK = r"(http://\S+/account/link\?token=\S+)"


def existing_account(server) -> str:
    """An account that proved its email on another device, signed out there."""
    email = f"coins-{secrets.token_hex(4)}@example.com"
    with httpx.Client(base_url=server.url, timeout=30, headers={"Origin": server.url}) as other:
        headers = {"X-CSRF-Token": other.get("/api/me").json()["csrf_token"]}
        registered = other.post("/api/account/register", json={"email": email, "password": PASSWORD}, headers=headers)
        assert registered.status_code == 200, registered.text
        verified = other.post("/api/account/verify", json={"code": server.mailed(email, CODE)}, headers=headers)
        assert verified.status_code == 200, verified.text
    return email


def test_a_guest_signing_in_with_a_password_is_told_its_coins_were_added_to_the_account(host, live_server):
    email = existing_account(live_server)
    host.open("?prewarm=0")
    assert host.top_up("coins-100") == 100
    host.go_to_me()
    me = host.page.locator("#me-view")
    expect(me.get_by_text("sign in to one you have and your coins are added to it", exact=False)).to_be_visible()
    me.get_by_role("button", name="Sign in").click()
    signin = me.get_by_role("form", name="Sign in")
    expect(
        signin.get_by_text("The coins you have on this browser are added to the account you sign in to.")
    ).to_be_visible()
    signin.get_by_role("textbox", name="Email").fill(email)
    signin.get_by_label("Password").fill(PASSWORD)
    signin.get_by_role("button", name="Sign in").click()

    expect(me.get_by_text(f"Signed in as {email}")).to_be_visible()
    expect(
        me.get_by_text("The 100 coins you had as a guest on this browser were added to your account.")
    ).to_be_visible()
    expect(me.locator("[data-me-balance]")).to_have_text("100")


def test_a_guests_sign_in_link_to_its_account_says_the_coins_will_be_added_and_then_that_they_were(host, live_server):
    email = existing_account(live_server)
    host.open("?prewarm=0")
    assert host.top_up("coins-100") == 100
    host.go_to_me()
    me = host.page.locator("#me-view")
    me.get_by_role("textbox", name="Email").fill(email)
    me.get_by_role("button", name="Email me a sign-in link").click()
    expect(me.get_by_text(f"We sent a sign-in link to {email}.", exact=False)).to_be_visible()

    host.page.goto(live_server.mailed(email, LINK))
    form = host.page.get_by_role("form", name=f"Sign in as {email}?")
    expect(form.get_by_text("The 100 coins this browser has as a guest will be added to the account.")).to_be_visible()
    expect(form.get_by_text("stay with the guest", exact=False)).to_have_count(0)
    form.get_by_role("button", name="Sign in").click()

    me = host.page.locator("#me-view")
    expect(me.get_by_text(f"Signed in as {email}")).to_be_visible()
    expect(
        me.get_by_text("The 100 coins you had as a guest on this browser were added to your account.")
    ).to_be_visible()
    expect(me.locator("[data-me-balance]")).to_have_text("100")
    # Said once: a reload shows the balance, not the news again.
    host.page.reload()
    expect(host.page.locator("#me-view").get_by_text(f"Signed in as {email}")).to_be_visible()
    expect(host.page.get_by_text("were added to your account", exact=False)).to_have_count(0)


def test_a_guest_signing_in_on_the_console_is_told_its_coins_were_added_before_the_console_opens(host, live_server):
    email = existing_account(live_server)
    host.open("?prewarm=0")
    assert host.top_up("coins-100") == 100
    page = host.page
    page.goto(f"{live_server.url}/console")
    page.get_by_role("button", name="Existing account").click()
    expect(
        page.get_by_text("Coins this browser has as a guest are added to the account you sign in to.")
    ).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(
        page.get_by_text("The 100 coins you had as a guest on this browser were added to your account.")
    ).to_be_visible()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Become a developer")).to_be_visible()
    assert host.balance() == 100
