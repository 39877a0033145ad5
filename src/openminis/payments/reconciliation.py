"""Payments' records against the ledger: every order and top-up says what its transfers moved.

The ledger checks itself (wallet.service.verify): balanced transfers, balances equal to entries.
It cannot see an order marked refunded 100 whose refund transfers gave back 10 (issue 12), so
``minis ledger verify`` also runs this: each order's payment and refunds, and each top-up's
coins and money, must be exactly its transfers, and no such transfer may lack its record.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openminis.attribution.service import CREATOR_EARNINGS
from openminis.payments import orders
from openminis.payments import refunds as item_refunds
from openminis.payments.models import Coupon, CouponGrant, CouponUse, Order, OrderEvent, TopUp
from openminis.wallet import service as ledger
from openminis.wallet.service import COIN

PAID = ("paid", "consumed", "partially_refunded", "refunded")
REFUND_EVENTS = ("partially_refunded", "refunded")
UNDONE_STATUSES = ("refused", "failed", "reinstated")
UNDONE, COINS, COINS_UNDONE = "refund-undone:", "refund-coins:", "refund-undone-coins:"


def verify(session: Session) -> list[str]:
    """Every disagreement between payments' records and the ledger, in words; empty when none."""
    orders = _orders(session) + _order_legs(session) + _coupons(session)
    return orders + _topups(session) + _item_refunds(session) + _provider_refunds(session)


def _orders(session: Session) -> list[str]:
    problems: list[str] = []
    payments: dict[str, ledger.Recorded] = {}
    refunds: dict[str, list[int]] = defaultdict(list)
    for transfer in ledger.transfers_keyed(session, "order:"):
        _, order_id, what = transfer.key.split(":", 2)
        if what == "pay":
            payments[order_id] = transfer
        elif what.startswith("refund:"):
            refunds[order_id].append(transfer.amount)
    events = dict(
        session.execute(
            select(OrderEvent.order_id, func.count())
            .where(OrderEvent.status.in_(REFUND_EVENTS))
            .group_by(OrderEvent.order_id)
        ).all()
    )
    rows = session.execute(
        select(Order.id, Order.status, Order.amount, Order.refunded, Order.discount)
        .order_by(Order.id)
        .execution_options(yield_per=2000)
    )
    for order_id, status, amount, refunded, discount in rows:
        # A coupon order's transfers move more than the person's coins (the funder's part): what
        # they took from and gave back to the wallet is checked leg by leg (_order_legs).
        payment = payments.pop(order_id, None)
        if status in PAID:
            if payment is None:
                problems.append(f"order {order_id} is {status} but no transfer paid for it")
            elif not discount and (payment.amount, payment.currency) != (amount, COIN):
                problems.append(
                    f"order {order_id} is for {amount} coins but its payment moved {payment.amount} {payment.currency}"
                )
        elif payment is not None:
            problems.append(f"order {order_id} is {status} but a transfer paid {payment.amount} for it")
        given_back = refunds.pop(order_id, [])
        if not discount and refunded != sum(given_back):
            problems.append(
                f"order {order_id} is marked refunded {refunded} but its {len(given_back)} refund transfers"
                f" gave back {sum(given_back)}"
            )
        if not 0 <= refunded <= amount:
            problems.append(f"order {order_id} is marked refunded {refunded} of {amount}")
        if events.get(order_id, 0) != len(given_back):
            problems.append(
                f"order {order_id} has {events.get(order_id, 0)} refund events for {len(given_back)} refund transfers"
            )
        expected = "refunded" if refunded and refunded == amount else "partially_refunded" if refunded else None
        if expected is not None and status != expected:
            problems.append(f"order {order_id} is {status} but {refunded} of its {amount} coins were refunded")
        if expected is None and status in REFUND_EVENTS:
            problems.append(f"order {order_id} is {status} but nothing of it was refunded")
    problems += [f"transfer {payment.key} paid for an order that does not exist" for payment in payments.values()]
    problems += [
        f"{len(amounts)} refund transfers of order {order_id}, which does not exist"
        for order_id, amounts in refunds.items()
    ]
    return problems


