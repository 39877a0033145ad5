"""The funnel report over 10,000,000 events against a plain scan of them in raw DuckDB (target <= 1.5x).

Builds a DuckDB file through the server's ``DuckDBEventStore`` (so it has the server's schema), fills
it with one ``INSERT ... SELECT`` over ``range(N)``: every column derived from hashes of the row
number, so that each run gets the same events. Types come in funnel proportions (55 % exposures,
20 % clicks, 12 % launches, 9 % ready, 1 % session ends, then purchases, unlocks, rewarded ads,
refunds and ad-server impressions), over 5 apps, the 7 launch sources, 100,000 people, 500 creators
(on a quarter of the events) and 30 days.

Then, for a few report shapes, it times ``funnel(...)`` as the server calls it (through the store's
lock and cursor, building the result's lines) against the bare limit, a plain scan of the same
period's events on a raw ``duckdb`` connection to the same file (``GROUP BY type``: counting them,
the least any funnel must read), and prints, beside it, the report's own SQL text on the raw
connection with the same parameters (what we add around our query). They alternate, after a
warm-up of each, so a slow moment of the machine falls on all; the table shows medians and ratios.

Run: ``python -m bench.funnel [--events N] [--runs N]``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
from rich.console import Console

from bench.report import results_table
from openminis.analytics.funnel import funnel, query
from openminis.events.store import DuckDBEventStore

EVENTS = 10_000_000
RUNS = 5
TARGET = 1.5
APPS = 5
START = datetime(2026, 10, 1, tzinfo=UTC)
DAYS = 30
# (label, app_id, by): the operator's views across apps and a developer's view of one app.
SHAPES = [
    ("every app by source", None, "source"),
    ("every app by app", None, "app"),
    ("one app by source", "bench-app-1", "source"),
    ("every app by creator", None, "creator"),
]

# h picks the type (its last 4 digits, in ten-thousandths) and the other columns from other digits.
FILL = f"""
INSERT INTO events (type, app_id, user_id, source, ts, received_at, creator_id, revenue, currency)
SELECT type, app_id, user_id, source, ts, ts, creator_id,
    -- A third of the unlocks are paid for by a rewarded ad: revenue 0.
    CASE type WHEN 'paid' THEN 10 + m % 990 WHEN 'unlock' THEN CASE WHEN m % 3 = 0 THEN 0 ELSE 30 END
              WHEN 'rewarded' THEN 1000 + m % 20000 WHEN 'refund' THEN -(10 + m % 990) END,
    CASE WHEN type IN ('paid', 'unlock', 'refund') THEN 'COIN' WHEN type = 'rewarded' THEN 'USD_MICROS' END
