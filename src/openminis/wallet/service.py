"""The double-entry ledger: every movement of coins or money is one balanced, idempotent transfer.

Rules (DESIGN.md, "Money"): amounts are integers in minor units; debits equal credits in every
transfer; an idempotency key is recorded once; no wallet goes below zero, ever; the sum over all
accounts of a currency is zero. A transfer runs inside the caller's database transaction, so an
order and its transfer commit together or not at all.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openminis.errors import Conflict, InvalidArgument, PlatformError
from openminis.wallet.models import Account, LedgerEntry, LedgerTransfer

COIN = "COIN"

# Accounts of the outside world: where coins come from, where the provider holds money.
EXTERNAL_KINDS = {"coin_issuance", "provider_clearing", "advertiser_funding"}


class InsufficientFunds(PlatformError):
    status = 402
    code = "INSUFFICIENT_FUNDS"


@dataclass(frozen=True)
class Leg:
    account_id: int
    amount: int  # + credits the account, - debits it


def account(session: Session, kind: str, owner_id: str = "", currency: str = COIN) -> Account:
    """The account of that kind, owner and currency, opened on first use."""
    found = session.scalar(select(Account).where(Account.kind == kind, Account.owner_id == owner_id, Account.currency == currency))
    if found is not None:
        return found
    # Opened in a savepoint: a concurrent opener may win, and then we use theirs.
    try:
        with session.begin_nested():
            found = Account(kind=kind, owner_id=owner_id, currency=currency, balance=0, allow_negative=kind in EXTERNAL_KINDS)
            session.add(found)
    except IntegrityError:
        found = session.scalar(select(Account).where(Account.kind == kind, Account.owner_id == owner_id, Account.currency == currency))
    return found


def wallet(session: Session, user_id: str) -> Account:
    return account(session, "user_wallet", user_id, COIN)


def transfer(session: Session, *, key: str, kind: str, currency: str, legs: list[Leg], details: dict | None = None) -> LedgerTransfer:
    """Move value between accounts, once per ``key``. Does not commit: the caller's transaction does.

    A repeated key returns the first transfer (if its legs are the same; otherwise it is a conflict).
    Raises InsufficientFunds, leaving nothing written, if an account that may not go negative would.
    """
    if not key or len(key) > 200:
        raise InvalidArgument("idempotency key must be 1-200 characters", field="idempotency_key")
    merged: dict[int, int] = defaultdict(int)
    for leg in legs:
        if not isinstance(leg.amount, int) or isinstance(leg.amount, bool):
            raise InvalidArgument("amounts are integers in minor units")
        merged[leg.account_id] += leg.amount
    legs = [Leg(account_id, amount) for account_id, amount in sorted(merged.items()) if amount]
    if len(legs) < 2 or sum(leg.amount for leg in legs) != 0:
        raise InvalidArgument("a transfer needs two or more accounts and its entries must sum to zero")

    existing = session.scalar(select(LedgerTransfer).where(LedgerTransfer.idempotency_key == key))
    if existing is not None:
        return _same_or_conflict(session, existing, legs)

    savepoint = session.begin_nested()
    try:
        # One conditional UPDATE per account, in id order (no deadlocks between transfers): the
        # database checks the balance and changes it in one step, so concurrent spenders cannot
        # both pass a check that only one of them should.
        for leg in legs:
            changed = session.execute(
                update(Account)
                .where(Account.id == leg.account_id, Account.currency == currency, Account.allow_negative | (Account.balance + leg.amount >= 0))
                .values(balance=Account.balance + leg.amount)
                .execution_options(synchronize_session=False)
            ).rowcount
            if changed != 1:
                raise InsufficientFunds("not enough balance for this transfer")
        record = LedgerTransfer(
            idempotency_key=key, kind=kind, currency=currency, amount=sum(leg.amount for leg in legs if leg.amount > 0), details=details or {}
        )
        session.add(record)
        session.flush()
        session.add_all(LedgerEntry(transfer_id=record.id, account_id=leg.account_id, amount=leg.amount) for leg in legs)
        session.flush()
        savepoint.commit()
    except IntegrityError:
        # The same key was recorded by a concurrent transfer that committed first.
        savepoint.rollback()
        existing = session.scalar(select(LedgerTransfer).where(LedgerTransfer.idempotency_key == key))
        if existing is None:
            raise
        return _same_or_conflict(session, existing, legs)
    except BaseException:
        savepoint.rollback()
        raise
    for leg in legs:  # the cached Account objects in this session are stale after the UPDATE
        cached = session.get(Account, leg.account_id)
        if cached is not None:
            session.expire(cached, ["balance"])
    return record


def _same_or_conflict(session: Session, existing: LedgerTransfer, legs: list[Leg]) -> LedgerTransfer:
    recorded = sorted((entry.account_id, entry.amount) for entry in session.scalars(select(LedgerEntry).where(LedgerEntry.transfer_id == existing.id)))
    if recorded != sorted((leg.account_id, leg.amount) for leg in legs):
        raise Conflict("this idempotency key was used for a different transfer", code="IDEMPOTENCY_CONFLICT")
    return existing


def transfer_exists(session: Session, key: str) -> bool:
    return session.scalar(select(LedgerTransfer.id).where(LedgerTransfer.idempotency_key == key)) is not None


def balance(session: Session, account_id: int) -> int:
    return session.scalar(select(Account.balance).where(Account.id == account_id))


@dataclass(frozen=True)
class Verification:
    accounts: int
    transfers: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(session: Session) -> Verification:
    """Check the ledger's invariants: every transfer balanced, every cached balance equal to the
    sum of its entries, each currency summing to zero, no account overdrawn that may not be."""
    problems: list[str] = []
    unbalanced = session.execute(
        select(LedgerEntry.transfer_id, func.sum(LedgerEntry.amount)).group_by(LedgerEntry.transfer_id).having(func.sum(LedgerEntry.amount) != 0)
    ).all()
    problems += [f"transfer {transfer_id} sums to {total}, not 0" for transfer_id, total in unbalanced]
    sums = dict(session.execute(select(LedgerEntry.account_id, func.sum(LedgerEntry.amount)).group_by(LedgerEntry.account_id)).all())
    totals: dict[str, int] = defaultdict(int)
    accounts = session.scalars(select(Account)).all()
    for acc in accounts:
        entries = int(sums.get(acc.id, 0) or 0)
        if acc.balance != entries:
            problems.append(f"account {acc.id} ({acc.kind} {acc.owner_id}) caches {acc.balance} but its entries sum to {entries}")
        if acc.balance < 0 and not acc.allow_negative:
            problems.append(f"account {acc.id} ({acc.kind} {acc.owner_id}) is overdrawn: {acc.balance}")
        totals[acc.currency] += acc.balance
    problems += [f"{currency} accounts sum to {total}, not 0" for currency, total in totals.items() if total != 0]
    transfers = session.scalar(select(func.count()).select_from(LedgerTransfer))
    return Verification(accounts=len(accounts), transfers=transfers, problems=problems)
