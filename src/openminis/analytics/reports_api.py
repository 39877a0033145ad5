"""Platform-admin reports over the analytics store (across apps)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from openminis.analytics import activity, funnel
from openminis.analytics.openapi import ActivityFrom, ActivityOut, By, From, FunnelOut, To
from openminis.catalog.api import require_admin
from openminis.platform import Platform
from openminis.web.dependencies import get_platform, get_session

router = APIRouter(prefix="/api/admin/reports", tags=["reports"], dependencies=[Depends(require_admin)])
AnyApp = Query(default=None, max_length=40, description="one app (default: every app)")


@router.get("/funnel", response_model=FunnelOut)
def funnel_report(
    app_id: str | None = AnyApp,
    by: str = By,
    first: date | None = From,
    last: date | None = To,
    session: Session = Depends(get_session),
    platform: Platform = Depends(get_platform),
) -> FunnelOut:
    """The funnel of one app or of every app (``by=app`` compares them), over whole UTC days."""
    result = funnel.report(
        session, platform.events, app_id=app_id, first=first, last=last, by=by, pending=platform.conversions
    )
    return FunnelOut.model_validate(result)


@router.get("/activity", response_model=ActivityOut)
def activity_report(
    app_id: str | None = AnyApp,
    first: date | None = ActivityFrom,
    last: date | None = To,
    session: Session = Depends(get_session),
    platform: Platform = Depends(get_platform),
) -> ActivityOut:
    """Daily active, new and returning people and cohort retention, of one app or of every app."""
    return ActivityOut.model_validate(activity.report(session, platform.events, app_id=app_id, first=first, last=last))
