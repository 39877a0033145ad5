"""Daily activity and retention: who comes, who is new, who comes back.

- A person is *active* on a UTC day when they launched the app that day (any app, in the
  operator's view across apps): a ``launch`` event carrying the person. Guests are people (they
  have an id); events without a person are not counted.
- A person is *new* on the day of their first launch ever, as far back as the events go, so a
  report of last week still knows who had come the month before.
- *Retention* of a cohort (the people new on one day): the share of them active again exactly 1, 7
  and 30 days later (Dn retention, as app stores and game analytics report it). A horizon whose
  day has not begun is null, not zero: it cannot be known yet.

Days are counted by epoch seconds, so the database's time zone setting cannot move an event's day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from openminis.analytics.funnel import ratio
from openminis.analytics.periods import days_asked, period
from openminis.catalog import service as catalog
from openminis.errors import NotFound
from openminis.events.store import EventStore

HORIZONS = (1, 7, 30)
DEFAULT_DAYS = 30
EPOCH = date(1970, 1, 1)

# Each person's active days up to the period's end (or the last horizon's), for one app or all.
_PERSON_DAYS = """person_days AS (
    SELECT user_id, CAST(floor(extract(epoch FROM ts) / 86400) AS BIGINT) AS day
    FROM events WHERE type = 'launch' AND user_id IS NOT NULL AND ts < ?{app}
    GROUP BY 1, 2
), firsts AS (
    SELECT user_id, min(day) AS first_day FROM person_days GROUP BY 1
)"""
_ACTIVE = """WITH {person_days}
SELECT p.day, count(*), count(*) FILTER (WHERE f.first_day = p.day)
FROM person_days p JOIN firsts f ON f.user_id = p.user_id
WHERE p.day >= ? AND p.day < ?
GROUP BY 1"""
_COHORTS = """WITH {person_days}
SELECT f.first_day, count(DISTINCT f.user_id), {returned}
FROM firsts f JOIN person_days p ON p.user_id = f.user_id
WHERE f.first_day >= ? AND f.first_day < ?
GROUP BY 1"""


def queries(*, one_app: bool) -> tuple[str, str]:
    """The SQL of the active days and of the cohorts. Parameters: the end of the days read, the app
    id (``one_app``), then the first and the end day numbers."""
    person_days = _PERSON_DAYS.format(app=" AND app_id = ?" if one_app else "")
    returned = ", ".join(f"count(DISTINCT p.user_id) FILTER (WHERE p.day = f.first_day + {n})" for n in HORIZONS)
    return _ACTIVE.format(person_days=person_days), _COHORTS.format(person_days=person_days, returned=returned)


@dataclass(frozen=True)
class ActiveDay:
    day: date
    active: int  # people who launched
    new: int  # of them, people launching for the first time ever
    returning: int  # active - new


@dataclass(frozen=True)
class Cohort:
    """The people new on ``day`` and how many of them came back ``n`` days later (null: not yet known)."""

    day: date
    size: int
    d1: int | None
    d7: int | None
    d30: int | None
    d1_rate: float | None
    d7_rate: float | None
    d30_rate: float | None


@dataclass(frozen=True)
class Activity:
    app_id: str | None  # None: every app
    first: date
    last: date  # included
    days: list[ActiveDay]  # every day of the period, oldest first, days without anyone included
    cohorts: list[Cohort]  # one per day of the period, oldest first
    average_active: float  # the period's mean daily active people (DAU)


def activity(store: EventStore, *, app_id: str | None, first: date, last: date, today: date) -> Activity:
    """Active, new and returning people per day of [first, last], and each day's cohort retention."""
    start, end = period(first, last)
    first_day, end_day = (start.date() - EPOCH).days, (end.date() - EPOCH).days
    app = [app_id] if app_id is not None else []
    active_sql, cohorts_sql = queries(one_app=app_id is not None)
    active = {
        int(day): (int(count), int(new)) for day, count, new in store.query(active_sql, [end, *app, first_day, end_day])
    }
    # A cohort's returns are read up to the last horizon after the period.
    returns = {
        int(row[0]): [int(value) for value in row[1:]]
        for row in store.query(cohorts_sql, [end + timedelta(days=max(HORIZONS)), *app, first_day, end_day])
    }
    days, cohorts = [], []
    for number in range(first_day, end_day):
        day = EPOCH + timedelta(days=number)
        count, new = active.get(number, (0, 0))
        days.append(ActiveDay(day=day, active=count, new=new, returning=count - new))
        size, *came_back = returns.get(number, [0, *(0 for _ in HORIZONS)])
        known = [
            value if day + timedelta(days=n) <= today else None for n, value in zip(HORIZONS, came_back, strict=True)
        ]
        rates = [ratio(value, size) if value is not None else None for value in known]
        cohorts.append(Cohort(day, size, *known, *rates))
    return Activity(
        app_id=app_id,
        first=first,
        last=last,
        days=days,
        cohorts=cohorts,
        average_active=sum(d.active for d in days) / len(days),
    )


def report(
    session: Session,
    store: EventStore,
    *,
    app_id: str | None,
    first: date | None,
    last: date | None,
    today: date | None = None,
) -> Activity:
    """Activity as the CLI and the APIs ask for it: UTC days both included (``last`` by default
    today, ``first`` by default making it 30 days), the app checked."""
    if app_id is not None and not catalog.app_exists(session, app_id):
        raise NotFound(f"no app {app_id!r}", field="app_id")
    today = today or datetime.now(UTC).date()
    first, last = days_asked(first, last, default_days=DEFAULT_DAYS, today=today)
    return activity(store, app_id=app_id, first=first, last=last, today=today)
