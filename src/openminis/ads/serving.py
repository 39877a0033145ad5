"""Serving an ad, step by step, as the host reports them: request, impression, complete, click, close.

The host asks on the app's behalf (``minis.showRewardedAd()``), draws the ad above the app and
reports what the person saw. Nothing the client says is enough on its own: the impression is
billed once per ad, and a reward needs the server's own clock to agree that the ad ran long enough.
"""

from __future__ import annotations

import random
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import CursorResult, Table, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from openminis.ads import auction, billing, invalid_traffic, inventory, rewards, show_tokens
from openminis.ads import campaigns as demand
from openminis.ads.auction import AdFormat, LiveCampaign, LiveCreative, LiveIndex
from openminis.ads.events import AdEvents
from openminis.ads.media import StoredCreatives
from openminis.ads.models import AdUnit, Campaign, Creative, Impression, RewardGrant
from openminis.ads.money import APP_AD_EARNINGS, REWARD_WINDOW, USD_MICROS
from openminis.attribution import service as attribution
from openminis.catalog import service as catalog
from openminis.db import utcnow
from openminis.errors import Conflict, Forbidden, InvalidArgument, NotFound, TooMany
from openminis.payments import settings_service as payment_settings
from openminis.ratelimit import Rate
from openminis.unit_of_work import after_commit
from openminis.wallet import service as ledger
from openminis.wallet.service import InsufficientFunds, Leg

if TYPE_CHECKING:
    from openminis.platform import Platform  # the composition root, above this domain: named, not imported
    from openminis.ratelimit import RateLimiter

# How long an interstitial runs before the host shows its close button.
INTERSTITIAL_CLOSE_MS = 5_000
LAUNCH_ID = re.compile(r"^[0-9a-f]{32}\Z")
MARKET = re.compile(r"^[A-Z]{2}\Z")
# (Declarative types a model's __table__ as any FromClause; a model with a __tablename__ has a Table.)
DECIDE = cast(Table, Impression.__table__).insert()


class NoFill(NotFound):
    code = "NO_FILL"


class FrequencyCapped(Conflict):
    code = "FREQUENCY_CAPPED"


class IntervalNotElapsed(Conflict):
    code = "INTERVAL_NOT_ELAPSED"


class NotShown(Conflict):
    code = "AD_NOT_SHOWN"


class ImpressionsCapped(TooMany):
    """This person, or this address, was shown as many billed ads as the platform allows for now."""

    code = "FREQUENCY_CAPPED"

    def __init__(self, message: str, *, retry_after: float, reason: str = ""):
        super().__init__(message)
        self.retry_after = retry_after
        self.reason = reason  # which cap, for the invalid-traffic report


class ShowTokenRefused(Forbidden):
    """The impression came without a good show token: nothing billed (the ad may still be shown
    with a token from the host's ad player)."""

    code = "SHOW_TOKEN_INVALID"


# What start_impression raises after recording the refusal in the caller's unit of work (the
# invalid traffic it counts, the impression it refuses): the caller keeps that work, committing
# it, and answers the error (ads/api.py).
REFUSALS = (ShowTokenRefused, NoFill, ImpressionsCapped, FrequencyCapped, IntervalNotElapsed)


@dataclass(frozen=True)
class LiveUnit:
    id: str
    app_id: str
    category: str
    kind: AdFormat
    active: bool
    floor_cpm: int
    min_watch_ms: int
    min_interval_seconds: int
    reward_type: str | None
    reward_amount: int | None


