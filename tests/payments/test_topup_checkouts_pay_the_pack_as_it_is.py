"""A checkout opened before the operator changed its coin pack is not paid at the old price or for
the old coins: paying it is refused PRICE_CHANGED, nothing charged, with the price now; a new
top-up pays the pack as it is. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from openminis.payments import reconciliation
from openminis.wallet import service as ledger
from tests.payments.test_coupons import ADMIN
from tests.studio import balance, csrf_of, shown_pack

NEW_TERMS = {
    "coins": 400,
    "bonus_coins": 0,
    "prices": {"US": {"currency": "USD", "amount": 599}},
    "active": True,
    "sort": 1,
    "reason": "fewer coins, dearer",
}


def books_hold(platform) -> None:
    with platform.db.session() as session:
        assert ledger.verify(session).problems + reconciliation.verify(session) == []


def opened(player, pack_id: str = "coins-550") -> dict:
    answer = player.post("/api/wallet/topups", json=shown_pack(player, pack_id), headers=csrf_of(player))
    assert answer.status_code == 201, answer.text
    return answer.json()


def change_pack(client, terms: dict = NEW_TERMS) -> None:
    answer = client.put("/api/admin/money/packs/coins-550", json=terms, headers=ADMIN)
    assert answer.status_code == 200, answer.text


def pay(player, topup: dict, card: str):
    return player.post(
        f"/api/wallet/topups/{topup['id']}/sandbox/pay", json={"card_number": card}, headers=csrf_of(player)
    )


@pytest.mark.parametrize("card", ["4242424242424242", "4000000000000077", "4000000000003220"])
def test_paying_a_checkout_opened_before_its_pack_changed_is_refused_price_changed(client, platform, player, card):
    """A probe: a checkout opened at 4.99 USD for 550 coins, then the operator made the pack 5.99
    for 400; paying the open checkout credited 550 coins for 4.99. Open sandbox checkouts never
    expire, so old prices could be stockpiled and paid whenever."""
    stale = opened(player)
    assert (stale["amount"], stale["coins"]) == (499, 550)
    change_pack(client)

    refused = pay(player, stale, card)
    assert refused.status_code == 409 and refused.json()["code"] == "PRICE_CHANGED"
    assert refused.json()["price"] == {"amount": 599, "currency": "USD", "coins": 400}
    assert player.get(f"/api/wallet/topups/{stale['id']}").json()["status"] == "created"  # nothing decided
    platform.worker().drain()
    assert balance(player) == 0

    fresh = opened(player)
    assert pay(player, fresh, "4242424242424242").json()["status"] == "succeeded"
    assert balance(player) == 400
    books_hold(platform)


def test_approving_a_challenge_after_the_pack_changed_is_refused_and_a_denial_still_closes_it(client, platform, player):
    challenged = pay(player, opened(player), "4000000000003220").json()
    assert challenged["status"] == "requires_action"
    change_pack(client)

    approve = player.post(
        f"/api/wallet/topups/{challenged['id']}/sandbox/challenge", json={"approve": True}, headers=csrf_of(player)
    )
    assert approve.status_code == 409 and approve.json()["code"] == "PRICE_CHANGED"
    assert balance(player) == 0
    deny = player.post(
        f"/api/wallet/topups/{challenged['id']}/sandbox/challenge", json={"approve": False}, headers=csrf_of(player)
    )
    assert deny.json()["status"] == "failed" and balance(player) == 0
    books_hold(platform)


def test_a_checkout_whose_pack_changed_back_pays_the_price_it_was_opened_at(client, platform, player):
    """What is paid is the pack as it is now: a change undone before paying refuses nothing."""
    stale = opened(player)
    original = client.get("/api/admin/money/packs", headers=ADMIN).json()["items"]
    before = next(p for p in original if p["id"] == "coins-550")
    change_pack(client)
    change_pack(
        client,
        {key: before[key] for key in ("coins", "bonus_coins", "prices", "active", "sort")} | {"reason": "undo"},
    )
    assert pay(player, stale, "4242424242424242").json()["status"] == "succeeded"
    assert balance(player) == 550
    books_hold(platform)


def test_a_checkout_of_a_pack_taken_off_sale_is_not_paid(client, platform, player):
    stale = opened(player)
    change_pack(
        client,
        NEW_TERMS
        | {"coins": 500, "bonus_coins": 50, "active": False, "prices": {"US": {"currency": "USD", "amount": 499}}},
    )
    refused = pay(player, stale, "4242424242424242")
    assert refused.status_code == 404 and balance(player) == 0
    books_hold(platform)
