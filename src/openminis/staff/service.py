"""The operator's people: each staff member has one role, and a role allows a fixed set of acts.
Every act a staff member does is recorded in the audit log (audit.py)."""

from __future__ import annotations

from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from openminis.errors import Forbidden, InvalidArgument
from openminis.staff import audit
from openminis.staff.models import StaffMember

Role = Literal["owner", "admin", "reviewer", "moderator", "finance", "support"]
ROLES: tuple[Role, ...] = ("owner", "admin", "reviewer", "moderator", "finance", "support")
# review: versions; moderate: reports, takedowns, suspensions, appeals; money: fees, commissions,
# coin packs; refund: any order, unlock, pass or top-up; lookup: a person's money records;
# payouts: approve and pay; audit: read the audit log; staff: add and change staff.
Act = Literal["review", "moderate", "money", "refund", "lookup", "payouts", "audit", "staff"]
ALLOWED: dict[str, frozenset[str]] = {
    "owner": frozenset({"review", "moderate", "money", "refund", "lookup", "payouts", "audit", "staff"}),
    "admin": frozenset({"review", "moderate", "money", "refund", "lookup", "payouts", "audit"}),
    "reviewer": frozenset({"review"}),
    "moderator": frozenset({"moderate", "lookup"}),
    "finance": frozenset({"money", "refund", "lookup", "payouts", "audit"}),
    "support": frozenset({"lookup"}),
}


def role_of(session: Session, user_id: str) -> str | None:
    member = session.get(StaffMember, user_id)
    return member.role if member is not None else None


def hold_role(session: Session, user_id: str) -> str | None:
    """The member's role, their row locked until the unit ends: their acts that add up against one
    limit (the coupons they make, payments/coupons.py) take turns, on PostgreSQL as on SQLite."""
    member = session.get(StaffMember, user_id, with_for_update=True, populate_existing=True)
    return member.role if member is not None else None


def may(session: Session, user_id: str, act: Act) -> bool:
    role = role_of(session, user_id)
    return role is not None and act in ALLOWED[role]


def require(session: Session, user_id: str, act: Act) -> str:
    """The staff member's role, if it allows ``act``."""
    role = role_of(session, user_id)
    if role is None or act not in ALLOWED[role]:
        raise Forbidden(f"only the platform's staff allowed to {act} may do this", code="NOT_STAFF")
    return role


def add(session: Session, user_id: str, role: str, *, by: str, email: str | None = None) -> StaffMember:
    """Make the person staff with ``role``, or change theirs, ``by`` whom (the audit log's actor:
    a grant is an act like any other, and who made a member finance must be known, a probe)."""
    if role not in ROLES:
        raise InvalidArgument(f"role must be one of {', '.join(ROLES)}", field="role")
    member = session.get(StaffMember, user_id)
    if member is not None and member.role == role:
        return member  # the same role again: nothing changes, nothing to record
    before = None if member is None else member.role
    if member is None:
        member = StaffMember(user_id=user_id, role=role)
        session.add(member)
    else:
        member.role = role
    session.flush()
    audit.record(
        session,
        actor=by,
        action="set_staff_role",
        target_kind="person",
        target_id=user_id,
        before=None if before is None else {"role": before},
        after={"role": role, **({"email": email} if email else {})},
    )
    return member


def release_person(session: Session, user_id: str) -> None:
    """The person deleted their account: they are staff no more."""
    member = session.get(StaffMember, user_id)
    if member is not None:
        session.delete(member)
        session.flush()


def with_role(session: Session, act: Act) -> list[StaffMember]:
    roles = [role for role, acts in ALLOWED.items() if act in acts]
    return list(session.scalars(select(StaffMember).where(StaffMember.role.in_(roles))))
