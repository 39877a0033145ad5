"""Finance's payout routes (staff act "payouts"): the queue, approval in batches, rejection,
sending again, and the published payout terms. Every change is in the audit log, in the same
unit of work as the change."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Path, Query
from sqlalchemy.orm import Session

from openminis.errors import NotFound
from openminis.payouts import policy, service
from openminis.payouts.api import payout_out, payouts_out, policy_out
from openminis.payouts.models import Payout
from openminis.payouts.schemas import ApproveIn, PayoutList, PayoutOut, PolicyIn, PolicyOut, ReasonIn
from openminis.staff import audit
from openminis.web.dependencies import SessionDep, ViewerId, staff_for
from openminis.web.routing import Router

router = Router(prefix="/api/admin/payouts", tags=["payouts"])
PayoutsStaff = Annotated[str, staff_for("payouts")]
PayoutId = Path(max_length=32)
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


@router.put("/policy", response_model=PolicyOut)
def put_policy(body: PolicyIn, staff: PayoutsStaff, session: SessionDep) -> PolicyOut:
    """Publish new payout terms: they apply to payouts requested from now on."""
    before, after = policy.publish(
        session,
        hold_days=body.hold_days,
        rates=body.rates,
        minimums=body.minimums,
        auto_approve_below=body.auto_approve_below,
        by=staff,
    )
    audit.record(
        session,
        actor=staff,
        action="set_payout_policy",
        target_kind="platform",
        target_id="payouts",
        reason=body.reason,
        before=policy_out(before).model_dump(),
        after=policy_out(after).model_dump(),
    )
    return policy_out(after)


@router.get("/{payout_id}", response_model=PayoutOut)
def one(staff: PayoutsStaff, session: SessionDep, payout_id: str = PayoutId) -> PayoutOut:
    payout = session.get(Payout, payout_id)
    if payout is None:
        raise NotFound(f"no payout {payout_id}", field="payout_id")
    return payout_out(session, payout, events=service.history(session, payout_id))


@router.post("/approve", response_model=PayoutList)
def approve(body: ApproveIn, staff: PayoutsStaff, session: SessionDep, person: ViewerId) -> PayoutList:
    """Approve a batch: each payout goes to its provider. All or none: one that cannot be
    approved refuses the batch."""
    # A person of finance never approves a payout to themselves (the admin token is no person).
    approver = None if staff.startswith("operator") else person
    approved = service.approve(session, body.ids, by=staff, approver_id=approver)
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
