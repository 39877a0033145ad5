"""API shapes of the ad server. Every amount of money is an integer of micros of USD."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from openminis.ads.auction import AdFormat
from openminis.ads.media import MediaKind
from openminis.inputs import Input

PRINTABLE = r"^[^\x00-\x1f\x7f]+$"
# Ids are checked by shape before any query: PostgreSQL refuses a NUL byte in a text parameter.
ID = r"^[A-Za-z0-9_-]+$"
MAX_MICROS = 10**15
MAX_CPM = 100_000 * 1_000_000


class Strict(Input):
    """What a developer, the operator or the host sends: no field it does not know, each of its own
    JSON type: an amount is a number, not "1000000", 1000000.0 or true (a probe deposited true as a
    micro and bid in strings)."""

    model_config = ConfigDict(strict=True)


# Open API: inventory, rewards, reports, keys ----------------------------------------------------


class Reward(Strict):
    type: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$", examples=["coins_ingame"])
    amount: int = Field(ge=1, le=1_000_000_000)


class AdUnitIn(Strict):
    id: str | None = Field(
        default=None,
        pattern=r"^au_[a-z0-9_]{3,28}$",
        description="optional stable id to ship in the package; made up if absent",
    )
    name: str = Field(min_length=1, max_length=60, pattern=PRINTABLE)
    kind: AdFormat
    reward: Reward | None = Field(default=None, description="rewarded units only: what watching earns")
    verify_url: str | None = Field(
        default=None,
        max_length=500,
        description=(
            "called, signed, for every reward earned: https to a public address "
            "(loopback and http only where the platform allows them, in development)"
        ),
    )
    floor_cpm: int = Field(
        default=0, ge=0, le=MAX_CPM, description="the lowest price per thousand impressions, micros of USD"
    )
    min_watch_seconds: int | None = Field(
        default=None, ge=1, le=300, description="rewarded only; default 15 (or the whole ad if shorter)"
    )
    min_interval_seconds: int | None = Field(
        default=None, ge=0, le=86_400, description="interstitial only: per person in this app; default 60"
    )
    active: bool = True


class AdUnitOut(BaseModel):
    id: str
    app_id: str
    name: str
    kind: str
    reward: Reward | None
    verify_url: str | None
    floor_cpm: int
    min_watch_seconds: int | None
    min_interval_seconds: int | None
    active: bool
    created_at: datetime
    updated_at: datetime


class AdUnitList(BaseModel):
    items: list[AdUnitOut]


class ConsoleAdUnitList(AdUnitList):
    """The developer console's list: the units, and the app's share of their revenue (the operator's)."""

    developer_share_bps: int = Field(description="the developer's share of ad revenue, basis points")


class ReportLineOut(BaseModel):
    unit_id: str
    day: date
    requests: int
    fills: int
    fill_rate: float
    impressions: int
    completions: int
    clicks: int
    revenue: int = Field(description="the developer's share, micros of USD")
    ecpm: int = Field(description="revenue per thousand impressions, micros of USD")


class ReportOut(BaseModel):
    currency: Literal["USD_MICROS"] = "USD_MICROS"
    start: date
    end: date
    lines: list[ReportLineOut]


class RewardGrantOut(BaseModel):
    transaction_id: str
    ad_id: str
    unit_id: str
    openid: str
    reward: Reward
    created_at: datetime
    verified_at: datetime | None = Field(description="when the verification URL answered 2xx")


class RewardGrantPage(BaseModel):
    items: list[RewardGrantOut]
    next_cursor: str | None


class RewardAttemptOut(BaseModel):
    transaction_id: str
    url: str
    kid: str
    status_code: int | None
    error: str | None
    duration_ms: int
    at: datetime
    attempt: int
    next_attempt_at: datetime | None


class RewardAttemptList(BaseModel):
    items: list[RewardAttemptOut]


class RewardKeyOut(BaseModel):
    kid: str
    alg: Literal["ES256"] = "ES256"
    public_key_pem: str
    created_at: datetime


class RewardKeysOut(BaseModel):
    keys: list[RewardKeyOut]


# Host: the serving flow -------------------------------------------------------------------------


class AdRequestIn(Strict):
    app_id: str = Field(max_length=40, pattern=ID)
    unit_id: str = Field(max_length=32, pattern=ID)
    launch_id: str | None = Field(default=None, max_length=32)
    market: str | None = Field(
        default=None, max_length=2, description="the person's country; by default from Accept-Language"
    )


class CreativeOut(BaseModel):
    kind: MediaKind
    url: str
    duration_ms: int
    width: int
    height: int
    click_url: str
    title: str
    advertiser: str


class DecisionOut(BaseModel):
    ad_id: str
    format: AdFormat
    creative: CreativeOut
    min_watch_ms: int
    reward: Reward | None = None


class ImpressionOut(BaseModel):
    ad_id: str
    status: str


class CompleteIn(Strict):
    watched_ms: int = Field(ge=0, le=86_400_000)
    visible: bool


class CompletionOut(BaseModel):
    rewarded: bool
    transaction_id: str | None = None
    reward: Reward | None = None
    reason: str | None = Field(default=None, description="why there is no reward")


class CloseIn(Strict):
    watched_ms: int = Field(default=0, ge=0, le=86_400_000)


class ClickOut(BaseModel):
    click_url: str


# Admin: demand ----------------------------------------------------------------------------------


class AdvertiserIn(Strict):
    name: str = Field(min_length=1, max_length=80)


class AdvertiserOut(BaseModel):
    id: str
    name: str
    funds: int = Field(description="left to spend, micros of USD")
    created_at: datetime


class AdvertiserList(BaseModel):
    items: list[AdvertiserOut]


class DepositIn(Strict):
    amount: int = Field(ge=1, le=MAX_MICROS, description="micros of USD")
    idempotency_key: str = Field(min_length=1, max_length=128)


class FrequencyCap(Strict):
    count: int = Field(ge=1, le=1000)
    period_seconds: int = Field(ge=60, le=30 * 86_400)


class CampaignFields(Strict):
    name: str = Field(min_length=1, max_length=80)
    status: Literal["active", "paused"] = "active"
    bid_cpm: int = Field(
        default=0, ge=0, le=MAX_CPM, description="micros of USD per thousand impressions; a $5.00 CPM is 5000000"
    )
    total_budget: int | None = Field(default=None, ge=1, le=MAX_MICROS)
    daily_budget: int | None = Field(default=None, ge=1, le=MAX_MICROS)
    categories: list[str] = Field(default_factory=list, max_length=250)
    markets: list[str] = Field(default_factory=list, max_length=250)
    frequency_cap: FrequencyCap | None = None


class CampaignIn(CampaignFields):
    advertiser_id: str = Field(max_length=32, pattern=ID)
    house: bool = False


class CampaignOut(BaseModel):
    id: str
    advertiser_id: str
    name: str
    status: str
    house: bool
    bid_cpm: int
    total_budget: int | None
    daily_budget: int | None
    spent: int
    spent_today: int
    categories: list[str]
    markets: list[str]
    frequency_cap: FrequencyCap | None
    created_at: datetime
    updated_at: datetime


class CampaignList(BaseModel):
    items: list[CampaignOut]


class MediaOut(BaseModel):
    file: str
    url: str
    kind: MediaKind
    content_type: str
    size_bytes: int


class CreativeIn(Strict):
    file: str = Field(max_length=80, description="the name POST /api/admin/ads/media returned")
    click_url: str = Field(max_length=1000)
    title: str = Field(min_length=1, max_length=80)
    width: int = Field(ge=1, le=10_000)
    height: int = Field(ge=1, le=10_000)
    duration_ms: int | None = Field(
        default=None, ge=1_000, le=600_000, description="required for videos; images default to 5000"
    )


class CreativeAdminOut(BaseModel):
    id: str
    campaign_id: str
    kind: str
    file: str
    url: str
    content_type: str
    size_bytes: int
    duration_ms: int
    width: int
    height: int
    click_url: str
    title: str
    active: bool


class CreativeList(BaseModel):
    items: list[CreativeAdminOut]


class CreativeStateIn(Strict):
    active: bool


class ShareIn(Strict):
    developer_share_bps: int = Field(ge=0, le=10_000, description="the app's part of its ad revenue: 7000 = 70 %")


class ShareOut(BaseModel):
    app_id: str
    developer_share_bps: int


# Counted traffic: show tokens and the invalid-traffic report -------------------------------------


class ShowOut(BaseModel):
    show_token: str = Field(description="give it to the impression: only an impression with it is billed, once")
    expires_in: int = Field(description="seconds the token stays good")


class ImpressionIn(Strict):
    show_token: str | None = Field(default=None, max_length=100)


class InvalidTrafficLineOut(BaseModel):
    campaign_id: str
    app_id: str
    day: date
    reason: str
    count: int


class InvalidTrafficOut(BaseModel):
    """Impressions reported to the platform and refused, so never charged: without the show token
    of the host's ad player (``no_token``), with a forged one or one for another ad or person
    (``bad_token``), an expired one (``expired_token``), a used one (``reused_token``), from a person
    or an address over its cap of billed impressions (``person_cap``, ``ip_cap``)."""

    start: date
    end: date
    billed: int = Field(description="impressions billed in the same days and campaigns")
    refused: dict[str, int] = Field(description="refused impressions by reason")
    lines: list[InvalidTrafficLineOut]
