"""Where analytics events are kept: an embedded DuckDB file by default."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Protocol

import duckdb

COLUMNS = ("type", "app_id", "user_id", "launch_id", "source", "ts", "received_at", "load_ms", "duration_ms", "prewarmed")

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
    def append(self, rows: list[tuple]) -> None:
        """Append rows in ``COLUMNS`` order, all or none."""

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

    def append(self, rows: list[tuple]) -> None:
        if not rows:
            return
        placeholders = ", ".join("?" for _ in COLUMNS)
        with self._lock:
            cursor = self._connection.cursor()
            try:
                cursor.execute("BEGIN")
                cursor.executemany(f"INSERT INTO events ({', '.join(COLUMNS)}) VALUES ({placeholders})", rows)
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