FROM (
    SELECT m,
        CASE WHEN r < 5500 THEN 'exposure' WHEN r < 7500 THEN 'click' WHEN r < 8700 THEN 'launch'
             WHEN r < 9600 THEN 'ready' WHEN r < 9700 THEN 'session_end' WHEN r < 9760 THEN 'paid'
             WHEN r < 9800 THEN 'unlock' WHEN r < 9900 THEN 'rewarded' WHEN r < 9905 THEN 'refund'
             ELSE 'ad_impression' END AS type,
        'bench-app-' || (h // 10000 % {APPS}) AS app_id,
        'usr_' || (h // 100000 % 100000) AS user_id,
        ['feed', 'hub', 'search', 'recents', 'share', 'post', 'direct'][1 + (h // 10000000000 % 7)::INTEGER] AS source,
        CASE WHEN m % 4 = 0 THEN 'cr_' || (m % 500) END AS creator_id,
        ?::TIMESTAMPTZ + to_microseconds((hash(h) % {DAYS * 86_400_000_000})::BIGINT) AS ts
    FROM (SELECT h, h % 10000 AS r, (h // 7 % 1000000)::BIGINT AS m FROM (SELECT hash(i) AS h FROM range(?) t(i)))
)
"""


def build(path: Path, events: int) -> float:
    """Seconds to fill a new events file at ``path`` with ``events`` rows."""
    DuckDBEventStore(path).close()  # the server's schema, migrations included
    started = time.perf_counter()
    connection = duckdb.connect(str(path))
    try:
        connection.execute(FILL, [START, events])
    finally:
        connection.close()
    return time.perf_counter() - started


def timed(call) -> tuple[float, object]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


# The bare limit: DuckDB counting the same period's events by type, the least any funnel must read.
SCAN = "SELECT type, count(*) FROM events WHERE ts >= ? AND ts < ? {one_app} GROUP BY type"


def measure(
    store: DuckDBEventStore, raw: duckdb.DuckDBPyConnection, app_id: str | None, by: str, runs: int
) -> tuple[list[float], list[float], list[float]]:
    """Seconds of each run of the report, of its own SQL on the raw connection and of the plain
    scan, alternating; checks that the first two agree."""
    start, end = START, START + timedelta(days=DAYS)
    sql = query(by=by, one_app=app_id is not None)
    params = [start, end] + ([app_id] if app_id else [])
    scan_sql = SCAN.format(one_app="AND app_id = ?" if app_id else "")

    def report():
        return funnel(store, app_id=app_id, start=start, end=end, by=by)

    def direct():
        return raw.execute(sql, params).fetchall()

    def scan():
        return raw.execute(scan_sql, params).fetchall()

    report(), direct(), scan()  # warm-up: the file's pages in memory, the plans compiled
    ours, same_sql, scans = [], [], []
    for _ in range(runs):
        took, result = timed(report)
        ours.append(took)
        took, rows = timed(direct)
        same_sql.append(took)
        took, _counts = timed(scan)
        scans.append(took)
    if len(result.lines) + 1 != len(rows) or result.total.exposure != rows[-1][2]:
        raise AssertionError(f"the report and the raw query disagree for {by} ({app_id or 'every app'})")
    return ours, same_sql, scans


def main_part(console: Console, *, events: int = EVENTS, runs: int = RUNS) -> None:
    """Build the events, time every shape, print the table."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.duckdb"
        console.print(f"funnel: writing {events:,} events")
        took = build(path, events)
        size = path.stat().st_size
        console.print(
            f"funnel: {events:,} events written in {took:.1f} s ({size / 1e6:,.0f} MB); "
            f"timing {len(SHAPES)} report shapes, {runs} runs each"
        )
        store = DuckDBEventStore(path)
        raw = duckdb.connect(str(path))
        try:
            samples = {label: measure(store, raw, app_id, by, runs) for label, app_id, by in SHAPES}
        finally:
            raw.close()
            store.close()
    columns = ("report", "funnel() ms", "plain scan ms", "vs scan", "target", "its SQL raw ms", "vs its SQL")
    table = results_table(
        f"funnel report over {events:,} events (30 days) vs a plain scan of them (count by type) and vs "
        f"its own SQL, on a raw DuckDB connection, {runs} runs (median)",
        columns,
        left=("report", "target"),
    )
    for label, (ours, same_sql, scans) in samples.items():
        ratio = statistics.median(ours) / statistics.median(scans)
        table.add_row(
            label,
            f"{statistics.median(ours) * 1000:,.0f}",
            f"{statistics.median(scans) * 1000:,.0f}",
            f"{ratio:.2f}",
            f"<= {TARGET} {'met' if ratio <= TARGET else 'MISSED'}",
            f"{statistics.median(same_sql) * 1000:,.0f}",
            f"{statistics.median(ours) / statistics.median(same_sql):.2f}",
        )
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=EVENTS)
    parser.add_argument("--runs", type=int, default=RUNS)
    args = parser.parse_args()
    main_part(Console(width=160), events=args.events, runs=args.runs)  # a wide table, even through a pipe


if __name__ == "__main__":
    main()
