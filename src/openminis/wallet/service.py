"""The double-entry ledger: every movement of coins or money is one balanced, idempotent transfer.

Rules (DESIGN.md, "Money"): amounts are integers in minor units; debits equal credits in every
transfer; an idempotency key is recorded once; no wallet goes below zero, ever; the sum over all
accounts of a currency is zero. A transfer runs inside the caller's database transaction, so an
order and its transfer commit together or not at all.

Hot accounts. Every sale of an app credits the app's earnings and the platform's revenue: had each
sale added to those rows, every sale of a popular app (and every sale on the platform) would wait
for the one before it to commit. A credit to an account of the ``DEFERRED_KINDS`` is written as a
pending entry instead, which touches no shared row; the posting job (wallet/posting.py) folds
pending entries into the cached balances in batches, as ledgers such as TigerBeetle batch their
postings, and a debit of such an account folds its pending credits first, under the account's
row lock, so that its check sees everything it may spend. Every read of a balance is the cached
balance plus the pending entries, so nothing reads a balance that lags.

Forwarded wallets. A guest that signs in to an account brings its coins (identity/accounts.py), and
no cookie reaches the guest again; what would still reach its wallet (a refund of an order it
bought, a late payment of its top-up) must reach the account. The move of the
coins forwards the guest's wallet to the account's (``close_into``): a mark on the wallet's own
row, set in the move's unit, under its lock, and never unset. Every transfer's update of a
balance skips a forwarded row, and a leg that finds its account forwarded lands on the account
it forwards to, read from the database at that moment: no process's memory of account ids can
miss a forward made by another. Credits follow it; so do debits that take back coins the wallet
was given (``TAKES_BACK``: a refund of the guest's top-up takes its coins from the account, where
they went). Any other debit finds the guest's wallet as the move left it, empty: a pass of the
guest's renewing after the sign-in lapses, as it did before, and does not charge the account.
"""

from __future__ import annotations

import threading
import weakref
from collections import defaultdict
from collections.abc import Collection, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    Connection,
    CursorResult,
    Engine,
    Integer,
    Table,
    bindparam,
    case,
    event,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from openminis.db import insert_ignoring_conflicts, per_dialect, utcnow
from openminis.errors import Conflict, InvalidArgument, PaymentRequired
from openminis.wallet.models import Account, LedgerEntry, LedgerTransfer

COIN = "COIN"

# Accounts of the outside world: where coins come from, where the provider holds money.
# "coupon_funding": the platform's promotion budget, which pays the discount of the coupons the
# platform funds (payments/coupons.py); its negative balance is what the platform spent on them.
EXTERNAL_KINDS = {"coin_issuance", "provider_clearing", "advertiser_funding", "coupon_funding"}

# Accounts that many concurrent transfers credit and few debit: their credits are pending entries,
# folded into the balance later (module docstring). A person's wallet is not one of them: a top-up
# or a refund is in it at once, and nobody else credits it.
DEFERRED_KINDS = frozenset(
    {"app_earnings", "platform_revenue", "app_ad_earnings", "platform_ad_revenue", "creator_earnings"}
)
WALLET = "user_wallet"

# Transfers that take back coins a wallet was given (a top-up's refund, by staff or at the
# provider): from a forwarded wallet they take them from the wallet the coins went to (module
# docstring). Every other debit of a forwarded wallet is refused as the empty wallet's.
TAKES_BACK = frozenset({"topup_refund"})


class InsufficientFunds(PaymentRequired):
    code = "INSUFFICIENT_FUNDS"

    def __init__(self, message: str, *, account_kind: str | None = None) -> None:
        super().__init__(message)
        self.account_kind = account_kind  # which kind of account could not give, when known


@dataclass(frozen=True)
class Leg:
    account_id: int
    amount: int  # + credits the account, - debits it
    # Kept when its amount is zero: the transfer then shows on this account's statements. An app's
    # sale whose share a developer's coupon took whole had no entry of the app's, and was missing
    # from its statement, fee and commission with it (a probe, money52).
    anchor: bool = False


