"""Me → Your data, in Chromium: the person downloads their data as a file, and deletes their
account after typing DELETE, which signs them out into a new guest with nothing of theirs."""

from __future__ import annotations

import json
import secrets

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PASSWORD = "difference-engine-1822"


def test_a_person_downloads_their_data_and_deletes_their_account_from_me(host, live_server):
    email = f"grace-{secrets.token_hex(4)}@example.com"
    host.open("?prewarm=0")
    assert host.top_up("coins-100") == 100
    host.go_to_me()
    me = host.page.locator("#me-view")
    signup = me.get_by_role("form", name="Create account")
    signup.get_by_role("textbox", name="Email").fill(email)
    signup.get_by_label("Password").fill(PASSWORD)
    signup.get_by_role("button", name="Create account").click()
    verify = me.get_by_role("form", name="Verify email")
    # The code is mailed by now. Registering hashes the password at full cost (argon2id): on a
    # machine busy with the whole suite it took more than expect's 5 s once.
    expect(verify).to_contain_text(f"Enter the code we emailed to {email}", timeout=30_000)
    verify.get_by_role("textbox", name="Verification code").fill(
        live_server.mailed(email, r"verification code is (\d{6})")
    )
    verify.get_by_role("button", name="Verify").click()
    expect(me.get_by_text(f"Signed in as {email}")).to_be_visible()
    user_id = host.call_api("GET", "/api/me")["body"]["user"]["id"]

    with host.page.expect_download() as download:
        me.get_by_role("link", name="Download my data").click()
    data = json.loads(download.value.path().read_text())
    assert (data["account"]["id"], data["account"]["email"]) == (user_id, email)
    assert data["wallet"][0]["balance"] == 100 and [line["kind"] for line in data["ledger"]] == ["topup"]

    me.get_by_role("button", name="Delete my account").click()
    confirm = me.get_by_role("form", name="Delete my account")
    go = confirm.get_by_role("button", name="Delete my account for good")
    expect(go).to_be_disabled()  # nothing happens until DELETE is typed
    # The coins it loses are said by number (a probe, player52: "Coins left in your wallet are lost").
    expect(confirm).to_contain_text("The 100 coins in your wallet are lost.")
    confirm.get_by_role("textbox", name="Type DELETE to confirm").fill("DELETE")
    go.click()
    # Signed out: the page reloads as a new guest, with none of the account's coins or name, and
    # says that the account was deleted (it came back with no word of it).
    expect(me.get_by_role("status").filter(has_text="Your account was deleted.")).to_be_visible()
    expect(me.get_by_role("form", name="Create account")).to_be_visible()
    expect(me.get_by_text(f"Signed in as {email}")).to_have_count(0)
    assert host.call_api("GET", "/api/me")["body"]["user"]["id"] != user_id
    assert host.balance() == 0
