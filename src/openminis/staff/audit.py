"""The audit log: every staff action, append-only (who, what, when, why, before and after).
Services that act for staff call ``record`` in the same unit of work as the act, so the entry
exists exactly when the act does."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from openminis.errors import InvalidArgument
from openminis.pagination import decode_cursor, encode_cursor
from openminis.staff.models import AuditEntry

MAX_REASON = 2000


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    target_kind: str,
    target_id: str,
    reason: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    if len(reason) > MAX_REASON:
        raise InvalidArgument(f"a reason is at most {MAX_REASON} characters", field="reason")
    entry = AuditEntry(
        actor=actor[:200],
        action=action,
        target_kind=target_kind,
        target_id=target_id[:120],
        reason=reason.strip(),
        before=before,
        after=after,
    )
    session.add(entry)
    session.flush()
    return entry


def entries(
    session: Session,
    *,
    target_kind: str | None = None,
    target_id: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[AuditEntry], str | None]:
    """The log, newest first, filtered, a page at a time."""
    statement = select(AuditEntry)
    if target_kind:
        statement = statement.where(AuditEntry.target_kind == target_kind)
    if target_id:
        # The id as the log names it (``order:ord_...``), or the id alone, as an operator has it;
        # an app's id finds its versions' decisions (``app@1.2.0``) and its message templates'
        # (``app/template``) too, which it missed (a probe, ops52).
        statement = statement.where(
            (AuditEntry.target_id == target_id)
            | AuditEntry.target_id.endswith(":" + target_id, autoescape=True)
            | AuditEntry.target_id.startswith(target_id + "@", autoescape=True)
            | AuditEntry.target_id.startswith(target_id + "/", autoescape=True)
        )
    if actor:
        statement = statement.where(AuditEntry.actor.contains(actor))
    if action:
        statement = statement.where(AuditEntry.action == action)
    if since:
        statement = statement.where(AuditEntry.at >= since)
    if cursor:
        at, entry_id = decode_cursor(cursor, int)
        statement = statement.where((AuditEntry.at < at) | ((AuditEntry.at == at) & (AuditEntry.id < entry_id)))
    found = list(session.scalars(statement.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit + 1)))
    page = found[:limit]
    return page, (encode_cursor(page[-1].at, page[-1].id) if len(found) > limit else None)
