"""Charge exactly what the person confirmed (issue 12, item 1): the pay sheet said "Pay 1 coins",
the developer changed the price to 90 while it was open, and the tap charged 90.

Every paying request carries the amount and currency the person saw; at any other price it is
refused with 409 PRICE_CHANGED and the new price, nothing is charged, and a confirmation at the new
price then goes through. Drama unlocks, series and passes: tests/drama/test_confirmed_prices.py.
"""

from __future__ import annotations

from sqlalchemy import func, select, update

from openminis.payments.models import CoinPack, Order, TopUp
from tests.payments.test_orders import accounts, verified
from tests.studio import balance, buy, csrf_of, login_code, put_product, shown_pack, top_up


def rows(platform, table) -> int:
    with platform.db.session() as session:
        return session.scalar(select(func.count()).select_from(table))


def test_a_price_raised_while_the_pay_sheet_is_open_is_refused_and_charges_nothing_until_confirmed_again(
    client, studio, player, platform
):
    put_product(client, studio, "gem", price=1)
    top_up(player)
    shown = 1  # the sheet opens: "Pay 1 coins"
    put_product(client, studio, "gem", price=90)  # the developer changes the price meanwhile

    tapped = buy(player, studio.app_id, "gem", "tap-1", amount=shown)

    assert tapped.status_code == 409
    assert tapped.json()["code"] == "PRICE_CHANGED"
    assert tapped.json()["price"] == {"amount": 90, "currency": "COIN"}
    assert balance(player) == 1200
    assert accounts(platform, studio.app_id) == (0, 0)
    assert rows(platform, Order) == 0
    # The sheet shows 90; the person confirms it, with the same key (the first try made no order).
    confirmed = buy(player, studio.app_id, "gem", "tap-1", amount=tapped.json()["price"]["amount"])
    assert confirmed.status_code == 200, confirmed.text
    assert (confirmed.json()["amount"], confirmed.json()["status"]) == (90, "paid")
    assert balance(player) == 1200 - 90
    verified(platform)


def test_a_price_lowered_while_the_sheet_is_open_is_refused_too(client, studio, player):
    put_product(client, studio, "gem", price=50)
    top_up(player)
    put_product(client, studio, "gem", price=40)
    refused = buy(player, studio.app_id, "gem", "k", quantity=2, amount=100)
    assert refused.status_code == 409 and refused.json()["price"] == {"amount": 80, "currency": "COIN"}
    assert balance(player) == 1200


def test_a_purchase_in_another_currency_is_refused(client, studio, player):
    put_product(client, studio, "gem", price=5)
    top_up(player)
    body = {"product_id": "gem", "idempotency_key": "usd", "amount": 5, "currency": "USD"}
    refused = player.post(f"/api/apps/{studio.app_id}/purchases", json=body, headers=csrf_of(player))
    assert refused.status_code == 409 and refused.json()["code"] == "PRICE_CHANGED"
    assert balance(player) == 1200


def test_a_client_that_sends_no_price_is_refused_with_a_4xx_and_charged_nothing(client, studio, player):
    put_product(client, studio, "gem", price=5)
    top_up(player)
    old = player.post(
        f"/api/apps/{studio.app_id}/purchases",
        json={"product_id": "gem", "idempotency_key": "old"},
        headers=csrf_of(player),
    )
    assert old.status_code == 422 and old.json()["field"] == "amount"
    assert balance(player) == 1200


def test_a_retried_tap_whose_first_try_went_through_gets_its_order_back_after_a_price_change(client, studio, player):
    put_product(client, studio, "gem", price=10)
    top_up(player)
    first = buy(player, studio.app_id, "gem", "tap", amount=10).json()
    put_product(client, studio, "gem", price=90)
    again = buy(player, studio.app_id, "gem", "tap", amount=10)  # the answer was lost; the sheet retries
    assert again.status_code == 200 and again.json()["id"] == first["id"]
    assert balance(player) == 1190


