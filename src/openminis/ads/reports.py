"""The developer's ad report: per unit per UTC day, from the funnel in the analytics store and the
money from the database's billing (the one source of what was charged)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openminis.ads.events import AdEvents
from openminis.ads.models import Impression
from openminis.errors import InvalidArgument
from openminis.events.store import EventStore

MAX_DAYS = 366
EPOCH = date(1970, 1, 1)
COUNTED = {"ad_request": "requests", "ad_fill": "fills", "ad_complete": "completions", "ad_click": "clicks"}


@dataclass
class ReportLine:
    unit_id: str
    day: date
    requests: int = 0
    fills: int = 0
    impressions: int = 0
    completions: int = 0
    clicks: int = 0
    revenue: int = 0  # the developer's share, micros of USD

    @property
    def fill_rate(self) -> float:
        return self.fills / self.requests if self.requests else 0.0

    @property
    def ecpm(self) -> int:
        """Revenue per thousand impressions, micros of USD."""
        return self.revenue * 1000 // self.impressions if self.impressions else 0


def report(
    session: Session, store: EventStore, events: AdEvents, app_id: str, start: date, end: date
) -> list[ReportLine]:
    """Lines for the days from ``start`` to ``end``, both included, that had any ad activity."""
    if end < start:
        raise InvalidArgument("end must not be before start", field="end")
    if (end - start).days >= MAX_DAYS:
        raise InvalidArgument(f"a report covers at most {MAX_DAYS} days", field="end")
    if end >= date.max:  # its day's end is past the last instant there is
        raise InvalidArgument("end is past the last day there is", field="end")
    events.flush()
    lines: dict[tuple[str, date], ReportLine] = {}

    def line(unit_id: str, day: date) -> ReportLine:
        return lines.setdefault((unit_id, day), ReportLine(unit_id, day))

    since = datetime.combine(start, time.min, UTC)
    until = datetime.combine(end + timedelta(days=1), time.min, UTC)
    # Days by epoch seconds, so that the server's time zone setting cannot move an event's day.
    counts = store.query(
        "SELECT unit_id, CAST(floor(extract(epoch FROM ts) / 86400) AS BIGINT), type, count(*) FROM events "
        "WHERE app_id = ? AND unit_id IS NOT NULL "
        "AND type IN ('ad_request', 'ad_fill', 'ad_complete', 'ad_click') AND ts >= ? AND ts < ? "
        "GROUP BY 1, 2, 3",
        [app_id, since, until],
    )
    for unit_id, day_number, type, count in counts:
        entry = line(unit_id, EPOCH + timedelta(days=int(day_number)))
        setattr(entry, COUNTED[type], int(count))
    billed = session.execute(
        select(
            Impression.unit_id,
            Impression.billed_day,
            func.count(),
            func.coalesce(func.sum(Impression.developer_share), 0),
        )
        .where(Impression.app_id == app_id, Impression.billed_day >= start, Impression.billed_day <= end)
        .group_by(Impression.unit_id, Impression.billed_day)
    ).all()
    for unit_id, day, impressions, revenue in billed:
        # A billed impression has its billed day (billed_day >= start selects no NULL).
        entry = line(unit_id, cast(date, day))
        entry.impressions, entry.revenue = int(impressions), int(revenue)
    return sorted(lines.values(), key=lambda entry: (entry.day, entry.unit_id))
