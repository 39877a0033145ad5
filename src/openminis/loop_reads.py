"""Reads of one statement that a request runs on the event loop itself, on PostgreSQL.

A request's unit of work is a sync SQLAlchemy session, whose statements run on threads (a
statement is a round trip to PostgreSQL, which the event loop must not wait for). For the read
that every authenticated request makes first, the person behind its session token, the thread
cost more than the read: driving GET /api/me in-process with 32 requests at once on PostgreSQL,
1,400 to 1,900 µs of CPU per request with the lookup on a thread (some 20 thread switches each,
threads fighting for the GIL around their round trips) and 450 µs with the same SELECT awaited on
the loop through psycopg's async connection. So a serving process keeps a few async connections
beside its sync engine, in autocommit (one statement needs no transaction around it), opened in
the serving loop when the process starts and closed there when it stops (server.py).

They are psycopg's own (psycopg_pool), not an SQLAlchemy async engine: the statement is compiled
once by SQLAlchemy and its row comes back as a plain mapping. SQLAlchemy's async path (greenlets,
its result machinery) cost about 700 µs of CPU per lookup on top of psycopg's.

SQLite needs none of this: its reads are calls into the library, run on the loop as they are
(admission.py: reads_on_loop).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import ClauseElement
from sqlalchemy.dialects.postgresql.psycopg import dialect as psycopg_dialect

from openminis.db import PING_AFTER_IDLE, libpq_url, lock_timeout

_DIALECT = psycopg_dialect()  # type: ignore[no-untyped-call]  # SQLAlchemy's dialects are untyped


class LoopReads:
    def __init__(self, url: str, *, connections: int, wait: float):
        conninfo = libpq_url(url)
        if conninfo is None:
            raise ValueError("loop reads are for PostgreSQL")
        # As many connections as the admission gate lets requests hold sessions: none waits here.
        # Opened as they are needed, one at first.
        self.pool: AsyncConnectionPool[AsyncConnection[DictRow]] = AsyncConnectionPool(
            conninfo,
            min_size=1,
            max_size=connections,
            timeout=wait,
            open=False,
            kwargs={"autocommit": True, "row_factory": dict_row, "options": lock_timeout(wait)},
            check=self._try_if_rested,
        )
        self._sql: dict[ClauseElement, str] = {}
        self._returned: dict[int, float] = {}  # when each connection came back, by id()

    async def open(self) -> None:
        await self.pool.open(wait=False)

    async def _try_if_rested(self, connection: AsyncConnection[Any]) -> None:
        """As the sync engine's pool does (db.ping_after_idle): a connection back within the second
        was working then; one that rested longer is tried, and replaced if it fails the try."""
        returned = self._returned.get(id(connection))
        if returned is None or time.monotonic() - returned >= PING_AFTER_IDLE:
            await AsyncConnectionPool.check_connection(connection)

    def _compiled(self, statement: ClauseElement) -> str:
        sql = self._sql.get(statement)
        if sql is None:
            sql = self._sql[statement] = str(statement.compile(dialect=_DIALECT))
        return sql

    async def first(self, statement: ClauseElement, parameters: dict[str, Any]) -> Mapping[str, Any] | None:
        """The first row of a Core statement of plain columns, by their names, or None."""
        sql = self._compiled(statement)
        async with self.pool.connection() as connection:
            row = await (await connection.execute(sql, parameters)).fetchone()
            self._returned[id(connection)] = time.monotonic()
        return row

    async def close(self) -> None:
        await self.pool.close()
