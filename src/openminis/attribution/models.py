"""The conversions: every paying (or ad-rewarded) moment, with where it came from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from openminis.db import Base, utcnow


class Conversion(Base):
    """One paying (or ad-rewarded) moment, with where it came from: the launch it happened in and
    its source, the creator it is attributed to (last touch) and the first creator who brought the
    person to the app (first touch, kept for analysis), and the commission paid for it."""

    __tablename__ = "conversions"
    __table_args__ = (
        Index("ix_conversions_creator_at", "creator_id", "at"),
        Index("ix_conversions_app_at", "app_id", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # purchase | unlock (an episode) | series | pass | ad_reward
    ref: Mapped[str] = mapped_column(String(120), unique=True)  # "order:ord_..", "unlock:..", "reward:.."
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    launch_id: Mapped[str | None] = mapped_column(String(32), default=None)
    source: Mapped[str | None] = mapped_column(String(32), default=None)  # the launch's source
    creator_id: Mapped[str | None] = mapped_column(String(32), default=None)  # last touch, within the window
    post_id: Mapped[str | None] = mapped_column(String(32), default=None)
    first_creator_id: Mapped[str | None] = mapped_column(String(32), default=None)  # first touch, ever
    first_post_id: Mapped[str | None] = mapped_column(String(32), default=None)
    currency: Mapped[str] = mapped_column(String(16))  # COIN, or USD_MICROS for ad revenue
    revenue: Mapped[int] = mapped_column(BigInteger)  # gross, in the currency's units
    developer_net: Mapped[int] = mapped_column(BigInteger, default=0)  # what the developer earned before commission
    commission: Mapped[int] = mapped_column(BigInteger, default=0)  # moved to the creator
    clawed_back: Mapped[int] = mapped_column(BigInteger, default=0)  # commission taken back by refunds
    # Commission a refund took back that the creator's earnings no longer held (a payout had it), which
    # the platform covered and has not had back: a payout that comes back to the creator repays it.
    owed: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    at: Mapped[datetime] = mapped_column(default=utcnow)