class AdServer:
    """What serving keeps between requests: the live-campaign index, units, the event buffer, the clock.

    ``clock`` is injectable: tests move time instead of sleeping.
    """

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.settings = platform.settings
        self.clock: Callable[[], datetime] = utcnow
        self.media = StoredCreatives(platform.storage)
        self.events = AdEvents(lambda: platform.events)
        self.conversions = platform.conversions
        self._index: LiveIndex | None = None
        self._units: dict[str, LiveUnit] = {}
        self._rebuilding = threading.Lock()

    @property
    def limiter(self) -> RateLimiter:
        return self.platform.limiter

    def live(self, session: Session) -> LiveIndex:
        """The index of live campaigns, rebuilt after a change here or when older than the refresh
        period (changes made by other processes). One request rebuilds, reading through its own
        session (on SQLite a second one would wait for the write lock the first holds); the
        others meanwhile auction over the previous snapshot."""
        index = self._index
        if index is not None and not self._stale(index):
            return index
        if index is not None and not self._rebuilding.acquire(blocking=False):
            return index
        if index is None:
            self._rebuilding.acquire()
        try:
            if self._index is None or self._stale(self._index):
                generation, today = (
                    auction.generation(),
                    self.clock().date(),
                )  # read first: a change during the load is not missed
                campaigns = billing.payable(session, demand.live_campaigns(session, today))
                self._units = {}
                self._index = LiveIndex(campaigns, generation, time.monotonic(), today)
            return self._index
        finally:
            self._rebuilding.release()

    def _stale(self, index: LiveIndex) -> bool:
        return (
            index.generation != auction.generation()
            or time.monotonic() - index.built_at > self.settings.ads_index_refresh_seconds
            or index.day != self.clock().date()  # a new day: new daily budgets
        )

    def unit(self, session: Session, unit_id: str) -> LiveUnit | None:
        found = self._units.get(unit_id)
        if found is None:
            unit = session.get(AdUnit, unit_id) if len(unit_id) <= 32 else None
            if unit is None:
                return None
            found = LiveUnit(
                id=unit.id,
                app_id=unit.app_id,
                category=catalog.get_app(session, unit.app_id).category,
                kind=cast(AdFormat, unit.kind),  # inventory._apply lets only these in
                active=unit.active,
                floor_cpm=unit.floor_cpm,
                min_watch_ms=(unit.min_watch_seconds or 0) * 1000,
                min_interval_seconds=unit.min_interval_seconds or 0,
                reward_type=unit.reward_type,
                reward_amount=unit.reward_amount,
            )
            self._units[unit_id] = found
        return found

    def media_url(self, file: str) -> str:
        """Where the host's ad player loads a creative: ads_media_url when set, else the CDN in front
        of the bucket, else the host's /media/ads/ (which redirects to the bucket when it is remote)."""
        if self.settings.ads_media_url:
            return f"{self.settings.ads_media_url}/{file}"
        if self.settings.media_base_url:
            linked = self.media.browser_url(file)
            if linked is not None:
                return linked
        return f"{self.settings.host_origin}/media/ads/{file}"


def frequency_key(campaign_id: str, user_id: str) -> str:
    return f"ads:freq:{campaign_id}:{user_id}"


def interval_key(app_id: str, user_id: str) -> str:
    return f"ads:interval:{app_id}:{user_id}"


def billed_by_person_key(user_id: str) -> str:
    return f"ads:billed:person:{user_id}"


def billed_by_ip_key(ip: str) -> str:
    return f"ads:billed:ip:{ip}"


def _caps(server: AdServer, user_id: str, ip: str | None) -> list[tuple[str, str, Rate]]:
    """(reason, limiter key, rate) of the caps on billed impressions that apply to this request."""
    settings = server.settings
    caps = [
        (invalid_traffic.PERSON_CAP, billed_by_person_key(user_id), Rate.parse(settings.rate_ad_impressions_per_person))
    ]
    if ip is not None:
        caps.append((invalid_traffic.IP_CAP, billed_by_ip_key(ip), Rate.parse(settings.rate_ad_impressions_per_ip)))
    return caps


@dataclass(frozen=True)
class Decision:
    ad_id: str
    format: AdFormat
    min_watch_ms: int
    creative: LiveCreative
    advertiser: str
    reward: tuple[str, int] | None


