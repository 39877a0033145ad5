"""The Me screen: an account made on one browser is the same account on another, coins and
name included, and the apps it let in can be sent away again."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from tests.browser.conftest import new_host

pytestmark = pytest.mark.browser

PASSWORD = "analytical-engine-1843"


def test_an_account_signed_up_on_one_browser_signs_in_on_another_with_its_name_and_coins_and_revokes_an_app(
    browser, live_server
):
    email = f"ada-{secrets.token_hex(4)}@example.com"
    first, first_context = new_host(browser, live_server)
    second, second_context = new_host(browser, live_server)
    try:
        # First browser: a guest with coins names themself, signs up, lets a game in, signs out.
        first.open("?prewarm=0")
        assert first.top_up("coins-100") == 100
        first.go_to_me()
        me = first.page.locator("#me-view")
        me.get_by_role("button", name="Edit display name").click()
        me.get_by_role("textbox", name="Display name").fill("Ada Lovelace")
        me.get_by_role("button", name="Save").click()
        expect(me.get_by_role("heading", name="Ada Lovelace")).to_be_visible()
        expect(first.page.locator("#minis-view [data-user-name]")).to_have_text("Ada Lovelace")

        signup = me.get_by_role("form", name="Create account")
        signup.get_by_role("textbox", name="Email").fill(email)
        signup.get_by_label("Password").fill(PASSWORD)
        signup.get_by_role("button", name="Create account").click()
        # The account is not made yet: the code mailed to the address makes it.
        verify = me.get_by_role("form", name="Verify email")
        expect(verify).to_contain_text(f"Enter the code we emailed to {email}")
        expect(me.get_by_text("the server’s log", exact=False)).to_be_visible()
        verify.get_by_role("textbox", name="Verification code").fill("000000")
        verify.get_by_role("button", name="Verify").click()
        expect(me.get_by_text("wrong code", exact=False)).to_be_visible()
        verify.get_by_role("textbox", name="Verification code").fill(
            live_server.mailed(email, r"verification code is (\d{6})")
        )
        verify.get_by_role("button", name="Verify").click()
        expect(me.get_by_text(f"Signed in as {email}")).to_be_visible()
        expect(me.locator("[data-me-balance]")).to_have_text("100")

        first.go_to_minis()
        first.launch_from_hub("tower-stack")
        first.app_frame("tower-stack").get_by_role("button", name="Sign in").click()
        first.sheet.get_by_role("button", name="Allow", exact=True).click()
        expect(first.app_frame("tower-stack").get_by_text("Hi, Ada Lovelace")).to_be_visible()
        first.close_app()

        first.go_to_me()
        me.get_by_role("button", name="Sign out").click()
        expect(me.get_by_role("form", name="Create account")).to_be_visible()  # a fresh guest after the reload
        expect(me.get_by_role("heading", name="Ada Lovelace")).to_have_count(0)
        # The reloaded page puts the keyboard where the person was, and says what happened (a probe:
        # focus fell to the page's body, and a screen reader's user lost their place).
        # Read as the page's own focus: to_be_focused also wants document.hasFocus(), which is the
        # browser window's, and once failed here in CI (of two windows, after a reload) with the
        # heading in place; the failure now says what held focus instead.
        focused = "() => document.activeElement?.id === 'account-title'"
        try:
            first.page.wait_for_function(focused, timeout=20_000)
        except PlaywrightTimeoutError as timeout:
            held, window = first.page.evaluate("() => [document.activeElement?.outerHTML, document.hasFocus()]")
            raise AssertionError(f"the Account heading is not focused: {held} is ({window=})") from timeout
        expect(me.get_by_role("status").filter(has_text="You signed out")).to_be_visible()

        # Second browser: a stranger's guest signs in and becomes Ada, with Ada's coins.
        second.open("?prewarm=0")
        second.go_to_me()
        me = second.page.locator("#me-view")
        me.get_by_role("button", name="Sign in").click()
        signin = me.get_by_role("form", name="Sign in")
        signin.get_by_role("textbox", name="Email").fill(email)
        signin.get_by_label("Password").fill("not the password")
        signin.get_by_role("button", name="Sign in").click()
        expect(me.get_by_text("wrong email or password")).to_be_visible()
        signin.get_by_label("Password").fill(PASSWORD)
        signin.get_by_role("button", name="Sign in").click()

        expect(me.get_by_role("heading", name="Ada Lovelace")).to_be_visible()
        expect(me.get_by_text(f"Signed in as {email}")).to_be_visible()
        expect(me.locator("[data-me-balance]")).to_have_text("100")
        expect(second.page.locator("#minis-view [data-coin-balance]")).to_have_text("100")

        # Revoking is a state change: it works only because the page took the new session's CSRF token.
        access = me.get_by_role("region", name="Apps with access")
        grant = access.locator('.access-item[data-app-id="tower-stack"]')
        expect(grant).to_contain_text("Tower Stack")
        expect(grant).to_contain_text("Name and profile picture")
        grant.get_by_role("button", name="Revoke Tower Stack’s access").click()
        expect(grant).to_have_count(0)
        expect(access.get_by_text("No app has signed you in yet.")).to_be_visible()
        assert second.call_api("GET", "/api/authorizations")["body"]["items"] == []
    finally:
        first_context.close()
        second_context.close()
    assert first.errors == [] and second.errors == []


def test_a_guest_asks_for_a_sign_in_link_and_confirms_it_on_the_page_it_opens(host, live_server):
    email = f"grace-{secrets.token_hex(4)}@example.com"
    host.open("?prewarm=0")
    guest = host.call_api("GET", "/api/me")["body"]["user"]["id"]
    host.go_to_me()
    me = host.page.locator("#me-view")
    me.get_by_role("button", name="Email me a sign-in link").click()
    expect(me.get_by_text("Enter your email first.")).to_be_visible()
    me.get_by_role("textbox", name="Email").fill(email)
    me.get_by_role("button", name="Email me a sign-in link").click()
    expect(me.get_by_text(f"We sent a sign-in link to {email}.", exact=False)).to_be_visible()
    expect(me.get_by_text("the link is printed in the server’s log", exact=False)).to_be_visible()

    # Opening the link signs nobody in: its page says what would happen, and asks.
    host.page.goto(live_server.mailed(email, r"(http://\S+/account/link\?token=\S+)"))
    form = host.page.get_by_role("form", name=f"Sign in as {email}?")
    expect(form.get_by_role("list", name="What the account keeps")).to_contain_text(
        "your saves, progress and purchases in every app"
    )
    expect(form.get_by_role("checkbox", name="Keep these in the new account")).to_be_checked()
    assert host.call_api("GET", "/api/me")["body"]["user"]["kind"] == "guest"
    form.get_by_role("button", name="Create account and sign in").click()

    expect(host.page.locator("#me-view").get_by_text(f"Signed in as {email}")).to_be_visible()
    assert host.call_api("GET", "/api/me")["body"]["user"]["id"] == guest  # the guest became the account
