"""The developer console's reports: the same funnel and activity as the Open API gives a backend,
for the signed-in developer's own apps (their session, not an app token)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path
from sqlalchemy.orm import Session

from openminis.analytics import activity, funnel
from openminis.analytics.openapi import ActivityFrom, ActivityOut, By, From, FunnelOut, To
from openminis.developers import service as developers
from openminis.platform import Platform
from openminis.web.dates import UtcDay
from openminis.web.dependencies import Visitor, current_visitor, get_platform, get_session

router = APIRouter(prefix="/api/developer/apps/{app_id}/reports", tags=["developers"])
AppId = Path(max_length=40)


def own_app(
    app_id: str = AppId, visitor: Visitor = Depends(current_visitor), session: Session = Depends(get_session)
) -> str:
    """The app, if the signed-in developer owns it (someone else's looks like no app)."""
    developers.owned_app(session, developers.developer_for(session, visitor.user), app_id)
    return app_id


@router.get("/activity", response_model=ActivityOut)
def activity_report(
    first: UtcDay | None = ActivityFrom,
    last: UtcDay | None = To,
    app_id: str = Depends(own_app),
    session: Session = Depends(get_session),
    platform: Platform = Depends(get_platform),
) -> ActivityOut:
    return ActivityOut.model_validate(activity.report(session, platform.events, app_id=app_id, first=first, last=last))


@router.get("/funnel", response_model=FunnelOut)
def funnel_report(
    by: str = By,
    first: UtcDay | None = From,
    last: UtcDay | None = To,
    app_id: str = Depends(own_app),
    session: Session = Depends(get_session),
    platform: Platform = Depends(get_platform),
) -> FunnelOut:
    return FunnelOut.model_validate(
        funnel.report(
            session, platform.events, app_id=app_id, first=first, last=last, by=by, pending=platform.conversions
        )
    )
