"""Drama's part of a person's data (openminis/erasure.py): unlocks and passes are money records and
stay; watch progress goes; an active pass is cancelled."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from openminis.drama.models import EpisodeUnlock, SeriesUnlock, Subscription, WatchProgress
from openminis.rows import as_dict


def export(session: Session, user_id: str) -> dict[str, Any]:
    return {
        "episode_unlocks": [
            as_dict(row) for row in session.scalars(select(EpisodeUnlock).where(EpisodeUnlock.user_id == user_id))
        ],
        "series_unlocks": [
            as_dict(row) for row in session.scalars(select(SeriesUnlock).where(SeriesUnlock.user_id == user_id))
        ],
        "subscriptions": [
            as_dict(row) for row in session.scalars(select(Subscription).where(Subscription.user_id == user_id))
        ],
        "watch_progress": [
            as_dict(row) for row in session.scalars(select(WatchProgress).where(WatchProgress.user_id == user_id))
        ],
    }


def erase(session: Session, user_id: str) -> None:
    session.execute(delete(WatchProgress).where(WatchProgress.user_id == user_id))
    # A pass would renew from the wallet of nobody: it runs to its period's end and stops.
    session.execute(
        update(Subscription)
        .where(Subscription.user_id == user_id, Subscription.status == "active")
        .values(status="cancelled")
    )
