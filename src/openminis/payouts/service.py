"""Payouts: earnings leave the platform, each step one balanced ledger transfer.

A payee is a developer (the earnings of the apps they own: coins and ad revenue) or a creator
(their commissions). Earnings are *pending* for the hold (``policy.hold_days``), during which a
refund claws back from them, then *withdrawable* (``earnings``). A payee names a payout account
and asks for a payout of one earnings currency; it is converted at the published rate, must
reach the minimum, and takes only what is withdrawable. Its life, and the ledger's:

    requested    earnings accounts -> payouts_payable      (payout:<id>:request)
    in_transit   payouts_payable -> payouts_in_transit     (payout:<id>:send)    approved, handed to the provider
    paid         payouts_in_transit -> payouts_paid        (payout:<id>:paid)
    failed       payouts_in_transit -> the same earnings   (payout:<id>:return)  the provider refused
    rejected / canceled: payouts_payable -> the earnings   (payout:<id>:return)  finance, or the payee

Every step's transfer has its own key and every status change is a conditional update from the
status before it, so a step taken twice (a retry, two finance clicks, a worker killed and its job
run again) moves nothing the second time. The provider is asked with the payout's own key
(``payout-<id>``) and answers the same way when asked again: a payout is paid once.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from openminis.ads.money import REWARD_WINDOW
from openminis.attribution import service as attribution
from openminis.catalog import service as catalog
from openminis.creators import service as creators
from openminis.db import insert_ignoring_conflicts, utcnow
from openminis.developers import service as developers
from openminis.errors import Conflict, Forbidden, InvalidArgument, NotFound
from openminis.jobs import service as jobs
from openminis.money import as_text as money_text
from openminis.payouts import policy as payout_policy
from openminis.payouts.models import Payout, PayoutAccount, PayoutEvent
from openminis.payouts.policy import COIN, SOURCES, USD_MICROS
from openminis.payouts.providers import PayoutProvider, PayoutTransfer, Sent
from openminis.staff import service as staff
from openminis.text import has_hidden_characters
from openminis.wallet import service as ledger
from openminis.wallet.service import Leg

SEND_JOB = "payouts.send"
PAYABLE, IN_TRANSIT, PAID = "payouts_payable", "payouts_in_transit", "payouts_paid"
STEP_KINDS = ("payout_request", "payout_send", "payout_paid", "payout_return", "commission_repaid")
OPEN = ("requested", "in_transit")
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_.:-]{1,128}\Z")
# Which accounts hold a payee's earnings, per earnings currency.
DEVELOPER_EARNINGS = {COIN: "app_earnings", USD_MICROS: "app_ad_earnings"}
CREATOR_EARNINGS = "creator_earnings"


class PayoutStateError(Conflict):
    code = "PAYOUT_STATE"


class BelowMinimum(InvalidArgument):
    code = "PAYOUT_BELOW_MINIMUM"


def developer_payee(developer_id: str) -> str:
    return f"developer:{developer_id}"


def creator_payee(user_id: str) -> str:
    return f"creator:{user_id}"


def payee_names(session: Session, payees: Collection[str]) -> dict[str, str]:
    """Who each payee is, as finance reads it: the studio's name, or the creator's name and handle.
    The payouts table showed "developer:79c24a1ed2a0d75d" alone (a probe, dev53)."""
    owners: dict[str, set[str]] = {"developer": set(), "creator": set()}
    for payee in payees:
        kind, _, owner = payee.partition(":")
        owners.setdefault(kind, set()).add(owner)
    studios = developers.developer_names(session, owners["developer"])
    names = {f"developer:{d}": name for d, name in studios.items() if name}
    for user_id, creator in creators.find_creators(session, owners["creator"]).items():
        names[f"creator:{user_id}"] = f"{creator.display_name} (@{creator.handle})"
    return names


def _earnings_accounts(session: Session, payee: str, source: str) -> list[ledger.Owned]:
    kind, _, owner = payee.partition(":")
    if kind == "developer":
        apps = [app.id for app in catalog.apps_of(session, owner)]
        return ledger.owned(session, kinds=[DEVELOPER_EARNINGS[source]], owners=apps, currency=source)
    if kind == "creator":
        return ledger.owned(session, kinds=[CREATOR_EARNINGS], owners=[owner], currency=source)
    raise InvalidArgument(f"unknown payee {payee!r}")


@dataclass(frozen=True)
class Earnings:
    """A payee's earnings in one currency (COIN or USD_MICROS), now."""

    currency: str
    balance: int  # on the earnings accounts: pending + withdrawable + what of owed they hold
    pending: int  # still in the hold
    withdrawable: int
    in_payout: int  # requested or in transit
    paid: int  # paid out, ever
    hold_days: int
    # A creator's commission the platform gave back for them on refunds after it was paid out, not
    # had back yet: it comes out of what is withdrawable first (``withdrawable`` is net of it).
    owed: int = 0


