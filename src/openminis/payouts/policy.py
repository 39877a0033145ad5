"""The payout terms the platform publishes: the hold, the rates, the minimums, and the limit
under which payouts are approved without finance. Rows are only added; the latest is in effect,
and each payout records the rate it was requested at. A change that loosens the terms waits for a
second member of finance (``change``, ``approve``); one that only tightens them applies at once.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from openminis.db import take_turns, utcnow
from openminis.errors import Conflict, Forbidden, InvalidArgument, NotFound
from openminis.payouts.models import PayoutPolicy, PayoutPolicyProposal
from openminis.staff import audit

COIN, USD_MICROS = "COIN", "USD_MICROS"
SOURCES = (COIN, USD_MICROS)  # the earnings currencies that pay out
MILLION = 1_000_000

# A coin pays what it costs a person in the pack of 100 (USD 0.99 for 100, so a cent); ad
# earnings are dollars already. Operators publish their own in /admin.
DEFAULT_HOLD_DAYS = 14
DEFAULT_RATES = {
    "USD": {COIN: 1_000_000, USD_MICROS: 100},
    "EUR": {COIN: 920_000, USD_MICROS: 92},
    "GBP": {COIN: 790_000, USD_MICROS: 79},
}
DEFAULT_MINIMUMS = {"USD": 1000, "EUR": 1000, "GBP": 1000}
DEFAULT_AUTO_APPROVE_BELOW = {"USD": 0, "EUR": 0, "GBP": 0}  # 0: finance approves every payout


@dataclass(frozen=True)
class Policy:
    hold_days: int
    rates: dict[str, dict[str, int]]
    minimums: dict[str, int]
    auto_approve_below: dict[str, int]

    def rate(self, source: str, currency: str) -> int:
        rate = self.rates.get(currency, {}).get(source)
        if not rate:
            raise InvalidArgument(f"the platform pays no {source} earnings in {currency}", field="currency")
        return rate

    def converted(self, source: str, amount: int, currency: str) -> tuple[int, int]:
        """What ``amount`` of earnings pays in ``currency`` (floored to a minor unit), and the least
        earnings that pay exactly that: only those are taken, the rest stays in the balance."""
        rate = self.rate(source, currency)
        money = amount * rate // MILLION
        taken = -(-money * MILLION // rate)  # ceiling: the fewest units that pay ``money``
        return money, taken

    def auto_approves(self, currency: str, amount: int) -> bool:
        return amount < self.auto_approve_below.get(currency, 0)


DEFAULT = Policy(DEFAULT_HOLD_DAYS, DEFAULT_RATES, DEFAULT_MINIMUMS, DEFAULT_AUTO_APPROVE_BELOW)


def current(session: Session) -> Policy:
    row = session.scalars(select(PayoutPolicy).order_by(PayoutPolicy.id.desc()).limit(1)).first()
    if row is None:
        return DEFAULT
    return Policy(row.hold_days, dict(row.rates), dict(row.minimums), dict(row.auto_approve_below))


@dataclass(frozen=True)
class Changes:
    """What a change of the terms names: ``hold_days`` and ``rates`` whole, ``minimums`` and
    ``auto_approve_below`` for the currencies named (the others keep theirs)."""

    hold_days: int
    rates: dict[str, dict[str, int]]
    minimums: dict[str, int]
    auto_approve_below: dict[str, int]


def terms_with(before: Policy, changes: Changes) -> Policy:
    """The terms ``changes`` make of ``before``, checked: a currency new to the rates and not
    named starts at 0."""
    if not 0 <= changes.hold_days <= 365:
        raise InvalidArgument("the hold is 0 to 365 days", field="hold_days")
    if not changes.rates:
        raise InvalidArgument("publish a rate for at least one currency", field="rates")
    for currency, per_source in changes.rates.items():
        _currency(currency, "rates")
        if not per_source or set(per_source) - set(SOURCES):
            raise InvalidArgument(f"rates of {currency} are per earnings currency: {', '.join(SOURCES)}", field="rates")
        for source, rate in per_source.items():
            _count(rate, f"rates.{currency}.{source}", least=1)
    for name, amounts in (("minimums", changes.minimums), ("auto_approve_below", changes.auto_approve_below)):
        for currency, amount in amounts.items():
            if currency not in changes.rates:
                raise InvalidArgument(f"{name} names {currency}, which has no rate", field=name)
            _count(amount, f"{name}.{currency}", least=0)
    return Policy(
        hold_days=changes.hold_days,
        rates={currency: dict(per_source) for currency, per_source in changes.rates.items()},
        minimums={c: changes.minimums.get(c, before.minimums.get(c, 0)) for c in changes.rates},
        auto_approve_below={
            c: changes.auto_approve_below.get(c, before.auto_approve_below.get(c, 0)) for c in changes.rates
        },
    )


def loosened(before: Policy, after: Policy) -> list[str]:
    """What of ``after`` is looser than ``before``, in words: a shorter hold, a rate higher than
    before (or than none: a currency or an earnings currency newly paid), a lower minimum, a
    higher approval limit. Empty: ``after`` only tightens the terms, or keeps them."""
    looser = []
    if after.hold_days < before.hold_days:
        looser.append(f"the hold: {before.hold_days} → {after.hold_days} days")
    for currency, per_source in after.rates.items():
        for source, rate in per_source.items():
            was = before.rates.get(currency, {}).get(source)
            if was is None or rate > was:
                looser.append(f"{currency} per million {source}: {'not paid' if was is None else was} → {rate}")
    for currency in after.rates:
        if currency not in before.rates:
            continue  # newly paid in: its rates above say so
        minimum, was = after.minimums.get(currency, 0), before.minimums.get(currency, 0)
        if minimum < was:
            looser.append(f"{currency} minimum: {was} → {minimum}")
        limit, was = after.auto_approve_below.get(currency, 0), before.auto_approve_below.get(currency, 0)
        if limit > was:
            looser.append(f"{currency} approved without finance below: {was} → {limit}")
    return looser


def _publish(session: Session, terms: Policy, *, by: str) -> Policy:
    """``terms`` in force from now on, for payouts requested from now on."""
    session.add(
        PayoutPolicy(
            hold_days=terms.hold_days,
            rates=terms.rates,
            minimums=terms.minimums,
            auto_approve_below=terms.auto_approve_below,
            created_at=utcnow(),
            created_by=by[:200],
        )
    )
    session.flush()
    return current(session)


# Four eyes on looser terms ---------------------------------------------------------------------
#
# A change that loosens the terms (more money per unit of earnings, less time in the hold, smaller
# payouts, more of them approved by nobody) is what a member of finance who is also a payee would
# make before asking for their own payout: it is a proposal, in force once another member of
# finance approves it. A proposal is a row (PayoutPolicyProposal), decided once; each step is also
# an audit entry (staff/audit.py) of its own target kind, the log finance reads. One proposal
# waits at a time (another loosening waits for it to be decided; a unique index holds it). Every
# step takes the terms' turn ("payout-policy") first.

PROPOSAL_KIND = "payout_policy"
PROPOSE, APPROVE, WITHDRAW, REFUSE = (
    "propose_payout_policy",
    "approve_payout_policy",
    "withdraw_payout_policy",
    "refuse_payout_policy",
)
ProposalStatus = Literal["waiting", "approved", "withdrawn", "refused"]
DECISIONS: dict[str, ProposalStatus] = {APPROVE: "approved", WITHDRAW: "withdrawn", REFUSE: "refused"}


class OwnPolicyChange(Forbidden):
    code = "OWN_POLICY_CHANGE"


class ProposalDecided(Conflict):
    code = "PROPOSAL_DECIDED"


@dataclass(frozen=True)
class Proposal:
    id: str
    changes: Changes
    terms: Policy  # waiting: the terms approving it would make now; decided: that it made, or would have
    loosens: list[str]  # what of ``terms`` is looser than the terms in force (then)
    proposed_by: str  # as the audit log names them
    proposer: str | None  # the person; None: the operator's admin token
    proposed_at: datetime
    reason: str
    status: ProposalStatus
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_reason: str | None = None


@dataclass(frozen=True)
class Changed:
    before: Policy
    after: Policy  # the terms in force now
    proposal: Proposal | None  # the change loosens the terms: it waits, and ``after`` is ``before``


def change(session: Session, changes: Changes, *, by: str, person: str | None, reason: str) -> Changed:
    """A change of the terms by ``by`` (``person``: who they are; None for the admin token). One
    that only tightens the terms, or keeps them, applies at once, for payouts requested from
    now on; one that loosens anything waits, whole, for another member of finance (``approve``),
    and only a person proposes it."""
    # Two changes at once take turns: each keeps what the other named, never the terms from before both.
    take_turns(session, "payout-policy")
    before = current(session)
    after = terms_with(before, changes)
    looser = loosened(before, after)
    if not looser:
        after = _publish(session, after, by=by)
        audit.record(
            session,
            actor=by,
            action="set_payout_policy",
            target_kind="platform",
            target_id="payouts",
            reason=reason,
            before=asdict(before),
            after=asdict(after),
        )
        return Changed(before, after, None)
    if person is None:
        # Both ends of the rule are people: a proposal of the token's, which names nobody, was
        # approved by the person who held the token, signed in as finance (a probe).
        raise Forbidden(
            "a person of finance proposes a change that loosens the payout terms, and another approves it:"
            " the admin token is no person; sign in as staff to propose it",
            code="POLICY_PROPOSER_NOT_A_PERSON",
        )
    waiting = waiting_proposal(session)
    if waiting is not None:
        raise Conflict(
            f"a change of the payout terms proposed by {waiting.proposed_by} waits for approval:"
            " approve, refuse or withdraw it first",
            code="POLICY_CHANGE_WAITING",
        )
    proposal_id = "ppc_" + secrets.token_hex(8)
    session.add(
        PayoutPolicyProposal(
            id=proposal_id,
            changes=asdict(changes),
            terms=asdict(after),
            loosens=looser,
            proposed_by=by[:200],
            proposer=person,
            proposed_at=utcnow(),
            reason=reason,
            status="waiting",
        )
    )
    audit.record(
        session,
        actor=by,
        action=PROPOSE,
        target_kind=PROPOSAL_KIND,
        target_id=proposal_id,
        reason=reason,
        before=asdict(before),
        after={"changes": asdict(changes), "terms": asdict(after), "loosens": looser, "proposer": person},
    )
    session.flush()
    return Changed(before, before, get(session, proposal_id))


def approve(session: Session, proposal_id: str, *, by: str, person: str | None, reason: str) -> Changed:
    """Another member of finance, a person, puts a waiting proposal in force: what it names,
    changed in the terms in force now (a tightening since it was proposed keeps what the proposal
    did not name)."""
    take_turns(session, "payout-policy")
    proposal = _waiting(session, proposal_id)
    if person is None:
        raise Forbidden(
            "a person of finance approves a change of the payout terms: the admin token is no person",
            code="POLICY_APPROVER_NOT_A_PERSON",
        )
    if person == proposal.proposer:
        raise OwnPolicyChange("you proposed this change: another member of finance approves it")
    before = current(session)
    after = _publish(session, terms_with(before, proposal.changes), by=by)
    return Changed(before, after, _decide(session, proposal, APPROVE, by=by, reason=reason, made=(before, after)))


def withdraw(session: Session, proposal_id: str, *, by: str, person: str | None, reason: str) -> Proposal:
    """Its proposer takes a waiting proposal back."""
    take_turns(session, "payout-policy")
    proposal = _waiting(session, proposal_id)
    if person != proposal.proposer:
        raise Forbidden("only its proposer withdraws a proposal: refuse it instead", code="NOT_THE_PROPOSER")
    return _decide(session, proposal, WITHDRAW, by=by, reason=reason)


def refuse(session: Session, proposal_id: str, *, by: str, person: str | None, reason: str) -> Proposal:
    """Another member of finance turns a waiting proposal down."""
    if not reason.strip():
        raise InvalidArgument("say why the change is refused", field="reason")
    take_turns(session, "payout-policy")
    proposal = _waiting(session, proposal_id)
    if person == proposal.proposer:
        raise OwnPolicyChange("you proposed this change: withdraw it instead")
    return _decide(session, proposal, REFUSE, by=by, reason=reason)


def _decide(
    session: Session,
    proposal: Proposal,
    action: str,
    *,
    by: str,
    reason: str,
    made: tuple[Policy, Policy] | None = None,
) -> Proposal:
    """The waiting proposal's decision (``_waiting`` found it so, under the terms' turn every step
    takes), on its row and in the audit log; ``made``: an approval's terms before and after."""
    row = session.get_one(PayoutPolicyProposal, proposal.id)  # loaded by _waiting's read
    row.status = DECISIONS[action]
    row.decided_by, row.decided_at, row.decision_reason = by[:200], utcnow(), reason
    row.made = asdict(made[1]) if made is not None else None
    audit.record(
        session,
        actor=by,
        action=action,
        target_kind=PROPOSAL_KIND,
        target_id=proposal.id,
        reason=reason,
        before=asdict(made[0]) if made is not None else {"status": "waiting"},
        after=asdict(made[1]) if made is not None else {"status": DECISIONS[action]},
    )
    session.flush()
    return get(session, proposal.id)