# A transfer's statements, built once: every purchase runs them, and building an SQLAlchemy
# statement (and its cache key) costs several times what running it does. Values travel as
# parameters. The transfer row's INSERT is the dialect's own, for ON CONFLICT DO NOTHING.
# (Declarative types a model's __table__ as any FromClause; a model with a __tablename__ has a Table.)
_transfers = cast(Table, LedgerTransfer.__table__)
_RECORD_TRANSFER = per_dialect(lambda insert: insert(_transfers).on_conflict_do_nothing().returning(_transfers.c.id))
_entries = cast(Table, LedgerEntry.__table__)
_WRITE_ENTRIES = insert(_entries)
_accounts = cast(Table, Account.__table__)
# One conditional UPDATE per account: the database checks the balance and changes it in one step.
_MOVE = (
    update(_accounts)
    .where(
        _accounts.c.id == bindparam("account"),
        _accounts.c.currency == bindparam("in_currency"),
        _accounts.c.forward_to.is_(None),  # a forwarded account's legs land where it forwards (_move)
        _accounts.c.allow_negative | (_accounts.c.balance + bindparam("delta") >= 0),
    )
    .values(balance=_accounts.c.balance + bindparam("delta"))
)
_FORWARDED = select(_accounts.c.forward_to).where(_accounts.c.id == bindparam("account"))
# PostgreSQL: a transfer with one balance to move (a person paying, every other leg a pending credit)
# in one statement where three were three round trips, each of which cost a purchase's server
# about 0.5 ms of CPU (bench.purchase): the transfer row, then, if it was new, the conditional
# update of the one balance, then, if that moved, the entries. The update and the entries name
# what came before them, so each happens only after it did; a transfer whose balance did not move
# (too little, or forwarded) has its row and nothing more, and ``transfer`` goes on as it would
# have after that update. SQLite has no INSERT or UPDATE inside WITH: it runs the three.
_RECORD_AND_MOVE_ONE = text(
    """
    WITH recorded AS (
        INSERT INTO ledger_transfers (idempotency_key, kind, currency, amount, details, reverses, created_at)
        VALUES (:idempotency_key, :kind, :currency, :amount, :details, :reverses, :created_at)
        ON CONFLICT DO NOTHING
        RETURNING id
    ), moved AS (
        UPDATE accounts SET balance = accounts.balance + :delta
        WHERE accounts.id = :account AND accounts.currency = :currency AND accounts.forward_to IS NULL
          AND (accounts.allow_negative OR accounts.balance + :delta >= 0)
          AND EXISTS (SELECT FROM recorded)
        RETURNING accounts.id
    ), entered AS (
        INSERT INTO ledger_entries (transfer_id, account_id, amount, pending)
        SELECT recorded.id, leg.account_id, leg.amount, leg.pending
        FROM recorded, moved,
            unnest(:entry_accounts, :entry_amounts, :entry_pending) AS leg(account_id, amount, pending)
    )
    SELECT (SELECT id FROM recorded), (SELECT id FROM moved)
    """
).bindparams(
    bindparam("details", type_=_transfers.c.details.type),
    bindparam("created_at", type_=_transfers.c.created_at.type),
    bindparam("entry_accounts", type_=postgresql.ARRAY(Integer)),
    bindparam("entry_amounts", type_=postgresql.ARRAY(BigInteger)),
    bindparam("entry_pending", type_=postgresql.ARRAY(Boolean)),
)
# Folding: an account's pending credits leave the pending set and join its cached balance. The
# UPDATE ... RETURNING takes each entry once, whoever else folds at the same time (module docstring).
_FOLD = (
    update(_entries)
    .where(_entries.c.account_id == bindparam("account"), _entries.c.pending)
    .values(pending=False)
    .returning(_entries.c.amount)
)
_ADD = (
    update(_accounts)
    .where(_accounts.c.id == bindparam("account"))
    .values(balance=_accounts.c.balance + bindparam("delta"))
)


@dataclass(frozen=True)
class Transfer:
    id: int
    idempotency_key: str


# Accounts are never deleted, so a committed account's id can be remembered per database (per
# engine, or per connection for a session bound to one). An id seen inside a transaction is
# remembered only once that transaction commits: an account opened by a purchase that is then
# refused is rolled back with it.
_account_ids: weakref.WeakKeyDictionary[Engine | Connection, dict[tuple[str, str, str], int]] = (
    weakref.WeakKeyDictionary()
)
# And each remembered account's kind, by id: whether a leg is a wallet's or a deferred account's.
_account_kinds: weakref.WeakKeyDictionary[Engine | Connection, dict[int, str]] = weakref.WeakKeyDictionary()
_account_ids_lock = threading.Lock()
PENDING = "ledger.pending_account_ids"


