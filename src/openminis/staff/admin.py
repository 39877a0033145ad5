"""The staff's own routes: who am I, and the audit log."""

from __future__ import annotations

from fastapi import Query

from openminis.staff import audit, service
from openminis.staff.schemas import AuditEntryOut, AuditPage, StaffMeOut
from openminis.web.dates import UtcDateTime
from openminis.web.dependencies import Auditor, CurrentPerson, SessionDep
from openminis.web.routing import Router

router = Router(prefix="/api/admin", tags=["staff"])


@router.get("/staff/me", response_model=StaffMeOut)
def me(visitor: CurrentPerson, session: SessionDep) -> StaffMeOut:
    """The signed-in person's staff role and what it allows (none for everyone else)."""
    role = service.role_of(session, visitor.user.id)
    return StaffMeOut(
        email=visitor.user.email,
        role=role,
        acts=sorted(service.ALLOWED[role]) if role else [],
    )


@router.get("/audit", response_model=AuditPage)
def audit_log(
    auditor: Auditor,
    session: SessionDep,
    target_kind: str | None = Query(default=None, max_length=24),
    target_id: str | None = Query(default=None, max_length=120),
    actor: str | None = Query(default=None, max_length=200),
    action: str | None = Query(default=None, max_length=64),
    since: UtcDateTime | None = None,
    cursor: str | None = Query(default=None, max_length=200),
    limit: int = Query(default=50, ge=1, le=200),
) -> AuditPage:
    """Every staff action, newest first."""
    found, next_cursor = audit.entries(
        session,
        target_kind=target_kind,
        target_id=target_id,
        actor=actor,
        action=action,
        since=since,
        cursor=cursor,
        limit=limit,
    )
    return AuditPage(
        items=[AuditEntryOut.model_validate(entry, from_attributes=True) for entry in found], next_cursor=next_cursor
    )