def _waiting(session: Session, proposal_id: str) -> Proposal:
    proposal = get(session, proposal_id)
    if proposal.status != "waiting":
        raise ProposalDecided(f"the change {proposal_id} was {proposal.status} by {proposal.decided_by}")
    return proposal


def waiting_proposal(session: Session) -> Proposal | None:
    """The change of the terms waiting for approval, if one does."""
    found = session.scalar(select(PayoutPolicyProposal.id).where(PayoutPolicyProposal.status == "waiting"))
    return get(session, found) if found is not None else None


def get(session: Session, proposal_id: str) -> Proposal:
    """A proposal: waiting (with the terms approving it would make now), or as it was decided."""
    row = session.get(PayoutPolicyProposal, proposal_id, populate_existing=True)
    if row is None:
        raise NotFound(f"no proposed change of the payout terms {proposal_id}", field="proposal_id")
    changes = Changes(**row.changes)
    if row.status == "waiting":  # what approving it would do now
        now = current(session)
        terms = terms_with(now, changes)
        looser = loosened(now, terms)
    else:  # what it did, or would have done when proposed
        terms = _policy(row.made if row.made is not None else row.terms)
        looser = list(row.loosens)
    return Proposal(
        id=row.id,
        changes=changes,
        terms=terms,
        loosens=looser,
        proposed_by=row.proposed_by,
        proposer=row.proposer,
        proposed_at=row.proposed_at,
        reason=row.reason,
        status=cast(ProposalStatus, row.status),
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        decision_reason=row.decision_reason,
    )


def _policy(saved: Any) -> Policy:
    return Policy(saved["hold_days"], saved["rates"], saved["minimums"], saved["auto_approve_below"])


def _currency(code: str, field: str) -> None:
    if len(code) != 3 or not code.isascii() or not code.isalpha() or not code.isupper():
        raise InvalidArgument(f"{code!r} is not an ISO 4217 currency code (three capital letters)", field=field)


def _count(value: object, field: str, *, least: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not least <= value <= 10**12:
        raise InvalidArgument(f"{field} is a whole number from {least} to 10^12", field=field)
