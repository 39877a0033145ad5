"""The moderators' routes: the queue, an item's reports and history, takedowns and restores
(suspensions of creators and apps), dismissing reports, answering appeals. Every act is in the
audit log (moderation/service.py records it in the request's unit of work)."""

from __future__ import annotations

from fastapi import Path, Query
from sqlalchemy.orm import Session

from openminis.identity import service as identity
from openminis.moderation import service
from openminis.moderation.api import appeal_out, item_out
from openminis.moderation.schemas import (
    AnswerIn,
    AppealAdminOut,
    HistoryEntry,
    ItemDetail,
    NoteIn,
    QueueOut,
    QueueReport,
    ReporterOut,
    StaffTakedownOut,
    TakedownIn,
)
from openminis.staff import audit
from openminis.web import notices
from openminis.web.dependencies import Moderator, PlatformDep, SessionDep
from openminis.web.routing import Router

router = Router(prefix="/api/admin/moderation", tags=["moderation"])
KindPath = Path(pattern="^(app|post|series|episode|creator)$")
ItemPath = Path(min_length=1, max_length=120, pattern=r"^@?[A-Za-z0-9_.:-]+$")


def _detail(session: Session, kind: str, item_id: str) -> ItemDetail:
    found = service.detail(session, kind, item_id)
    people = {}
    for found_report in found.reports:
        if found_report.reporter_id not in people:
            people[found_report.reporter_id] = identity.get_user(session, found_report.reporter_id)
    reports = []
    for found_report in found.reports:
        user = people[found_report.reporter_id]
        reports.append(
            QueueReport(
                id=found_report.id,
                reporter=ReporterOut(
                    user_id=found_report.reporter_id,
                    name=(user.email or user.display_name) if user else "(gone)",
                    guest=user is None or user.kind == "guest",
                ),
                reason=found_report.reason,
                text=found_report.text,
                outcome=found_report.outcome,
                created_at=found_report.created_at,
                updated_at=found_report.updated_at,
            )
        )
    open_reports = [r for r in found.reports if r.is_open]
    reasons: dict[str, int] = {}
    for r in open_reports:
        reasons[r.reason] = reasons.get(r.reason, 0) + 1
    history, _ = audit.entries(session, target_kind=kind, target_id=found.item.item_id, limit=50)
    state = found.takedown
    return ItemDetail(
        item=item_out(found.item),
        takedown=StaffTakedownOut(
            down=state.down, reason=state.reason, note=state.note, at=state.at, round=state.round, actor=state.actor
        )
        if state
        else None,
        open_reports=len(open_reports),
        reasons=reasons,
        reports=reports,
        appeals=[
            AppealAdminOut(
                **appeal_out(appeal).model_dump(), appellant_id=appeal.appellant_id, answered_by=appeal.answered_by
            )
            for appeal in found.appeals
        ],
        history=[
            HistoryEntry(
                at=entry.at,
                actor=entry.actor,
                action=entry.action,
                reason=entry.reason,
                before=entry.before,
                after=entry.after,
            )
            for entry in history
        ],
    )


@router.get("/queue", response_model=QueueOut)
def queue(
    moderator: Moderator,
    session: SessionDep,
    view: str = Query(default="reports", pattern="^(reports|appeals|down)$"),
    limit: int = Query(default=30, ge=1, le=100),
) -> QueueOut:
    """Items with open reports (most reported first), with open appeals, or taken down now."""
    return QueueOut(
        view=view, items=[_detail(session, q.kind, q.item_id) for q in service.queue(session, view, limit=limit)]
    )


@router.get("/items/{kind}/{item_id}", response_model=ItemDetail)
def item(moderator: Moderator, session: SessionDep, kind: str = KindPath, item_id: str = ItemPath) -> ItemDetail:
    """Any item, reported or not (a creator also by @handle)."""
    return _detail(session, kind, item_id)


@router.post("/items/{kind}/{item_id}/takedown", response_model=ItemDetail)
def take_down(
    body: TakedownIn,
    moderator: Moderator,
    session: SessionDep,
    platform: PlatformDep,
    kind: str = KindPath,
    item_id: str = ItemPath,
) -> ItemDetail:
    """Take the item down (suspend a creator or an app) at once everywhere it appears; its owners
    are mailed why."""
    state = service.take_down(session, actor=moderator, kind=kind, item_id=item_id, reason=body.reason, note=body.note)
    notices.tell_owners(
        session, platform, service.item(session, kind, state.item_id), down=True, reason=body.reason, note=body.note
    )
    return _detail(session, kind, state.item_id)


@router.post("/items/{kind}/{item_id}/restore", response_model=ItemDetail)
def restore(
    body: NoteIn,
    moderator: Moderator,
    session: SessionDep,
    platform: PlatformDep,
    kind: str = KindPath,
    item_id: str = ItemPath,
) -> ItemDetail:
    state = service.restore(session, actor=moderator, kind=kind, item_id=item_id, note=body.note)
    notices.tell_owners(session, platform, service.item(session, kind, state.item_id), down=False, note=body.note)
    return _detail(session, kind, state.item_id)


@router.post("/items/{kind}/{item_id}/dismiss", response_model=ItemDetail)
def dismiss(
    body: NoteIn, moderator: Moderator, session: SessionDep, kind: str = KindPath, item_id: str = ItemPath
) -> ItemDetail:
    """Close the item's open reports with nothing done."""
    service.dismiss(session, actor=moderator, kind=kind, item_id=item_id, note=body.note)
    return _detail(session, kind, service.item_on_record(session, kind, item_id).item_id)


@router.post("/appeals/{appeal_id}/answer", response_model=ItemDetail)
def answer(
    body: AnswerIn, moderator: Moderator, session: SessionDep, appeal_id: int = Path(ge=1, le=2**31 - 1)
) -> ItemDetail:
    """Grant an appeal (the item is restored) or deny it with a reason the owner reads."""
    answered = service.answer_appeal(
        session, actor=moderator, appeal_id=appeal_id, grant=body.grant, answer=body.answer
    )
    return _detail(session, answered.kind, answered.item_id)
