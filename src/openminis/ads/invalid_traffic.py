"""Invalid traffic: the impressions an advertiser was not charged for, and why.

Counted per campaign, app, UTC day and reason in one row each (``InvalidTraffic``), so the
advertiser's report says how much of what was reported to the platform was refused: without a
show token, with a forged or expired one, a reused one, or from a person or an address over its
cap of billed impressions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from openminis.ads.models import Campaign, Impression, InvalidTraffic
from openminis.ads.show_tokens import BAD_TOKEN, EXPIRED_TOKEN, NO_TOKEN, REUSED_TOKEN
from openminis.db import insert_ignoring_conflicts
from openminis.errors import InvalidArgument

PERSON_CAP = "person_cap"
IP_CAP = "ip_cap"
REASONS = (NO_TOKEN, BAD_TOKEN, EXPIRED_TOKEN, REUSED_TOKEN, PERSON_CAP, IP_CAP)
MAX_DAYS = 366


def record(session: Session, impression: Impression, reason: str, day: date) -> None:
    """Count one refused impression (flushed, in the caller's transaction)."""
    key = {"campaign_id": impression.campaign_id, "app_id": impression.app_id, "day": day, "reason": reason}
    insert_ignoring_conflicts(session, InvalidTraffic, {**key, "count": 0})
    session.execute(
        update(InvalidTraffic)
        .where(*(getattr(InvalidTraffic, column) == value for column, value in key.items()))
        .values(count=InvalidTraffic.count + 1)
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True)
class Line:
    campaign_id: str
    app_id: str
    day: date
    reason: str
    count: int


@dataclass(frozen=True)
class Report:
    billed: int  # impressions billed in the same days and campaigns, for scale
    refused: dict[str, int]  # reason -> count, every reason listed
    lines: list[Line]


def report(
    session: Session, *, start: date, end: date, advertiser_id: str | None = None, campaign_id: str | None = None
) -> Report:
    """Refused impressions of the days from ``start`` to ``end`` (both included), for one advertiser's
    campaigns, one campaign, or all."""
    if end < start:
        raise InvalidArgument("end must not be before start", field="end")
    if (end - start).days >= MAX_DAYS:
        raise InvalidArgument(f"a report covers at most {MAX_DAYS} days", field="end")
    campaigns = select(Campaign.id)
    if advertiser_id is not None:
        campaigns = campaigns.where(Campaign.advertiser_id == advertiser_id)
    if campaign_id is not None:
        campaigns = campaigns.where(Campaign.id == campaign_id)
    rows = session.execute(
        select(
            InvalidTraffic.campaign_id,
            InvalidTraffic.app_id,
            InvalidTraffic.day,
            InvalidTraffic.reason,
            InvalidTraffic.count,
        )
        .where(InvalidTraffic.campaign_id.in_(campaigns), InvalidTraffic.day >= start, InvalidTraffic.day <= end)
        .order_by(InvalidTraffic.day, InvalidTraffic.campaign_id, InvalidTraffic.app_id, InvalidTraffic.reason)
    ).all()
    lines = [Line(*row) for row in rows]
    refused = dict.fromkeys(REASONS, 0)
    for line in lines:
        refused[line.reason] = refused.get(line.reason, 0) + line.count
    billed = session.scalar(
        select(func.count())
        .select_from(Impression)
        .where(Impression.campaign_id.in_(campaigns), Impression.billed_day >= start, Impression.billed_day <= end)
    )
    return Report(billed=int(billed or 0), refused=refused, lines=lines)
