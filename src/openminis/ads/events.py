"""Ad events in the analytics store: ``ad_request``, ``ad_fill``, ``ad_impression``, ``ad_complete``,
``ad_click`` and ``ad_close``, in the one ``events`` table with the unit, ad and campaign.
``ad_complete`` is an ad the server judged watched (serving.complete), not every report of one.

Recorded by the server itself (not reported by clients), after the step's transaction: analytics
that fail must not undo a billed impression or a granted reward, so a failure is logged only.
Rows wait in a buffer for at most ``max_wait`` seconds and are written in batches, off the request
path by a timer (events/buffer.py); readers (the report) flush first.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from openminis.events.buffer import EventBuffer
from openminis.events.store import EventStore

COLUMNS = (
    "type",
    "app_id",
    "user_id",
    "launch_id",
    "ts",
    "received_at",
    "duration_ms",
    "unit_id",
    "ad_id",
    "campaign_id",
)
TYPES = ("ad_request", "ad_fill", "ad_impression", "ad_complete", "ad_click", "ad_close")


class AdEvents(EventBuffer):
    def __init__(self, store: Callable[[], EventStore], *, batch: int = 5_000, max_wait: float = 0.5):
        super().__init__(store, COLUMNS, batch=batch, max_wait=max_wait)

    def record(
        self,
        type: str,
        *,
        app_id: str,
        user_id: str | None,
        unit_id: str,
        at: datetime,
        ad_id: str | None = None,
        campaign_id: str | None = None,
        launch_id: str | None = None,
        duration_ms: int | None = None,
    ) -> None:
        self.add((type, app_id, user_id, launch_id, at, at, duration_ms, unit_id, ad_id, campaign_id))
