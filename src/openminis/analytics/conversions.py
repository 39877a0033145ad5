"""Conversions as analytics events: written by the server (never accepted from clients) after the
database transaction that made them has committed, so the funnel's last step reads real money."""

from __future__ import annotations

from datetime import UTC, datetime

from openminis.analytics.store import EventStore

CONVERSION_TYPES = ("paid", "unlock", "rewarded", "refund")
COLUMNS = ("type", "app_id", "user_id", "launch_id", "source", "ts", "received_at", "post_id", "creator_id", "revenue", "currency")


def emit(
    store: EventStore,
    *,
    type: str,
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
    """Append one conversion event. ``revenue`` is gross in ``currency`` units (negative for a refund)."""
    if type not in CONVERSION_TYPES:
        raise ValueError(f"a conversion event is one of {CONVERSION_TYPES}")
    at = at or datetime.now(UTC)
    store.append([(type, app_id, user_id, launch_id, source, at, at, post_id, creator_id, revenue, currency)], COLUMNS)
