"""Finance's payout routes (staff act "payouts"): the queue, approval in batches, rejection,
sending again, and the published payout terms, a change that loosens them approved by a second
member (policy.py). Every change is in the audit log, in the same unit of work as the change."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import Path, Query, Response
from sqlalchemy.orm import Session

from openminis.errors import NotFound
from openminis.payouts import policy, service
from openminis.payouts.api import payout_out, payouts_out, policy_out
from openminis.payouts.models import Payout
from openminis.payouts.schemas import (
    ApproveIn,
    NoteIn,
    PayoutList,
    PayoutOut,
    PolicyChangesOut,
    PolicyIn,
    PolicyOut,
    ProposalList,
    ProposalOut,
    ReasonIn,
)
from openminis.staff import audit
from openminis.web.dependencies import SessionDep, StaffPersonId, staff_for
from openminis.web.routing import Router

router = Router(prefix="/api/admin/payouts", tags=["payouts"])
PayoutsStaff = Annotated[str, staff_for("payouts")]
PayoutId = Path(max_length=32)
ProposalId = Path(max_length=40)
Status = Literal["requested", "in_transit", "paid", "failed", "rejected", "canceled"]


def _record(session: Session, actor: str, action: str, payout: Payout, before: str, reason: str) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        target_kind="payout",
        target_id=payout.id,
        reason=reason,
        before={"status": before},
        after={"status": payout.status, "amount": payout.amount, "currency": payout.currency, "payee": payout.payee},
    )


@router.get("", response_model=PayoutList)
def list_payouts(
    staff: PayoutsStaff, session: SessionDep, status: Annotated[Status | None, Query()] = "requested"
) -> PayoutList:
    """Payouts of a status (default: waiting for approval), oldest first."""
    return PayoutList(items=payouts_out(session, service.queue(session, status=status)))


@router.get("/policy", response_model=PolicyOut)
def get_policy(staff: PayoutsStaff, session: SessionDep) -> PolicyOut:
    return policy_out(policy.current(session))


@router.put(
    "/policy",
    response_model=None,
    responses={
        200: {"model": PolicyOut, "description": "the change only tightens the terms: in force"},
        202: {"model": ProposalOut, "description": "the change loosens the terms: it waits for another member"},
    },
)
def put_policy(
    body: PolicyIn, staff: PayoutsStaff, session: SessionDep, person: StaffPersonId, response: Response
) -> PolicyOut | ProposalOut:
    """Change the payout terms, for payouts requested from then on. A change that loosens them
    (a higher rate, a higher approval limit, a shorter hold, a lower minimum) is proposed (202):
    in force once another member of finance approves it."""
    changed = policy.change(
        session,
        policy.Changes(
            hold_days=body.hold_days,
            rates=body.rates,
            minimums=body.minimums,
            auto_approve_below=body.auto_approve_below,
        ),
        by=staff,
        person=person,
        reason=body.reason,
    )
    if changed.proposal is not None:
        response.status_code = 202
        return _proposal_out(changed.proposal, person)
    return policy_out(changed.after)


# The GETs name the person first: in a read unit the person's lookup is a read of its own, ended at
# once (web/dependencies.py), which must come before the staff check's reads, not after them.
@router.get("/policy/proposals", response_model=ProposalList)
def proposals(person: StaffPersonId, staff: PayoutsStaff, session: SessionDep) -> ProposalList:
    """The change of the terms waiting for approval, if one does."""
    waiting = policy.waiting_proposal(session)
    return ProposalList(items=[_proposal_out(waiting, person)] if waiting else [])


@router.get("/policy/proposals/{proposal_id}", response_model=ProposalOut)
def proposal(
    person: StaffPersonId, staff: PayoutsStaff, session: SessionDep, proposal_id: str = ProposalId
) -> ProposalOut:
    return _proposal_out(policy.get(session, proposal_id), person)


@router.post("/policy/proposals/{proposal_id}/approve", response_model=PolicyOut)
def approve_proposal(
    body: NoteIn, staff: PayoutsStaff, session: SessionDep, person: StaffPersonId, proposal_id: str = ProposalId
) -> PolicyOut:
    """Put a waiting change in force: a person of finance who did not propose it. Answers the terms now."""
    changed = policy.approve(session, proposal_id, by=staff, person=person, reason=body.reason)
    return policy_out(changed.after)


@router.post("/policy/proposals/{proposal_id}/withdraw", response_model=ProposalOut)
def withdraw_proposal(
    body: NoteIn, staff: PayoutsStaff, session: SessionDep, person: StaffPersonId, proposal_id: str = ProposalId
) -> ProposalOut:
    """Its proposer takes a waiting change back."""
    return _proposal_out(policy.withdraw(session, proposal_id, by=staff, person=person, reason=body.reason), person)


@router.post("/policy/proposals/{proposal_id}/refuse", response_model=ProposalOut)
def refuse_proposal(
    body: ReasonIn, staff: PayoutsStaff, session: SessionDep, person: StaffPersonId, proposal_id: str = ProposalId
) -> ProposalOut:
    """Another member of finance turns a waiting change down."""
    return _proposal_out(policy.refuse(session, proposal_id, by=staff, person=person, reason=body.reason), person)


def _proposal_out(proposal: policy.Proposal, viewer: str | None) -> ProposalOut:
    return ProposalOut(
        id=proposal.id,
        status=proposal.status,
        proposed_by=proposal.proposed_by,
        proposed_at=proposal.proposed_at,
        reason=proposal.reason,
        mine=viewer == proposal.proposer,
        changes=PolicyChangesOut.model_validate(asdict(proposal.changes)),
        terms=policy_out(proposal.terms),
        loosens=proposal.loosens,
        decided_by=proposal.decided_by,
        decided_at=proposal.decided_at,
        decision_reason=proposal.decision_reason,
    )


@router.get("/{payout_id}", response_model=PayoutOut)
def one(staff: PayoutsStaff, session: SessionDep, payout_id: str = PayoutId) -> PayoutOut:
    payout = session.get(Payout, payout_id)
    if payout is None:
        raise NotFound(f"no payout {payout_id}", field="payout_id")
    return payout_out(session, payout, events=service.history(session, payout_id))


@router.post("/approve", response_model=PayoutList)
def approve(body: ApproveIn, staff: PayoutsStaff, session: SessionDep, person: StaffPersonId) -> PayoutList:
    """Approve a batch: each payout goes to its provider. All or none: one that cannot be
    approved refuses the batch."""
    # A person of finance never approves a payout to themselves.
    approved = service.approve(session, body.ids, by=staff, approver_id=person)
    for payout in approved.payouts:
        if payout.id in approved.now:  # one approved before is answered, not recorded again
            _record(session, staff, "approve_payout", payout, "requested", body.reason)
    return PayoutList(items=payouts_out(session, approved.payouts))


@router.post("/{payout_id}/reject", response_model=PayoutOut)
def reject(body: ReasonIn, staff: PayoutsStaff, session: SessionDep, payout_id: str = PayoutId) -> PayoutOut:
    """Refuse a requested payout; its earnings return to the payee's balance."""
    payout = service.reject(session, payout_id, reason=body.reason, by=staff)
    _record(session, staff, "reject_payout", payout, "requested", body.reason)
    return payout_out(session, payout)


@router.post("/{payout_id}/retry", response_model=PayoutOut)
def retry(body: ReasonIn, staff: PayoutsStaff, session: SessionDep, payout_id: str = PayoutId) -> PayoutOut:
    """Ask the provider again now for a payout in transit (after it gave up retrying)."""
    payout = service.retry(session, payout_id, by=staff)
    _record(session, staff, "retry_payout", payout, "in_transit", body.reason)
    return payout_out(session, payout)
