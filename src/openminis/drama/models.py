from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openminis.db import Base, utcnow


class Series(Base):
    """A short drama: episodes, their pricing, and who produces it (a drama app of a developer)."""

    __tablename__ = "series"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    synopsis: Mapped[str] = mapped_column(Text, default="")
    genres: Mapped[list[str]] = mapped_column(JSON, default=list)
    language: Mapped[str] = mapped_column(String(16), default="en")
    age_rating: Mapped[str] = mapped_column(String(8), default="12+")
    # draft | published; removed: taken down by a moderator (only "published" is shown)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    free_episodes: Mapped[int] = mapped_column(Integer, default=3)
    episode_price: Mapped[int] = mapped_column(Integer, default=30)  # coins
    series_price: Mapped[int | None] = mapped_column(Integer, default=None)  # coins for every episode
    ad_unlock: Mapped[bool] = mapped_column(default=True)
    ad_unlocks_per_day: Mapped[int] = mapped_column(Integer, default=5)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(default=None)


class Episode(Base):
    __tablename__ = "episodes"
    __table_args__ = (UniqueConstraint("series_id", "number"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    series_id: Mapped[str] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(120), default="")
    # uploaded -> processing -> ready | failed (a new upload starts over); removed: a ready episode
    # a moderator took down (only "ready" ones are listed, played or served)
    status: Mapped[str] = mapped_column(String(16), default="uploaded")
    progress: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    media_key: Mapped[str | None] = mapped_column(String(80), default=None)  # folder of the ready media
    # WebVTT subtitles by language tag ("en", "pt-BR") -> their object key; apart from the media
    # folder, so a producer adds or replaces a language without transcoding the episode again.
    subtitles: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # The scrubber's preview sprite (media.Preview's fields), None for media made before it existed.
    preview: Mapped[dict[str, int] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class EpisodeUnlock(Base):
    """A person may watch this episode: bought with coins or earned with a rewarded ad. One row per
    person per episode, which is what makes an unlock charge once whatever the taps or devices."""

    __tablename__ = "episode_unlocks"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    episode_id: Mapped[str] = mapped_column(ForeignKey("episodes.id", ondelete="CASCADE"), primary_key=True)
    series_id: Mapped[str] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), index=True)
    method: Mapped[str] = mapped_column(String(16))  # coins | ad
    # The rewarded ad that paid for it: unique, so one ad unlocks one episode.
    ad_id: Mapped[str | None] = mapped_column(String(32), unique=True, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SeriesUnlock(Base):
    """The whole series bought at once."""

    __tablename__ = "series_unlocks"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    series_id: Mapped[str] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DramaPass(Base):
    """A subscription: every episode of one series, or of every series of one app (producer)."""

    __tablename__ = "drama_passes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    series_id: Mapped[str | None] = mapped_column(
        ForeignKey("series.id", ondelete="CASCADE"), default=None
    )  # None: all the app's series
    title: Mapped[str] = mapped_column(String(80))
    period_days: Mapped[int] = mapped_column(Integer)  # 7 | 30
    price: Mapped[int] = mapped_column(Integer)  # coins per period
    active: Mapped[bool] = mapped_column(default=True)


class Subscription(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("user_id", "pass_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    pass_id: Mapped[str] = mapped_column(ForeignKey("drama_passes.id", ondelete="CASCADE"))
    # active (renews) | cancelled (runs to its period end, then stops) | lapsed (a renewal failed)
    status: Mapped[str] = mapped_column(String(16), default="active")
    period: Mapped[int] = mapped_column(Integer, default=1)  # which period is paid for
    # Coins per period, as the person confirmed them: renewals charge this, not the pass's price
    # now (a price change reaches people who subscribe after it, or who confirm it again).
    price: Mapped[int] = mapped_column(Integer)
    current_period_end: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WatchProgress(Base):
    """Where a person is in a series, so any of their devices resumes there."""

    __tablename__ = "watch_progress"
    # Search counts each series' viewers of the past week (its popularity).
    __table_args__ = (Index("ix_watch_progress_series_time", "series_id", "updated_at"),)

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    series_id: Mapped[str] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), primary_key=True)
    episode_number: Mapped[int] = mapped_column(Integer)
    position_ms: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Which page saved it, and that save's number among the page's saves: one page's saves are sent
    # in order but may be answered out of order, and an older one must not move the person back.
    page: Mapped[str | None] = mapped_column(String(32), default=None)
    seq: Mapped[int | None] = mapped_column(Integer, default=None)