def _order_legs(session: Session) -> list[str]:
    """Each order's legs: the person paid ``amount`` and got ``refunded`` back; the platform got the
    fee (on the list price) and gave back its part of each refund; a coupon's platform funding
    paid the ``discount`` and got its part back (coupons.py; a developer's discount is inside the
    app's own leg, which the transfer's balance then fixes)."""
    problems: list[str] = []
    kinds = ("user_wallet", "platform_revenue", "coupon_funding")
    legs = ledger.entries_keyed(session, "order:", (*kinds, CREATOR_EARNINGS))
    paid: dict[str, dict[str, int]] = {}
    given: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys((*kinds, CREATOR_EARNINGS), 0))
    for key, sums in legs.items():
        _, order_id, what = key.split(":", 2)
        if what == "pay":
            paid[order_id] = sums
        elif what.startswith("refund:"):
            for kind in (*kinds, CREATOR_EARNINGS):
                given[order_id][kind] += sums.get(kind, 0)
    funders = dict(session.execute(select(CouponUse.order_id, CouponUse.funder)).all())
    rows = session.execute(
        select(Order.id, Order.amount, Order.fee, Order.discount, Order.refunded)
        .where(Order.status.in_(PAID))
        .order_by(Order.id)
        .execution_options(yield_per=2000)
    )
    for order_id, amount, fee, discount, refunded in rows:
        moved = paid.get(order_id)
        if moved is None:
            continue  # _orders says so
        funded = discount if funders.get(order_id) == "platform" else 0
        if discount and order_id not in funders:
            problems.append(f"order {order_id} has a discount of {discount} but no coupon use")
        expected = {"user_wallet": -amount, "platform_revenue": fee, "coupon_funding": -funded}
        back = given.get(order_id, dict.fromkeys((*kinds, CREATOR_EARNINGS), 0))
        commission = moved.get(CREATOR_EARNINGS, 0)
        line = (
            orders.given_back_of_order(amount=amount, funded=funded, fee=fee, commission=commission, refunded=refunded)
            if amount
            else [0, 0, 0]
        )
        # What the creator's earnings no longer held of their part (paid out) the platform's
        # revenue covered, in the same refunds (attribution.claw_back); never more than their part.
        covered = line[2] + back[CREATOR_EARNINGS]
        if not 0 <= covered <= line[2]:
            problems.append(f"order {order_id}'s refunds took {-back[CREATOR_EARNINGS]} from its creator, of {line[2]}")
        expected_back = {
            "user_wallet": refunded,
            "platform_revenue": -line[1] - covered,  # (the app, the fee, the creator)
            "coupon_funding": funded * refunded // amount if amount else 0,
        }
        # Partial refunds made before the fee's part came from the refund's line gave it back
        # rounded down on its own (orders.refund before refund_shares.py).
        before_the_line = -(fee * refunded // amount) if amount else 0
        for kind in kinds:
            got = moved.get(kind, 0)
            if got != expected[kind]:
                problems.append(f"order {order_id}'s payment moved {got} on {kind}, not {expected[kind]}")
            if back[kind] != expected_back[kind] and not (kind == "platform_revenue" and back[kind] == before_the_line):
                problems.append(f"order {order_id}'s refunds moved {back[kind]} on {kind}, not {expected_back[kind]}")
    return problems


def _coupons(session: Session) -> list[str]:
    """Each coupon's and each holder's count of uses is its uses not given back, within its limits;
    each use is its order's discount."""
    problems: list[str] = []
    live = dict(
        session.execute(
            select(CouponUse.coupon_id, func.count())
            .where(CouponUse.released_at.is_(None))
            .group_by(CouponUse.coupon_id)
        ).all()
    )
    for coupon_id, used, total_limit in session.execute(select(Coupon.id, Coupon.used, Coupon.total_limit)):
        if used != live.get(coupon_id, 0):
            problems.append(f"coupon {coupon_id} counts {used} uses but {live.get(coupon_id, 0)} are not given back")
        if total_limit is not None and used > total_limit:
            problems.append(f"coupon {coupon_id} was used {used} times, past its limit of {total_limit}")
    per_person = dict(
        ((coupon_id, user_id), count)
        for coupon_id, user_id, count in session.execute(
            select(CouponUse.coupon_id, CouponUse.user_id, func.count())
            .where(CouponUse.released_at.is_(None))
            .group_by(CouponUse.coupon_id, CouponUse.user_id)
        )
    )
    for coupon_id, user_id, used, limit in session.execute(
        select(CouponGrant.coupon_id, CouponGrant.user_id, CouponGrant.used, Coupon.per_person_limit).join(
            Coupon, Coupon.id == CouponGrant.coupon_id
        )
    ):
        if used != per_person.pop((coupon_id, user_id), 0) or used > limit:
            problems.append(f"{user_id} counts {used} uses of coupon {coupon_id} (limit {limit})")
    problems += [f"{user_id} used coupon {coupon_id} without holding it" for coupon_id, user_id in per_person]
    mismatched = session.execute(
        select(CouponUse.order_id)
        .join(Order, Order.id == CouponUse.order_id)
        .where((Order.discount != CouponUse.discount) | (Order.coupon_id != CouponUse.coupon_id))
    ).scalars()
    problems += [f"order {order_id}'s discount is not its coupon use's" for order_id in mismatched]
    return problems


def _topups(session: Session) -> list[str]:
    problems: list[str] = []
    moved: dict[str, dict[str, ledger.Recorded]] = defaultdict(dict)
    for transfer in ledger.transfers_keyed(session, "topup:"):
        _, topup_id, what = transfer.key.split(":", 2)
        moved[topup_id][what] = transfer
    rows = session.execute(
        select(TopUp.id, TopUp.status, TopUp.coins, TopUp.amount, TopUp.currency)
        .order_by(TopUp.id)
        .execution_options(yield_per=2000)
    )
    for topup_id, status, coins, amount, currency in rows:
        transfers = moved.pop(topup_id, {})
        if status != "succeeded":
            if transfers:
                problems.append(f"top-up {topup_id} is {status} but transfers {sorted(transfers)} moved value for it")
            continue
        credited, paid = transfers.get("coins"), transfers.get("money")
        if credited is None or (credited.amount, credited.currency) != (coins, COIN):
            problems.append(
                f"top-up {topup_id} succeeded for {coins} coins but its coin transfer moved {_said(credited)}"
            )
        if paid is None or (paid.amount, paid.currency) != (amount, currency):
            problems.append(
                f"top-up {topup_id} succeeded for {amount} {currency} but its money transfer moved {_said(paid)}"
            )
    problems += [
        f"transfers {sorted(t.key for t in transfers.values())} are for a top-up that does not exist"
        for transfers in moved.values()
    ]
    return problems


def _said(transfer: ledger.Recorded | None) -> str:
    return "nothing (there is none)" if transfer is None else f"{transfer.amount} {transfer.currency}"


def _item_refunds(session: Session) -> list[str]:
    """An unlock's, a pass period's or a top-up's refunded total equals its refund transfers
    (``refund:<item>:<key>``, each moving the amount given back) less those its provider refused
    (``refund-undone:<item>:<key>``), and no such transfer lacks its item."""
    given: dict[str, int] = defaultdict(int)
    for transfer in ledger.transfers_keyed(session, "refund:"):
        item = item_refunds.item_of_refund_key(transfer.key)
        given[item or transfer.key] += transfer.amount
    for transfer in ledger.transfers_keyed(session, UNDONE):
        refund_key = "refund:" + transfer.key.removeprefix(UNDONE)
        item = item_refunds.item_of_refund_key(refund_key)
        given[item or refund_key] -= transfer.amount
    problems: list[str] = []
    for item, total in item_refunds.all_tallies(session):
        moved = given.pop(item, 0)
        if moved != total:
            problems.append(f"{item} is marked refunded {total} but its refund transfers gave back {moved}")
    problems += [
        f"refund transfers of {item} gave back {total}, but no refund of it is recorded"
        for item, total in given.items()
    ]
    return problems


def _provider_refunds(session: Session) -> list[str]:
    """Every top-up's money refund transfer has its provider refund for its amount (one the
    provider made without being asked has one too, reversals.py), and the transfers that undo it
    exactly when it was refused or its dispute won: the money's, and the coins' when the refund
    took coins back."""
    refunds = item_refunds.all_provider_refunds(session)
    moved = {transfer.key: transfer for transfer in ledger.transfers_keyed(session, "refund:topup:")}
    undone = {t.key.removeprefix(UNDONE): t.amount for t in ledger.transfers_keyed(session, UNDONE)}
    coins = {t.key.removeprefix(COINS): t.amount for t in ledger.transfers_keyed(session, COINS)}
    coins_undone = {t.key.removeprefix(COINS_UNDONE): t.amount for t in ledger.transfers_keyed(session, COINS_UNDONE)}
    problems: list[str] = []
    for key, transfer in moved.items():
        rest = key.removeprefix("refund:")
        found = refunds.pop(key, None)
        if found is None:
            problems.append(f"refund transfer {key} gave back money, but its provider was never asked")
            continue
        status, amount, taken = found
        if amount != transfer.amount:
            problems.append(f"refund {key} asks its provider for {amount} but its transfer gave back {transfer.amount}")
        if taken != coins.get(rest, 0):
            moved_coins = coins.get(rest, 0)
            problems.append(f"refund {key} says it took back {taken} coins but its coin transfer moved {moved_coins}")
        # Refused or failed at the provider, or a dispute the platform won: the refund is undone.
        expected = (transfer.amount, coins.get(rest)) if status in UNDONE_STATUSES else (None, None)
        if (undone.pop(rest, None), coins_undone.pop(rest, None)) != expected:
            problems.append(
                f"refund {key} is {status} but its undoing transfers do not match"
                f" (money {expected[0]}, coins {expected[1]} expected)"
            )
    problems += [f"provider refund {key} has no refund transfer" for key in refunds]
    problems += [f"transfer {UNDONE}{rest} undoes no top-up refund" for rest in undone]
    problems += [f"transfer {COINS_UNDONE}{rest} undoes no top-up refund" for rest in coins_undone]
    return problems
