"""Moderation's part of a person's data (openminis/erasure.py): the reports they made and the
appeals they wrote. When the account is deleted the records stay (a moderator's queue and an
item's history must still add up), under the id that then names nobody, and the words the person
wrote go."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from openminis.moderation.models import Appeal, Report
from openminis.rows import as_dict


def export(session: Session, user_id: str) -> dict[str, Any]:
    reports = session.scalars(select(Report).where(Report.reporter_id == user_id).order_by(Report.created_at))
    appeals = session.scalars(select(Appeal).where(Appeal.appellant_id == user_id).order_by(Appeal.created_at))
    return {"reports": [as_dict(row) for row in reports], "appeals": [as_dict(row) for row in appeals]}


def erase(session: Session, user_id: str) -> None:
    session.execute(update(Report).where(Report.reporter_id == user_id).values(text=""))
    session.execute(update(Appeal).where(Appeal.appellant_id == user_id).values(text=""))
