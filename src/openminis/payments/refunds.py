"""Refunds the operator makes of what is not an order: an episode or series unlock, a pass period,
a top-up. (An order is refunded by orders.refund, the developer's own path, with the staff member
named as who refunded.)

The same rules as an order's refund: in full or in part; each party gives back its part of the
charge (refund_shares.py: never more than it received, never a credit), so however a refund is
split the parts add up to what each received (the creator's recorded by attribution.claw_back, as
for an order, which has the platform's revenue cover what the creator's earnings no longer hold);
one refund per idempotency key; refunds of one item take turns on its ItemRefund row and its
refunded total only grows by a conditional update that keeps it at most what was paid.

A top-up's refund gives back money, which only its payment provider can do: with its transfers a
``ProviderRefund`` is written and a job (background.py) asks the provider with no transaction
open. Refunded: the provider's refund id is recorded. Refused for good: the refund did not
happen, so it is undone exactly (``settle``): its transfers reversed (``refund-undone:...``), the
item's refunded total lowered by a conditional update.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from openminis.attribution import service as attribution
from openminis.db import insert_ignoring_conflicts, utcnow
from openminis.errors import Conflict, InvalidArgument, NotFound
from openminis.jobs import service as jobs
from openminis.payments import refund_shares
from openminis.payments.models import ItemRefund, ProviderRefund, TopUp
from openminis.payments.orders import IDEMPOTENCY_KEY, OrderStateError
from openminis.payments.providers import RefundAnswer, RefundRequest
from openminis.wallet import service as ledger
from openminis.wallet.service import COIN, Leg

# An item's kind, by the first part of its charge's transfer key, and the kinds of charge it may be.
CHARGES = {"unlock": ("drama_unlock",), "series": ("drama_unlock",), "pass": ("subscription",)}
KINDS = (*CHARGES, "topup")
PROVIDER_REFUND_JOB = "payments.provider_refund"


@dataclass(frozen=True)
class ItemRefunded:
    item: str
    kind: str
    user_id: str
    app_id: str | None
    currency: str
    paid: int
    refunded: int  # in all, after this refund
    amount: int  # given back by this refund (a repeated key: by the refund it made)
    attribution: attribution.Attribution
    repeated: bool = False  # a retry of a refund made: nothing written, nothing to report again


def item_kind(item: str) -> str:
    kind = item.split(":", 1)[0]
    if kind not in KINDS or item.count(":") != (1 if kind == "topup" else 2):
        raise InvalidArgument(
            "item is order:<id>, unlock:<person>:<episode>, series:<person>:<series>, pass:<subscription>:<period>"
            " or topup:<id>",
            field="item",
        )
    return kind


def item_of_refund_key(key: str) -> str | None:
    """The item a refund transfer's key (``refund:<item>:<idempotency key>``) is for."""
    rest = key.removeprefix("refund:")
    parts = rest.split(":")
    if rest == key or not parts or parts[0] not in KINDS:
        return None
    return ":".join(parts[: 2 if parts[0] == "topup" else 3])


def buyer(session: Session, item: str) -> str | None:
    """Who paid for the item (an unlock, a series, a pass period or a top-up), if anyone did."""
    if item_kind(item) == "topup":
        topup = session.get(TopUp, item.split(":", 1)[1])
        return topup.user_id if topup is not None else None
    paid = ledger.charge(session, item)
    payer = _payer(paid) if paid is not None else None
    return payer.owner_id if payer is not None else None


def app_of(session: Session, item: str) -> str | None:
    """The app an item's charge paid (None for a top-up, or when nothing was paid)."""
    paid = None if item_kind(item) == "topup" else ledger.charge(session, item)
    return _app_paid(paid) if paid is not None else None


def _app_paid(paid: ledger.Charge) -> str | None:
    return paid.details.get("app_id") or next((p.owner_id for p in paid.postings if p.kind == "app_earnings"), None)


def _payer(paid: ledger.Charge) -> ledger.Posting | None:
    """The person's leg of a charge: the wallet it debited."""
    return next((p for p in paid.postings if p.kind == "user_wallet" and p.amount < 0), None)