def _hold(source: str, hold_days: int) -> timedelta:
    """How long earnings in ``source`` stay pending. Ad earnings, whatever the terms say, for at
    least the stretch in which their ads may still be completed: a completion takes the creator's
    commission out of the app's share of that ad (ads/serving.py), which must still be there."""
    hold = timedelta(days=hold_days)
    return max(hold, REWARD_WINDOW) if source == USD_MICROS else hold


def _withdrawable(session: Session, accounts: list[ledger.Owned], hold: timedelta, now: datetime) -> dict[int, int]:
    """Per account, what is out of the hold: its balance less what it earned (net of refunds of
    those earnings) in the last ``hold``, never below 0. The payout steps' own transfers are not
    earnings; a failed payout's return is withdrawable at once."""
    held = ledger.held(session, [a.id for a in accounts], since=now - hold, excluding=STEP_KINDS)
    return {a.id: a.balance - min(max(held.get(a.id, 0), 0), a.balance) for a in accounts}


def earnings(session: Session, payee: str, *, now: datetime | None = None) -> list[Earnings]:
    now = now or utcnow()
    terms = payout_policy.current(session)
    mine = session.execute(
        select(Payout.source_currency, Payout.status, Payout.source_amount).where(
            Payout.payee == payee, Payout.status.in_((*OPEN, "paid"))
        )
    ).all()
    out = []
    for source in SOURCES:
        accounts = _earnings_accounts(session, payee, source)
        free = _withdrawable(session, accounts, _hold(source, terms.hold_days), now)
        balance = sum(a.balance for a in accounts)
        withdrawable = sum(free.values())
        owed = _owed(session, payee, source)
        out.append(
            Earnings(
                currency=source,
                balance=balance,
                pending=balance - withdrawable,
                withdrawable=withdrawable - min(owed, withdrawable),
                in_payout=sum(int(n) for c, status, n in mine if c == source and status in OPEN),
                paid=sum(int(n) for c, status, n in mine if c == source and status == "paid"),
                hold_days=terms.hold_days,
                owed=owed,
            )
        )
    return out


def _owed(session: Session, payee: str, source: str) -> int:
    """What a creator payee owes the platform (attribution.owed_by); a developer owes nothing so:
    a refund takes an app's share back from the app's earnings, or is refused."""
    kind, _, owner = payee.partition(":")
    return attribution.owed_by(session, owner, source) if kind == "creator" else 0


def _set_aside(free: dict[int, int], amount: int) -> tuple[dict[int, int], list[Leg]]:
    """``amount`` taken out of the withdrawable parts (accounts by id): what is left of each, and
    the legs that take it (a creator's debt, then the payout itself)."""
    left, legs = dict(free), []
    for account_id in sorted(left):
        part = min(left[account_id], amount)
        if part > 0:
            left[account_id] -= part
            legs.append(Leg(account_id, -part))
            amount -= part
    return left, legs


# Payout accounts ---------------------------------------------------------------------------


def add_account(
    session: Session, payee: str, provider: PayoutProvider, *, destination: str, currency: str, holder: str, by: str
) -> PayoutAccount:
    """The payee's payout account from now on (earlier payouts keep the account they went to)."""
    currency = (currency or "").strip().upper()
    terms = payout_policy.current(session)
    if currency not in terms.rates:
        raise InvalidArgument(f"payouts are made in {', '.join(sorted(terms.rates))}", field="currency")
    holder = " ".join((holder or "").split())
    if not 1 <= len(holder) <= 120:
        raise InvalidArgument("the account holder's name is 1-120 characters", field="holder")
    if has_hidden_characters(holder):
        # Finance reads it against the bank's: nothing in it may hide or turn text around.
        raise InvalidArgument("the account holder's name has invisible or control characters", field="holder")
    account = PayoutAccount(
        id="pa_" + secrets.token_hex(8),
        payee=payee,
        provider=provider.name,
        destination=provider.check_destination(destination or ""),
        currency=currency,
        holder=holder,
        created_at=utcnow(),
        created_by=by[:32],
    )
    session.add(account)
    session.flush()
    return account


