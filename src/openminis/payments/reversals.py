"""Money a payment provider gave back without the platform asking: a refund made in the
provider's dashboard, a dispute (chargeback) the person opened at their bank.

The platform's own top-up refunds (refunds.py) ask the provider; these are the other way round:
the provider says the money is gone, and the books follow. Each is recorded as a top-up refund
already made: a ``ProviderRefund`` with its ``origin`` (``provider`` or ``dispute``) and status
``refunded``, the item's refunded total raised by the same conditional update, the same two
transfers (the coins it bought back to their issuance, the money back into what the provider
holds for the platform). What differs is the coins: the money has left already, so a person who
has spent the coins cannot refuse it. The coins are taken back in proportion, as far as the
wallet holds them; those it does not are the refund's ``coins_unrecovered``, the platform's loss,
which the operator sees on the top-up.

Refunds are followed by their total: Stripe's ``charge.refunded`` says how much of the payment
has been refunded in all, so what the platform does not know of yet is that total less the
refunds it has recorded (its own and earlier ones made at the provider). Events that come twice,
late or out of order then add nothing twice: one with a total already covered adds nothing. A
refund that failed later (below) stays in the totals Stripe made before it failed: a late event
from before the failure counts it as known (``failed_at``, the failure event's time).
Disputes are followed one by one, by their id. While staff's refund of the top-up is still being
asked, both wait (refused, so that the provider sends them again): its answer decides what the
provider's figures mean (a refund made in the dashboard meanwhile, or a dispute, is why the
provider refuses staff's; counted as made, it would leave the books short once refused).

A dispute decided for the platform (``dispute_reinstated``) brings the money back: its refund is
undone exactly as a refused refund is (the coins it took back return to the wallet). So is
staff's refund that the provider accepted and that failed later at the bank (``refund_failed``).

The keys of these refunds start with ``@``, which staff's idempotency keys cannot hold: neither
can take the other's place.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, and_, func, or_, select, update
from sqlalchemy.orm import Session

from openminis.db import utcnow
from openminis.payments import refunds
from openminis.payments.models import ItemRefund, ProviderRefund, TopUp
from openminis.payments.providers import WebhookRejected
from openminis.wallet import service as ledger

log = logging.getLogger("openminis.payments")


def refunded_at_provider(session: Session, topup: TopUp, *, total: int, as_of: datetime | None) -> int:
    """The provider says ``total`` of the top-up's payment had been refunded in all ``as_of`` then:
    record what of it the platform has not. Returns the amount recorded now (0: nothing new)."""
    tally = _turn_when_settled(session, topup)
    standing = ProviderRefund.status == "refunded"
    if as_of is not None:
        # A refund that failed after the provider's figure was made is still in that figure: a
        # late event from before a failure is not news of a refund of that amount.
        standing = or_(standing, and_(ProviderRefund.status == "failed", ProviderRefund.failed_at >= as_of))
    known = int(
        session.scalar(
            select(func.coalesce(func.sum(ProviderRefund.amount), 0)).where(
                ProviderRefund.topup_id == topup.id, ProviderRefund.origin != "dispute", standing
            )
        )
        or 0
    )
    # The total and what was known name the step: known grows by each step recorded, and a step
    # whose key was recorded before adds nothing (_give_back).
    key = f"@refunded-{total}-{known}"
    return _give_back(session, topup, tally, total - known, key=key, origin="provider", provider_ref=None)


def disputed(session: Session, topup: TopUp, *, dispute_id: str, amount: int) -> int:
    """A dispute took ``amount`` of the top-up's payment back: record it once per dispute."""
    tally = _turn_when_settled(session, topup)
    key = f"@dispute-{dispute_id}"
    return _give_back(session, topup, tally, amount, key=key, origin="dispute", provider_ref=dispute_id)


def reinstated(session: Session, topup: TopUp, *, dispute_id: str) -> bool:
    """The dispute was decided for the platform and its money is back: undo its refund, once.
    A dispute never recorded (its withdrawal not heard yet) raises, so that the provider sends
    this again after it; unless the whole payment is refunded already, when its withdrawal took
    nothing and takes nothing when it comes, so there is nothing to undo (not while staff's refund
    of it waits for the provider's answer: refused, it would leave room for the withdrawal)."""
    tally = refunds.lock_topup(session, topup)  # in a refund's lock order: the item's row first
    found = session.get(ProviderRefund, f"refund:topup:{topup.id}:@dispute-{dispute_id}")
    if found is None:
        if tally.refunded >= tally.paid and not _staff_refund_waiting(session, topup):
            log.info("top-up %s: dispute %s won; it took nothing, the payment was refunded", topup.id, dispute_id)
            return False
        raise WebhookRejected(f"dispute {dispute_id} of top-up {topup.id} took nothing back yet")
    return _undo_once(session, found, "reinstated", f"dispute {dispute_id} won: the money is back")


