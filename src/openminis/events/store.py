"""Where analytics events are kept: an embedded DuckDB file by default; at scale, a PostgreSQL
table partitioned by month (``MINIS_ANALYTICS_URL``).

Both take the same SQL: queries are written in the part of SQL the two share (``count(*) FILTER``,
``GROUPING SETS``, ``extract(epoch FROM ts)``, ``?`` placeholders), so every report runs on either.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

import duckdb
from sqlalchemy import create_engine

from openminis.db import close_for_good, lock_timeout

if TYPE_CHECKING:
    import psycopg
    from sqlalchemy import Connection

COLUMNS = (
    "type",
    "app_id",
    "user_id",
    "launch_id",
    "source",
    "ts",
    "received_at",
    "load_ms",
    "duration_ms",
    "prewarmed",
)
# An event as appended: its values in the order of the columns named with it.
Row = tuple[object, ...]
# A row a query returns: its values are of whatever types the query's SQL selects.
ResultRow = tuple[Any, ...]
# Added after the first release, so ALTER ... IF NOT EXISTS: files made before get them on open.
ADDED = (
    "ALTER TABLE events ADD COLUMN IF NOT EXISTS unit_id VARCHAR",  # ads: which ad unit
    "ALTER TABLE events ADD COLUMN IF NOT EXISTS ad_id VARCHAR",  # ads: which served ad
    "ALTER TABLE events ADD COLUMN IF NOT EXISTS campaign_id VARCHAR",  # ads: whose ad
    # creators: which post (exposure, click, play, complete, launch)
    "ALTER TABLE events ADD COLUMN IF NOT EXISTS post_id VARCHAR",
    # creators: whose post, or the creator a conversion is attributed to
    "ALTER TABLE events ADD COLUMN IF NOT EXISTS creator_id VARCHAR",
    "ALTER TABLE events ADD COLUMN IF NOT EXISTS revenue BIGINT",  # conversions: gross, in units of currency
    "ALTER TABLE events ADD COLUMN IF NOT EXISTS currency VARCHAR",  # conversions: COIN or USD_MICROS
    # dramas: which series (episode_play, episode_complete)
    "ALTER TABLE events ADD COLUMN IF NOT EXISTS series_id VARCHAR",
    "ALTER TABLE events ADD COLUMN IF NOT EXISTS episode INTEGER",  # dramas: which episode of it
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    type        VARCHAR NOT NULL,
    app_id      VARCHAR NOT NULL,
    user_id     VARCHAR,
    launch_id   VARCHAR,
    source      VARCHAR,
    ts          TIMESTAMPTZ NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    load_ms     INTEGER,
    duration_ms BIGINT,
    prewarmed   BOOLEAN
)
"""


class EventStore(Protocol):
    def append(self, rows: Sequence[Row], columns: tuple[str, ...] = COLUMNS) -> None:
        """Append rows in ``columns`` order (by default ``COLUMNS``), all or none."""

    def query(self, sql: str, params: Sequence[object] | None = None) -> list[ResultRow]: ...

    def prune(self, before: datetime) -> int:
        """Remove the events from before ``before`` (their ``ts``); returns how many went."""

    def close(self) -> None: ...


class DuckDBEventStore:
    """One DuckDB file, one connection, one writer at a time (DuckDB allows one writing process)."""

    def __init__(self, path: Path):
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._connection = duckdb.connect(str(path))
        self._connection.execute(SCHEMA)
        for statement in ADDED:
            self._connection.execute(statement)

    def append(self, rows: Sequence[Row], columns: tuple[str, ...] = COLUMNS) -> None:
        if not rows:
            return
        # One statement with the rows as literals: DuckDB binds Python parameters slowly (executemany
        # takes about a millisecond a row; this, some microseconds).
        values = ", ".join("(" + ", ".join(_literal(value) for value in row) + ")" for row in rows)
        with self._lock:
            cursor = self._connection.cursor()
            try:
                cursor.execute("BEGIN")
                cursor.execute(f"INSERT INTO events ({', '.join(columns)}) VALUES {values}")
                cursor.execute("COMMIT")
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            finally:
                cursor.close()

    def query(self, sql: str, params: Sequence[object] | None = None) -> list[ResultRow]:
        with self._lock:
            cursor = self._connection.cursor()
            try:
                return cursor.execute(sql, params or []).fetchall()
            finally:
                cursor.close()

    def prune(self, before: datetime) -> int:
        with self._lock:
            cursor = self._connection.cursor()
            try:
                # DuckDB answers a DELETE with one row: how many rows it deleted.
                deleted = cursor.execute("DELETE FROM events WHERE ts < ?", [_aware(before)]).fetchone()
                return int(deleted[0]) if deleted is not None else 0
            finally:
                cursor.close()

    def close(self) -> None:
        with self._lock:
            self._connection.close()


