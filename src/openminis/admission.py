"""Admission to the database: how many requests hold a session at once, and how long one waits.

A request's session runs its statements on the thread pool (sync routes and dependencies). If
every request took a session on arrival, a burst would fill the pool's threads with requests
waiting for the SQLite write lock or a pooled connection, while the requests that held them
waited for a thread to finish on: a convoy that ended in timeouts and 500s (issue 12, item 7).

So a request waits for its turn here, in the event loop, before it takes a thread or a connection:
at most ``requests`` hold a session at once (fewer than the thread pool has threads and the
connection pool has connections, so a request holding a connection always gets a thread), and on
SQLite at most ``writers`` of them write (one writer at a time anyway: the others queue here, not
on a thread). A request that waited ``wait`` seconds, or that finds ``queue`` others already
waiting, is answered 503 with Retry-After, having done nothing.

GET and HEAD requests get a read session (no write lock on SQLite); everything else, and a GET
route marked with ``writes``, a write session.

A thread costs more than a short read on SQLite. Measured in-process with 32 requests at once, a
GET /api/me cost 1,100 µs of CPU with the session lookup and the unit's end each on a thread and
550 µs with both on the event loop. So a read session on SQLite may run a short read on the loop
(``reads_on_loop``: the person behind a session, by its unique token), and a unit with no
transaction open and nothing to follow ends on the loop (``_finish``). SQLite reads in WAL mode
wait on no lock, and the pool has a connection for every admitted request, so neither can block
the loop. On PostgreSQL every statement is a round trip to another process, which the loop must
not wait for: a serving process awaits the person's lookup through async connections of its own
(loop_reads.py), and everything else stays on threads.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import anyio
from sqlalchemy.orm import Session

from openminis import unit_of_work
from openminis.db import Database
from openminis.errors import Unavailable

_READS = "minis_reads"
_ON_LOOP = "minis_reads_on_loop"


def reads_only(session: Session) -> bool:
    """Whether this request's unit is a read session (a GET's): it has nothing to commit."""
    return bool(session.info.get(_READS))


def reads_on_loop(session: Session) -> bool:
    """Whether this request's unit may run a short read on the event loop: a read session on SQLite."""
    return bool(session.info.get(_ON_LOOP))


class Overloaded(Unavailable):
    code = "OVERLOADED"
    retry_after = 1.0


class Gate:
    """A counting semaphore of the event loop whose waiters give up at a deadline.

    Not asyncio.Semaphore: that one binds itself to the first loop it waits on, and one platform
    may serve several loops at once (uvicorn has one; tests' clients run one per thread). So the
    state is guarded by a thread lock, and a turn is handed to a waiter through its own loop."""

    def __init__(self, slots: int):
        self.free = slots
        self.waiters: deque[asyncio.Future[None]] = deque()
        self.lock = threading.Lock()

    async def enter(self, deadline: float) -> None:
        with self.lock:
            if self.free > 0 and not self.waiters:
                self.free -= 1
                return
            turn = asyncio.get_running_loop().create_future()
            self.waiters.append(turn)
        try:
            async with asyncio.timeout_at(deadline):
                await turn
        except BaseException:
            if turn.done() and not turn.cancelled():
                self.leave()  # the slot came just as time ran out: pass it on
            else:
                turn.cancel()
                with self.lock:
                    if turn in self.waiters:
                        self.waiters.remove(turn)
                # Not among the waiters: leave() has already handed it the slot, and _hand()
                # will find it cancelled and pass the slot on.
            raise

    def leave(self) -> None:
        with self.lock:
            if not self.waiters:
                self.free += 1
                return
            turn = self.waiters.popleft()
        # The slot goes straight to the next waiter, woken in its own loop (maybe another thread's).
        turn.get_loop().call_soon_threadsafe(self._hand, turn)

    def _hand(self, turn: asyncio.Future[None]) -> None:
        if turn.done():  # it gave up meanwhile
            self.leave()
        else:
            turn.set_result(None)


class Admission:
    def __init__(self, db: Database, *, requests: int, writers: int | None, wait: float, queue: int, threads: int):
        self.db = db
        # A request holding a session may need one more thread to finish; keep some for that and
        # for requests that need no database (files, the SDK).
        self.slots = max(1, min(requests, threads - 4))
        self.requests = Gate(self.slots)
        self.writers = Gate(writers) if writers else None
        self.wait = wait
        self.queue = queue
        self.threads = threads
        self.waiting = 0
        self._closers: anyio.CapacityLimiter | None = None
        self.on_loop = db.engine.dialect.name == "sqlite"

    @asynccontextmanager
    async def session(self, *, reads: bool) -> AsyncIterator[Session]:
        """The request's unit of work once its turn comes (Overloaded, 503, when it does not come
        in time): committed when the route has returned, rolled back if it raised."""
        limiter = anyio.to_thread.current_default_thread_limiter()
        if limiter.total_tokens != self.threads:
            limiter.total_tokens = self.threads
        gates = [self.requests] if reads or self.writers is None else [self.writers, self.requests]
        await self._enter(gates)
        try:
            factory = self.db.web_sessions(reads=reads)
            session = unit_of_work.opened(factory(), factory)
            session.info[_READS] = reads
            session.info[_ON_LOOP] = reads and self.on_loop
            try:
                yield session
            except BaseException:
                await self._finish(unit_of_work.rollback, session)
                raise
            await self._finish(unit_of_work.commit, session)
        finally:
            for gate in reversed(gates):
                gate.leave()

    async def _finish(self, end: Callable[[Session], None], session: Session) -> None:
        """Commit or roll back, then close: I/O, so on a thread, but on threads of their own: a
        request giving its connection back must never wait behind requests. Shielded: a client
        that goes away mid-commit does not leave the unit half-ended. A unit with nothing to end
        and nothing to follow closes here: that needs no I/O."""
        if unit_of_work.idle(session):
            session.close()
            return
        if self._closers is None:
            self._closers = anyio.CapacityLimiter(self.slots)

        def run() -> None:
            try:
                end(session)
            finally:
                session.close()

        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(run, limiter=self._closers)

    async def _enter(self, gates: list[Gate]) -> None:
        if self.waiting >= self.queue and any(gate.free == 0 for gate in gates):
            raise Overloaded(f"{self.waiting} requests are already waiting for the database; retry in a moment")
        deadline = asyncio.get_running_loop().time() + self.wait
        entered: list[Gate] = []
        self.waiting += 1
        try:
            for gate in gates:
                await gate.enter(deadline)
                entered.append(gate)
        except TimeoutError:
            for gate in reversed(entered):
                gate.leave()
            raise Overloaded(f"the database is busy: no turn came within {self.wait:g} s; retry in a moment") from None
        except BaseException:
            for gate in reversed(entered):
                gate.leave()
            raise
        finally:
            self.waiting -= 1
