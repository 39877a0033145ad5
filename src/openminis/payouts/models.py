from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from openminis.db import Base, utcnow


class PayoutPolicy(Base):
    """The platform's published payout terms. Rows are only added; the latest is in effect.

    ``rates``: for each payout currency, what one million units of each earnings currency pay in
    its minor units ({"USD": {"COIN": 1000000, "USD_MICROS": 100}}: a coin pays a cent, a million
    ad micro-dollars a dollar). ``minimums`` and ``auto_approve_below``: minor units per currency.
    """

    __tablename__ = "payout_policies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    hold_days: Mapped[int] = mapped_column(Integer)
    rates: Mapped[dict[str, dict[str, int]]] = mapped_column(JSON)
    minimums: Mapped[dict[str, int]] = mapped_column(JSON)
    auto_approve_below: Mapped[dict[str, int]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))


class PayoutPolicyProposal(Base):
    """A change that loosens the payout terms, waiting for another member of finance (policy.py):
    what it names, the terms it would have made when proposed and what of them was looser, and
    once, its decision. At most one waits at a time (the partial unique index). Each step is also
    in the audit log, which finance reads; this row is what the platform decides by."""

    __tablename__ = "payout_policy_proposals"
    __table_args__ = (
        Index(
            "ix_payout_policy_proposals_one_waiting",
            "status",
            unique=True,
            postgresql_where=text("status = 'waiting'"),
            sqlite_where=text("status = 'waiting'"),
        ),
    )

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    terms: Mapped[dict[str, Any]] = mapped_column(JSON)  # the terms approving it would have made, when proposed
    loosens: Mapped[list[str]] = mapped_column(JSON)
    proposed_by: Mapped[str] = mapped_column(String(200))  # as the audit log names them
    proposer: Mapped[str | None] = mapped_column(String(64))  # the person; None: the operator's admin token
    proposed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="waiting")  # waiting, approved, withdrawn, refused
    decided_by: Mapped[str | None] = mapped_column(String(200), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    decision_reason: Mapped[str | None] = mapped_column(Text, default=None)
    made: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)  # approved: the terms it put in force


class PayoutAccount(Base):
    """Where a payee is paid: an account at a payout provider, in one currency. A payee's newest
    account is the one in use; older ones stay, for the payouts that went to them."""

    __tablename__ = "payout_accounts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    payee: Mapped[str] = mapped_column(String(64), index=True)  # "developer:<id>" or "creator:<user id>"
    provider: Mapped[str] = mapped_column(String(16))
    destination: Mapped[str] = mapped_column(String(128))
    currency: Mapped[str] = mapped_column(String(3))
    holder: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(32))  # the person who added it


class Payout(Base):
    """Earnings leaving the platform: requested -> in_transit -> paid | failed, or requested ->
    rejected | canceled. Each step is one ledger transfer keyed ``payout:<id>:<step>``."""

    __tablename__ = "payouts"
    __table_args__ = (
        UniqueConstraint("payee", "idempotency_key"),
        Index("ix_payouts_status_created", "status", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    payee: Mapped[str] = mapped_column(String(64), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(128))
    account_id: Mapped[str] = mapped_column(String(32))
    provider: Mapped[str] = mapped_column(String(16))
    source_currency: Mapped[str] = mapped_column(String(16))  # COIN or USD_MICROS: the earnings paid out
    source_amount: Mapped[int] = mapped_column(BigInteger)  # taken from the earnings
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(BigInteger)  # paid, in the currency's minor units
    rate: Mapped[int] = mapped_column(BigInteger)  # minor units per million source units, when requested
    status: Mapped[str] = mapped_column(String(16))
    provider_ref: Mapped[str | None] = mapped_column(String(128), default=None)
    reason: Mapped[str | None] = mapped_column(String(500), default=None)  # why rejected or failed
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)  # the provider's last hiccup
    requested_by: Mapped[str] = mapped_column(String(32))
    approved_by: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PayoutEvent(Base):
    """Every state a payout reached, with who moved it and why: its history, never updated."""

    __tablename__ = "payout_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    payout_id: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16))
    by: Mapped[str] = mapped_column(String(200))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class SandboxPayoutTransfer(Base):
    """The sandbox provider's own book of what it paid, one row per key: the sandbox writes it in
    a transaction of its own, as a real provider's system would, so a payout asked for again
    after a crash finds it paid already."""

    __tablename__ = "sandbox_payout_transfers"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    id: Mapped[str] = mapped_column(String(32), unique=True)
    destination: Mapped[str] = mapped_column(String(128))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
