"""Scores: a person's best per board and period, and the rankings read from them.

A submission is one INSERT ... ON CONFLICT DO UPDATE ... WHERE the new score is better, on SQLite
and PostgreSQL alike: any number of concurrent submissions leave exactly one row per person and
period, holding the best of them, with no read-then-write race.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import UnaryExpression

from openminis.db import dialect_insert
from openminis.social.models import Leaderboard, Score

_KEY = ("app_id", "board_id", "period", "user_id")


@dataclass(frozen=True)
class Entry:
    rank: int
    user_id: str
    score: int
    at: datetime


def keep_best(session: Session, board: Leaderboard, *, user_id: str, period: str, score: int, at: datetime) -> bool:
    """Record ``score`` unless the person already has a better (or equal) one in ``period``.
    True if it is their new best."""
    insert = dialect_insert(session, Score).values(
        app_id=board.app_id, board_id=board.id, period=period, user_id=user_id, score=score, at=at
    )
    better = insert.excluded.score > Score.score if board.sort == "desc" else insert.excluded.score < Score.score
    statement = insert.on_conflict_do_update(
        index_elements=list(_KEY), set_={"score": insert.excluded.score, "at": insert.excluded.at}, where=better
    ).returning(Score.score)
    return session.execute(statement).first() is not None


def best(session: Session, board: Leaderboard, *, user_id: str, period: str) -> Score | None:
    return session.get(Score, (board.app_id, board.id, period, user_id))


def _order(board: Leaderboard) -> tuple[UnaryExpression[Any], ...]:
    ranked = Score.score.desc() if board.sort == "desc" else Score.score.asc()
    return ranked, Score.at.asc(), Score.user_id.asc()


def _scores(board: Leaderboard, period: str, among: Collection[str] | None) -> Select[Score]:
    statement = select(Score).where(Score.app_id == board.app_id, Score.board_id == board.id, Score.period == period)
    if among is not None:
        statement = statement.where(Score.user_id.in_(list(among)))
    return statement


def rank_of(session: Session, board: Leaderboard, mine: Score, *, among: Collection[str] | None = None) -> int:
    """1 + those ahead: a better score, or the same score set earlier (the first to reach it leads)."""
    ahead = Score.score > mine.score if board.sort == "desc" else Score.score < mine.score
    tied_earlier = and_(
        Score.score == mine.score, or_(Score.at < mine.at, and_(Score.at == mine.at, Score.user_id < mine.user_id))
    )
    count = select(func.count()).select_from(
        _scores(board, mine.period, among).where(or_(ahead, tied_earlier)).subquery()
    )
    return int(session.scalar(count) or 0) + 1


def top(
    session: Session,
    board: Leaderboard,
    period: str,
    *,
    limit: int,
    offset: int = 0,
    among: Collection[str] | None = None,
) -> list[Entry]:
    rows = session.scalars(_scores(board, period, among).order_by(*_order(board)).offset(offset).limit(limit))
    return [Entry(offset + i + 1, row.user_id, row.score, row.at) for i, row in enumerate(rows)]


def around(
    session: Session, board: Leaderboard, period: str, user_id: str, *, limit: int, among: Collection[str] | None = None
) -> list[Entry]:
    """The page of the ranking with the person in its middle (the top, if they have no score yet)."""
    mine = best(session, board, user_id=user_id, period=period)
    if mine is None:
        return top(session, board, period, limit=limit, among=among)
    rank = rank_of(session, board, mine, among=among)
    return top(session, board, period, limit=limit, offset=max(0, rank - 1 - limit // 2), among=among)


def players(session: Session, board: Leaderboard, period: str) -> int:
    return int(session.scalar(select(func.count()).select_from(_scores(board, period, None).subquery())) or 0)