def refund(
    session: Session, item: str, *, amount: int | None, reason: str, idempotency_key: str, by: str
) -> ItemRefunded:
    """Give back ``amount`` (None: all that is left) of an item's charge: coins for an unlock, a
    series or a pass period; the top-up's own money (minor units) for a top-up, with the coins it
    bought taken back in proportion."""
    kind = item_kind(item)
    if not IDEMPOTENCY_KEY.match(idempotency_key or ""):
        raise InvalidArgument(
            "idempotency_key must be 1-128 letters, digits, '_', '.', ':' or '-'", field="idempotency_key"
        )
    if not reason.strip():
        raise InvalidArgument("say why the refund is made", field="reason")
    if kind == "topup":
        return _refund_topup(session, item, amount=amount, reason=reason, idempotency_key=idempotency_key, by=by)
    paid = ledger.charge(session, item)
    if paid is None or paid.kind not in CHARGES[kind] or paid.currency != COIN:
        raise NotFound(f"nothing was paid for {item!r}", field="item")
    payer = _payer(paid)
    if payer is None:
        raise NotFound(f"no person paid for {item!r}", field="item")
    gross = -payer.amount
    app_id = _app_paid(paid)
    tally, done = _take_turn(
        session,
        item,
        kind=kind,
        user_id=payer.owner_id,
        app_id=app_id,
        currency=COIN,
        paid=gross,
        key=idempotency_key,
    )
    if done is not None:
        return _repeated(tally, done, amount=amount, reason=reason)
    amount, before = claim(session, tally, amount)
    after = before + amount
    conversion = attribution.find(session, item)
    creator = conversion.creator_id if conversion is not None and conversion.commission else None
    # Every party the charge paid gives back its part of what it received (refund_shares.py: never
    # more than it received, never a credit, and in the end exactly its share), in a fixed order.
    paid_parties = sorted((p for p in paid.postings if p is not payer), key=lambda p: p.account_id)
    given = refund_shares.parts([p.amount for p in paid_parties], before, after)
    # The creator's part comes from their earnings as far as they hold it; what they no longer
    # hold (paid out) the platform covers from its revenue, in this transfer (attribution.claw_back).
    covered = 0
    platform: int | None = None
    for n, posting in enumerate(paid_parties):
        if given[n] and posting.kind == attribution.CREATOR_EARNINGS and conversion and creator == posting.owner_id:
            taken = attribution.claw_back(
                session,
                conversion,
                given[n],
                payer=payer.account_id,
                accounts=[p.account_id for p in paid_parties if p is not posting],
                platform_gives=sum(
                    part for p, part in zip(paid_parties, given, strict=True) if p.kind == attribution.PLATFORM_REVENUE
                ),
            )
            given[n], covered, platform = taken.given, taken.covered, taken.platform
    legs = [Leg(payer.account_id, amount)]
    parts: dict[str, int] = {}
    for posting, part in zip(paid_parties, given, strict=True):
        parts[posting.kind] = parts.get(posting.kind, 0) + part
        legs.append(
            Leg(
                posting.account_id,
                -part - (covered if posting.account_id == platform else 0),
                anchor=posting.kind == "app_earnings",
            )
        )
    if covered and platform is not None and platform not in {p.account_id for p in paid_parties}:
        legs.append(Leg(platform, -covered))  # (the charge paid the platform no fee)
    ledger.transfer(
        session,
        key=f"refund:{item}:{idempotency_key}",
        kind="refund",
        currency=COIN,
        legs=legs,
        details={
            "item": item,
            "app_id": app_id,
            "user_id": payer.owner_id,
            "amount": amount,
            "fee": parts.get("platform_revenue", 0),
            "commission": parts.get(attribution.CREATOR_EARNINGS, 0),  # what the creator gave back
            "commission_covered": covered,  # what the platform gave back for them
            "reason": reason[:200],
            "by": by[:200],
        },
        reverses=paid.key,
    )
    return ItemRefunded(item, kind, payer.owner_id, app_id, COIN, gross, after, amount, attribution.of(conversion))


def _refund_topup(
    session: Session, item: str, *, amount: int | None, reason: str, idempotency_key: str, by: str
) -> ItemRefunded:
    topup = session.get(TopUp, item.split(":", 1)[1])
    if topup is None or topup.status != "succeeded":
        raise NotFound(f"no paid top-up {item!r}", field="item")
    tally, done = topup_turn(session, topup, idempotency_key)
    if done is not None:
        return _repeated(tally, done, amount=amount, reason=reason)
    amount, before = claim(session, tally, amount)
    after = before + amount
    coins = coins_due(session, topup, after)
    details = {"item": item, "user_id": topup.user_id, "amount": amount, "coins": coins, "reason": reason[:200]}
    details["by"] = by[:200]
    # The coins it bought leave the wallet first: a person who spent them cannot have the money
    # back for them (InsufficientFunds, and nothing of the refund is kept). The provider is asked
    # once this commits.
    key = record_topup_refund(session, topup, idempotency_key, amount=amount, coins=coins, details=details)
    jobs.enqueue(session, PROVIDER_REFUND_JOB, {"key": key}, unique_key=key)
    return ItemRefunded(
        item, "topup", topup.user_id, None, topup.currency, topup.amount, after, amount, attribution.NONE
    )


