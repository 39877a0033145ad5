"""Refunds exact under any race (issue 12, item 5): on PostgreSQL, 20 concurrent retries of one
10-coin partial refund with one idempotency key left the order marked refunded 100 with 10 refund
events while the wallet got 10 back, and ``minis ledger verify`` passed.

Concurrent refunds of one order, with one key or many, on real threads and both databases: the
order's refunded amount is always the sum of its refund transfers, never more than was paid, with
one refund event per transfer; and the ledger's verification, which now checks orders against
their transfers, agrees.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from openminis.errors import PlatformError
from openminis.payments import orders, reconciliation
from openminis.payments.models import Order, OrderEvent
from openminis.unit_of_work import unit_of_work
from openminis.wallet import service as ledger
from tests.concurrency import race
from tests.studio import balance, buy, put_product, top_up


@pytest.fixture
def paid_order(client, studio, player) -> dict:
    """A paid order of 100 coins (the wallet keeps 1,100 of its 1,200)."""
    put_product(client, studio, "chest", price=100)
    top_up(player)
    order = buy(player, studio.app_id, "chest", "buy-chest").json()
    assert order["status"] == "paid" and balance(player) == 1100
    return order


def refund_race(platform, order: dict, key_of) -> dict:
    def attempt(worker: int, n: int) -> str:
        try:
            with unit_of_work(platform.db) as session:
                refunded = orders.refund(
                    session,
                    order["app_id"],
                    order["id"],
                    amount=10,
                    reason="race",
                    idempotency_key=key_of(worker),
                    by="test",
                    secret=platform.secret,
                )
        except PlatformError as refused:
            return refused.code
        return "repeat" if refunded.repeated else "refunded"

    return dict(race(workers=20, attempts=1, attempt=attempt))


def refund_trail(platform, order_id: str) -> tuple[int, list[int], int]:
    """The order's refunded amount, its refund transfers' amounts, and its refund events."""
    with platform.db.session() as session:
        refunded = session.get(Order, order_id).refunded
        transfers = [t.amount for t in ledger.transfers_keyed(session, f"order:{order_id}:refund:")]
        events = session.scalar(
            select(func.count())
            .select_from(OrderEvent)
            .where(OrderEvent.order_id == order_id, OrderEvent.status.in_(("refunded", "partially_refunded")))
        )
    return refunded, transfers, events


def everything_verifies(platform) -> None:
    with platform.db.session() as session:
        assert ledger.verify(session).problems + reconciliation.verify(session) == []


def test_20_concurrent_retries_of_one_partial_refund_refund_it_once(client, player, paid_order, platform):
    outcomes = refund_race(platform, paid_order, key_of=lambda worker: "refund-once")

    assert outcomes == {"refunded": 1, "repeat": 19}
    refunded, transfers, events = refund_trail(platform, paid_order["id"])
    assert (refunded, transfers, events) == (10, [10], 1)
    assert balance(player) == 1110
    with platform.db.session() as session:
        assert session.get(Order, paid_order["id"]).status == "partially_refunded"
    everything_verifies(platform)


def test_20_concurrent_refunds_with_different_keys_never_give_back_more_than_was_paid(
    client, player, paid_order, platform
):
    outcomes = refund_race(platform, paid_order, key_of=lambda worker: f"refund-{worker}")

    # 100 paid, 10 a refund: ten go through; the rest find nothing left (or the order refunded).
    assert outcomes.get("refunded") == 10 and sum(outcomes.values()) == 20, outcomes
    assert set(outcomes) <= {"refunded", "INVALID_ARGUMENT", "ORDER_STATE"}, outcomes
    refunded, transfers, events = refund_trail(platform, paid_order["id"])
    assert (refunded, sum(transfers), len(transfers), events) == (100, 100, 10, 10)
    assert balance(player) == 1200
    with platform.db.session() as session:
        assert session.get(Order, paid_order["id"]).status == "refunded"
    everything_verifies(platform)


def test_a_refund_retried_with_its_key_but_another_amount_or_reason_is_refused_as_a_conflict(
    client, studio, player, paid_order, platform
):
    headers = {"Authorization": f"Bearer {studio.backend(client).access_token()}"}
    url = f"/openapi/v1/orders/{paid_order['id']}/refund"
    first = client.post(url, json={"amount": 10, "reason": "late delivery", "idempotency_key": "k1"}, headers=headers)
    assert first.status_code == 200 and first.json()["refunded"] == 10

    for other in ({"amount": 50, "reason": "late delivery"}, {"amount": 10, "reason": "something else"}):
        retried = client.post(url, json={**other, "idempotency_key": "k1"}, headers=headers)
        assert (retried.status_code, retried.json()["code"]) == (409, "IDEMPOTENCY_CONFLICT"), retried.text
    # The same request, or one that leaves out what it retries (no amount: "the rest" the key refunded).
    for same in ({"amount": 10, "reason": "late delivery"}, {"amount": 10}, {"reason": "late delivery"}):
        assert client.post(url, json={**same, "idempotency_key": "k1"}, headers=headers).json()["refunded"] == 10

    refunded, transfers, events = refund_trail(platform, paid_order["id"])
    assert (refunded, transfers, events) == (10, [10], 1)
    assert balance(player) == 1110
    everything_verifies(platform)