def account_of(session: Session, payee: str) -> PayoutAccount | None:
    return session.scalars(
        select(PayoutAccount)
        .where(PayoutAccount.payee == payee)
        .order_by(PayoutAccount.created_at.desc(), PayoutAccount.id.desc())
        .limit(1)
    ).first()


# Requests ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quote:
    """What a payout of ``source_amount`` would pay: the payee confirms ``amount`` before asking."""

    source_currency: str
    source_amount: int  # taken from the earnings (the rest of what was asked stays)
    currency: str
    amount: int
    rate: int
    minimum: int
    repaid: int = 0  # a creator's debt given back to the platform first, out of the same earnings


def quote(session: Session, payee: str, *, source: str, amount: int | None, now: datetime | None = None) -> Quote:
    """The payout the payee may ask for now: ``amount`` of ``source`` earnings (None: all that is
    withdrawable), converted into their account's currency."""
    return _offer(session, payee, source=source, amount=amount, now=now or utcnow())[0]


def _offer(
    session: Session, payee: str, *, source: str, amount: int | None, now: datetime, expect: int | None = None
) -> tuple[Quote, PayoutAccount, dict[int, int], list[Leg]]:
    """The quote, the account it pays into, what each earnings account has withdrawable for it, and
    the legs that first give the platform what a creator owes it (``_owed``), out of withdrawable
    earnings. A probe: a creator paid their commission, the sale then refunded (the platform
    covered the commission), was paid the next sale's commission in full, and the next: the debt
    grew each cycle and was never had back."""
    if source not in SOURCES:
        raise InvalidArgument(f"source is one of {', '.join(SOURCES)}", field="source")
    account = account_of(session, payee)
    if account is None:
        raise InvalidArgument("add a payout account first", field="account", code="NO_PAYOUT_ACCOUNT")
    terms = payout_policy.current(session)
    accounts = _earnings_accounts(session, payee, source)
    free = _withdrawable(session, accounts, _hold(source, terms.hold_days), now)
    pending = sum(a.balance for a in accounts) - sum(free.values())
    free, repaying = _set_aside(free, min(_owed(session, payee, source), sum(free.values())))
    withdrawable = sum(free.values())
    if amount is None:
        amount = withdrawable
    elif not isinstance(amount, int) or isinstance(amount, bool) or amount < 1:
        raise InvalidArgument("amount is a whole number of earnings units, at least 1", field="amount")
    elif amount > withdrawable:
        # Where the rest is, as the payee's earnings show it: "the rest is in the hold or paid out"
        # was said with all of it in a payout waiting for finance (a probe, attack54).
        under_way = sum(payout.source_amount for payout in _under_way(session, payee, source))
        rest = [f"{pending} {source} in the {terms.hold_days}-day hold"] if pending > 0 else []
        rest += [f"{under_way} {source} in payouts under way"] if under_way else []
        where = f"{', '.join(rest)} or paid out" if rest else "paid out"
        raise InvalidArgument(
            f"{withdrawable} {source} is withdrawable now; the rest is {where}",
            field="amount",
            code="NOT_WITHDRAWABLE",
        )
    money, taken = terms.converted(source, amount, account.currency)
    minimum = terms.minimums.get(account.currency, 0)
    least = max(minimum, 1)
    if expect is not None and money != expect and (money >= least or expect >= least):
        # Confirmed, then changed under it (another request of theirs took the earnings first):
        # 199 of 200 requests at once were told their $42.00 payout was below the minimum (attack55).
        # Not when neither could be paid: "confirm again" led to PAYOUT_BELOW_MINIMUM (attack55b).
        raise _changed(session, payee, source, money, expect, account.currency)
    if money < least:
        # With what is still in the hold: "this would pay 0.00 USD" was all a developer with 186 coins
        # earned in the last days was told (a probe, dev54).
        held = f"; {pending} {source} more are in the {terms.hold_days}-day hold" if pending > 0 else ""
        raise BelowMinimum(
            f"a payout is at least {money_text(least, account.currency)}; this would pay "
            f"{money_text(money, account.currency)}{held}",
            field="amount",
        )
    offer = Quote(
        source,
        taken,
        account.currency,
        money,
        terms.rate(source, account.currency),
        minimum,
        repaid=-sum(leg.amount for leg in repaying),
    )
    return offer, account, free, repaying


