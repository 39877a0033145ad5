"""People's reports, and owners' view of their takedowns with their one appeal of each."""

from __future__ import annotations

from openminis.moderation import service
from openminis.moderation.models import Appeal, Takedown
from openminis.moderation.schemas import (
    AppealIn,
    AppealOut,
    ItemOut,
    MyReport,
    MyReports,
    MyTakedown,
    MyTakedowns,
    ReasonsOut,
    ReportIn,
    ReportOut,
    TakedownOut,
)
from openminis.ratelimit import enforce
from openminis.web import limits
from openminis.web.dependencies import ChangingPerson, CurrentPerson, PlatformDep, SessionDep
from openminis.web.routing import Router

router = Router(prefix="/api", tags=["moderation"])


@router.get("/reports/reasons", response_model=ReasonsOut)
def reasons() -> ReasonsOut:
    """The reasons a report may give, and what may be reported."""
    return ReasonsOut(reasons=list(service.REASONS), kinds=list(service.KINDS))


@router.post("/reports", response_model=ReportOut, status_code=201)
def report(body: ReportIn, visitor: ChangingPerson, session: SessionDep, platform: PlatformDep) -> ReportOut:
    """Report what the person sees; reporting the same item again updates their report."""
    # Beyond every route's per-person limit: reports cost a moderator's time, so fewer per hour.
    enforce(
        platform.limiter,
        f"reports:person:{visitor.user.id}",
        limits.rate(platform.settings.rate_reports_per_person),
        what="reports",
    )
    made = service.report(
        session, reporter_id=visitor.user.id, kind=body.kind, item_id=body.id, reason=body.reason, text=body.text
    )
    return ReportOut(
        kind=made.kind,
        id=made.item_id,
        reason=made.reason,
        text=made.text,
        created_at=made.created_at,
        updated_at=made.updated_at,
    )


@router.get("/reports", response_model=MyReports)
def my_reports(visitor: CurrentPerson, session: SessionDep) -> MyReports:
    """The person's reports, newest first, with what a moderator made of each."""
    return MyReports(
        items=[
            MyReport(
                kind=found.report.kind,
                id=found.report.item_id,
                title=found.item.title if found.item is not None else None,
                reason=found.report.reason,
                outcome=found.report.outcome,
                created_at=found.report.created_at,
                closed_at=found.report.closed_at,
            )
            for found in service.reports_of(session, visitor.user.id)
        ]
    )


def takedown_out(state: Takedown) -> TakedownOut:
    return TakedownOut(down=state.down, reason=state.reason, note=state.note, at=state.at, round=state.round)


def appeal_out(appeal: Appeal) -> AppealOut:
    return AppealOut(
        id=appeal.id,
        kind=appeal.kind,
        item_id=appeal.item_id,
        text=appeal.text,
        status=appeal.status,
        answer=appeal.answer,
        created_at=appeal.created_at,
        answered_at=appeal.answered_at,
    )


def item_out(found: service.Item) -> ItemOut:
    return ItemOut(kind=found.kind, id=found.item_id, title=found.title, subtitle=found.subtitle, visible=found.visible)


@router.get("/moderation/takedowns", response_model=MyTakedowns)
def my_takedowns(visitor: CurrentPerson, session: SessionDep) -> MyTakedowns:
    """What of the person's (posts, creator profile, their teams' apps, series, episodes) is taken
    down now, why, and their appeal."""
    return MyTakedowns(
        items=[
            MyTakedown(
                item=item_out(owned.item),
                takedown=takedown_out(owned.takedown),
                appeal=appeal_out(owned.appeal) if owned.appeal else None,
                may_appeal=owned.appeal is None,
            )
            for owned in service.takedowns_of(session, visitor.user.id)
        ]
    )


@router.post("/moderation/appeals", response_model=AppealOut, status_code=201)
def appeal(body: AppealIn, visitor: ChangingPerson, session: SessionDep) -> AppealOut:
    """The owner's one appeal of a takedown."""
    return appeal_out(service.appeal(session, user_id=visitor.user.id, kind=body.kind, item_id=body.id, text=body.text))
