"""The ad server's tables. Money columns are micros of USD (see ``openminis.ads.money``)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from openminis.db import Base, utcnow


class AdUnit(Base):
    """A place in an app where ads show: rewarded (a video for a reward) or interstitial."""

    __tablename__ = "ad_units"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(16))  # rewarded | interstitial
    reward_type: Mapped[str | None] = mapped_column(String(32), default=None)
    reward_amount: Mapped[int | None] = mapped_column(Integer, default=None)
    verify_url: Mapped[str | None] = mapped_column(String(500), default=None)
    floor_cpm: Mapped[int] = mapped_column(BigInteger, default=0)
    min_watch_seconds: Mapped[int | None] = mapped_column(Integer, default=None)  # rewarded
    # Interstitials: at least this long between two of the app's interstitials for one person.
    min_interval_seconds: Mapped[int | None] = mapped_column(Integer, default=None)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AdSettings(Base):
    """An app's part of what its ads earn, when it differs from the platform's default."""

    __tablename__ = "ad_settings"

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    developer_share_bps: Mapped[int] = mapped_column(Integer)  # 7000 = 70 %
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Advertiser(Base):
    """Who pays for campaigns, from funds deposited on the ledger (account ``advertiser_funds``)."""

    __tablename__ = "advertisers"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Campaign(Base):
    """What an advertiser bids, where, for how much in total and per day.

    ``spent`` only grows by a conditional UPDATE (spent + price <= total_budget); the check below
    is the database's own guard, so that even a bug cannot overspend a budget.
    """

    __tablename__ = "campaigns"
    __table_args__ = (CheckConstraint("total_budget IS NULL OR spent <= total_budget", name="within_budget"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    advertiser_id: Mapped[str] = mapped_column(ForeignKey("advertisers.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | paused
    # House ads fill what paid demand leaves: no bid, no budget, never billed.
    house: Mapped[bool] = mapped_column(default=False)
    bid_cpm: Mapped[int] = mapped_column(BigInteger, default=0)
    total_budget: Mapped[int | None] = mapped_column(BigInteger, default=None)
    daily_budget: Mapped[int | None] = mapped_column(BigInteger, default=None)
    spent: Mapped[int] = mapped_column(BigInteger, default=0)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)  # app categories; empty = all
    markets: Mapped[list[str]] = mapped_column(JSON, default=list)  # ISO country codes; empty = all
    frequency_count: Mapped[int | None] = mapped_column(Integer, default=None)  # per person, per period
    frequency_seconds: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CampaignDay(Base):
    """What a campaign spent on one UTC day, against its daily budget (grown like ``Campaign.spent``)."""

    __tablename__ = "campaign_days"

    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    spent: Mapped[int] = mapped_column(BigInteger, default=0)


class Creative(Base):
    """One ad a campaign shows: a video or an image file, where a click goes, how long it runs."""

    __tablename__ = "creatives"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # video | image
    file: Mapped[str] = mapped_column(String(80))  # the name under the data dir's ads/
    content_type: Mapped[str] = mapped_column(String(32))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    duration_ms: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    click_url: Mapped[str] = mapped_column(String(1000))
    title: Mapped[str] = mapped_column(String(80))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Impression(Base):
    """One ad served to one person; its id is the ``ad_id`` the host holds.

    Decided by an auction, then shown (billed), then completed, closed, clicked: each step keeps
    its own time, so the row is the ad's history.
    """

    __tablename__ = "impressions"
    __table_args__ = (Index("ix_impressions_unit_day", "unit_id", "billed_day"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[str] = mapped_column(ForeignKey("ad_units.id", ondelete="CASCADE"))
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"), index=True)
    creative_id: Mapped[str] = mapped_column(ForeignKey("creatives.id"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    launch_id: Mapped[str | None] = mapped_column(String(32), default=None)
    format: Mapped[str] = mapped_column(String(16))
    house: Mapped[bool] = mapped_column(default=False)
    price_cpm: Mapped[int] = mapped_column(BigInteger, default=0)  # the auction's clearing price
    price: Mapped[int] = mapped_column(BigInteger, default=0)  # what this one impression costs
    developer_share: Mapped[int] = mapped_column(BigInteger, default=0)
    platform_share: Mapped[int] = mapped_column(BigInteger, default=0)
    min_watch_ms: Mapped[int] = mapped_column(Integer, default=0)
    # decided -> shown -> completed | closed; decided -> refused (budget, cap or expiry at show time)
    status: Mapped[str] = mapped_column(String(16), default="decided")
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    shown_at: Mapped[datetime | None] = mapped_column(default=None)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    clicked_at: Mapped[datetime | None] = mapped_column(default=None)
    watched_ms: Mapped[int | None] = mapped_column(Integer, default=None)
    visible: Mapped[bool | None] = mapped_column(default=None)
    rewarded: Mapped[bool] = mapped_column(default=False)
    billed_day: Mapped[date | None] = mapped_column(Date, default=None)
    # The show token (its nonce) that billed this impression: the host's ad player got it when the
    # creative was on screen (ads/show_tokens.py); a second use of it bills nothing.
    show_token: Mapped[str | None] = mapped_column(String(32), default=None)


class InvalidTraffic(Base):
    """Impressions refused, and why, per campaign, app and UTC day: what an advertiser was not
    charged for (no show token, a forged or expired one, a reused one, a person or address over
    its cap). Counts, not rows: a flood of refusals must not become a flood of rows."""

    __tablename__ = "ad_invalid_traffic"

    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    reason: Mapped[str] = mapped_column(String(24), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)


class RewardGrant(Base):
    """A reward earned by watching a rewarded ad; its id is the ``transaction_id`` the developer sees."""

    __tablename__ = "reward_grants"
    __table_args__ = (Index("ix_reward_grants_app_created", "app_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    ad_id: Mapped[str] = mapped_column(ForeignKey("impressions.id", ondelete="CASCADE"), unique=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"))
    unit_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reward_type: Mapped[str] = mapped_column(String(32))
    reward_amount: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    verified_at: Mapped[datetime | None] = mapped_column(default=None)  # the developer's backend answered 2xx


class RewardAttempt(Base):
    """One call of a unit's verification URL for a reward, shown to the developer."""

    __tablename__ = "reward_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    transaction_id: Mapped[str] = mapped_column(String(32), index=True)
    url: Mapped[str] = mapped_column(String(500))
    kid: Mapped[str] = mapped_column(String(32))
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # Which try this was (1 is the first), and when the next one is due: None once delivered or given up.
    attempt: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)


class SigningKey(Base):
    """An ECDSA P-256 key the platform signs reward callbacks with; the newest unretired one signs."""

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(32), primary_key=True)
    private_key_pem: Mapped[str] = mapped_column(Text)
    public_key_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(default=None)
