"""Support looking up a guest that signed in to an account sees where its coins went: the wallet
shows 0 and names the account it forwards to (last stop's seen-and-left: 0, and no pointer)."""

from __future__ import annotations

from tests.identity.test_guest_coins_on_sign_in import account, guest_with_coins, password_sign_in
from tests.payments.test_money_admin import staff_member


def test_a_signed_in_guests_money_page_names_the_account_its_coins_went_to(client):
    holder = account(client, "holder@example.com")
    guest, guest_id, coins = guest_with_coins(client)
    assert password_sign_in(guest, "holder@example.com").status_code == 200
    support, _ = staff_member(client, "support")

    records = support.get(f"/api/admin/money/people/{guest_id}").json()
    assert (records["balance"], records["signed_in_to"]) == (0, holder)
    own = support.get(f"/api/admin/money/people/{holder}").json()
    assert (own["balance"], own["signed_in_to"]) == (coins, None)
