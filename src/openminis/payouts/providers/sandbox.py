"""The sandbox payout provider: a real implementation of the interface that moves no money.

It keeps its own book (``SandboxPayoutTransfer``), written in a transaction of its own as a real
provider's system would be: asked twice with one key, it answers with the first transfer, so a
payout asked for again after the platform crashed mid-call is paid once. Test destinations, as
Stripe's test accounts: one starting with ``fail`` refuses every transfer (the money returns to
the payee), one starting with ``unreachable`` never answers (the platform tries again later);
any other pays.
"""

from __future__ import annotations

import re
import secrets

from sqlalchemy import select

from openminis.db import Database, insert_ignoring_conflicts, utcnow
from openminis.payouts.models import SandboxPayoutTransfer
from openminis.payouts.providers import PayoutTransfer, PayoutUnavailable, Sent, refuse_destination
from openminis.unit_of_work import unit_of_work

DESTINATION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{2,63}\Z")


class SandboxPayouts:
    name = "sandbox"

    def __init__(self, db: Database):
        self._db = db

    def check_destination(self, destination: str) -> str:
        cleaned = destination.strip()
        if not DESTINATION.match(cleaned):
            raise refuse_destination(
                "a sandbox account is 3-64 letters, digits, '_', '.', '@' or '-'"
                " (one starting with 'fail' refuses transfers, 'unreachable' never answers)"
            )
        return cleaned

    def pay(self, transfer: PayoutTransfer) -> Sent:
        if transfer.destination.startswith("unreachable"):
            raise PayoutUnavailable("the sandbox account 'unreachable...' never answers")
        if transfer.destination.startswith("fail"):
            return Sent("refused", reason="the sandbox account refuses transfers (its name starts with 'fail')")
        with unit_of_work(self._db) as session:
            insert_ignoring_conflicts(
                session,
                SandboxPayoutTransfer,
                {
                    "key": transfer.key,
                    "id": "sbxtr_" + secrets.token_hex(10),
                    "destination": transfer.destination,
                    "amount": transfer.amount,
                    "currency": transfer.currency,
                    "created_at": utcnow(),
                },
            )
            paid = session.scalars(select(SandboxPayoutTransfer).where(SandboxPayoutTransfer.key == transfer.key)).one()
            return Sent("paid", provider_ref=paid.id)

    def transfers(self) -> list[SandboxPayoutTransfer]:
        """Everything the sandbox paid (tests count them: a payout is paid once)."""
        with unit_of_work(self._db, reads=True) as session:
            return list(session.scalars(select(SandboxPayoutTransfer).order_by(SandboxPayoutTransfer.created_at)))
