"""Platform-admin reports over the analytics store (across apps)."""

from __future__ import annotations

from datetime import date

from fastapi import Query

from openminis.analytics import activity, funnel
from openminis.analytics.openapi import ActivityFrom, ActivityOut, By, From, FunnelOut, To
from openminis.web.dependencies import AdminOnly, PlatformDep, SessionDep
from openminis.web.routing import Router

router = Router(prefix="/api/admin/reports", tags=["reports"], dependencies=[AdminOnly])
AnyApp = Query(default=None, max_length=40, description="one app (default: every app)")


@router.get("/funnel", response_model=FunnelOut)
def funnel_report(
    session: SessionDep,
    platform: PlatformDep,
    app_id: str | None = AnyApp,
    by: str = By,
    first: date | None = From,
    last: date | None = To,
) -> FunnelOut:
    """The funnel of one app or of every app (``by=app`` compares them), over whole UTC days."""
    result = funnel.report(
        session, platform.events, app_id=app_id, first=first, last=last, by=by, pending=platform.conversions
    )
    return FunnelOut.model_validate(result)


@router.get("/activity", response_model=ActivityOut)
def activity_report(
    session: SessionDep,
    platform: PlatformDep,
    app_id: str | None = AnyApp,
    first: date | None = ActivityFrom,
    last: date | None = To,
) -> ActivityOut:
    """Daily active, new and returning people and cohort retention, of one app or of every app."""
    return ActivityOut.model_validate(activity.report(session, platform.events, app_id=app_id, first=first, last=last))
