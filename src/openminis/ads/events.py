"""Ad events in the analytics store: ``ad_request``, ``ad_fill``, ``ad_impression``, ``ad_complete``,
``ad_click`` and ``ad_close``, in the one ``events`` table with the unit, ad and campaign.

Recorded by the server itself (not reported by clients), after the step's transaction: analytics
that fail must not undo a billed impression or a granted reward, so a failure is logged only.
Rows wait in a buffer for at most ``max_wait`` seconds and are written in batches, off the request
path by a timer: a DuckDB commit costs about a millisecond, too much for every ad request. Only a
buffer that reaches ``batch`` rows is written by the request that fills it (back-pressure).
``flush`` writes what waits; readers (the report) flush first.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from openminis.analytics.store import EventStore

log = logging.getLogger("openminis.ads")

COLUMNS = ("type", "app_id", "user_id", "launch_id", "ts", "received_at", "duration_ms", "unit_id", "ad_id", "campaign_id")
TYPES = ("ad_request", "ad_fill", "ad_impression", "ad_complete", "ad_click", "ad_close")


class AdEvents:
    def __init__(self, store: Callable[[], EventStore], *, batch: int = 5_000, max_wait: float = 0.5):
        self.store, self.batch, self.max_wait = store, batch, max_wait
        self._rows: list[tuple] = []
        self._lock = threading.Lock()

    def record(
        self, type: str, *, app_id: str, user_id: str | None, unit_id: str, at: datetime,
        ad_id: str | None = None, campaign_id: str | None = None, launch_id: str | None = None, duration_ms: int | None = None,
    ) -> None:
        row = (type, app_id, user_id, launch_id, at, at, duration_ms, unit_id, ad_id, campaign_id)
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
        with self._lock:
            rows, self._rows = self._rows, []
        if not rows:
            return
        try:
            self.store().append(rows, COLUMNS)
        except Exception as exc:  # e.g. the store closed while the platform shut down
            log.warning("could not write %d ad events to the analytics store: %s", len(rows), exc)
