"""Where analytics events are kept: an embedded DuckDB file by default."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from typing import Protocol

import duckdb

COLUMNS = ("type", "app_id", "user_id", "launch_id", "source", "ts", "received_at", "load_ms", "duration_ms", "prewarmed")
# Added after the first release, so ALTER ... IF NOT EXISTS: files made before get them on open.
ADDED = (
    "ALTER TABLE events ADD COLUMN IF NOT EXISTS unit_id VARCHAR",  # ads: which ad unit
    "ALTER TABLE events ADD COLUMN IF NOT EXISTS ad_id VARCHAR",  # ads: which served ad
    "ALTER TABLE events ADD COLUMN IF NOT EXISTS campaign_id VARCHAR",  # ads: whose ad
    "ALTER TABLE events ADD COLUMN IF NOT EXISTS post_id VARCHAR",  # creators: which post (exposure, click, play, complete, launch)
    "ALTER TABLE events ADD COLUMN IF NOT EXISTS creator_id VARCHAR",  # creators: whose post, or the creator a conversion is attributed to
    "ALTER TABLE events ADD COLUMN IF NOT EXISTS revenue BIGINT",  # conversions: gross, in units of currency
    "ALTER TABLE events ADD COLUMN IF NOT EXISTS currency VARCHAR",  # conversions: COIN or USD_MICROS
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
    def append(self, rows: list[tuple], columns: tuple[str, ...] = COLUMNS) -> None:
        """Append rows in ``columns`` order (by default ``COLUMNS``), all or none."""

    def query(self, sql: str, params: list | None = None) -> list[tuple]: ...

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

    def append(self, rows: list[tuple], columns: tuple[str, ...] = COLUMNS) -> None:
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

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with self._lock:
            cursor = self._connection.cursor()
            try:
                return cursor.execute(sql, params or []).fetchall()
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