def refund_failed(session: Session, topup: TopUp, *, refund_id: str, why: str | None, at: datetime | None) -> bool:
    """Staff's refund, accepted by the provider, failed later (a closed card, days after): the
    money stayed with the provider, so the refund is undone, once: the coins it took back are the
    person's again, the refunded total is lowered, the provider refund is ``failed``. Heard before
    the platform recorded the provider's acceptance, it is refused (the provider sends it again).
    A failed refund made in the dashboard is logged and left: the platform follows those by
    Stripe's total, which it does not lower."""
    refunds.lock_topup(session, topup)  # in a refund's lock order: the item's row first
    found = session.scalar(
        select(ProviderRefund).where(
            ProviderRefund.topup_id == topup.id,
            ProviderRefund.provider_ref == refund_id,
            ProviderRefund.origin == "platform",
        )
    )
    if found is None:
        if _staff_refund_waiting(session, topup):
            raise WebhookRejected(f"refund {refund_id} of top-up {topup.id}: the platform has not heard it made yet")
        log.warning("top-up %s: refund %s, not staff's, failed at the provider; not followed", topup.id, refund_id)
        return False
    reason = f"the provider's refund {refund_id} failed" + (f": {why}" if why else "")
    return _undo_once(session, found, "failed", reason, failed_at=at or utcnow())


def _undo_once(session: Session, found: ProviderRefund, status: str, reason: str, **also: datetime) -> bool:
    """Move a made refund to ``status`` and undo it, once however often this is heard."""
    moved = cast(
        "CursorResult[Any]",
        session.execute(
            update(ProviderRefund)
            .where(ProviderRefund.key == found.key, ProviderRefund.status == "refunded")
            .values(status=status, reason=reason[:500], updated_at=utcnow(), **also)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    if moved == 1:
        refunds.undo(session, found.key, reason)
    return moved == 1


def _staff_refund_waiting(session: Session, topup: TopUp) -> bool:
    of_topup = ProviderRefund.topup_id == topup.id
    waiting = select(ProviderRefund.key).where(of_topup, ProviderRefund.status == "requested")
    return session.scalar(waiting.limit(1)) is not None


def _turn_when_settled(session: Session, topup: TopUp) -> ItemRefund:
    """The top-up's refund row, locked, once no refund of staff's is waiting for the provider's
    answer (staff's refunds are made under the same lock, so none appears while it is held)."""
    tally = refunds.lock_topup(session, topup)
    if _staff_refund_waiting(session, topup):
        raise WebhookRejected(f"top-up {topup.id}: staff's refund is waiting for the provider's answer; send it later")
    return tally


def _give_back(
    session: Session,
    topup: TopUp,
    tally: ItemRefund,
    amount: int,
    *,
    key: str,
    origin: str,
    provider_ref: str | None,
) -> int:
    if ledger.transfer_details(session, f"refund:topup:{topup.id}:{key}") is not None:
        return 0  # recorded before
    left = tally.paid - tally.refunded
    if amount > left:
        # The provider's figures overlap (a refund of a disputed payment): no more than was paid.
        log.warning("top-up %s: the provider gave back %s, more than the %s left", topup.id, amount, left)
        amount = left
    if amount < 1:
        return 0
    amount, _ = refunds.claim(session, tally, amount)
    due = refunds.coins_due(session, topup, tally.refunded + amount)
    wallet = ledger.account_id(session, "user_wallet", topup.user_id)
    ledger.lock(session, [wallet])  # what it holds stays true until the coins are taken
    taken = min(due, max(ledger.balance(session, wallet), 0))
    reason = "refunded at the provider" if origin == "provider" else "disputed"
    details: dict[str, Any] = {"item": f"topup:{topup.id}", "user_id": topup.user_id, "amount": amount}
    details |= {"coins": taken, "coins_unrecovered": due - taken, "reason": reason, "by": origin}
    refunds.record_topup_refund(
        session,
        topup,
        key,
        amount=amount,
        coins=taken,
        details=details,
        status="refunded",
        origin=origin,
        provider_ref=provider_ref,
        coins_unrecovered=due - taken,
    )
    if due > taken:
        log.warning("top-up %s: %s coins of a refund at the provider were spent; not recovered", topup.id, due - taken)
    return amount