def request(
    session: Session,
    payee: str,
    *,
    source: str,
    amount: int | None,
    expect: int,
    idempotency_key: str,
    by: str,
    person: str,
    now: datetime | None = None,
) -> Payout:
    """Ask for a payout of ``amount`` (None: all withdrawable) of ``source`` earnings, confirmed
    to pay ``expect`` minor units, by ``person`` (the user asking: the creator, or whoever signs
    into the developer account). A retry with the key answers the payout it made."""
    if not IDEMPOTENCY_KEY.match(idempotency_key or ""):
        raise InvalidArgument(
            "idempotency_key must be 1-128 letters, digits, '_', '.', ':' or '-'", field="idempotency_key"
        )
    if source not in SOURCES:
        raise InvalidArgument(f"source is one of {', '.join(SOURCES)}", field="source")
    # The payee's earnings rows are held until the unit ends: two requests take turns, and the
    # second sees what the first took (SQLite's transactions take turns already). With them, in
    # the one order of every lock here (accounts by id, as the ledger takes them), the payout
    # accounts this request may move (an approval under the limit moves on to "in transit"), and
    # the platform's revenue, which a creator's debt goes back to (as a payout's return takes it).
    accounts = _earnings_accounts(session, payee, source)
    creator = payee.startswith("creator:")  # who may owe the platform (``_owed``), read once these are held
    ledger.lock(
        session,
        [
            *(a.id for a in accounts),
            ledger.account_id(session, PAYABLE, "", source),
            ledger.account_id(session, IN_TRANSIT, "", source),
            *([ledger.account_id(session, attribution.PLATFORM_REVENUE, "", source)] if creator else []),
        ],
    )
    made = session.scalars(
        select(Payout).where(Payout.payee == payee, Payout.idempotency_key == idempotency_key)
    ).first()
    if made is not None:
        asked_other = amount is not None and amount * made.rate // payout_policy.MILLION != made.amount
        if made.source_currency != source or made.amount != expect or asked_other:
            raise Conflict(
                f"this idempotency key asked for {made.amount} {made.currency} of {made.source_currency};"
                " a retry must ask the same",
                code="IDEMPOTENCY_CONFLICT",
                field="idempotency_key",
            )
        return made
    now = now or utcnow()
    offer, account, free, repaying = _offer(session, payee, source=source, amount=amount, now=now, expect=expect)
    _, legs = _set_aside(free, offer.source_amount)
    payout = Payout(
        id="po_" + secrets.token_hex(10),
        payee=payee,
        idempotency_key=idempotency_key,
        account_id=account.id,
        provider=account.provider,
        source_currency=source,
        source_amount=offer.source_amount,
        currency=offer.currency,
        amount=offer.amount,
        rate=offer.rate,
        status="requested",
        requested_by=by[:32],
        created_at=now,
        updated_at=now,
    )
    if not insert_ignoring_conflicts(session, Payout, _row(payout)):
        raise Conflict("a payout with this idempotency key is being made; retry", code="IDEMPOTENCY_CONFLICT")
    if repaying:
        _repay(session, payout, repaying)
    ledger.transfer(
        session,
        key=f"payout:{payout.id}:request",
        kind="payout_request",
        currency=source,
        legs=[*legs, Leg(ledger.account_id(session, PAYABLE, "", source), offer.source_amount)],
        details={"payout_id": payout.id, "payee": payee, "amount": offer.amount, "currency": offer.currency},
    )
    under_limit = payout_policy.current(session).auto_approves(offer.currency, offer.amount)
    # Under the limit, but to someone who may have had a hand in it (or in the terms): another
    # member of finance approves it, as every payout to a member of staff.
    to_staff = {"staff_payee": True} if under_limit and _pays_staff(session, payee, person) else {}
    _event(session, payout.id, "requested", by, amount=offer.amount, currency=offer.currency, **to_staff)
    payout = session.get_one(Payout, payout.id)
    if under_limit and not to_staff:
        _send(session, payout, by="auto: under the approval limit")
    return payout


def _changed(session: Session, payee: str, source: str, money: int, expect: int, currency: str) -> Conflict:
    under_way = _under_way(session, payee, source)
    held = f" now ({', '.join(p.id for p in under_way[-3:])} under way)" if under_way else ""
    return Conflict(
        f"this payout pays {money_text(money, currency)}{held}, not the {money_text(expect, currency)}"
        " confirmed; confirm again",
        code="PAYOUT_CHANGED",
        field="expect",
    )