def request_ad(
    session: Session,
    server: AdServer,
    *,
    user_id: str,
    app_id: str,
    unit_id: str,
    launch_id: str | None = None,
    market: str | None = None,
    ip: str | None = None,
) -> Decision:
    """Run the auction for one of the app's units and keep the decision (not yet billed). A person
    or address already at its cap of billed impressions gets no decision (FREQUENCY_CAPPED, 429)."""
    if launch_id is not None and not LAUNCH_ID.match(launch_id):
        raise InvalidArgument("launch_id must be 32 lowercase hex characters", field="launch_id")
    if market is not None and not MARKET.match(market):
        raise InvalidArgument("market is a two-letter country code like 'US'", field="market")
    index = server.live(session)
    unit = server.unit(session, unit_id)
    if unit is None or unit.app_id != app_id:
        raise InvalidArgument(f"app {app_id!r} has no ad unit {unit_id!r}", field="unit_id")
    _earning(session, app_id)
    limiter = server.limiter
    for _reason, key, rate in _caps(server, user_id, ip):
        capped = limiter.peek(key, rate)
        if not capped.allowed:
            raise ImpressionsCapped(
                f"no more ads for now; retry after {capped.retry_after:.0f} s", retry_after=capped.retry_after
            )
    if unit.kind == "interstitial" and unit.min_interval_seconds:
        wait = limiter.peek(interval_key(app_id, user_id), Rate(1, float(unit.min_interval_seconds)))
        if not wait.allowed:
            raise IntervalNotElapsed(
                f"this app showed an interstitial less than {unit.min_interval_seconds} s ago; "
                f"retry after {wait.retry_after:.0f} s"
            )
    now = server.clock()
    server.events.record("ad_request", app_id=app_id, user_id=user_id, unit_id=unit.id, launch_id=launch_id, at=now)
    if not unit.active:
        raise NoFill("this ad unit is paused")

    def allowed(campaign: LiveCampaign) -> bool:
        return (
            campaign.frequency is None or limiter.peek(frequency_key(campaign.id, user_id), campaign.frequency).allowed
        )

    outcome = index.auction(unit.kind, unit.category, market, unit.floor_cpm, allowed)
    if outcome.campaign is None:
        if outcome.capped:
            raise FrequencyCapped(
                "every ad that could fill this request was already shown to this person as often as its campaign allows"
            )
        raise NoFill("no ad is available for this request")
    campaign = outcome.campaign
    creative = random.choice(campaign.creatives(unit.kind))
    rewarded = unit.kind == "rewarded"
    # A creative shorter than the unit's minimum counts when watched to its end.
    min_watch_ms = min(unit.min_watch_ms if rewarded else INTERSTITIAL_CLOSE_MS, creative.duration_ms)
    ad_id = "ad_" + secrets.token_hex(12)
    # The table's own INSERT, compiled once: this is the hot path, and nothing reads the row back.
    session.execute(
        DECIDE,
        {
            "id": ad_id,
            "app_id": app_id,
            "unit_id": unit.id,
            "campaign_id": campaign.id,
            "creative_id": creative.id,
            "user_id": user_id,
            "launch_id": launch_id,
            "format": unit.kind,
            "house": campaign.house,
            "price_cpm": outcome.price_cpm,
            "price": outcome.price,
            "developer_share": 0,
            "platform_share": 0,
            "min_watch_ms": min_watch_ms,
            "status": "decided",
            "decided_at": now,
            "rewarded": False,
        },
    )
    after_commit(
        session,
        partial(
            server.events.record,
            "ad_fill",
            app_id=app_id,
            user_id=user_id,
            unit_id=unit.id,
            ad_id=ad_id,
            campaign_id=campaign.id,
            launch_id=launch_id,
            at=now,
        ),
    )
    # A rewarded unit has both its reward's type and amount (inventory._apply).
    reward = (
        (unit.reward_type, unit.reward_amount)
        if rewarded and unit.reward_type is not None and unit.reward_amount is not None
        else None
    )
    return Decision(ad_id, unit.kind, min_watch_ms, creative, campaign.advertiser, reward)


