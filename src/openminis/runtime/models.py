from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from openminis.db import Base, utcnow


class Launch(Base):
    """One opening of an app by a person; recents and, later, attribution are read from these."""

    __tablename__ = "launches"
    # ix_launches_app_time: search counts each app's launches of the past week (its popularity).
    __table_args__ = (
        Index("ix_launches_touches", "user_id", "app_id", "created_at"),
        Index("ix_launches_app_time", "app_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    version: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(32))
    # Where a "post" launch came from (the creator is paid for what it brings), and who shared a
    # "share" launch's link. Attribution reads these: see attribution/service.py.
    post_id: Mapped[str | None] = mapped_column(String(32), default=None)
    creator_id: Mapped[str | None] = mapped_column(String(32), default=None)
    sharer_id: Mapped[str | None] = mapped_column(String(32), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class CloudSave(Base):
    """One key of a person's saved data in one app (``minis.storage``)."""

    __tablename__ = "cloud_saves"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str] = mapped_column(Text)  # JSON text, as the app gave it
    size_bytes: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Favourite(Base):
    """An app a person keeps at hand (the launcher's "Add to favourites"), once per person and app."""

    __tablename__ = "favourites"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
