"""The runtime's part of a person's data (openminis/erasure.py): cloud saves, erased; launches, kept."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from openminis.rows import as_dict
from openminis.runtime.models import CloudSave, Launch


def export(session: Session, user_id: str) -> dict[str, Any]:
    saves = session.scalars(select(CloudSave).where(CloudSave.user_id == user_id))
    launches = session.scalars(select(Launch).where(Launch.user_id == user_id).order_by(Launch.created_at))
    return {"cloud_saves": [as_dict(row) for row in saves], "launches": [as_dict(row) for row in launches]}


def erase(session: Session, user_id: str) -> None:
    session.execute(delete(CloudSave).where(CloudSave.user_id == user_id))