def _literal(value: object) -> str:
    """A SQL literal for the few types events hold (strings quoted, never interpreted)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("event times must be timezone-aware")
        return f"TIMESTAMPTZ '{value.isoformat()}'"
    if isinstance(value, str):
        return "'" + value.replace("\x00", "\ufffd").replace("'", "''") + "'"
    raise TypeError(f"an event value cannot be a {type(value).__name__}")


# The PostgreSQL form ----------------------------------------------------------------------------

PG_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    type        text NOT NULL,
    app_id      text NOT NULL,
    user_id     text,
    launch_id   text,
    source      text,
    ts          timestamptz NOT NULL,
    received_at timestamptz NOT NULL,
    load_ms     integer,
    duration_ms bigint,
    prewarmed   boolean,
    unit_id     text,
    ad_id       text,
    campaign_id text,
    post_id     text,
    creator_id  text,
    revenue     bigint,
    currency    text,
    series_id   text,
    episode     integer
) PARTITION BY RANGE (ts);
ALTER TABLE events ADD COLUMN IF NOT EXISTS series_id text;
ALTER TABLE events ADD COLUMN IF NOT EXISTS episode integer;
CREATE INDEX IF NOT EXISTS events_app_ts ON events (app_id, ts);
CREATE INDEX IF NOT EXISTS events_user_received ON events (user_id, received_at);
"""
# Taken while a month's partition is made, so that two processes do not both try.
PARTITION_LOCK = 0x6D696E6973  # "minis"
_PARTITION = re.compile(r"events_(\d{4})_(\d{2})")
_QUOTED_OR_PLACEHOLDER = re.compile(r"'(?:[^']|'')*'|\?|%")


