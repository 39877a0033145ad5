"""Conversions as analytics events: recorded by the server (never accepted from clients) after the
database transaction that made them has committed, so the funnel's last step reads real money.

Types: ``paid`` (a purchase; revenue in COIN), ``unlock`` (an episode or series unlocked; COIN, or
0 when a rewarded ad paid for it), ``rewarded`` (a rewarded ad completed; the developer's ad revenue
in USD_MICROS) and ``refund`` (negative COIN). Each carries the launch's source and the creator and
post the conversion is attributed to, when there is one. Written in batches (events/buffer.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from openminis.events.buffer import EventBuffer
from openminis.events.store import EventStore

CONVERSION_TYPES = ("paid", "unlock", "rewarded", "refund")
COLUMNS = (
    "type",
    "app_id",
    "user_id",
    "launch_id",
    "source",
    "ts",
    "received_at",
    "post_id",
    "creator_id",
    "revenue",
    "currency",
)


class ConversionEvents(EventBuffer):
    def __init__(self, store: Callable[[], EventStore], *, batch: int = 5_000, max_wait: float = 0.5):
        super().__init__(store, COLUMNS, batch=batch, max_wait=max_wait)

    def record(
        self,
        type: str,
        *,
        app_id: str,
        user_id: str,
        launch_id: str | None,
        source: str | None,
        post_id: str | None,
        creator_id: str | None,
        revenue: int,
        currency: str,
        at: datetime | None = None,
    ) -> None:
        if type not in CONVERSION_TYPES:
            raise ValueError(f"a conversion event is one of {CONVERSION_TYPES}")
        at = at or datetime.now(UTC)
        self.add((type, app_id, user_id, launch_id, source, at, at, post_id, creator_id, revenue, currency))
