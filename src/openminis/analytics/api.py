from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Request
from sqlalchemy.orm import Session

from openminis.analytics import service
from openminis.analytics.schemas import IngestOut
from openminis.catalog import service as catalog
from openminis.identity import service as identity
from openminis.platform import Platform
from openminis.web.dependencies import SESSION_COOKIE, check_origin, get_platform, get_session

router = APIRouter(prefix="/api", tags=["analytics"])


@router.post("/events", response_model=IngestOut, dependencies=[Depends(check_origin)])
def ingest_events(
    request: Request,
    events: Any = Body(embed=True),
    session: Session = Depends(get_session),
    platform: Platform = Depends(get_platform),
) -> IngestOut:
    # sendBeacon cannot send a CSRF header, and an event spends nothing: the Origin check suffices.
    user = identity.user_for_token(session, request.cookies.get(SESSION_COOKIE))
    known: dict[str, bool] = {}

    def app_exists(app_id: str) -> bool:
        if app_id not in known:
            known[app_id] = catalog.app_exists(session, app_id)
        return known[app_id]

    return service.ingest(
        platform.events,
        events,
        user_id=user.id if user else None,
        app_exists=app_exists,
        max_batch=platform.settings.events_batch_max,
    )