class PostgresEventStore:
    """Events in a PostgreSQL table partitioned by month of ``ts``: reports read only the months
    they cover, and old months can be detached or dropped whole. A month's partition is made by
    the first append with an event in it. Appends are one COPY in one transaction (all or none);
    connections come from a pool, so reports and appends from many threads run side by side."""

    def __init__(self, url: str, *, lock_wait: float = 5.0):
        self._engine = create_engine(
            _psycopg_url(url),
            pool_pre_ping=True,
            pool_size=4,
            max_overflow=8,
            connect_args={"options": lock_timeout(lock_wait)},  # a table locked elsewhere: busy, not a hang
        )
        self._months: set[tuple[int, int]] = set()
        self._months_lock = threading.Lock()
        with self._engine.begin() as connection:
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PARTITION_LOCK})")
            for statement in PG_SCHEMA.split(";"):
                if statement.strip():
                    connection.exec_driver_sql(statement)

    def append(self, rows: Sequence[Row], columns: tuple[str, ...] = COLUMNS) -> None:
        if not rows:
            return
        at = columns.index("ts")
        self._partitions({_month(row[at]) for row in rows})
        # One transaction, ended by the block: committed when the COPY went through, else rolled back.
        with (
            self._engine.begin() as connection,
            _cursor(connection) as cursor,
            cursor.copy(f"COPY events ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)

    def query(self, sql: str, params: Sequence[object] | None = None) -> list[ResultRow]:
        # A read: the transaction psycopg opens ends when the connection goes back to the pool,
        # which rolls it back.
        with self._engine.connect() as connection, _cursor(connection) as cursor:
            # psycopg reads placeholders only when given parameters.
            cursor.execute(_pyformat(sql), tuple(params)) if params else cursor.execute(sql)
            return cursor.fetchall()

    def prune(self, before: datetime) -> int:
        """Months wholly before ``before`` are dropped, partition and all (no row-by-row delete, no
        bloat left behind); in the month ``before`` falls in, the older rows are deleted."""
        before = _aware(before).astimezone(UTC)
        removed = 0
        with self._engine.begin() as connection:
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PARTITION_LOCK})")
            partitions = connection.exec_driver_sql(
                "SELECT child.relname FROM pg_inherits JOIN pg_class child ON child.oid = pg_inherits.inhrelid "
                "JOIN pg_class parent ON parent.oid = pg_inherits.inhparent WHERE parent.relname = 'events'"
            ).scalars()
            for name in sorted(partitions):
                month = _PARTITION.fullmatch(name)
                if month is None:  # not a month's partition (_partitions names each of them so): not ours
                    continue
                year, number = int(month.group(1)), int(month.group(2))
                if datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC) <= before:  # the month ends by then
                    removed += connection.exec_driver_sql(f"SELECT count(*) FROM {name}").scalar_one()
                    connection.exec_driver_sql(f"DROP TABLE {name}")
                    with self._months_lock:
                        self._months.discard((year, number))
            removed += connection.exec_driver_sql(
                "DELETE FROM events WHERE ts < %(before)s", {"before": before}
            ).rowcount
        return removed

    def truncate(self) -> None:
        """Remove every event (tests)."""
        with self._engine.begin() as connection:
            connection.exec_driver_sql("TRUNCATE events")

    def close(self) -> None:
        close_for_good(self._engine)

    def _partitions(self, months: set[tuple[int, int]]) -> None:
        with self._months_lock:
            missing = months - self._months
        if not missing:
            return
        with self._engine.begin() as connection:
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PARTITION_LOCK})")
            for year, month in sorted(missing):
                following = (year + month // 12, month % 12 + 1)
                connection.exec_driver_sql(
                    f"CREATE TABLE IF NOT EXISTS events_{year:04d}_{month:02d} PARTITION OF events "
                    f"FOR VALUES FROM ('{year:04d}-{month:02d}-01 00:00:00+00') "
                    f"TO ('{following[0]:04d}-{following[1]:02d}-01 00:00:00+00')"
                )
        with self._months_lock:
            self._months |= missing


def _month(moment: object) -> tuple[int, int]:
    """The year and month of an event's ``ts`` in UTC: the partition it goes to."""
    if not isinstance(moment, datetime):
        raise TypeError(f"an event's ts must be a datetime, not a {type(moment).__name__}")
    moment = moment.astimezone(UTC)
    return moment.year, moment.month


def _cursor(connection: Connection) -> psycopg.Cursor[ResultRow]:
    # SQLAlchemy types the pooled driver connection as a bare DB-API one (no context manager, no
    # COPY); with the postgresql+psycopg URL that _psycopg_url makes, it is a psycopg connection.
    return cast("psycopg.Cursor[ResultRow]", connection.connection.cursor())


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("event times must be timezone-aware")
    return moment


def _psycopg_url(url: str) -> str:
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    raise ValueError("MINIS_ANALYTICS_URL must be a postgresql:// URL (or empty, for the DuckDB file in the data dir)")


def _pyformat(sql: str) -> str:
    """The shared SQL's ``?`` placeholders as psycopg's ``%s``. psycopg reads ``%`` everywhere,
    quotes included, so every literal ``%`` is doubled; a ``?`` in quotes stays a question mark."""

    def swap(match: re.Match[str]) -> str:
        text = match.group(0)
        return "%s" if text == "?" else text.replace("%", "%%")

    return _QUOTED_OR_PLACEHOLDER.sub(swap, sql)


def open_store(url: str, path: Path, *, lock_wait: float = 5.0) -> EventStore:
    """The store ``MINIS_ANALYTICS_URL`` names, or the DuckDB file at ``path`` when it is empty."""
    return PostgresEventStore(url, lock_wait=lock_wait) if url else DuckDBEventStore(path)