def _repay(session: Session, payout: Payout, legs: list[Leg]) -> None:
    """A creator's debt to the platform, out of their earnings, with the payout that found it (a
    transfer of its own: the payout's steps move its amount and nothing else)."""
    _, _, creator_id = payout.payee.partition(":")
    source, repaid = payout.source_currency, -sum(leg.amount for leg in legs)
    attribution.repaid(session, creator_id, source, repaid)
    ledger.transfer(
        session,
        key=f"repaid:{payout.id}",
        kind="commission_repaid",
        currency=source,
        legs=[*legs, Leg(ledger.account_id(session, attribution.PLATFORM_REVENUE, "", source), repaid)],
        details={"payout_id": payout.id, "creator_id": creator_id, "repaid": repaid},
    )


def _pays_staff(session: Session, payee: str, person: str) -> bool:
    """Whether the payee is a member of staff, whatever their role: the person asking (a developer
    account is signed into by one person, who asks for its payouts), or the creator paid."""
    kind, _, owner = payee.partition(":")
    people = {person, owner} if kind == "creator" else {person}
    return any(staff.role_of(session, someone) is not None for someone in people)


def _row(payout: Payout) -> dict[str, Any]:
    return {column.name: getattr(payout, column.key) for column in Payout.__table__.columns}


# Finance and the payee ----------------------------------------------------------------------


def payees_of(session: Session, user_id: str) -> set[str]:
    """Every payee the person is: a creator, and the developer they sign into."""
    developer_id = developers.developer_id_for(session, user_id)
    return {creator_payee(user_id)} | ({developer_payee(developer_id)} if developer_id else set())


@dataclass(frozen=True)
class Approved:
    payouts: list[Payout]  # every payout of the batch, as it is now
    now: list[str]  # the ids this batch approved (the others were approved before)


def approve(session: Session, payout_ids: Collection[str], *, by: str, approver_id: str | None = None) -> Approved:
    """Approve requested payouts (a batch): each is handed to its provider. One already approved
    is left as it is; one in another state, or one that pays the approver (``approver_id``, a
    person: finance does not approve its own money), is refused, and nothing of the batch is
    approved."""
    # Every lock in one order: a unit that acts on payouts holds their rows first, by id, then the
    # accounts (the ledger's order). Approving A then B while a rejection of B held B and waited
    # for the accounts A's approval held was a deadlock on PostgreSQL.
    _lock(session, payout_ids)
    approved, now = [], []
    for payout_id in sorted(set(payout_ids)):
        payout = _get(session, payout_id)
        # Whatever its state: once another member had approved it, the payee's own approval was
        # answered 200, as if the rule held only at some moments (ops56).
        if approver_id is not None and payout.payee in payees_of(session, approver_id):
            raise Forbidden(f"payout {payout_id} pays you: another member of finance approves it", code="OWN_PAYOUT")
        if payout.status in ("in_transit", "paid"):
            approved.append(payout)
            continue
        if payout.status != "requested":
            raise PayoutStateError(f"payout {payout_id} is {payout.status}; only requested payouts are approved")
        approved.append(_send(session, payout, by=by))
        now.append(payout_id)
    return Approved(approved, now)


def reject(session: Session, payout_id: str, *, reason: str, by: str) -> Payout:
    """Finance refuses a requested payout: its earnings return to the payee's balance."""
    if not reason.strip():
        raise InvalidArgument("say why the payout is rejected", field="reason")
    _lock(session, [payout_id])  # of two rejections at once, the second sees the first's
    payout = _get(session, payout_id)
    if payout.status == "rejected":  # a second click: nothing more to do, and nothing to record
        raise PayoutStateError(f"payout {payout_id} is rejected already")
    return _return(session, payout, "rejected", frm=("requested",), reason=reason, by=by)


def cancel(session: Session, payee: str, payout_id: str, *, by: str) -> Payout:
    """The payee withdraws a payout finance has not approved yet."""
    payout = _get(session, payout_id)
    if payout.payee != payee:
        raise NotFound(f"no payout {payout_id}")
    return _return(session, payout, "canceled", frm=("requested",), reason="canceled by the payee", by=by)


