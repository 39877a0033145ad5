from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from openminis.db import Base, utcnow


class Account(Base):
    """A ledger account in one currency ("COIN" or an ISO 4217 code, amounts in minor units).

    ``balance`` caches the sum of the account's entries; ``minis ledger verify`` checks that it does.
    Only accounts that represent the outside world (issuance, a provider's clearing) may go negative.

    ``forward_to``: set once, for good, on the wallet of a guest that signed in to an account (with
    its whole balance moved there, in the same unit): what is credited to this account from then on
    is credited to that one, and a transfer taking back coins it was given takes them there
    (wallet/service.py, ``forward``). Kept on the row every transfer updates, so that no process's
    memory of accounts can miss it.
    """

    __tablename__ = "accounts"
    __table_args__ = (
        UniqueConstraint("kind", "owner_id", "currency"),
        # The database's own guard: even a bug in a service cannot overdraw a wallet.
        CheckConstraint("allow_negative OR balance >= 0", name="no_overdraft"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    owner_id: Mapped[str] = mapped_column(String(64), default="")
    currency: Mapped[str] = mapped_column(String(16))  # 16: room for "USD_MICROS" (ads)
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    allow_negative: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # An account's id; no foreign key (accounts are never deleted; migration 0030 says why).
    forward_to: Mapped[int | None] = mapped_column(Integer, default=None)


class LedgerTransfer(Base):
    """One movement of value: entries that sum to zero, recorded once per idempotency key."""

    __tablename__ = "ledger_transfers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(BigInteger)  # the total moved: the sum of the credits
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The key of the transfer this one gives back (part of), for a refund: earnings it claws back
    # count at the original's time, so a refund during a payout hold comes out of what is held.
    reverses: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class LedgerEntry(Base):
    """One account's side of a transfer: positive credits the account, negative debits it.

    ``pending``: a credit to an account that many transfers credit at once (an app's earnings, the
    platform's revenue), recorded here but not yet added to the account's cached ``balance``; the
    posting job folds such credits in batches (wallet/posting.py), and a debit of the account
    folds them first. Until then the account's balance is its cached balance plus its pending
    entries, which is what every read of it returns.
    """

    __tablename__ = "ledger_entries"
    __table_args__ = (
        # Only the few entries still pending are in it: what reads add and the posting job folds.
        Index(
            "ix_ledger_entries_pending",
            "account_id",
            postgresql_where=text("pending"),
            sqlite_where=text("pending"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("ledger_transfers.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    pending: Mapped[bool] = mapped_column(default=False, server_default=false())
