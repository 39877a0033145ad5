"""Reads of one statement that a request runs on the event loop itself, on PostgreSQL.

A request's unit of work is a sync SQLAlchemy session, whose statements run on threads (a
statement is a round trip to PostgreSQL, which the event loop must not wait for). For the read
that every authenticated request makes first, the person behind its session token, the thread
cost more than the read: driving GET /api/me in-process with 32 requests at once on PostgreSQL,
1,400 to 1,900 µs of CPU per request with the lookup on a thread (some 20 thread switches each,
threads fighting for the GIL around their round trips) and 450 µs with the same SELECT awaited on
the loop through psycopg's async connection. So a serving process keeps a small async engine
beside its sync one, in autocommit (one statement needs no transaction around it), made in the
serving loop when the process starts and disposed there when it stops (server.py).

SQLite needs none of this: its reads are calls into the library, run on the loop as they are
(admission.py: reads_on_loop).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Executable, Row
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from openminis.db import ping_after_idle


class LoopReads:
    def __init__(self, url: str, *, connections: int, wait: float):
        # As many connections as the admission gate lets requests hold sessions: none waits here.
        self.engine: AsyncEngine = create_async_engine(
            url, pool_size=connections, max_overflow=0, pool_timeout=wait, isolation_level="AUTOCOMMIT"
        )
        ping_after_idle(self.engine.sync_engine)

    async def first(self, statement: Executable, parameters: dict[str, Any]) -> Row[Any] | None:
        """The first row of a Core statement (plain columns: no ORM session, which cost more than
        the read), or None."""
        async with self.engine.connect() as connection:
            return (await connection.execute(statement, parameters)).first()

    async def close(self) -> None:
        await self.engine.dispose()
