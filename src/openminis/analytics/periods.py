"""The periods reports cover: whole UTC days, both ends included, at most a year and a day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from openminis.errors import InvalidArgument

MAX_DAYS = 366
# How far past a period's end a report may read (the activity report's D30 returns), so its last
# day must be at least this far before the last day there is.
READS_PAST_END = timedelta(days=31)


def period(first: date, last: date) -> tuple[datetime, datetime]:
    """Whole UTC days from ``first`` to ``last``, both included, as [start, end)."""
    if last < first:
        raise InvalidArgument("to must not be before from", field="to")
    if (last - first).days >= MAX_DAYS:
        raise InvalidArgument(f"a report covers at most {MAX_DAYS} days", field="to")
    if last >= date.max - READS_PAST_END:
        raise InvalidArgument("to is past the last day a report can cover", field="to")
    return datetime.combine(first, time.min, UTC), datetime.combine(last + timedelta(days=1), time.min, UTC)


def days_asked(first: date | None, last: date | None, *, default_days: int, today: date) -> tuple[date, date]:
    """The days a report was asked for: ``last`` by default today, ``first`` by default making
    the period ``default_days`` long."""
    last = last or today
    if first is None:
        # Near the first day there is, the default period is shorter rather than an overflow.
        first = last - timedelta(days=min(default_days - 1, (last - date.min).days))
    return first, last
