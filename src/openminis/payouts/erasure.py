"""Payouts' part of a person's data (openminis/erasure.py): the payout accounts and payouts of the
person as a creator. Payouts are money records, kept under the person's id when the account is
deleted; what says who the person is goes: the holder's name at once, an account's destination
once no payout in transit still needs it. A payout not approved yet is canceled (its earnings
stay on the ledger, as all money records do)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from openminis.payouts import service
from openminis.payouts.models import Payout, PayoutAccount
from openminis.rows import as_dict

ERASED = "erased"


def export(session: Session, user_id: str) -> dict[str, Any]:
    payee = service.creator_payee(user_id)
    return {
        "payout_accounts": [
            as_dict(row)
            for row in session.scalars(
                select(PayoutAccount).where(PayoutAccount.payee == payee).order_by(PayoutAccount.created_at)
            )
        ],
        "payouts": [
            as_dict(row)
            for row in session.scalars(select(Payout).where(Payout.payee == payee).order_by(Payout.created_at))
        ],
    }


def erase(session: Session, user_id: str) -> None:
    payee = service.creator_payee(user_id)
    for payout in session.scalars(select(Payout).where(Payout.payee == payee, Payout.status == "requested")).all():
        service.cancel(session, payee, payout.id, by="account deleted")
    sending = set(
        session.scalars(select(Payout.account_id).where(Payout.payee == payee, Payout.status == "in_transit"))
    )
    for account in session.scalars(select(PayoutAccount).where(PayoutAccount.payee == payee)):
        account.holder = ERASED
        if account.id not in sending:
            account.destination = ERASED
    session.flush()