@event.listens_for(Session, "after_commit")
def _remember_committed_accounts(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the transaction around it may still roll back
    pending = session.info.pop(PENDING, None)
    if pending:
        with _account_ids_lock:
            _account_ids.setdefault(session.get_bind(), {}).update(pending)
            _account_kinds.setdefault(session.get_bind(), {}).update({id_: key[0] for key, id_ in pending.items()})


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back_accounts(session: Session) -> None:
    # A savepoint's rollback too: what it opened is gone (what was opened before it is looked up again).
    session.info.pop(PENDING, None)


def account_id(session: Session, kind: str, owner_id: str = "", currency: str = COIN) -> int:
    """The id of the account of that kind, owner and currency, opened on first use."""
    key = (kind, owner_id, currency)
    with _account_ids_lock:
        known = _account_ids.get(session.get_bind(), {}).get(key)
    if known is None:
        known = session.info.get(PENDING, {}).get(key)
    if known is not None:
        return known
    lookup = select(Account.id).where(Account.kind == kind, Account.owner_id == owner_id, Account.currency == currency)
    found = session.scalar(lookup)
    if found is None:
        # A concurrent opener may win the insert; then we use theirs.
        insert_ignoring_conflicts(
            session,
            Account,
            {
                "kind": kind,
                "owner_id": owner_id,
                "currency": currency,
                "balance": 0,
                "allow_negative": kind in EXTERNAL_KINDS,
            },
        )
        found = session.execute(lookup).scalar_one()
    session.info.setdefault(PENDING, {})[key] = found
    return found


def account(session: Session, kind: str, owner_id: str = "", currency: str = COIN) -> Account:
    """The account row, opened on first use. Its ``balance`` is the cached one: for an account of
    the ``DEFERRED_KINDS``, ``balance()`` adds its pending credits."""
    return session.get_one(Account, account_id(session, kind, owner_id, currency), populate_existing=True)


def wallet(session: Session, user_id: str) -> Account:
    return account(session, "user_wallet", user_id, COIN)


def wallet_balance(session: Session, user_id: str) -> int:
    """A person's coins, without opening a wallet that does not exist yet (a read stays a read)."""
    found = session.scalar(
        select(Account.balance).where(
            Account.kind == "user_wallet", Account.owner_id == user_id, Account.currency == COIN
        )
    )
    return found or 0


def transfer(
    session: Session,
    *,
    key: str,
    kind: str,
    currency: str,
    legs: list[Leg],
    details: dict[str, Any] | None = None,
    nested: bool = True,
    reverses: str | None = None,
) -> Transfer:
    """Move value between accounts, once per ``key``, in the caller's unit of work (which commits it).

    A repeated key returns the first transfer (if its legs are the same; otherwise it is a conflict).
    Raises InsufficientFunds if an account that may not go negative would. With ``nested`` (the
    default) the transfer runs in a savepoint, so that failure leaves nothing of it written and the
    caller may go on; ``nested=False`` saves the savepoint's two round trips for callers whose work
    is all undone on any error (a purchase: its request's unit rolls back whole).
    ``reverses``: the key of the transfer whose money this one gives back or passes on (a refund of
    a sale, an ad's commission to a creator): ``held`` counts it at that transfer's time.
    A leg on a forwarded wallet lands on the wallet it forwards to (module docstring), and its
    entry names that one.
    """
    if not key or len(key) > 200:
        raise InvalidArgument("idempotency key must be 1-200 characters", field="idempotency_key")
    merged: dict[int, int] = defaultdict(int)
    for leg in legs:
        if not isinstance(leg.amount, int) or isinstance(leg.amount, bool):
            raise InvalidArgument("amounts are integers in minor units")
        merged[leg.account_id] += leg.amount
    anchors = {leg.account_id for leg in legs if leg.anchor}
    legs = [Leg(account, amount) for account, amount in sorted(merged.items()) if amount or account in anchors]
    if len(legs) < 2 or sum(leg.amount for leg in legs) != 0:
        raise InvalidArgument("a transfer needs two or more accounts and its entries must sum to zero")

    kinds = _kinds(session, [leg.account_id for leg in legs])
    deferred = {leg.account_id for leg in legs if leg.amount > 0 and kinds[leg.account_id] in DEFERRED_KINDS}
    takes_back = kind in TAKES_BACK
    record = {
        "idempotency_key": key,
        "kind": kind,
        "currency": currency,
        "amount": sum(leg.amount for leg in legs if leg.amount > 0),
        "details": details or {},
        "reverses": reverses,
    }
    # Concurrent spenders cannot both pass a check only one of them should (see _MOVE). Order:
    # people's accounts, then shared ones (an app's earnings, platform revenue), each by id.
    # One global order means no deadlocks; shared rows last means a transfer holds their row
    # locks only for its last statements. A pending credit touches no account row at all.
    moving = sorted(
        (leg for leg in legs if leg.account_id not in deferred),
        key=lambda leg: (kinds[leg.account_id] != WALLET, leg.account_id),
    )
    with session.begin_nested() if nested else nullcontext():
        # The transfer row first: a repeated key inserts nothing here, before any balance is touched.
        written = False  # every balance moved and every entry written
        if _in_one_statement(session, moving, kinds):
            transfer_id, written = _record_and_move_one(session, record, moving[0], legs, deferred)
        else:
            transfer_id = session.execute(_RECORD_TRANSFER[session.get_bind().dialect.name], record).scalar()
        if transfer_id is not None and not written:
            # Where each leg lands: its own account, or the one a forwarded account sends it to
            # (_move). The entries are written once the balances moved, naming where it landed.
            landed: dict[int, int] = defaultdict(int)
            for leg in legs:
                if leg.account_id in deferred:
                    landed[leg.account_id] += leg.amount
            for leg in moving:
                if leg.amount < 0 and kinds[leg.account_id] in DEFERRED_KINDS:
                    _fold(session, leg.account_id)  # what it may spend includes its pending credits
                account = _move(session, leg, currency, kinds[leg.account_id], takes_back=takes_back)
                landed[account] += leg.amount
            entries = [
                {"transfer_id": transfer_id, "account_id": account, "amount": amount, "pending": account in deferred}
                for account, amount in sorted(landed.items())
                if amount or account in anchors
            ]
            if entries:  # (none when every leg landed on one account: nothing moved)
                session.execute(_WRITE_ENTRIES, entries)
    if transfer_id is None:
        existing = session.scalars(select(LedgerTransfer).where(LedgerTransfer.idempotency_key == key)).one()
        return _same_or_conflict(session, existing, legs)
    return Transfer(id=transfer_id, idempotency_key=key)


def _in_one_statement(session: Session, moving: list[Leg], kinds: dict[int, str]) -> bool:
    """Whether the transfer is one statement (_RECORD_AND_MOVE_ONE): on PostgreSQL, with one balance
    to move that has no pending credits to fold first."""
    return (
        len(moving) == 1
        and not (moving[0].amount < 0 and kinds[moving[0].account_id] in DEFERRED_KINDS)
        and session.get_bind().dialect.name == "postgresql"
    )


def _record_and_move_one(
    session: Session, record: dict[str, Any], leg: Leg, legs: list[Leg], deferred: set[int]
) -> tuple[int | None, bool]:
    """The transfer row, its one balance's move and its entries, in one statement: the new
    transfer's id (None: the key was taken) and whether the balance moved (with the entries)."""
    transfer_id, moved = session.execute(
        _RECORD_AND_MOVE_ONE,
        record
        | {
            "created_at": utcnow(),
            "account": leg.account_id,
            "delta": leg.amount,
            "entry_accounts": [entry.account_id for entry in legs],
            "entry_amounts": [entry.amount for entry in legs],
            "entry_pending": [entry.account_id in deferred for entry in legs],
        },
    ).one()
    return transfer_id, moved is not None


def _move(session: Session, leg: Leg, currency: str, kind: str, *, takes_back: bool) -> int:
    """Add the leg's amount to its account's balance, or, when the account is forwarded, to the
    account it forwards to (a credit, or a debit that ``takes_back`` coins); returns the account
    whose balance moved. Raises InsufficientFunds (its savepoint, or its unit, rolls back)."""
    account = leg.account_id
    passed = {account}
    while True:
        # An UPDATE's result is a CursorResult (Session.execute is typed for queries).
        moved = cast(
            "CursorResult[Any]",
            session.execute(_MOVE, {"account": account, "in_currency": currency, "delta": leg.amount}),
        )
        if moved.rowcount == 1:
            return account
        # Refused: too little in it, or it is forwarded. A forward is set once and never unset, so
        # the row read now says which (on PostgreSQL the UPDATE waited for a forward's unit that
        # held the row, then skipped it; this later statement sees that unit's commit).
        target = session.scalar(_FORWARDED, {"account": account})
        if target is None or (leg.amount < 0 and not takes_back):
            raise InsufficientFunds("not enough balance for this transfer" + _short(kind, leg), account_kind=kind)
        if target in passed:
            raise Conflict(f"ledger accounts {sorted(passed)} forward to each other", code="FORWARDING_LOOP")
        passed.add(target)
        account = target


def _landing(session: Session, legs: list[Leg]) -> list[tuple[int, int]]:
    """The legs as ``transfer`` records them today: each on the account its own forwards to."""
    landed: dict[int, int] = defaultdict(int)
    for leg in legs:
        account, passed = leg.account_id, {leg.account_id}
        while (target := session.scalar(_FORWARDED, {"account": account})) is not None and target not in passed:
            account = target
            passed.add(target)
        landed[account] += leg.amount
    return sorted((account, amount) for account, amount in landed.items() if amount)


def _short(kind: str, leg: Leg) -> str:
    """Which account could not give: a person's wallet goes unsaid (they know it is theirs); an
    earnings account already paid out, or asked for in a payout, is what an operator refunding a
    sale needs to be told."""
    return "" if kind == WALLET else f": the {kind.replace('_', ' ')} account cannot give {-leg.amount}"


def _kinds(session: Session, account_ids: list[int]) -> dict[int, str]:
    """Each account's kind: from what this process remembers, else from the database."""
    with _account_ids_lock:
        known = _account_kinds.get(session.get_bind(), {})
        found = {account: known[account] for account in account_ids if account in known}
    if len(found) < len(account_ids):
        opened = session.info.get(PENDING, {})
        found |= {id_: key[0] for key, id_ in opened.items() if id_ in account_ids}
        unknown = [account for account in account_ids if account not in found]
        if unknown:
            found |= {
                id_: kind
                for id_, kind in session.execute(select(Account.id, Account.kind).where(Account.id.in_(unknown)))
            }
    return found


def _fold(session: Session, account: int) -> None:
    """Add the account's pending credits to its cached balance, holding its row until the unit
    ends (the posting job takes the same lock first: one order, no deadlock)."""
    lock(session, [account])
    amounts = session.execute(_FOLD, {"account": account}).scalars().all()
    if amounts:
        session.execute(_ADD, {"account": account, "delta": sum(amounts)})


def post_pending(session: Session, *, limit: int = 5000) -> int:
    """Fold up to ``limit`` pending credits into their accounts' balances, the oldest first, in
    the caller's unit; returns how many were folded. The posting job calls it (wallet/posting.py):
    one short transaction takes a hot account's row lock once for thousands of sales."""
    oldest = session.execute(
        select(_entries.c.id, _entries.c.account_id).where(_entries.c.pending).order_by(_entries.c.id).limit(limit)
    ).all()
    if not oldest:
        return 0
    lock(session, {account for _id, account in oldest})
    # Still pending: a debit may have folded some of them since they were read.
    folded = session.execute(
        update(_entries)
        .where(_entries.c.id.in_([id_ for id_, _account in oldest]), _entries.c.pending)
        .values(pending=False)
        .returning(_entries.c.account_id, _entries.c.amount)
    ).all()
    sums: dict[int, int] = defaultdict(int)
    for account, amount in folded:
        sums[account] += amount
    if sums:
        session.execute(_ADD, [{"account": account, "delta": delta} for account, delta in sorted(sums.items())])
    return len(folded)


def _with_pending(account: Any) -> Any:
    """The account's balance as a column: its cached balance plus its pending credits, read in the
    same statement (one snapshot: a fold committed between two reads would move credits from the
    pending set into a cached balance already read, and the read would miss them)."""
    waiting = select(func.sum(_entries.c.amount)).where(_entries.c.pending, _entries.c.account_id == account.c.id)
    return account.c.balance + func.coalesce(waiting.scalar_subquery(), 0)


def _same_or_conflict(session: Session, existing: LedgerTransfer, legs: list[Leg]) -> Transfer:
    recorded = sorted(
        (entry.account_id, entry.amount)
        for entry in session.scalars(select(LedgerEntry).where(LedgerEntry.transfer_id == existing.id))
        if entry.amount  # an anchor's zero (Leg.anchor) moved nothing, and older transfers have none
    )
    legs = [leg for leg in legs if leg.amount]
    # The same legs, as asked or as they landed: a retry after the first attempt found an account
    # forwarded names the account as its caller knows it.
    if recorded != sorted((leg.account_id, leg.amount) for leg in legs) and recorded != _landing(session, legs):
        raise Conflict("this idempotency key was used for a different transfer", code="IDEMPOTENCY_CONFLICT")
    return Transfer(id=existing.id, idempotency_key=existing.idempotency_key)


def held(session: Session, account_ids: Collection[int], *, since: Any, excluding: Collection[str]) -> dict[int, int]:
    """Per account, the sum of its entries from transfers made at or after ``since``, leaving out
    transfers of the ``excluding`` kinds; a transfer that reverses another counts at the other's
    time (a refund of an old sale is not in it, a refund of a recent one is). What a payout hold
    keeps back: ``payouts.earnings`` clamps it to the balance."""
    if not account_ids:
        return {}
    original = cast(Table, LedgerTransfer.__table__).alias("reversed_transfer")
    counted_at = func.coalesce(original.c.created_at, LedgerTransfer.created_at)
    rows = session.execute(
        select(LedgerEntry.account_id, func.sum(LedgerEntry.amount))
        .join(LedgerTransfer, LedgerTransfer.id == LedgerEntry.transfer_id)
        .outerjoin(original, original.c.idempotency_key == LedgerTransfer.reverses)
        .where(
            LedgerEntry.account_id.in_(list(account_ids)),
            LedgerTransfer.created_at >= since,  # a reversal is never older than what it reverses
            LedgerTransfer.kind.not_in(list(excluding)),
            counted_at >= since,
        )
        .group_by(LedgerEntry.account_id)
    )
    return {account: int(amount or 0) for account, amount in rows}


def transfer_details(session: Session, key: str) -> dict[str, Any] | None:
    """The details recorded with the transfer of this idempotency key; None when there is none."""
    return session.scalar(select(LedgerTransfer.details).where(LedgerTransfer.idempotency_key == key))


@dataclass(frozen=True)
class Recorded:
    """A transfer as the domains that reconcile against the ledger see it."""

    key: str
    kind: str
    currency: str
    amount: int  # what moved: the sum of its credits


def transfers_keyed(session: Session, prefix: str) -> Iterator[Recorded]:
    """Every transfer whose idempotency key starts with ``prefix``, by key: what payments and drama
    check their own records against (the ledger knows nothing of orders or unlocks)."""
    statement = (
        select(LedgerTransfer.idempotency_key, LedgerTransfer.kind, LedgerTransfer.currency, LedgerTransfer.amount)
        .where(LedgerTransfer.idempotency_key.startswith(prefix, autoescape=True))
        .order_by(LedgerTransfer.idempotency_key)
    )
    for key, kind, currency, amount in session.execute(statement.execution_options(yield_per=2000)):
        yield Recorded(key, kind, currency, int(amount))


def entries_keyed(session: Session, prefix: str, kinds: Collection[str]) -> dict[str, dict[str, int]]:
    """For every transfer whose key starts with ``prefix``: the sum of its entries into accounts
    of each of ``kinds`` (what a payment took from a wallet, what a funder paid), by key."""
    rows = session.execute(
        select(LedgerTransfer.idempotency_key, Account.kind, func.sum(LedgerEntry.amount))
        .join(LedgerEntry, LedgerEntry.transfer_id == LedgerTransfer.id)
        .join(Account, Account.id == LedgerEntry.account_id)
        .where(LedgerTransfer.idempotency_key.startswith(prefix, autoescape=True), Account.kind.in_(list(kinds)))
        .group_by(LedgerTransfer.idempotency_key, Account.kind)
    )
    keyed: dict[str, dict[str, int]] = defaultdict(dict)
    for key, kind, amount in rows:
        keyed[key][kind] = int(amount or 0)
    return dict(keyed)


@dataclass(frozen=True)
class Owned:
    id: int
    kind: str
    owner_id: str
    currency: str
    balance: int


def owned(session: Session, *, kinds: Collection[str], owners: Collection[str], currency: str) -> list[Owned]:
    """The accounts of these kinds and owners in ``currency`` that exist, by id."""
    if not owners:
        return []
    rows = session.execute(
        select(_accounts.c.id, _accounts.c.kind, _accounts.c.owner_id, _accounts.c.currency, _with_pending(_accounts))
        .where(
            _accounts.c.kind.in_(list(kinds)), _accounts.c.owner_id.in_(list(owners)), _accounts.c.currency == currency
        )
        .order_by(_accounts.c.id)
    )
    return [Owned(id_, kind, owner, cur, int(balance)) for id_, kind, owner, cur, balance in rows]


def lock(session: Session, account_ids: Collection[int]) -> None:
    """Hold these accounts' rows until the unit ends (by id: one order, no deadlock), so that what
    was read of them stays true while the caller moves it (a payout takes what is withdrawable).
    A forwarded account's target is held too, after it: what ``balance`` reads of it for a
    transfer taking coins back stays true as well."""
    if not account_ids or session.get_bind().dialect.name != "postgresql":
        return  # SQLite: the unit's writer holds the whole database
    held: set[int] = set()
    wanted = sorted(set(account_ids))
    while wanted:
        targets = session.execute(
            select(Account.forward_to)
            .where(Account.id.in_(wanted))
            .order_by(Account.id)
            # FOR NO KEY UPDATE, the lock an UPDATE of the balance takes: it waits for writers of
            # the row but not for transfers that are inserting entries referring to it (their
            # foreign key holds a KEY SHARE lock on it), which FOR UPDATE would wait for, in a
            # cycle with them when they go on to update a row this transaction holds.
            .with_for_update(key_share=True)
        ).scalars()
        held.update(wanted)
        wanted = sorted({target for target in targets if target is not None} - held)


def close_into(
    session: Session, source: int, target: int, *, key: str, kind: str, details: dict[str, Any] | None = None
) -> int:
    """Move all that ``source`` holds to ``target``, in one transfer keyed ``key``, and forward
    ``source`` to ``target`` for good (module docstring): a guest's wallet as the guest signs in to
    an account. Returns what moved (0: nothing held, or the key's transfer was made before).

    In this order, under ``source``'s row lock from the first step to the unit's end: a transfer
    crediting it meanwhile waits, then finds it forwarded and lands on ``target``; none lands on
    it between the balance read here and the forward (it would stay there, forwarded past)."""
    lock(session, [source])
    moved = 0
    if transfer_details(session, key) is None:
        currency, held = session.execute(
            select(_accounts.c.currency, _with_pending(_accounts)).where(_accounts.c.id == source)
        ).one()
        if held > 0:
            legs = [Leg(source, -int(held)), Leg(target, int(held))]
            transfer(session, key=key, kind=kind, currency=currency, legs=legs, details=details)
            moved = int(held)
    forward(session, source, target)
    return moved


def forwards_to(session: Session, source: int) -> int | None:
    """The account a wallet forwards to (``forward``), or None."""
    return session.scalar(_FORWARDED, {"account": source})


# Each coin wallet that forwards, its owner's id beside the owner's of the wallet it forwards to.
_FORWARD_TARGET = _accounts.alias("target")
_WALLET_FORWARDS = (
    select(_accounts.c.owner_id, _FORWARD_TARGET.c.owner_id)
    .select_from(_accounts.join(_FORWARD_TARGET, _FORWARD_TARGET.c.id == _accounts.c.forward_to))
    .where(_accounts.c.kind == WALLET, _accounts.c.currency == COIN)
)


def wallet_forwarded_to(session: Session, user_id: str) -> str | None:
    """Whose wallet a person's wallet forwards to (a guest that signed in to an account: the
    account's id), or None."""
    found = session.execute(_WALLET_FORWARDS.where(_accounts.c.owner_id == user_id)).first()
    return found[1] if found is not None else None


def forwarded_wallet_owners(session: Session) -> list[tuple[str, str]]:
    """Every person whose wallet forwards, with whose wallet it forwards to (``minis ledger verify``)."""
    return [(owner, to) for owner, to in session.execute(_WALLET_FORWARDS)]


def forward(session: Session, source: int, target: int) -> None:
    """From now on what lands on the wallet ``source`` lands on the wallet ``target`` (or where
    ``target`` forwards): its credits, and the debits that take back coins it was given
    (``TAKES_BACK``). Once per account: a forward made stays as it is. ``close_into`` moves what
    ``source`` held first."""
    passed = {source}
    while target not in passed and (onward := session.scalar(_FORWARDED, {"account": target})) is not None:
        passed.add(target)
        target = onward
    if target in passed:
        raise Conflict(f"ledger account {source} would forward to itself", code="FORWARDING_LOOP")
    found = {
        id_: (kind, currency)
        for id_, kind, currency in session.execute(
            select(_accounts.c.id, _accounts.c.kind, _accounts.c.currency).where(_accounts.c.id.in_([source, target]))
        )
    }
    # A person's wallet only, to another: a wallet takes no pending credits, so what lands on it
    # through the forward moves the target's balance at once, as it would have moved its own.
    if found.get(source) != found.get(target) or found[source][0] != WALLET:
        raise InvalidArgument("only a wallet forwards, to a wallet in its currency")
    session.execute(
        update(_accounts)
        .where(_accounts.c.id == source, _accounts.c.forward_to.is_(None))
        .values(forward_to=target)
        .execution_options(synchronize_session=False)
    )


_BALANCE = select(_with_pending(_accounts), _accounts.c.forward_to).where(_accounts.c.id == bindparam("account"))


def balance(session: Session, account_id: int, *, forwarded: bool = True) -> int:
    """The account's balance: what its cached balance holds plus its pending credits. Of a
    forwarded account (a guest's wallet once it signed in), unless ``forwarded`` is False, the
    balance of the account it forwards to, where its coins went: what a transfer taking coins back
    from it may take (its own is 0 for good)."""
    passed: set[int] = set()
    while True:
        held, target = session.execute(_BALANCE, {"account": account_id}).one()
        if not forwarded or target is None or target in passed:
            return int(held)
        passed.add(account_id)
        account_id = target


@dataclass(frozen=True)
class Verification:
    accounts: int
    transfers: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(session: Session) -> Verification:
    """Check the ledger's invariants: every transfer balanced, every account's balance (cached plus
    pending credits) equal to the sum of its entries, each currency summing to zero, no account
    overdrawn that may not be, credits pending only on the accounts that take them so, and a
    forwarded account holding nothing, forwarded to an account of its currency."""
    problems: list[str] = []
    unbalanced = session.execute(
        select(LedgerEntry.transfer_id, func.sum(LedgerEntry.amount))
        .group_by(LedgerEntry.transfer_id)
        .having(func.sum(LedgerEntry.amount) != 0)
    ).all()
    problems += [f"transfer {transfer_id} sums to {total}, not 0" for transfer_id, total in unbalanced]
    # Each account with the sum of its entries and of its pending ones, in one statement: one
    # snapshot, so that a fold committing meanwhile is seen either whole or not at all.
    entries = (
        select(
            _entries.c.account_id,
            func.sum(_entries.c.amount).label("total"),
            func.sum(case((_entries.c.pending, _entries.c.amount), else_=0)).label("waiting"),
        )
        .group_by(_entries.c.account_id)
        .subquery()
    )
    rows = session.execute(
        select(
            _accounts.c.id,
            _accounts.c.kind,
            _accounts.c.owner_id,
            _accounts.c.currency,
            _accounts.c.balance,
            _accounts.c.allow_negative,
            func.coalesce(entries.c.total, 0),
            func.coalesce(entries.c.waiting, 0),
            _accounts.c.forward_to,
        ).outerjoin(entries, entries.c.account_id == _accounts.c.id)
    ).all()
    currencies = {row[0]: row[3] for row in rows}
    totals: dict[str, int] = defaultdict(int)
    for id_, kind, owner, currency, cached, allow_negative, total, waiting, forward_to in rows:
        total, waiting = int(total), int(waiting)
        balance = cached + waiting
        if balance != total:
            problems.append(
                f"account {id_} ({kind} {owner}) caches {cached}"
                f"{f' with {waiting} pending' if waiting else ''} but its entries sum to {total}"
            )
        if waiting and kind not in DEFERRED_KINDS:
            problems.append(f"account {id_} ({kind} {owner}) has {waiting} pending, which it may not")
        if balance < 0 and not allow_negative:
            problems.append(f"account {id_} ({kind} {owner}) is overdrawn: {balance}")
        # What it held moved with the forward, and nothing lands on it after (close_into, _move).
        if forward_to is not None and balance:
            problems.append(f"account {id_} ({kind} {owner}) forwards to account {forward_to} but holds {balance}")
        if forward_to is not None and currencies.get(forward_to) != currency:
            problems.append(f"account {id_} ({kind} {owner}) forwards to account {forward_to}, not one in {currency}")
        totals[currency] += balance
    problems += [f"{currency} accounts sum to {total}, not 0" for currency, total in totals.items() if total != 0]
    transfers = session.execute(select(func.count()).select_from(LedgerTransfer)).scalar_one()
    return Verification(accounts=len(rows), transfers=transfers, problems=problems)


def balances(session: Session, kind: str, owner_id: str, currencies: Collection[str]) -> dict[str, int]:
    """The owner's balances of that kind in these currencies, 0 for an account not opened yet: a
    read stays a read."""
    rows = session.execute(
        select(_accounts.c.currency, _with_pending(_accounts)).where(
            _accounts.c.kind == kind, _accounts.c.owner_id == owner_id, _accounts.c.currency.in_(currencies)
        )
    )
    return dict.fromkeys(currencies, 0) | {currency: int(balance) for currency, balance in rows}


@dataclass(frozen=True)
class Posting:
    """One entry of a transfer, with whose account it is."""

    account_id: int
    kind: str
    owner_id: str
    amount: int


@dataclass(frozen=True)
class Charge:
    """A transfer as a refund sees it: what moved, between whom, and what it recorded."""

    key: str
    kind: str
    currency: str
    amount: int
    details: dict[str, Any]
    postings: list[Posting]


def charge(session: Session, key: str) -> Charge | None:
    """The transfer of this idempotency key with its entries, or None."""
    found = session.scalars(select(LedgerTransfer).where(LedgerTransfer.idempotency_key == key)).first()
    if found is None:
        return None
    rows = session.execute(
        select(LedgerEntry.account_id, Account.kind, Account.owner_id, LedgerEntry.amount)
        .join(Account, Account.id == LedgerEntry.account_id)
        .where(LedgerEntry.transfer_id == found.id)
        .order_by(LedgerEntry.account_id)
    )
    postings = [Posting(account_id, kind, owner_id, int(amount)) for account_id, kind, owner_id, amount in rows]
    return Charge(key, found.kind, found.currency, int(found.amount), dict(found.details or {}), postings)


def amounts_keyed(session: Session, keys: Collection[str]) -> dict[str, int]:
    """What the transfers of these keys moved (the sum of their credits), by key; absent: no transfer."""
    found: dict[str, int] = {}
    wanted = sorted(set(keys))
    for start in range(0, len(wanted), 500):
        rows = session.execute(
            select(LedgerTransfer.idempotency_key, LedgerTransfer.amount).where(
                LedgerTransfer.idempotency_key.in_(wanted[start : start + 500])
            )
        )
        found |= {key: int(amount) for key, amount in rows}
    return found


@dataclass(frozen=True, order=True)
class Movement:
    """The sum of one kind of transfer's entries into one kind of account, seen from one owner's
    account (an app's earnings): ``account_kind`` "self" is that account itself."""

    owner_id: str
    transfer_kind: str
    account_kind: str  # "self", or the other side: user_wallet, platform_revenue, creator_earnings, ...
    currency: str
    amount: int
    transfers: int  # how many transfers of this kind touched the owner's account


def movements(
    session: Session, *, kinds: Collection[str], owners: Collection[str], start: Any, end: Any
) -> list[Movement]:
    """For the transfers made in [start, end) that touch an account of one of ``kinds`` owned by one
    of ``owners``: the sum of their entries by owner, transfer kind and account kind. What statements
    are made of, so that every line is the ledger's own sum."""
    touching = (
        select(LedgerEntry.transfer_id, LedgerEntry.account_id.label("anchor_id"), Account.owner_id)
        .join(Account, Account.id == LedgerEntry.account_id)
        .where(Account.kind.in_(list(kinds)), Account.owner_id.in_(list(owners)))
        .subquery()
    )
    other = cast(Table, Account.__table__).alias("other_account")
    seen_as = case((other.c.id == touching.c.anchor_id, "self"), else_=other.c.kind)
    rows = session.execute(
        select(
            touching.c.owner_id,
            LedgerTransfer.kind,
            seen_as,
            LedgerTransfer.currency,
            func.sum(LedgerEntry.amount),
            func.count(func.distinct(LedgerTransfer.id)),
        )
        .select_from(touching)
        .join(LedgerTransfer, LedgerTransfer.id == touching.c.transfer_id)
        .join(LedgerEntry, LedgerEntry.transfer_id == LedgerTransfer.id)
        .join(other, other.c.id == LedgerEntry.account_id)
        .where(LedgerTransfer.created_at >= start, LedgerTransfer.created_at < end)
        .group_by(touching.c.owner_id, LedgerTransfer.kind, seen_as, LedgerTransfer.currency)
    )
    return sorted(
        Movement(owner, transfer_kind, account_kind, currency, int(amount or 0), int(count))
        for owner, transfer_kind, account_kind, currency, amount, count in rows
    )


@dataclass(frozen=True)
class WalletMovement:
    """One transfer as the person whose wallet it touched sees it: what it was and what it did to
    the wallet (+ coins in, - coins out)."""

    transfer_id: int
    kind: str
    amount: int
    details: dict[str, Any]
    created_at: Any


def wallet_movements(
    session: Session, user_id: str, *, before: tuple[Any, int] | None = None, limit: int = 20
) -> list[WalletMovement]:
    """The transfers that touched this person's coin wallet, newest first, from after ``before``
    (the (time, transfer id) a previous page ended at). Only their own wallet's entries are read:
    another person's side of nothing shows here."""
    wallet_id = session.scalar(
        select(Account.id).where(Account.kind == WALLET, Account.owner_id == user_id, Account.currency == COIN)
    )
    if wallet_id is None:
        return []
    # Summed per transfer apart from the transfer's row: PostgreSQL cannot group by a JSON column.
    moved = (
        select(LedgerEntry.transfer_id, func.sum(LedgerEntry.amount).label("amount"))
        .where(LedgerEntry.account_id == wallet_id)
        .group_by(LedgerEntry.transfer_id)
        .subquery()
    )
    statement = (
        select(
            LedgerTransfer.id, LedgerTransfer.kind, moved.c.amount, LedgerTransfer.details, LedgerTransfer.created_at
        )
        .join(moved, moved.c.transfer_id == LedgerTransfer.id)
        .order_by(LedgerTransfer.created_at.desc(), LedgerTransfer.id.desc())
        .limit(limit)
    )
    if before is not None:
        at, transfer_id = before
        statement = statement.where(
            (LedgerTransfer.created_at < at) | ((LedgerTransfer.created_at == at) & (LedgerTransfer.id < transfer_id))
        )
    return [
        WalletMovement(int(id_), kind, int(amount), dict(details or {}), created_at)
        for id_, kind, amount, details, created_at in session.execute(statement)
    ]
