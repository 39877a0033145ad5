"""Demand: advertisers and their funds, campaigns (bids, budgets, targeting, caps) and creatives.

Every amount is micros of USD (``openminis.ads.money``). An advertiser's funds are a ledger
account filled by deposits; a campaign spends from it one impression at a time (``billing``).
"""

from __future__ import annotations

import re
import secrets
from datetime import date
from typing import Literal, TypedDict, Unpack, cast, overload
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from openminis.ads import auction
from openminis.ads.auction import LiveCampaign, LiveCreative
from openminis.ads.media import CONTENT_TYPES, FILE_NAME, CreativeStore, MediaKind
from openminis.ads.models import Advertiser, Campaign, CampaignDay, Creative
from openminis.ads.money import ADVERTISER_FUNDING, ADVERTISER_FUNDS, MIN_PAID_CPM, USD_MICROS
from openminis.db import utcnow
from openminis.errors import InvalidArgument, NotFound
from openminis.ratelimit import Rate
from openminis.wallet import service as ledger
from openminis.wallet.service import Leg

NAME = re.compile(r"^[^\x00-\x1f\x7f]{1,80}\Z")
CATEGORY = re.compile(r"^[a-z][a-z0-9-]{0,31}\Z")
MARKET = re.compile(r"^[A-Z]{2}\Z")
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_.:-]{1,128}\Z")
MAX_CPM = 100_000 * 1_000_000  # $100,000 per thousand: a typo guard, not a market price
MAX_AMOUNT = 10**15  # a billion dollars, in micros
STATUSES = ("active", "paused")


def _name(value: str, field: str = "name") -> str:
    value = " ".join((value or "").split())
    if not NAME.match(value):
        raise InvalidArgument(f"{field} must be 1 to 80 printable characters", field=field)
    return value


# Advertisers ------------------------------------------------------------------------------------


def create_advertiser(session: Session, *, name: str) -> Advertiser:
    advertiser = Advertiser(id="adv_" + secrets.token_hex(8), name=_name(name), created_at=utcnow())
    session.add(advertiser)
    session.flush()
    return advertiser


def get_advertiser(session: Session, advertiser_id: str) -> Advertiser:
    advertiser = session.get(Advertiser, advertiser_id)
    if advertiser is None:
        raise NotFound(f"no advertiser {advertiser_id!r}", field="advertiser_id")
    return advertiser


def list_advertisers(session: Session) -> list[Advertiser]:
    return list(session.scalars(select(Advertiser).order_by(Advertiser.created_at, Advertiser.id)))


def funds(session: Session, advertiser_id: str) -> int:
    """What the advertiser has left to spend, in micros."""
    return ledger.account(session, ADVERTISER_FUNDS, advertiser_id, USD_MICROS).balance


def deposit(session: Session, advertiser_id: str, *, amount: int, idempotency_key: str) -> int:
    """Credit money the operator received from the advertiser; the same key deposits once.
    Returns the advertiser's funds afterwards."""
    get_advertiser(session, advertiser_id)
    if isinstance(amount, bool) or not isinstance(amount, int) or not 1 <= amount <= MAX_AMOUNT:
        raise InvalidArgument("amount is a whole number of micros of USD, at least 1", field="amount")
    if not IDEMPOTENCY_KEY.match(idempotency_key or ""):
        raise InvalidArgument(
            "idempotency_key must be 1-128 letters, digits, '_', '.', ':' or '-'", field="idempotency_key"
        )
    ledger.transfer(
        session,
        key=f"ads:deposit:{advertiser_id}:{idempotency_key}",
        kind="ad_deposit",
        currency=USD_MICROS,
        legs=[
            Leg(ledger.account_id(session, ADVERTISER_FUNDING, "", USD_MICROS), -amount),
            Leg(ledger.account_id(session, ADVERTISER_FUNDS, advertiser_id, USD_MICROS), amount),
        ],
        details={"advertiser_id": advertiser_id},
    )
    session.flush()
    auction.changes(session)  # the auction leaves out campaigns their advertiser cannot pay for
    return funds(session, advertiser_id)


# Campaigns --------------------------------------------------------------------------------------


class CampaignTerms(TypedDict):
    """What an operator sets on a campaign (``create_campaign``, ``update_campaign``); checked here."""

    name: str
    status: str
    bid_cpm: int
    total_budget: int | None
    daily_budget: int | None
    categories: list[str] | None
    markets: list[str] | None
    frequency_count: int | None
    frequency_seconds: int | None


