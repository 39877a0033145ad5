"""Events the server records itself, written to the analytics store in batches, off the request path.

A DuckDB commit costs about a millisecond: too much for every purchase or ad request. Rows wait in
a buffer for at most ``max_wait`` seconds and a timer writes them; only a buffer that reaches
``batch`` rows is written by the request that fills it (back-pressure). ``flush`` writes what
waits; readers (reports) flush first. Analytics that fail must not undo the money or the reward
they describe, so a failed write is logged, not raised.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from openminis.events.store import EventStore, Row

log = logging.getLogger("openminis.analytics")


class EventBuffer:
    def __init__(
        self, store: Callable[[], EventStore], columns: tuple[str, ...], *, batch: int = 5_000, max_wait: float = 0.5
    ):
        self.store, self.columns, self.batch, self.max_wait = store, columns, batch, max_wait
        self._rows: list[Row] = []
        self._lock = threading.Lock()
        self._writing = threading.Lock()

    def add(self, row: Row) -> None:
        with self._lock:
            first = not self._rows
            self._rows.append(row)
            full = len(self._rows) >= self.batch
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
            except Exception as exc:  # e.g. the store closed while the platform shut down
                log.warning("could not write %d events to the analytics store: %s", len(rows), exc)