def _earning(session: Session, app_id: str) -> None:
    """An app a moderator took down earns nothing from ads from the takedown on: no decision, no
    billing. NO_FILL, the answer an app's code already handles (its game goes on without the ad).
    Read each time, not kept with the cached unit: a takedown stops every process at once. An ad
    billed before the takedown is completed and rewarded as any other (the person watched it)."""
    if catalog.is_taken_down(session, app_id):
        raise NoFill("this app is unavailable: the platform has taken it down")


def _own(session: Session, ad_id: str, user_id: str, *, lock: bool = False) -> Impression:
    """The person's impression; with ``lock``, its row held until the unit of work ends."""
    impression = (
        session.get(Impression, ad_id, with_for_update=lock, populate_existing=lock) if len(ad_id) <= 32 else None
    )
    if impression is None or impression.user_id != user_id:
        raise NotFound(f"no ad {ad_id!r} was served to this person", field="ad_id")
    return impression


def _refuse(session: Session, impression: Impression, now: datetime) -> None:
    session.execute(
        update(Impression)
        .where(Impression.id == impression.id, Impression.status == "decided")
        .values(status="refused", ended_at=now)
    )


def show(session: Session, server: AdServer, *, user_id: str, ad_id: str) -> str:
    """The host's ad player has the ad's creative on screen: a show token, which the impression
    needs to be billed (ads/show_tokens.py). Writes nothing."""
    impression = _own(session, ad_id, user_id)
    if impression.status != "decided":
        if impression.shown_at is None:
            raise NoFill("this ad can no longer be shown")
        raise NotShown("this ad's impression was already reported")
    return show_tokens.issue(server.platform.secret, ad_id=impression.id, user_id=user_id, now=server.clock())


def _invalid(session: Session, impression: Impression, reason: str, now: datetime) -> None:
    """Count a refused impression for the advertiser's invalid-traffic report."""
    invalid_traffic.record(session, impression, reason, now.date())


def _count(
    session: Session, server: AdServer, impression: Impression, campaign: Campaign, *, user_id: str, ip: str | None
) -> None:
    """Count this impression, billed in the caller's savepoint, toward every cap it is under; raise
    the refusal of the first cap it would exceed (the caller rolls the billing back). Only billed
    impressions count: an impression refused for its budget or funds never gets here. The caps a
    refusal may leave counted are the narrower ones: the campaign's and the app's for this person
    before the person's, the person's before their address's, which people behind one address share."""
    limiter = server.limiter
    if (
        campaign.frequency_count
        and campaign.frequency_seconds is not None  # a cap has both (campaigns._apply)
        and not limiter.hit(
            frequency_key(campaign.id, user_id), Rate(campaign.frequency_count, float(campaign.frequency_seconds))
        ).allowed
    ):
        raise FrequencyCapped("this person already saw this campaign as often as it allows")
    unit = server.unit(session, impression.unit_id)
    if (
        impression.format == "interstitial"
        and unit
        and unit.min_interval_seconds
        and not limiter.hit(interval_key(impression.app_id, user_id), Rate(1, float(unit.min_interval_seconds))).allowed
    ):
        raise IntervalNotElapsed(f"this app showed an interstitial less than {unit.min_interval_seconds} s ago")
    for reason, key, rate in _caps(server, user_id, ip):
        capped = limiter.hit(key, rate)
        if not capped.allowed:
            raise ImpressionsCapped(
                f"no more ads for now; retry after {capped.retry_after:.0f} s",
                retry_after=capped.retry_after,
                reason=reason,
            )