@overload
def _amount(value: int | None, field: str, *, required: Literal[True]) -> int: ...
@overload
def _amount(value: int | None, field: str, *, required: bool) -> int | None: ...
def _amount(value: int | None, field: str, *, required: bool) -> int | None:
    if value is None:
        if required:
            raise InvalidArgument(f"{field} is required for a paid campaign (micros of USD)", field=field)
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_AMOUNT:
        raise InvalidArgument(f"{field} is a whole number of micros of USD, at least 1", field=field)
    return value


def _targets(values: list[str] | None, pattern: re.Pattern[str], field: str, what: str) -> list[str]:
    values = list(dict.fromkeys(values or []))
    if len(values) > 250 or not all(isinstance(v, str) and pattern.match(v) for v in values):
        raise InvalidArgument(f"{field} is a list of {what}", field=field)
    return values


def _apply(
    campaign: Campaign,
    *,
    name: str,
    status: str,
    bid_cpm: int,
    total_budget: int | None,
    daily_budget: int | None,
    categories: list[str] | None,
    markets: list[str] | None,
    frequency_count: int | None,
    frequency_seconds: int | None,
) -> None:
    if status not in STATUSES:
        raise InvalidArgument("status must be active or paused", field="status")
    if campaign.house:
        if bid_cpm or total_budget is not None or daily_budget is not None:
            raise InvalidArgument("a house campaign has no bid and no budget", field="bid_cpm")
    else:
        if isinstance(bid_cpm, bool) or not isinstance(bid_cpm, int) or not MIN_PAID_CPM <= bid_cpm <= MAX_CPM:
            raise InvalidArgument(
                f"bid_cpm is micros of USD per thousand impressions, from {MIN_PAID_CPM} to {MAX_CPM}", field="bid_cpm"
            )
        total_budget = _amount(total_budget, "total_budget", required=True)
        daily_budget = _amount(daily_budget, "daily_budget", required=False)
        if total_budget < (campaign.spent or 0):
            raise InvalidArgument(
                f"total_budget cannot be below what the campaign already spent ({campaign.spent})", field="total_budget"
            )
    if (frequency_count is None) != (frequency_seconds is None):
        raise InvalidArgument("a frequency cap needs both a count and a period", field="frequency_cap")
    if (
        frequency_count is not None
        and frequency_seconds is not None
        and not (1 <= frequency_count <= 1000 and 60 <= frequency_seconds <= 30 * 86400)
    ):
        raise InvalidArgument("a frequency cap is 1-1000 impressions per 60 s to 30 days", field="frequency_cap")
    campaign.name, campaign.status = _name(name), status
    campaign.bid_cpm = 0 if campaign.house else bid_cpm
    campaign.total_budget, campaign.daily_budget = (None, None) if campaign.house else (total_budget, daily_budget)
    campaign.categories = _targets(categories, CATEGORY, "categories", "app categories (like 'puzzle')")
    campaign.markets = _targets(markets, MARKET, "markets", "two-letter country codes (like 'US')")
    campaign.frequency_count, campaign.frequency_seconds = frequency_count, frequency_seconds
    campaign.updated_at = utcnow()


def create_campaign(
    session: Session, *, advertiser_id: str, house: bool = False, **fields: Unpack[CampaignTerms]
) -> Campaign:
    get_advertiser(session, advertiser_id)
    now = utcnow()
    campaign = Campaign(
        id="cmp_" + secrets.token_hex(8), advertiser_id=advertiser_id, house=bool(house), spent=0, created_at=now
    )
    _apply(campaign, **fields)
    session.add(campaign)
    session.flush()
    auction.changes(session)
    return campaign


def update_campaign(session: Session, campaign_id: str, **fields: Unpack[CampaignTerms]) -> Campaign:
    campaign = get_campaign(session, campaign_id)
    _apply(campaign, **fields)
    session.flush()
    auction.changes(session)
    return campaign


def get_campaign(session: Session, campaign_id: str) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(f"no campaign {campaign_id!r}", field="campaign_id")
    return campaign


def list_campaigns(session: Session, advertiser_id: str | None = None) -> list[Campaign]:
    statement = select(Campaign)
    if advertiser_id:
        statement = statement.where(Campaign.advertiser_id == advertiser_id)
    return list(session.scalars(statement.order_by(Campaign.created_at, Campaign.id)))


def spent_today(session: Session, campaign_id: str, today: date) -> int:
    return (
        session.scalar(
            select(CampaignDay.spent).where(CampaignDay.campaign_id == campaign_id, CampaignDay.day == today)
        )
        or 0
    )


# Creatives --------------------------------------------------------------------------------------


def _click_url(url: str) -> str:
    try:
        parts = urlsplit(url or "")
    except ValueError:
        raise InvalidArgument("click_url is not a URL", field="click_url") from None
    if parts.scheme not in ("https", "http") or not parts.hostname or len(url) > 1000 or any(ord(c) < 33 for c in url):
        raise InvalidArgument("click_url must be an absolute http(s) URL of at most 1000 characters", field="click_url")
    return url


