"""Creators and their posts (the conversions their posts bring are attribution's)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from openminis.db import Base, utcnow


class Creator(Base):
    """A person who publishes posts. Any signed-in person can become one; the row is their profile."""

    __tablename__ = "creators"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    handle: Mapped[str] = mapped_column(String(32), unique=True)  # shown as @handle
    display_name: Mapped[str] = mapped_column(String(60))
    bio: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set while a moderator has the creator suspended: none of their posts is shown or served.
    suspended_at: Mapped[datetime | None] = mapped_column(default=None)


class Post(Base):
    """A short vertical video with a caption and, optionally, an anchor: a link to a mini-program,
    to a drama series or to one episode of it. Its media goes through the episodes' pipeline."""

    __tablename__ = "posts"
    __table_args__ = (Index("ix_posts_status_published", "status", "published_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # "pst_" + 20 hex
    creator_id: Mapped[str] = mapped_column(ForeignKey("creators.user_id", ondelete="CASCADE"), index=True)
    caption: Mapped[str] = mapped_column(String(300), default="")
    # What the ranking's affinity reads: the anchor app's category, or "general" without an anchor.
    category: Mapped[str] = mapped_column(String(32), default="general")
    anchor_kind: Mapped[str | None] = mapped_column(String(16), default=None)  # app | series | episode
    anchor_app_id: Mapped[str | None] = mapped_column(
        ForeignKey("apps.id", ondelete="SET NULL"), default=None, index=True
    )
    anchor_series_id: Mapped[str | None] = mapped_column(ForeignKey("series.id", ondelete="SET NULL"), default=None)
    anchor_episode: Mapped[int | None] = mapped_column(Integer, default=None)  # episode number in the series
    # uploaded | ready | failed; removed: a ready post a moderator took down (every read wants "ready")
    status: Mapped[str] = mapped_column(String(16), default="uploaded")
    progress: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    media_key: Mapped[str | None] = mapped_column(String(80), default=None)  # folder of the ready media
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(default=None)  # when its media became ready


class PostLike(Base):
    """A signed-in person likes a post. One row per (post, person): the primary key is what makes a
    burst of likes from one person count once."""

    __tablename__ = "post_likes"

    post_id: Mapped[str] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Follow(Base):
    """A signed-in person follows a creator: the creator's posts come to their Following tab."""

    __tablename__ = "follows"

    creator_id: Mapped[str] = mapped_column(ForeignKey("creators.user_id", ondelete="CASCADE"), primary_key=True)
    follower_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
