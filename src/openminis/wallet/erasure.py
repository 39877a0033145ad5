"""The wallet's part of a person's data (openminis/erasure.py): their accounts and every ledger line
that moved them. A deletion erases nothing here: the ledger must still verify."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from openminis.rows import plain
from openminis.wallet.models import Account, LedgerEntry, LedgerTransfer
from openminis.wallet.service import balance


def export(session: Session, user_id: str) -> dict[str, Any]:
    accounts = session.scalars(select(Account).where(Account.owner_id == user_id)).all()  # wallet, creator earnings
    lines = (
        session.execute(
            select(LedgerEntry, LedgerTransfer, Account)
            .join(LedgerTransfer, LedgerTransfer.id == LedgerEntry.transfer_id)
            .join(Account, Account.id == LedgerEntry.account_id)
            .where(LedgerEntry.account_id.in_([a.id for a in accounts]))
            .order_by(LedgerTransfer.created_at, LedgerEntry.id)
        ).all()
        if accounts
        else []
    )
    return {
        # Each account's own balance: a guest's wallet forwarded to its account holds nothing.
        "wallet": [
            {"kind": a.kind, "currency": a.currency, "balance": balance(session, a.id, forwarded=False)}
            for a in accounts
        ],
        "ledger": [
            {
                "at": plain(transfer.created_at),
                "kind": transfer.kind,
                "account": account.kind,
                "currency": transfer.currency,
                "amount": entry.amount,
                "transfer_id": transfer.id,
                "details": transfer.details,
            }
            for entry, transfer, account in lines
        ],
    }
