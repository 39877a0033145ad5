"""The runtime's part of a person's data (openminis/erasure.py): cloud saves and favourites, erased;
launches, kept."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from openminis.rows import as_dict
from openminis.runtime.models import CloudSave, Favourite, Launch


def export(session: Session, user_id: str) -> dict[str, Any]:
    saves = session.scalars(select(CloudSave).where(CloudSave.user_id == user_id))
    launches = session.scalars(select(Launch).where(Launch.user_id == user_id).order_by(Launch.created_at))
    favourites = session.scalars(select(Favourite).where(Favourite.user_id == user_id).order_by(Favourite.created_at))
    return {
        "cloud_saves": [as_dict(row) for row in saves],
        "favourites": [as_dict(row) for row in favourites],
        "launches": [as_dict(row) for row in launches],
    }


def erase(session: Session, user_id: str) -> None:
    session.execute(delete(CloudSave).where(CloudSave.user_id == user_id))
    session.execute(delete(Favourite).where(Favourite.user_id == user_id))
