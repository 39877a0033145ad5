"""The advertisers' invalid-traffic report (``/api/admin/ads/invalid-traffic``, admin token): what
was reported to the platform as shown and refused, so never charged, and why."""

from __future__ import annotations

from datetime import date

from fastapi import Query

from openminis.ads import invalid_traffic
from openminis.ads.schemas import ID, InvalidTrafficLineOut, InvalidTrafficOut
from openminis.web.dependencies import AdminOnly, SessionDep
from openminis.web.routing import Router

router = Router(prefix="/api/admin/ads", tags=["ads admin"], dependencies=[AdminOnly])


@router.get("/invalid-traffic", response_model=InvalidTrafficOut)
def invalid_traffic_report(
    start: date,
    end: date,
    session: SessionDep,
    advertiser_id: str | None = Query(default=None, max_length=32, pattern=ID),
    campaign_id: str | None = Query(default=None, max_length=32, pattern=ID),
) -> InvalidTrafficOut:
    """Refused impressions per campaign, app, UTC day and reason, from ``start`` to ``end`` (both
    included), for one advertiser, one campaign, or all; with the billed impressions beside them."""
    found = invalid_traffic.report(session, start=start, end=end, advertiser_id=advertiser_id, campaign_id=campaign_id)
    return InvalidTrafficOut(
        start=start,
        end=end,
        billed=found.billed,
        refused=found.refused,
        lines=[InvalidTrafficLineOut(**line.__dict__) for line in found.lines],
    )
