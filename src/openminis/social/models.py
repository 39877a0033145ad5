"""Leaderboards, their scores, contexts (who came through one share chain, or one tournament) and
app shares with a payload."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, ForeignKeyConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from openminis.db import Base, utcnow


class Leaderboard(Base):
    """A board an app declared (in ``minis.json`` or through the Open API)."""

    __tablename__ = "leaderboards"

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    sort: Mapped[str] = mapped_column(String(4))  # desc: higher is better; asc: lower is (a time)
    format: Mapped[str] = mapped_column(String(16))  # integer | time_ms | decimal2: how a score reads
    reset: Mapped[str] = mapped_column(String(8))  # never | daily | weekly | monthly
    timezone: Mapped[str] = mapped_column(String(64))  # where a day, week or month begins
    client_scores: Mapped[bool] = mapped_column(default=False)  # may minis.leaderboard.submit post?
    max_score: Mapped[int | None] = mapped_column(BigInteger, default=None)  # the cap on client scores
    declared_in: Mapped[str] = mapped_column(String(8))  # manifest | api: a release retires only its own
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Score(Base):
    """A person's best score on a board in one period (``all``, a day, a week, a month or a
    tournament): one row, only ever replaced by a better score."""

    __tablename__ = "leaderboard_scores"
    __table_args__ = (
        ForeignKeyConstraint(["app_id", "board_id"], ["leaderboards.app_id", "leaderboards.id"], ondelete="CASCADE"),
        Index("ix_leaderboard_scores_rank", "app_id", "board_id", "period", "score"),
    )

    app_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    board_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    period: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    score: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(default=utcnow)  # when this best was set: the earlier wins a tie


class Context(Base):
    """People who play together: those who came through one share chain, or one tournament's
    players (a tournament is a context with a board and an end)."""

    __tablename__ = "social_contexts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # share | tournament
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    board_id: Mapped[str | None] = mapped_column(String(64), default=None)
    ends_at: Mapped[datetime | None] = mapped_column(default=None)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)  # results final, the backend told
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ContextMember(Base):
    __tablename__ = "social_context_members"

    context_id: Mapped[str] = mapped_column(ForeignKey("social_contexts.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)


class AppShare(Base):
    """What ``minis.share`` made: the link's token names the app, the sharer, the context the
    link puts its openers in, and the query the app gets on their launch."""

    __tablename__ = "app_shares"

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    sharer_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    context_id: Mapped[str] = mapped_column(ForeignKey("social_contexts.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(120))
    image: Mapped[str | None] = mapped_column(String(200), default=None)  # a file of the app's package
    query: Mapped[dict[str, str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
