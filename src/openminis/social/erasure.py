"""Social's part of a person's data (openminis/erasure.py): their scores, the contexts they are in
and the shares they made; all erased with the account (a board then forgets them)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from openminis.rows import as_dict
from openminis.social.models import AppShare, ContextMember, Score


def export(session: Session, user_id: str) -> dict[str, Any]:
    scores = session.scalars(select(Score).where(Score.user_id == user_id).order_by(Score.app_id, Score.board_id))
    contexts = session.scalars(select(ContextMember).where(ContextMember.user_id == user_id))
    shares = session.scalars(select(AppShare).where(AppShare.sharer_id == user_id).order_by(AppShare.created_at))
    return {
        "leaderboard_scores": [as_dict(row) for row in scores],
        "contexts": [as_dict(row) for row in contexts],
        "shares": [as_dict(row) for row in shares],
    }


def erase(session: Session, user_id: str) -> None:
    # A share's link dies with its sharer; the context it made stays for the others in it.
    session.execute(delete(Score).where(Score.user_id == user_id))
    session.execute(delete(ContextMember).where(ContextMember.user_id == user_id))
    session.execute(delete(AppShare).where(AppShare.sharer_id == user_id))