def test_a_backend_created_order_keeps_its_price_and_is_paid_only_at_the_price_shown(client, studio, player, platform):
    put_product(client, studio, "gem", price=30)
    top_up(player)
    backend = studio.backend(client)
    openid = backend.code2session(login_code(player, studio.app_id))["openid"]
    created = backend.create_order(openid, "gem", quantity=2, idempotency_key="srv-1")
    assert created["amount"] == 60
    put_product(client, studio, "gem", price=90)  # after the order: it keeps its price
    pay = f"/api/apps/{studio.app_id}/orders/{created['id']}/pay"

    wrong = player.post(pay, json={"amount": 180, "currency": "COIN"}, headers=csrf_of(player))
    assert wrong.status_code == 409 and wrong.json()["price"] == {"amount": 60, "currency": "COIN"}
    assert balance(player) == 1200 and backend.get_order(created["id"])["status"] == "created"
    old_client = player.post(pay, headers=csrf_of(player))
    assert old_client.status_code == 422 and balance(player) == 1200

    paid = player.post(pay, json={"amount": 60, "currency": "COIN"}, headers=csrf_of(player))
    assert paid.status_code == 200 and (paid.json()["status"], paid.json()["amount"]) == ("paid", 60)
    assert balance(player) == 1200 - 60
    # An order made after the change is at the new price.
    assert backend.create_order(openid, "gem", idempotency_key="srv-2")["amount"] == 90
    verified(platform)


def test_a_top_up_whose_pack_price_changed_is_refused_and_goes_through_at_the_new_price(client, player, platform):
    shown = shown_pack(player, "coins-550")
    assert (shown["amount"], shown["currency"], shown["coins"]) == (499, "USD", 550)
    with platform.db.session() as session:  # the operator reprices the pack while the sheet is open
        pack = session.get(CoinPack, "coins-550")
        session.execute(
            update(CoinPack)
            .where(CoinPack.id == "coins-550")
            .values(prices={**pack.prices, "US": {"currency": "USD", "amount": 599}})
        )
        session.commit()

    refused = player.post("/api/wallet/topups", json=shown, headers=csrf_of(player))
    assert refused.status_code == 409 and refused.json()["code"] == "PRICE_CHANGED"
    assert refused.json()["price"] == {"amount": 599, "currency": "USD", "coins": 550}
    assert rows(platform, TopUp) == 0

    fewer_coins = player.post("/api/wallet/topups", json=shown | {"amount": 599, "coins": 600}, headers=csrf_of(player))
    assert fewer_coins.status_code == 409  # the coins the sheet showed are checked too
    old_client = player.post(
        "/api/wallet/topups", json={"pack_id": "coins-550", "market": "US"}, headers=csrf_of(player)
    )
    assert old_client.status_code == 422

    started = player.post("/api/wallet/topups", json=shown | {"amount": 599}, headers=csrf_of(player))
    assert started.status_code == 201 and started.json()["amount"] == 599
    paid = player.post(
        f"/api/wallet/topups/{started.json()['id']}/sandbox/pay",
        json={"card_number": "4242424242424242"},
        headers=csrf_of(player),
    )
    assert paid.json()["status"] == "succeeded" and balance(player) == 550
    verified(platform)


def test_a_top_up_must_say_the_coins_the_person_saw_or_is_refused_before_anything_is_charged(client, player, platform):
    # Without the coins, a pack that now gives fewer coins at the same price was bought unnoticed.
    shown = shown_pack(player, "coins-550")
    without_coins = {field: value for field, value in shown.items() if field != "coins"}
    refused = player.post("/api/wallet/topups", json=without_coins, headers=csrf_of(player))
    assert refused.status_code == 422 and "coins" in refused.text
    assert rows(platform, TopUp) == 0
    # The pack's coins without its bonus: the price is the same, and the refusal says the coins are
    # the pack's all told ("the price is now 499 USD" sent a developer looking for a change; dev54).
    short = player.post("/api/wallet/topups", json=shown | {"coins": 500}, headers=csrf_of(player))
    assert (short.status_code, short.json()["code"], short.json()["field"]) == (409, "PRICE_CHANGED", "coins")
    assert "gives 550 coins in all (its bonus coins with them) for 499 USD" in short.json()["message"], short.text
    assert rows(platform, TopUp) == 0
    assert player.post("/api/wallet/topups", json=shown, headers=csrf_of(player)).status_code == 201