def add_creative(
    session: Session,
    media: CreativeStore,
    campaign_id: str,
    *,
    file: str,
    click_url: str,
    title: str,
    width: int,
    height: int,
    duration_ms: int | None,
) -> Creative:
    """A creative from an uploaded file (``POST /api/admin/ads/media`` gives its name)."""
    get_campaign(session, campaign_id)
    size = media.size(file) if FILE_NAME.match(file or "") else None
    if size is None:
        raise InvalidArgument("file must be the name of an uploaded creative file", field="file")
    extension = file.rsplit(".", 1)[1]
    kind = "video" if extension in ("mp4", "webm") else "image"
    for value, field in ((width, "width"), (height, "height")):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10_000:
            raise InvalidArgument(f"{field} is 1 to 10000 pixels", field=field)
    if kind == "image" and duration_ms is None:
        duration_ms = 5_000  # how long an image interstitial stays up by default
    if isinstance(duration_ms, bool) or not isinstance(duration_ms, int) or not 1_000 <= duration_ms <= 600_000:
        raise InvalidArgument("duration_ms is 1,000 to 600,000 (a video's length must be given)", field="duration_ms")
    creative = Creative(
        id="cr_" + secrets.token_hex(8),
        campaign_id=campaign_id,
        kind=kind,
        file=file,
        content_type=CONTENT_TYPES[extension],
        size_bytes=size,
        duration_ms=duration_ms,
        width=width,
        height=height,
        click_url=_click_url(click_url),
        title=_name(title, "title"),
        active=True,
        created_at=utcnow(),
    )
    session.add(creative)
    session.flush()
    auction.changes(session)
    return creative


def list_creatives(session: Session, campaign_id: str) -> list[Creative]:
    get_campaign(session, campaign_id)
    return list(
        session.scalars(
            select(Creative).where(Creative.campaign_id == campaign_id).order_by(Creative.created_at, Creative.id)
        )
    )


def set_creative_active(session: Session, creative_id: str, active: bool) -> Creative:
    creative = session.get(Creative, creative_id)
    if creative is None:
        raise NotFound(f"no creative {creative_id!r}", field="creative_id")
    creative.active = active
    session.flush()
    auction.changes(session)
    return creative


# The auction's snapshot -------------------------------------------------------------------------


def live_campaigns(session: Session, today: date) -> list[LiveCampaign]:
    """Every active campaign with a creative, with what it may still spend today (four queries)."""
    rows = session.execute(
        select(Campaign, Advertiser.name)
        .join(Advertiser, Advertiser.id == Campaign.advertiser_id)
        .where(Campaign.status == "active")
    ).all()
    creatives: dict[str, list[Creative]] = {}
    for creative in session.scalars(
        select(Creative)
        .join(Campaign, Campaign.id == Creative.campaign_id)
        .where(Creative.active, Campaign.status == "active")
        .order_by(Creative.id)
    ):
        creatives.setdefault(creative.campaign_id, []).append(creative)
    day_spent = dict(
        session.execute(select(CampaignDay.campaign_id, CampaignDay.spent).where(CampaignDay.day == today)).all()
    )
    live: list[LiveCampaign] = []
    for campaign, advertiser in rows:
        mine = creatives.get(campaign.id, [])
        if not mine:
            continue
        remaining: int | None = None
        if not campaign.house:
            # _apply gives every paid campaign a total budget.
            remaining = cast(int, campaign.total_budget) - campaign.spent
            if campaign.daily_budget is not None:
                remaining = min(remaining, campaign.daily_budget - day_spent.get(campaign.id, 0))
        frequency = (
            Rate(campaign.frequency_count, float(campaign.frequency_seconds))
            if campaign.frequency_count and campaign.frequency_seconds is not None  # a cap has both (_apply)
            else None
        )
        live.append(
            LiveCampaign(
                id=campaign.id,
                advertiser=advertiser,
                house=campaign.house,
                bid_cpm=campaign.bid_cpm,
                categories=frozenset(campaign.categories or ()),
                markets=frozenset(campaign.markets or ()),
                frequency=frequency,
                videos=tuple(_live(c) for c in mine if c.kind == "video"),
                images=tuple(_live(c) for c in mine if c.kind == "image"),
                remaining=remaining,
            )
        )
    return live


def _live(creative: Creative) -> LiveCreative:
    return LiveCreative(
        id=creative.id,
        kind=cast(MediaKind, creative.kind),  # add_creative makes only these
        file=creative.file,
        duration_ms=creative.duration_ms,
        width=creative.width,
        height=creative.height,
        click_url=creative.click_url,
        title=creative.title,
    )
