"""A coin pack that gives more coins for the money is the platform owner's to make, not one member
of finance's alone.

A probe (operator48): a member of finance changed the 99-cent pack to give 5,000,000 coins, bought it
for their own wallet and changed it back: about 50,000 dollars of coins for 99 cents, spendable in any
app, whose developers are paid out for them. A change that gives more coins per unit of money than
the pack did in a market, or than the best pack on sale there (a new pack, a new market, a pack put
back on sale), needs the owner (or the admin token, the operator's automation, configured by the
owner); finance changes the rest alone: dearer packs, fewer coins, taking a pack off sale.
"""

from __future__ import annotations

from tests.payments.test_money_admin import staff_member
from tests.studio import ADMIN_TOKEN

OPERATOR = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
HUNDRED = {"coins": 100, "bonus_coins": 0, "prices": {"US": {"currency": "USD", "amount": 99}}, "sort": 0}


def pack(client, pack_id: str = "coins-100") -> dict:
    [found] = [p for p in client.get("/api/admin/money/packs", headers=OPERATOR).json()["items"] if p["id"] == pack_id]
    return found


def put(person, headers, pack_id: str, **changes):
    body = {**HUNDRED, "reason": "a test", **changes}
    return person.put(f"/api/admin/money/packs/{pack_id}", json=body, headers=headers)


def test_finance_alone_cannot_give_more_coins_for_the_money_and_the_owner_can(client):
    finance, finance_headers = staff_member(client, "finance")
    before = pack(client)

    minted = put(finance, finance_headers, "coins-100", coins=5_000_000)
    assert minted.status_code == 403, minted.text
    assert minted.json()["code"] == "PACK_NEEDS_OWNER"
    assert "US" in minted.json()["message"]
    cheaper = put(finance, finance_headers, "coins-100", prices={"US": {"currency": "USD", "amount": 49}})
    assert cheaper.status_code == 403, cheaper.text
    new_market = put(
        finance,
        finance_headers,
        "coins-100",
        prices={"US": {"currency": "USD", "amount": 99}, "BR": {"currency": "BRL", "amount": 1}},
    )
    assert new_market.status_code == 403, new_market.text
    better_new_pack = put(finance, finance_headers, "coins-cheap", coins=1000)
    assert better_new_pack.status_code == 403, better_new_pack.text
    assert pack(client) == before  # nothing changed

    # Dearer, fewer coins, off sale: finance alone.
    dearer = put(finance, finance_headers, "coins-100", prices={"US": {"currency": "USD", "amount": 129}})
    assert dearer.status_code == 200, dearer.text
    off_sale = put(finance, finance_headers, "coins-100", coins=5_000_000, active=False)
    assert off_sale.status_code == 200, off_sale.text
    back_on_sale = put(finance, finance_headers, "coins-100", coins=5_000_000, active=True)
    assert back_on_sale.status_code == 403, back_on_sale.text  # as good as no pack on sale in the US

    owner, owner_headers = staff_member(client, "owner")
    assert put(owner, owner_headers, "coins-100", coins=120).status_code == 200
    assert (
        client.put("/api/admin/money/packs/coins-100", json={**HUNDRED, "coins": 130}, headers=OPERATOR).status_code
        == 200
    )
    assert pack(client)["coins"] == 130