def _lock(session: Session, payout_ids: Collection[str]) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            select(Payout.id).where(Payout.id.in_(sorted(set(payout_ids)))).order_by(Payout.id).with_for_update()
        )


def _get(session: Session, payout_id: str) -> Payout:
    payout = session.get(Payout, payout_id, populate_existing=True)
    if payout is None:
        raise NotFound(f"no payout {payout_id}", field="payout_id")
    return payout


def _move(session: Session, payout: Payout, to: str, frm: Collection[str], **values: Any) -> bool:
    """Change the payout's status if it is still in one of ``frm``: whoever changes it first wins."""
    moved = cast(
        "CursorResult[Any]",
        session.execute(
            update(Payout)
            .where(Payout.id == payout.id, Payout.status.in_(list(frm)))
            .values(status=to, updated_at=utcnow(), **values)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    session.refresh(payout)
    return moved == 1


def _send(session: Session, payout: Payout, *, by: str) -> Payout:
    if not _move(session, payout, "in_transit", ("requested",), approved_by=by[:200]):
        if payout.status in ("in_transit", "paid"):
            return payout
        raise PayoutStateError(f"payout {payout.id} is {payout.status}")
    _step(session, payout, "send", PAYABLE, IN_TRANSIT, by=by[:200])
    _event(session, payout.id, "in_transit", by)
    jobs.enqueue(session, SEND_JOB, {"payout_id": payout.id}, unique_key=f"payout-send:{payout.id}", ref=payout.id)
    return payout


def _step(session: Session, payout: Payout, step: str, frm: str, to: str, **details: Any) -> None:
    """The payout's whole amount from one of the payout accounts to the next: its ``step`` transfer."""
    source = payout.source_currency
    ledger.transfer(
        session,
        key=f"payout:{payout.id}:{step}",
        kind=f"payout_{step}",
        currency=source,
        legs=[
            Leg(ledger.account_id(session, frm, "", source), -payout.source_amount),
            Leg(ledger.account_id(session, to, "", source), payout.source_amount),
        ],
        details={"payout_id": payout.id, **details},
    )


def _return(session: Session, payout: Payout, to: str, *, frm: tuple[str, ...], reason: str, by: str) -> Payout:
    """Give the payout's earnings back to the accounts they came from, exactly."""
    if not _move(session, payout, to, frm, reason=reason[:500]):
        if payout.status == to:
            return payout
        raise PayoutStateError(f"payout {payout.id} is {payout.status}; it cannot be {to}")
    taken = ledger.charge(session, f"payout:{payout.id}:request")
    assert taken is not None  # every payout's request moved its earnings
    holding = IN_TRANSIT if frm == ("in_transit",) else PAYABLE
    source = payout.source_currency
    holder = Leg(ledger.account_id(session, holding, "", source), -payout.source_amount)
    back = [Leg(p.account_id, -p.amount) for p in taken.postings if p.amount < 0]
    back, repaid = _repaying(session, payout, holder, back)
    ledger.transfer(
        session,
        key=f"payout:{payout.id}:return",
        kind="payout_return",
        currency=source,
        legs=[holder, *back, *repaid],
        details={
            "payout_id": payout.id,
            "status": to,
            "reason": reason[:200],
            **({"repaid": repaid[0].amount} if repaid else {}),
        },
    )
    _event(session, payout.id, to, by, reason=reason[:500])
    return payout


def _repaying(session: Session, payout: Payout, holder: Leg, back: list[Leg]) -> tuple[list[Leg], list[Leg]]:
    """A creator's payout that comes back (rejected, canceled, failed) gives the platform first what
    it covered for them on refunds and has not had back (attribution.owed_by): a refund made while
    the payout held the commission found none of it in their earnings, and the platform gave it
    back for them; the coins returning would otherwise be theirs to withdraw again (a probe: a
    creator requested their 84 coins of commission, the six sales were refunded, and the canceled
    payout gave them the 84 back). The earnings legs less that, and the platform's leg."""
    kind, _, creator_id = payout.payee.partition(":")
    if kind != "creator":
        return back, []
    source = payout.source_currency
    platform = ledger.account_id(session, attribution.PLATFORM_REVENUE, "", source)
    # The accounts a claw-back holds too (by id, the ledger's one order): a refund covering more
    # meanwhile waits for this return, or this return sees what it covered.
    ledger.lock(session, [holder.account_id, platform, *(leg.account_id for leg in back)])
    repay = min(attribution.owed_by(session, creator_id, source), -holder.amount)
    if repay <= 0:
        return back, []
    attribution.repaid(session, creator_id, source, repay)
    left, smaller = repay, []
    for leg in back:
        part = min(leg.amount, left)
        left -= part
        if leg.amount - part:
            smaller.append(Leg(leg.account_id, leg.amount - part))
    return smaller, [Leg(platform, repay)]


def retry(session: Session, payout_id: str, *, by: str) -> Payout:
    """Ask the provider again now, for a payout in transit whose sending gave up."""
    payout = _get(session, payout_id)
    if payout.status != "in_transit":
        raise PayoutStateError(f"payout {payout_id} is {payout.status}; only payouts in transit are sent again")
    jobs.enqueue(
        session,
        SEND_JOB,
        {"payout_id": payout.id},
        unique_key=f"payout-send:{payout.id}:{secrets.token_hex(4)}",
        ref=payout.id,
    )
    _event(session, payout.id, "in_transit", by, retried=True)
    return payout


# The provider's answer ------------------------------------------------------------------------


@dataclass(frozen=True)
class Sending:
    """A payout on its way to its provider (what the send job asks)."""

    payout_id: str
    provider: str
    transfer: PayoutTransfer


def sending(session: Session, payout_id: str) -> Sending | None:
    """What to ask the provider, or None when the payout is no longer in transit."""
    payout = session.get(Payout, payout_id)
    if payout is None or payout.status != "in_transit":
        return None
    account = session.get_one(PayoutAccount, payout.account_id)
    transfer = PayoutTransfer(
        key=f"payout-{payout.id}",
        payout_id=payout.id,
        destination=account.destination,
        amount=payout.amount,
        currency=payout.currency,
    )
    return Sending(payout.id, payout.provider, transfer)


def settle(session: Session, payout_id: str, sent: Sent) -> Payout:
    """Record the provider's answer: paid (in transit -> paid) or refused (back to the balance)."""
    payout = _get(session, payout_id)
    if sent.outcome == "refused":
        return _return(
            session,
            payout,
            "failed",
            frm=("in_transit",),
            reason=sent.reason or "the provider refused it",
            by="provider",
        )
    if not _move(session, payout, "paid", ("in_transit",), provider_ref=sent.provider_ref, last_error=None):
        if payout.status == "paid":
            return payout
        raise PayoutStateError(f"payout {payout.id} is {payout.status}; the provider's payment is not recorded")
    _step(session, payout, "paid", IN_TRANSIT, PAID, provider_ref=sent.provider_ref)
    _event(session, payout.id, "paid", "provider", provider_ref=sent.provider_ref)
    return payout


def note_trouble(session: Session, payout_id: str, error: str, *, gave_up: bool) -> None:
    """The provider did not answer: the payout stays in transit, and finance sees why."""
    payout = _get(session, payout_id)
    if payout.status != "in_transit":
        return
    payout.last_error = (("gave up retrying (retry it in /admin): " if gave_up else "") + error)[:500]
    session.flush()


def _event(session: Session, payout_id: str, status: str, by: str, **details: Any) -> None:
    session.add(PayoutEvent(payout_id=payout_id, status=status, by=by[:200], details=details, at=utcnow()))
    session.flush()


# Reads ---------------------------------------------------------------------------------------


@contextmanager
def refunds_told_of_payouts(session: Session, app_id: str | None) -> Iterator[None]:
    """Around a refund of an app's sale: one its earnings cannot give is told what holds them, the
    developer's payouts under way. The operator read only that "the app earnings account cannot
    give 300" (a probe, dev53), not that a payout they could refuse held the coins."""
    try:
        yield
    except ledger.InsufficientFunds as refused:
        raise _refused_refund(session, app_id, refused) from refused


def _refused_refund(
    session: Session, app_id: str | None, refused: ledger.InsufficientFunds
) -> ledger.InsufficientFunds:
    app = catalog.find_app(session, app_id) if app_id and refused.account_kind == DEVELOPER_EARNINGS[COIN] else None
    if app is None or not app.developer_id:
        return refused
    payee = f"developer:{app.developer_id}"
    holding = _under_way(session, payee, COIN)
    if not holding:
        # Paid out already: said too, with what remains to do (the refusal said only that the account
        # "cannot give 560", a probe, dev54).
        paid = (
            select(Payout)
            .where(Payout.payee == payee, Payout.source_currency == COIN, Payout.status == "paid")
            .order_by(Payout.updated_at.desc(), Payout.id)
            .limit(1)
        )
        last = session.scalars(paid).first()
        if last is None:
            return refused
        return ledger.InsufficientFunds(
            f"{refused.message}: the developer's earnings were paid out (their last payout {last.id},"
            f" {money_text(last.source_amount, COIN)}); it can be refunded once the app's earnings hold it again",
            account_kind=refused.account_kind,
        )
    said = ", ".join(f"{p.id} ({p.status}, {money_text(p.source_amount, COIN)})" for p in holding)
    undo = (
        "refuse it in Payouts (or the developer cancels it) to free them, then refund"
        if any(p.status == "requested" for p in holding)
        else "they are on their way to the developer"
    )
    return ledger.InsufficientFunds(
        f"{refused.message}: the app's earnings are in the developer's payout {said}; {undo}",
        account_kind=refused.account_kind,
    )


def _under_way(session: Session, payee: str, source: str) -> Sequence[Payout]:
    """The payee's payouts of ``source`` earnings asked for and not yet paid or returned, oldest first."""
    statement = select(Payout).where(Payout.payee == payee, Payout.source_currency == source, Payout.status.in_(OPEN))
    return session.scalars(statement.order_by(Payout.created_at, Payout.id)).all()


def payouts_of(session: Session, payee: str, *, limit: int = 100) -> list[Payout]:
    return list(
        session.scalars(
            select(Payout).where(Payout.payee == payee).order_by(Payout.created_at.desc(), Payout.id).limit(limit)
        )
    )


def queue(session: Session, *, status: str | None, limit: int = 200) -> list[Payout]:
    """Payouts for finance, oldest first (the ones waiting longest on top)."""
    statement = select(Payout).order_by(Payout.created_at, Payout.id).limit(limit)
    if status:
        statement = statement.where(Payout.status == status)
    return list(session.scalars(statement))


def status_of(session: Session, payout_id: str) -> str | None:
    return session.scalar(select(Payout.status).where(Payout.id == payout_id))


def history(session: Session, payout_id: str) -> list[PayoutEvent]:
    return list(session.scalars(select(PayoutEvent).where(PayoutEvent.payout_id == payout_id).order_by(PayoutEvent.id)))


def accounts_by_id(session: Session, account_ids: Collection[str]) -> dict[str, PayoutAccount]:
    if not account_ids:
        return {}
    found = session.scalars(select(PayoutAccount).where(PayoutAccount.id.in_(list(account_ids))))
    return {account.id: account for account in found}


# Reconciliation ------------------------------------------------------------------------------


def verify(session: Session) -> list[str]:
    """Every payout against its transfers, and the payout accounts against the payouts in them:
    what ``minis ledger verify`` adds for payouts. Empty when all agree."""
    problems: list[str] = []
    moved: dict[str, dict[str, int]] = {}
    for transfer in ledger.transfers_keyed(session, "payout:"):
        _, payout_id, step = transfer.key.split(":", 2)
        moved.setdefault(payout_id, {})[step] = transfer.amount
    expected = {
        "requested": ("request",),
        "in_transit": ("request", "send"),
        "paid": ("request", "send", "paid"),
        "failed": ("request", "send", "return"),
        "rejected": ("request", "return"),
        "canceled": ("request", "return"),
    }
    totals = {(step, source): 0 for step in (PAYABLE, IN_TRANSIT, PAID) for source in SOURCES}
    where = {"requested": PAYABLE, "in_transit": IN_TRANSIT, "paid": PAID}
    for payout in session.scalars(select(Payout).execution_options(yield_per=1000)):
        steps = moved.pop(payout.id, {})
        if set(steps) != set(expected.get(payout.status, ())):
            problems.append(f"payout {payout.id} is {payout.status} but its transfers are {sorted(steps) or 'none'}")
        wrong = {step: amount for step, amount in steps.items() if amount != payout.source_amount}
        if wrong:
            problems.append(f"payout {payout.id} is {payout.source_amount} but its transfers moved {wrong}")
        if payout.status in where:
            totals[(where[payout.status], payout.source_currency)] += payout.source_amount
    problems += [f"transfers of payout {payout_id} have no payout" for payout_id in moved]
    for (kind, source), total in totals.items():
        held = ledger.balances(session, kind, "", [source])[source]
        if held != total:
            problems.append(f"{kind} holds {held} {source}; its payouts add up to {total}")
    return problems
