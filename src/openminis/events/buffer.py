"""Events the server records itself, written to the analytics store in batches, off the request path.

A DuckDB commit costs about a millisecond: too much for every purchase or ad request. Rows wait in
a buffer for at most ``max_wait`` seconds and a timer writes them; only a buffer that reaches
``batch`` rows is written by the request that fills it (back-pressure). ``flush`` writes what
waits; readers (reports) flush first. Analytics that fail must not undo the money or the reward
they describe, so a failed write is logged, not raised, and its rows are kept and written again
once the store takes them: a probe saw the PostgreSQL store refuse connections during a burst, and
the funnel lost those moments' payments for good when a failed batch was dropped. What is kept is
bounded (``hold`` rows; past it the oldest go, logged as an error), and lives in this process: a
crash loses what waits, as it always did.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import duckdb
from sqlalchemy import exc as sa

from openminis.events.store import EventStore, Row

log = logging.getLogger("openminis.analytics")

RETRY_FIRST, RETRY_MOST = 0.5, 10.0  # seconds before writing a refused batch again, doubling up to the most


def retryable(error: Exception) -> bool:
    """Whether the store refused the batch for a reason of its own (unreachable, full, restarting,
    read-only as a standby is, locked): worth writing again. Only a batch whose rows the store
    cannot take (a value out of range, a broken constraint, a row our code could not write) would
    fail every time and hold up every batch after it: that one is dropped, and logged as an error.
    (The attack on a first version that retried connection errors only: a read-only analytics
    database had 776 paid events dropped as if their content were at fault.)"""
    content = (sa.DataError, sa.IntegrityError, duckdb.ConversionException, duckdb.ConstraintException)
    return not isinstance(error, (*content, ValueError, TypeError))


class EventBuffer:
    def __init__(
        self,
        store: Callable[[], EventStore],
        columns: tuple[str, ...],
        *,
        batch: int = 5_000,
        max_wait: float = 0.5,
        hold: int = 200_000,
    ):
        self.store, self.columns, self.batch, self.max_wait, self.hold = store, columns, batch, max_wait, hold
        self._rows: list[Row] = []
        self._lock = threading.Lock()
        self._writing = threading.Lock()
        self._refusals = 0  # writes refused in a row: while any, the retry timer writes, not requests
        self._retry_set = False

    def add(self, row: Row) -> None:
        with self._lock:
            first = not self._rows
            self._rows.append(row)
            self._bound()
            # While the store refuses, a full buffer waits for the retry: a request would only wait
            # for the same refusal.
            full = len(self._rows) >= self.batch and not self._refusals
        if full:
            self.flush()
        elif first:
            # The first row of a batch sets when it is written at the latest, traffic or not. Not a
            # daemon: at exit Python waits for it, rather than killing it inside a DuckDB write.
            threading.Timer(self.max_wait, self.flush).start()

    def flush(self) -> None:
        # One flush at a time, so that a reader's flush returns only after a batch the timer took
        # a moment earlier is in the store too (it would otherwise read without it).
        with self._writing:
            with self._lock:
                rows, self._rows = self._rows, []
            if not rows:
                return
            try:
                self.store().append(rows, self.columns)
            except Exception as exc:
                if not retryable(exc):
                    log.error("the analytics store could not take %d events, dropped: %s", len(rows), exc)
                    return
                with self._lock:
                    self._rows[:0] = rows  # ahead of what came meanwhile: the next write keeps their order
                    self._bound()
                    self._refusals += 1
                    delay = min(RETRY_MOST, RETRY_FIRST * 2 ** (self._refusals - 1))
                    kept = len(self._rows)
                log.warning(
                    "could not write %d events to the analytics store (%s): kept, again in %.1f s", kept, exc, delay
                )
                self._retry_in(delay)
            else:
                with self._lock:
                    self._refusals = 0

    def _retry_in(self, delay: float) -> None:
        with self._lock:
            if self._retry_set:
                return
            self._retry_set = True
        # A daemon: at exit, rows the store still refuses are not worth holding the process for.
        timer = threading.Timer(delay, self._retry)
        timer.daemon = True
        timer.start()

    def _retry(self) -> None:
        with self._lock:
            self._retry_set = False
        self.flush()

    def _bound(self) -> None:
        """Held under the lock: past ``hold`` rows, the oldest go (memory is the limit while the store refuses)."""
        over = len(self._rows) - self.hold
        if over > 0:
            del self._rows[:over]
            log.error("the analytics store refused events for long: the %d oldest waiting were dropped", over)
