"""The conversion funnel: exposure -> click -> launch -> ready -> paid or rewarded, per launch source,
app or creator, with the money it made, ARPU and ARPPU, from the analytics store.

One query, grouped by the dimension with the total as a second grouping set: distinct persons do not
add up across groups (one person arrives from the feed and from search), so the total row is counted,
never summed. The query is the one an analyst would write by hand against DuckDB, and the Python
around it builds a few lines: ``bench/funnel.py`` times the report against the bare query.

Distinct persons are counted where the report needs them (active, converted, paying: ARPU and
ARPPU); distinct persons at exposure, click and ready would each add a hash table over the largest
stages and roughly double the query's time. Events without a person (guests) count as events only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import SupportsInt

from sqlalchemy.orm import Session

from openminis.analytics.periods import MAX_DAYS, days_asked, period
from openminis.catalog import service as catalog
from openminis.errors import InvalidArgument, NotFound
from openminis.events.buffer import EventBuffer
from openminis.events.store import EventStore

# The dimensions a funnel is grouped by, and their columns: the only text ever put into the SQL.
# "scene" is the launch's scene (docs/social.md): the events' source, under the name apps know it by.
DIMENSIONS = {
    "source": "source",
    "scene": "source",
    "app": "app_id",
    "creator": "creator_id",
    "origin_sdk": "origin_sdk",
}
# Events have no origin_sdk column: an app's platform is its package's (``minis import``, docs/compat.md),
# put beside each event by the query from the catalog's answer, native apps as "native".
NATIVE = "native"
NO_DIMENSION = "none"  # how the CLI and the APIs ask for the total alone
DEFAULT_DAYS = 7

# Ad-server and session events share the table; the scan skips them early.
TYPES = "('exposure', 'click', 'launch', 'ready', 'paid', 'unlock', 'rewarded', 'refund')"
# A person pays with coins (a purchase, or an unlock with coins); an unlock by ad has revenue 0.
PAYING = "type = 'paid' OR (type = 'unlock' AND currency = 'COIN' AND revenue > 0)"
# A launch (and its ready) counts once however often its event is sent (an attack: one recorded
# launch reported 200 times); events stored without a launch id (before ingestion required one)
# count each.
MEASURES = f"""
    count(*) FILTER (WHERE type = 'exposure'),
    count(*) FILTER (WHERE type = 'click'),
    count(DISTINCT launch_id) FILTER (WHERE type = 'launch')
        + count(*) FILTER (WHERE type = 'launch' AND launch_id IS NULL),
    count(DISTINCT launch_id) FILTER (WHERE type = 'ready')
        + count(*) FILTER (WHERE type = 'ready' AND launch_id IS NULL),
    count(*) FILTER (WHERE type = 'paid'),
    count(*) FILTER (WHERE type = 'rewarded'),
    count(DISTINCT user_id) FILTER (WHERE type = 'launch'),
    count(DISTINCT user_id) FILTER (WHERE type IN ('paid', 'rewarded')),
    count(DISTINCT user_id) FILTER (WHERE {PAYING}),
    coalesce(sum(revenue) FILTER (WHERE currency = 'COIN' AND type IN ('paid', 'unlock', 'refund')), 0),
    coalesce(sum(revenue) FILTER (WHERE currency = 'USD_MICROS' AND type = 'rewarded'), 0)"""


@dataclass(frozen=True)
class FunnelLine:
    """One group's funnel. Stage fields count events; a rate is a stage over the one before it (it
    can pass 1: a direct launch has no click) and None when the stage before had no events."""

    key: str | None  # the source, app or creator; None for events without one, and for the total
    exposure: int
    click: int
    launch: int
    ready: int
    converted: int  # paid + rewarded
    paid: int
    rewarded: int
    click_rate: float | None  # click / exposure
    launch_rate: float | None  # launch / click
    ready_rate: float | None  # ready / launch
    conversion_rate: float | None  # converted / ready
    active_persons: int  # launched at least once
    converted_persons: int  # paid or completed a rewarded ad
    paying_persons: int  # paid, or unlocked with coins
    revenue_coins: int  # purchases and coin unlocks, less refunds
    ad_revenue_usd_micros: int  # the developer's share of rewarded ads
    arpu: float | None  # revenue_coins per active person
    arppu: float | None  # revenue_coins per paying person

    @classmethod
    def from_row(cls, key: str | None, row: Sequence[SupportsInt]) -> FunnelLine:
        # Counts and sums: ints from DuckDB, Decimals from PostgreSQL's sum().
        exposure, click, launch, ready, paid, rewarded, active, converted_persons, paying, coins, micros = (
            int(value) for value in row
        )
        converted = paid + rewarded
        return cls(
            key=key,
            exposure=exposure,
            click=click,
            launch=launch,
            ready=ready,
            converted=converted,
            paid=paid,
            rewarded=rewarded,
            click_rate=ratio(click, exposure),
            launch_rate=ratio(launch, click),
            ready_rate=ratio(ready, launch),
            conversion_rate=ratio(converted, ready),
            active_persons=active,
            converted_persons=converted_persons,
            paying_persons=paying,
            revenue_coins=coins,
            ad_revenue_usd_micros=micros,
            arpu=ratio(coins, active),
            arppu=ratio(coins, paying),
        )


@dataclass(frozen=True)
class Funnel:
    app_id: str | None  # None: every app
    by: str | None  # a key of DIMENSIONS, or None for the total alone
    start: datetime
    end: datetime  # excluded
    lines: list[FunnelLine]  # most exposures first
    total: FunnelLine


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def query(*, by: str | None, one_app: bool, origin_apps: int = 0) -> str:
    """The funnel's SQL; its parameters are start, end and, for ``one_app``, the app id. By
    origin_sdk, ``origin_apps`` pairs (app id, platform) come first."""
    where = f"ts >= ? AND ts < ? AND type IN {TYPES}" + (" AND app_id = ?" if one_app else "")
    if by is None:
        return f"SELECT 1, NULL, {MEASURES}\nFROM events WHERE {where}"
    column = DIMENSIONS[by]
    if by == "origin_sdk":
        platform = f"CASE app_id {' '.join(['WHEN ? THEN ?'] * origin_apps)} ELSE '{NATIVE}' END"
        tagged = f"SELECT *, {platform if origin_apps else repr(NATIVE)} AS origin_sdk FROM events WHERE {where}"
        return (
            f"SELECT grouping({column}), {column}, {MEASURES}\nFROM ({tagged}) AS tagged\n"
            f"GROUP BY GROUPING SETS (({column}), ())\nORDER BY 1, 3 DESC, 2 NULLS LAST"
        )
    # grouping() tells the total row from the group of events without the dimension (NULL).
    return (
        f"SELECT grouping({column}), {column}, {MEASURES}\nFROM events WHERE {where}\n"
        f"GROUP BY GROUPING SETS (({column}), ())\nORDER BY 1, 3 DESC, 2 NULLS LAST"
    )


def funnel(
    store: EventStore,
    *,
    app_id: str | None,
    start: datetime,
    end: datetime,
    by: str | None,
    origin_sdks: dict[str, str] | None = None,
) -> Funnel:
    """The funnel of events in [start, end), of one app or (``app_id`` None) of every app.
    ``origin_sdks`` (app id -> platform, catalog.origin_sdks) is what ``by="origin_sdk"`` groups by."""
    if by is not None and by not in DIMENSIONS:
        raise InvalidArgument(f"by must be one of {', '.join(DIMENSIONS)}", field="by")
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidArgument("the period's times must be timezone-aware", field="from")
    if end <= start:
        raise InvalidArgument("the period must end after it starts", field="to")
    if end - start > timedelta(days=MAX_DAYS):
        raise InvalidArgument(f"a report covers at most {MAX_DAYS} days", field="to")
    params: list[object] = [start, end] + ([app_id] if app_id is not None else [])
    pairs = sorted((origin_sdks or {}).items()) if by == "origin_sdk" else []
    params = [value for pair in pairs for value in pair] + params
    rows = store.query(query(by=by, one_app=app_id is not None, origin_apps=len(pairs)), params)
    lines = [FunnelLine.from_row(row[1], row[2:]) for row in rows if not row[0]]
    return Funnel(
        app_id=app_id, by=by, start=start, end=end, lines=lines, total=FunnelLine.from_row(None, rows[-1][2:])
    )


def report(
    session: Session,
    store: EventStore,
    *,
    app_id: str | None,
    first: date | None,
    last: date | None,
    by: str = "source",
    pending: EventBuffer | None = None,
) -> Funnel:
    """The funnel as the CLI and the APIs ask for it: UTC days both included (``last`` by default
    today, ``first`` by default making it a week), ``by`` a dimension or ``"none"``, the app checked.
    ``pending`` (the conversions still buffered) is flushed first, so a purchase just made counts."""
    if by != NO_DIMENSION and by not in DIMENSIONS:
        raise InvalidArgument(f"by must be one of {', '.join((*DIMENSIONS, NO_DIMENSION))}", field="by")
    if app_id is not None and not catalog.app_exists(session, app_id):
        raise NotFound(f"no app {app_id!r}", field="app_id")
    first, last = days_asked(first, last, default_days=DEFAULT_DAYS, today=datetime.now(UTC).date())
    start, end = period(first, last)
    if pending is not None:
        pending.flush()
    origin_sdks = catalog.origin_sdks(session) if by == "origin_sdk" else None
    return funnel(
        store, app_id=app_id, start=start, end=end, by=None if by == NO_DIMENSION else by, origin_sdks=origin_sdks
    )