def coins_due(session: Session, topup: TopUp, refunded: int) -> int:
    """The coins a refund bringing the top-up's refunded total to ``refunded`` gives back: the
    coins of that much of its price, less those its refunds still standing gave back (taken, or
    due and spent). Cumulative, so that however a top-up is refunded in parts, and whatever of it
    is undone in between, its coins are given back at most once in all."""
    standing = session.scalar(
        select(func.coalesce(func.sum(ProviderRefund.coins + ProviderRefund.coins_unrecovered), 0)).where(
            ProviderRefund.topup_id == topup.id, ProviderRefund.status.in_(("requested", "refunded"))
        )
    )
    # Rounded up: the coins of a part of the price, however small the part, never stay with the
    # person (a probe: 99 one-cent refunds of a 1-coin pack at 100 cents took back no coin).
    return max(-(-topup.coins * refunded // topup.amount) - int(standing or 0), 0)


def record_topup_refund(
    session: Session,
    topup: TopUp,
    idempotency_key: str,
    *,
    amount: int,
    coins: int,
    details: dict[str, Any],
    status: str = "requested",
    origin: str = "platform",
    provider_ref: str | None = None,
    coins_unrecovered: int = 0,
) -> str:
    """A top-up's refund in the books: ``coins`` from the wallet back to their issuance, ``amount``
    of money back into what the provider holds for the platform (the coin sales shrink), and its
    provider refund. Returns the refund's key (its money transfer's)."""
    item = f"topup:{topup.id}"
    if coins:
        ledger.transfer(
            session,
            key=f"refund-coins:{item}:{idempotency_key}",
            kind="topup_refund",
            currency=COIN,
            legs=[
                Leg(ledger.account_id(session, "user_wallet", topup.user_id), -coins),
                Leg(ledger.account_id(session, "coin_issuance"), coins),
            ],
            details=details,
        )
    key = f"refund:{item}:{idempotency_key}"
    ledger.transfer(
        session,
        key=key,
        kind="topup_refund",
        currency=topup.currency,
        legs=[
            Leg(ledger.account_id(session, "provider_clearing", topup.provider, topup.currency), amount),
            Leg(ledger.account_id(session, "coin_sales", "", topup.currency), -amount),
        ],
        details=details,
    )
    now = utcnow()
    session.add(
        ProviderRefund(
            key=key,
            topup_id=topup.id,
            provider=topup.provider,
            amount=amount,
            currency=topup.currency,
            status=status,
            origin=origin,
            provider_ref=provider_ref,
            coins=coins,
            coins_unrecovered=coins_unrecovered,
            created_at=now,
            updated_at=now,
        )
    )
    session.flush()
    return key


def topup_turn(session: Session, topup: TopUp, key: str) -> tuple[ItemRefund, dict[str, Any] | None]:
    """A top-up's refund row, locked, and what the refund ``key`` recorded if it was made."""
    tally = lock_topup(session, topup)
    return tally, ledger.transfer_details(session, f"refund:{tally.item}:{key}")


def lock_topup(session: Session, topup: TopUp) -> ItemRefund:
    """A top-up's refund row, locked (made on its first refund): its refunds take turns on it."""
    return _lock_item(
        session,
        f"topup:{topup.id}",
        kind="topup",
        user_id=topup.user_id,
        app_id=None,
        currency=topup.currency,
        paid=topup.amount,
    )


def _take_turn(
    session: Session,
    item: str,
    *,
    kind: str,
    user_id: str,
    app_id: str | None,
    currency: str,
    paid: int,
    key: str,
) -> tuple[ItemRefund, dict[str, Any] | None]:
    """The item's refund row, locked (made on its first refund), and what the idempotency key's
    refund recorded if it was made. The key's transfer is looked for only once the row is ours:
    concurrent retries of one key then find the first one's transfer, never both none."""
    tally = _lock_item(session, item, kind=kind, user_id=user_id, app_id=app_id, currency=currency, paid=paid)
    return tally, ledger.transfer_details(session, f"refund:{item}:{key}")


def _lock_item(
    session: Session, item: str, *, kind: str, user_id: str, app_id: str | None, currency: str, paid: int
) -> ItemRefund:
    insert_ignoring_conflicts(
        session,
        ItemRefund,
        {
            "item": item,
            "kind": kind,
            "user_id": user_id,
            "app_id": app_id,
            "currency": currency,
            "paid": paid,
            "refunded": 0,
            "updated_at": utcnow(),
        },
    )
    return session.scalars(
        select(ItemRefund).where(ItemRefund.item == item).with_for_update().execution_options(populate_existing=True)
    ).one()


def _repeated(tally: ItemRefund, done: dict[str, Any], *, amount: int | None, reason: str) -> ItemRefunded:
    """A retry of a refund made: the same answer (the amount that key gave back), nothing written;
    one that asks another amount or reason is refused (it would otherwise answer 200 and refund
    nothing). A retry answered "amount 0" read as "nothing was refunded" (a probe, ops52)."""
    if (amount is not None and amount != done.get("amount")) or (reason and reason[:200] != done.get("reason")):
        raise Conflict(
            f"this idempotency key refunded {done.get('amount')} (reason {done.get('reason')!r});"
            " a retry must ask the same",
            code="IDEMPOTENCY_CONFLICT",
            field="idempotency_key",
        )
    return ItemRefunded(
        tally.item,
        tally.kind,
        tally.user_id,
        tally.app_id,
        tally.currency,
        tally.paid,
        tally.refunded,
        int(done["amount"]),
        attribution.NONE,
        repeated=True,
    )


def claim(session: Session, tally: ItemRefund, amount: int | None) -> tuple[int, int]:
    """Add ``amount`` (None: the rest) to the item's refunded total, never beyond what was paid.
    Returns the amount and the total before it."""
    before = tally.refunded
    if amount is None:
        amount = tally.paid - before
        if amount < 1:
            raise OrderStateError(f"{tally.item} is refunded in full already")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 1:
        raise InvalidArgument("amount is a whole number, at least 1", field="amount")
    # A second guard, in the database: the total never passes what was paid.
    claimed = cast(
        "CursorResult[Any]",
        session.execute(
            update(ItemRefund)
            .where(ItemRefund.item == tally.item, ItemRefund.refunded + amount <= ItemRefund.paid)
            .values(refunded=ItemRefund.refunded + amount, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    if claimed != 1:
        raise InvalidArgument(f"at most {tally.paid - before} of {tally.item} is left to refund", field="amount")
    return amount, before


# The provider's answer to a top-up's refund ----------------------------------------------------


@dataclass(frozen=True)
class AskingProvider:
    """A top-up's refund on its way to its provider (the refund job's prepared step)."""

    key: str
    provider: str
    request: RefundRequest


def asking_provider(session: Session, key: str) -> AskingProvider | None:
    """What to ask the provider, or None when the refund is no longer waiting for its answer."""
    found = session.get(ProviderRefund, key)
    if found is None or found.status != "requested":
        return None
    topup = session.get_one(TopUp, found.topup_id)
    request = RefundRequest(
        key=found.key,
        topup_id=topup.id,
        provider_ref=topup.provider_ref,
        amount=found.amount,
        currency=found.currency,
    )
    return AskingProvider(found.key, found.provider, request)


def settle(session: Session, key: str, answer: RefundAnswer) -> None:
    """Record the provider's answer, once: refunded, or refused and the refund undone."""
    status = "refunded" if answer.outcome == "refunded" else "refused"
    reason = None if status == "refunded" else (answer.reason or "the provider refused it")[:500]
    moved = cast(
        "CursorResult[Any]",
        session.execute(
            update(ProviderRefund)
            .where(ProviderRefund.key == key, ProviderRefund.status == "requested")
            .values(
                status=status, provider_ref=answer.provider_ref, reason=reason, last_error=None, updated_at=utcnow()
            )
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    if moved == 1 and status == "refused":
        undo(session, key, reason or "")


def undo(session: Session, key: str, reason: str) -> None:
    """A refund its provider refused did not happen: lower the item's total and reverse the refund's
    transfers, entry for entry (the coins back to the wallet, the money back to the coin sales). In
    the refund's own order (the item's row, then the coins, then the money), so that an undo and a
    refund of the same person's top-ups never wait on each other's locks."""
    rest = key.removeprefix("refund:")
    money = ledger.charge(session, key)
    assert money is not None  # a provider refund is written with its money transfer
    item = item_of_refund_key(key)
    lowered = cast(
        "CursorResult[Any]",
        session.execute(
            update(ItemRefund)
            .where(ItemRefund.item == item, ItemRefund.refunded >= money.amount)
            .values(refunded=ItemRefund.refunded - money.amount, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    if lowered != 1:
        raise Conflict(f"{item} is marked refunded less than the {money.amount} its refused refund gave back")
    details = {"item": item, "amount": money.amount, "reason": reason[:200]}
    coins = ledger.charge(session, f"refund-coins:{rest}")
    if coins is not None:
        ledger.transfer(
            session,
            key=f"refund-undone-coins:{rest}",
            kind="topup_refund_undone",
            currency=COIN,
            legs=[Leg(p.account_id, -p.amount) for p in coins.postings],
            details=details | {"coins": coins.amount},
            reverses=coins.key,
        )
    ledger.transfer(
        session,
        key=f"refund-undone:{rest}",
        kind="topup_refund_undone",
        currency=money.currency,
        legs=[Leg(p.account_id, -p.amount) for p in money.postings],
        details=details,
        reverses=key,
    )


class RefundStateError(Conflict):
    code = "REFUND_STATE"


def ask_again(session: Session, key: str) -> ProviderRefund:
    """Ask the provider again now for a refund still waiting for its answer: after its job gave up
    retrying (the provider was down for days) nothing else would, and while it waits the top-up's
    reversals (a chargeback, a refund made in the provider's dashboard) are refused. Asking twice
    is harmless: the provider is asked with the refund's own key, and its answer is recorded once."""
    found = session.get(ProviderRefund, key)
    if found is None:
        raise NotFound(f"no provider refund {key!r}", field="key")
    if found.status != "requested":
        raise RefundStateError(
            f"this refund is {found.status}; only a refund waiting for its provider's answer is asked again"
        )
    # A key of its own (the first job's is the refund's key, which may already fill the column).
    jobs.enqueue(session, PROVIDER_REFUND_JOB, {"key": key}, unique_key=f"refund-again:{secrets.token_hex(16)}")
    return found


def note_trouble(session: Session, key: str, error: str, *, gave_up: bool) -> None:
    """The provider did not answer: the refund stays requested, and finance sees why."""
    session.execute(
        update(ProviderRefund)
        .where(ProviderRefund.key == key, ProviderRefund.status == "requested")
        .values(last_error=(("gave up retrying: " if gave_up else "") + error)[:500], updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def provider_refunds_of(session: Session, topup_ids: list[str]) -> dict[str, list[ProviderRefund]]:
    """Each top-up's provider refunds, oldest first (absent: none)."""
    found: dict[str, list[ProviderRefund]] = {}
    if not topup_ids:
        return found
    rows = session.scalars(
        select(ProviderRefund)
        .where(ProviderRefund.topup_id.in_(topup_ids))
        .order_by(ProviderRefund.created_at, ProviderRefund.key)
    )
    for row in rows:
        found.setdefault(row.topup_id, []).append(row)
    return found


def all_provider_refunds(session: Session) -> dict[str, tuple[str, int, int]]:
    """Every provider refund's status, amount and coins taken back, by its key (reconciliation.py
    checks them against the transfers)."""
    rows = session.execute(
        select(ProviderRefund.key, ProviderRefund.status, ProviderRefund.amount, ProviderRefund.coins)
    )
    return {key: (status, int(amount), int(coins)) for key, status, amount, coins in rows}


def refunded(session: Session, items: list[str]) -> dict[str, int]:
    """How much of each item has been refunded (absent: nothing)."""
    if not items:
        return {}
    rows = session.execute(select(ItemRefund.item, ItemRefund.refunded).where(ItemRefund.item.in_(items)))
    return {item: int(total) for item, total in rows}


def topups_of(session: Session, user_id: str, *, limit: int = 100) -> list[TopUp]:
    return list(
        session.scalars(
            select(TopUp).where(TopUp.user_id == user_id).order_by(TopUp.created_at.desc(), TopUp.id).limit(limit)
        )
    )


def all_tallies(session: Session) -> list[tuple[str, int]]:
    """Every item's refunded total (reconciliation.py checks it against the refund transfers)."""
    return [(item, int(total)) for item, total in session.execute(select(ItemRefund.item, ItemRefund.refunded))]