def start_impression(
    session: Session,
    server: AdServer,
    *,
    user_id: str,
    ad_id: str,
    show_token: str | None = None,
    ip: str | None = None,
) -> Impression:
    """The host started showing the ad: bill it, once, if the host's ad player showed it (its show
    token) and neither the person nor their address is over its cap of billed impressions. If the
    budget (or the advertiser's funds) ran out since the decision, nothing is billed and the answer
    is NO_FILL: the host closes it. Only a billed impression counts toward the caps (``_count``).
    Every refusal is counted in the invalid-traffic report: one of REFUSALS is raised after the
    refusal was recorded, for the caller to commit."""
    # Its row first, on PostgreSQL (SQLite's writers take turns already): replays of one impression
    # at once wait for the first, then find it shown. The claim, the budgets and the caps come
    # after, in that order.
    impression = _own(session, ad_id, user_id, lock=True)
    now = server.clock()
    token = show_tokens.check(
        server.platform.secret,
        show_token,
        ad_id=impression.id,
        user_id=user_id,
        now=now,
        ttl=timedelta(seconds=server.settings.ads_show_token_ttl_seconds),
    )
    if isinstance(token, str):
        if impression.status in ("decided", "shown"):
            _invalid(session, impression, token, now)
        raise ShowTokenRefused(f"the impression needs the show token the host's ad player got for this ad ({token})")
    if impression.status != "decided":
        if impression.shown_at is None:
            raise NoFill("this ad can no longer be shown")
        # Shown before: a retry (or a replay) bills nothing more.
        _invalid(session, impression, show_tokens.REUSED_TOKEN, now)
        return impression
    if now - impression.decided_at > timedelta(seconds=server.settings.ads_decision_ttl_seconds):
        _refuse(session, impression, now)
        raise NoFill("this ad was decided too long ago; request another")
    try:
        _earning(session, impression.app_id)
    except NoFill:
        _refuse(session, impression, now)
        raise
    campaign = session.get_one(Campaign, impression.campaign_id)
    # Over a cap already: refused before touching the budgets (a person or an address over its cap
    # must not queue on the campaign's row). Counting comes after billing, below.
    for reason, key, rate in _caps(server, user_id, ip):
        capped = server.limiter.peek(key, rate)
        if not capped.allowed:
            _refuse(session, impression, now)
            _invalid(session, impression, reason, now)
            raise ImpressionsCapped(
                f"no more ads for now; retry after {capped.retry_after:.0f} s", retry_after=capped.retry_after
            )
    share = inventory.developer_share_bps(session, impression.app_id, server.settings.ads_developer_share_bps)
    try:
        # A savepoint: when the budget or the funds ran out, or a cap refuses, the claim and
        # whatever was spent go back, and the refusal below is what the unit of work keeps.
        with session.begin_nested():
            developer, platform = billing.claim(
                session, impression, now=now, developer_share_bps=share, show_token=token.nonce
            )
            billing.bill(
                session,
                impression,
                campaign,
                day=now.date(),
                developer=developer,
                platform=platform,
                advertiser_id=campaign.advertiser_id,
            )
            _count(session, server, impression, campaign, user_id=user_id, ip=ip)
    except billing.NotDecided:
        session.refresh(impression)
        if impression.shown_at is None:
            raise NoFill("this ad can no longer be shown") from None
        return impression
    except billing.BudgetExhausted:
        server.live(session).exhausted(campaign.id)
        _refuse(session, impression, now)
        raise NoFill("the ad's budget ran out; close it") from None
    except InsufficientFunds:
        server.live(session).short_of_funds(campaign.advertiser_id, impression.price)
        _refuse(session, impression, now)
        raise NoFill("the advertiser's funds ran out; close it") from None
    except ImpressionsCapped as capped:
        _refuse(session, impression, now)
        _invalid(session, impression, capped.reason, now)
        raise
    except (FrequencyCapped, IntervalNotElapsed):
        _refuse(session, impression, now)
        raise
    for name, value in (
        ("status", "shown"),
        ("shown_at", now),
        ("billed_day", now.date()),
        ("developer_share", developer),
        ("platform_share", platform),
        ("show_token", token.nonce),
    ):
        set_committed_value(impression, name, value)
    after_commit(
        session,
        partial(
            server.events.record,
            "ad_impression",
            app_id=impression.app_id,
            user_id=user_id,
            unit_id=impression.unit_id,
            ad_id=impression.id,
            campaign_id=campaign.id,
            launch_id=impression.launch_id,
            at=now,
        ),
    )
    return impression


