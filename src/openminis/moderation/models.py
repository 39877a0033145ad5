"""Moderation's records: people's reports, each item's takedown state, and owners' appeals.

The takedown itself is a flag on the item's own row (an app's ``taken_down_at``, a post's or an
episode's ``removed`` status...), set by its domain; these rows say who asked, who decided, why."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openminis.db import Base, utcnow


class Report(Base):
    """A person's report of an item (service.KINDS), with a reason from service.REASONS. One open
    report per person per item: ``is_open`` is True while it is open and NULL once a moderator has
    acted, and NULLs never collide in a unique index (SQLite and PostgreSQL alike)."""

    __tablename__ = "moderation_reports"
    __table_args__ = (
        UniqueConstraint("kind", "item_id", "reporter_id", "is_open", name="uq_moderation_reports_open"),
        Index("ix_moderation_reports_item", "kind", "item_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    item_id: Mapped[str] = mapped_column(String(120))
    reporter_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(24))
    text: Mapped[str] = mapped_column(Text, default="")
    is_open: Mapped[bool | None] = mapped_column(Boolean, default=True, index=True)
    # open | taken_down (a moderator acted on it) | restored (taken down, then put back) |
    # dismissed (a moderator found nothing to do)
    outcome: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)


class Takedown(Base):
    """An item's current moderation state: down (taken down, or suspended for a creator or an app)
    or restored, with the latest decision's reason, who made it and when. ``round`` counts the
    takedowns of the item: an owner may appeal once per round."""

    __tablename__ = "moderation_takedowns"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    down: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    reason: Mapped[str] = mapped_column(String(24))
    note: Mapped[str] = mapped_column(Text, default="")  # the moderator's words to the owner
    actor: Mapped[str] = mapped_column(String(200))
    round: Mapped[int] = mapped_column(Integer, default=1)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Appeal(Base):
    """An owner's appeal of a takedown: one per takedown round, answered by a moderator."""

    __tablename__ = "moderation_appeals"
    __table_args__ = (UniqueConstraint("kind", "item_id", "round", name="uq_moderation_appeals_round"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    item_id: Mapped[str] = mapped_column(String(120))
    round: Mapped[int] = mapped_column(Integer)
    appellant_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open | granted | denied
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(default=None)
