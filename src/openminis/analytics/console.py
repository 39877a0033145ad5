"""The developer console's reports: the same funnel and activity as the Open API gives a backend,
for the signed-in developer's own apps (their session, not an app token)."""

from __future__ import annotations

from openminis.analytics import activity, funnel
from openminis.analytics.openapi import ActivityFrom, ActivityOut, By, From, FunnelOut, To
from openminis.web.dates import UtcDay
from openminis.web.dependencies import OwnedApp, PlatformDep, SessionDep
from openminis.web.routing import Router

router = Router(prefix="/api/developer/apps/{app_id}/reports", tags=["developers"])


@router.get("/activity", response_model=ActivityOut)
def activity_report(
    app_id: OwnedApp,
    session: SessionDep,
    platform: PlatformDep,
    first: UtcDay | None = ActivityFrom,
    last: UtcDay | None = To,
) -> ActivityOut:
    return ActivityOut.model_validate(activity.report(session, platform.events, app_id=app_id, first=first, last=last))


@router.get("/funnel", response_model=FunnelOut)
def funnel_report(
    app_id: OwnedApp,
    session: SessionDep,
    platform: PlatformDep,
    by: str = By,
    first: UtcDay | None = From,
    last: UtcDay | None = To,
) -> FunnelOut:
    return FunnelOut.model_validate(
        funnel.report(
            session, platform.events, app_id=app_id, first=first, last=last, by=by, pending=platform.conversions
        )
    )