@dataclass(frozen=True)
class Completion:
    rewarded: bool
    grant: RewardGrant | None = None
    reason: str | None = None  # why there is no reward


def _unwatched(impression: Impression, now: datetime, *, watched_ms: int, visible: bool, grace_ms: int) -> str | None:
    """Why the server does not judge this ad watched, or None if it does: on screen, for its
    minimum watch by the host's word and by the server's own clock, within the hour."""
    if not visible:
        return "not_visible"
    if watched_ms < impression.min_watch_ms:
        return "watched_too_little"
    # The host's word is not enough: the server's own clock must agree, up to a network's delay.
    shown_at = cast(datetime, impression.shown_at)  # complete() asks only about a shown ad
    if now - shown_at < timedelta(milliseconds=impression.min_watch_ms - grace_ms):
        return "too_soon"
    if now - shown_at > REWARD_WINDOW:
        return "too_late"
    return None


def complete(
    session: Session, server: AdServer, *, user_id: str, ad_id: str, watched_ms: int, visible: bool
) -> Completion:
    """The ad ran to its end (or to the minimum watch). Decided once: a retried report returns the
    first answer, so a reward is granted exactly once."""
    impression = _own(session, ad_id, user_id)
    if impression.shown_at is None:
        raise NotShown("this ad was not shown: report its impression first")
    if impression.status != "shown":
        return _completed(session, impression)
    now = server.clock()
    unwatched = _unwatched(
        impression, now, watched_ms=watched_ms, visible=visible, grace_ms=server.settings.ads_clock_grace_ms
    )
    reason = "not_rewarded" if impression.format != "rewarded" else unwatched
    # An UPDATE's result is a CursorResult (its rowcount); Session.execute is typed as returning Result.
    claimed = cast(
        "CursorResult[Any]",
        session.execute(
            update(Impression)
            .where(Impression.id == impression.id, Impression.status == "shown")
            .values(status="completed", ended_at=now, watched_ms=watched_ms, visible=visible, rewarded=reason is None)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    if claimed != 1:
        # Another report of this ad completed it first (this UPDATE changed nothing): its answer.
        session.refresh(impression)
        return _completed(session, impression)
    grant = None
    if reason is None:
        grant = rewards.grant_reward(session, impression, session.get_one(AdUnit, impression.unit_id))
        touch = _pay_creator(session, impression, now, window=server.settings.attribution_window)
        after_commit(
            session,
            partial(
                attribution.report,
                server.conversions,
                "rewarded",
                app_id=impression.app_id,
                user_id=user_id,
                touch=touch,
                revenue=impression.developer_share,
                currency=USD_MICROS,
            ),
        )
    if unwatched is not None:
        # Reported complete, judged not watched: no completion in the report (the verdict is the
        # impression's row).
        return Completion(rewarded=False, reason=reason)
    after_commit(
        session,
        partial(
            server.events.record,
            "ad_complete",
            app_id=impression.app_id,
            user_id=user_id,
            unit_id=impression.unit_id,
            ad_id=impression.id,
            campaign_id=impression.campaign_id,
            launch_id=impression.launch_id,
            duration_ms=watched_ms,
            at=now,
        ),
    )
    return Completion(rewarded=reason is None, grant=grant, reason=reason)


def _pay_creator(
    session: Session, impression: Impression, now: datetime, *, window: timedelta
) -> attribution.Attribution:
    """A completed rewarded ad is a conversion: kept with its attribution, and the creator who
    brought the person gets their commission on the app's share of the ad's price, in a transfer
    of its own (the price itself was moved when the ad was shown)."""
    try:
        touch = attribution.attribute(
            session,
            user_id=impression.user_id,
            app_id=impression.app_id,
            launch_id=impression.launch_id,
            at=now,
            window=window,
        )
    except InvalidArgument:
        # The host names the launch an ad ran in, unchecked when the ad was requested; a wrong one
        # loses the source, not the reward.
        touch = attribution.attribute(
            session, user_id=impression.user_id, app_id=impression.app_id, launch_id=None, at=now, window=window
        )
    bps = payment_settings.creator_commission_bps(session, impression.app_id, now)
    commission = attribution.commission(impression.developer_share, bps, touch)
    ref = f"ad:{impression.id}"
    attribution.record(
        session,
        kind="ad_reward",
        ref=ref,
        app_id=impression.app_id,
        user_id=impression.user_id,
        attribution=touch,
        currency=USD_MICROS,
        revenue=impression.developer_share,
        developer_net=impression.developer_share,
        commission=commission,
        at=now,
    )
    if commission:
        ledger.transfer(
            session,
            key=f"{ref}:commission",
            kind="creator_commission",
            currency=USD_MICROS,
            legs=[
                Leg(ledger.account_id(session, APP_AD_EARNINGS, impression.app_id, USD_MICROS), -commission),
                *attribution.creator_leg(session, touch, commission, USD_MICROS),
            ],
            details={"ad_id": impression.id, "app_id": impression.app_id, "commission": commission},
            # Passed on from the impression's bill, and counted at its time by the payout hold: the
            # app's share of an ad that may still be completed is held with its commission.
            reverses=billing.bill_key(impression.id),
        )
    return touch


def _completed(session: Session, impression: Impression) -> Completion:
    if impression.rewarded:
        grant = session.scalars(select(RewardGrant).where(RewardGrant.ad_id == impression.id)).one()
        return Completion(rewarded=True, grant=grant)
    return Completion(rewarded=False, reason="closed" if impression.status == "closed" else "already_reported")


def click(session: Session, server: AdServer, *, user_id: str, ad_id: str) -> str:
    """The person tapped the ad: count the first tap, and give the host the URL to open."""
    impression = _own(session, ad_id, user_id)
    if impression.shown_at is None:
        raise NotShown("this ad was not shown")
    now = server.clock()
    first = cast(
        "CursorResult[Any]",
        session.execute(
            update(Impression)
            .where(Impression.id == impression.id, Impression.clicked_at.is_(None))
            .values(clicked_at=now)
        ),
    ).rowcount
    url = session.get_one(Creative, impression.creative_id).click_url
    if first:
        after_commit(
            session,
            partial(
                server.events.record,
                "ad_click",
                app_id=impression.app_id,
                user_id=user_id,
                unit_id=impression.unit_id,
                ad_id=impression.id,
                campaign_id=impression.campaign_id,
                launch_id=impression.launch_id,
                at=now,
            ),
        )
    return url


def close(session: Session, server: AdServer, *, user_id: str, ad_id: str, watched_ms: int) -> None:
    """The person closed the ad before it ended: no reward (a later completion changes nothing)."""
    impression = _own(session, ad_id, user_id)
    now = server.clock()
    closed = cast(
        "CursorResult[Any]",
        session.execute(
            update(Impression)
            .where(Impression.id == impression.id, Impression.status.in_(("decided", "shown")))
            .values(status="closed", ended_at=now, watched_ms=watched_ms)
        ),
    ).rowcount
    if closed:
        after_commit(
            session,
            partial(
                server.events.record,
                "ad_close",
                app_id=impression.app_id,
                user_id=user_id,
                unit_id=impression.unit_id,
                ad_id=impression.id,
                campaign_id=impression.campaign_id,
                launch_id=impression.launch_id,
                duration_ms=watched_ms,
                at=now,
            ),
        )
