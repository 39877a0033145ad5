"""Who may watch which episode, unlocking it, and the signed URLs its media is fetched with.

An unlock is one row per person per episode (or per series), inserted once: double taps, retries
and a second device all find the row and pay nothing more. Its coins move in the same
transaction, with an idempotency key of its own as a second guard.
"""

from __future__ import annotations

import hashlib
import hmac
import posixpath
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openminis.ads import rewards as ads_rewards
from openminis.attribution import service as attribution
from openminis.catalog import service as catalog
from openminis.db import insert_ignoring_conflicts, take_turns, utcnow
from openminis.drama.catalog import episode as ready_episode
from openminis.drama.catalog import published_series, ready_episodes, selling_series
from openminis.drama.models import DramaPass, Episode, EpisodeUnlock, Series, SeriesUnlock, Subscription, WatchProgress
from openminis.errors import Conflict, Forbidden, InvalidArgument, PaymentRequired
from openminis.identity import service as identity
from openminis.payments import prices
from openminis.payments import terms as money_terms
from openminis.unit_of_work import after_commit
from openminis.wallet import service as ledger
from openminis.wallet.service import COIN, Leg


class EpisodeLocked(PaymentRequired):
    code = "EPISODE_LOCKED"


def _subscribed(session: Session, user_id: str, series: Series) -> bool:
    covering = (DramaPass.series_id == series.id) | (
        (DramaPass.series_id.is_(None)) & (DramaPass.app_id == series.app_id)
    )
    return (
        session.execute(
            select(func.count())
            .select_from(Subscription)
            .join(DramaPass, DramaPass.id == Subscription.pass_id)
            .where(
                Subscription.user_id == user_id,
                covering,
                Subscription.current_period_end > utcnow(),
                Subscription.status.in_(("active", "cancelled")),
            )
        ).scalar_one()
        > 0
    )


def access(session: Session, user_id: str, series: Series, episode: Episode) -> str | None:
    """Why the person may watch the episode (free, coins, ad, series, pass), or None."""
    if episode.number <= series.free_episodes:
        return "free"
    unlock = session.get(EpisodeUnlock, (user_id, episode.id))
    if unlock is not None:
        return unlock.method
    if session.get(SeriesUnlock, (user_id, series.id)) is not None:
        return "series"
    if _subscribed(session, user_id, series):
        return "pass"
    return None


def watchable(session: Session, user_id: str, series_id: str) -> tuple[str, set[int]] | None:
    """The series' app and the numbers of its episodes the person may watch; None for no series."""
    series = session.get(Series, series_id)
    if series is None:
        return None
    episodes = list(session.scalars(select(Episode).where(Episode.series_id == series_id)))
    granted = access_map(session, user_id, series, episodes)
    return series.app_id, {number for number, why in granted.items() if why is not None}


def _granted(session: Session, user_id: str, series: Series, episode: Episode) -> str:
    """``access`` once an unlock found or inserted its row; None only when no row could be inserted
    (the same ad unlocked another episode at the same moment), a fault as before."""
    granted = access(session, user_id, series, episode)
    if granted is None:
        raise RuntimeError(f"episode {episode.id} was unlocked, yet {user_id} may not watch it")
    return granted


def access_map(session: Session, user_id: str, series: Series, episodes: list[Episode]) -> dict[int, str | None]:
    """``access`` for every episode, in three queries instead of three per episode."""
    unlocked = dict(
        session.execute(
            select(EpisodeUnlock.episode_id, EpisodeUnlock.method).where(
                EpisodeUnlock.user_id == user_id, EpisodeUnlock.series_id == series.id
            )
        ).all()
    )
    whole = (
        "series"
        if session.get(SeriesUnlock, (user_id, series.id))
        else ("pass" if _subscribed(session, user_id, series) else None)
    )
    return {e.number: ("free" if e.number <= series.free_episodes else unlocked.get(e.id) or whole) for e in episodes}


def _charge(
    session: Session,
    *,
    key: str,
    user_id: str,
    series: Series,
    price: int,
    what: str,
    touch: attribution.Attribution,
    kind: Literal["unlock", "series"] = "unlock",
) -> None:
    """Coins for an unlock, in one transfer: the app's net (less a creator's commission when a
    creator's post brought the person), the platform's fee, and the conversion kept with it, of
    ``kind`` (an episode's unlock, or the whole series bought). Run in the caller's savepoint, with
    the unlock's row."""
    at = money_terms.paying_at(session)
    settings = money_terms.in_effect(session, series.app_id, at)
    fee = settings.fee(price)
    commission = attribution.commission(price - fee, settings.commission_bps, touch)
    attribution.record(
        session,
        kind=kind,
        ref=key,
        app_id=series.app_id,
        user_id=user_id,
        attribution=touch,
        currency=COIN,
        revenue=price,
        developer_net=price - fee,
        commission=commission,
        at=at,
    )
    ledger.transfer(
        session,
        key=key,
        kind="drama_unlock",
        currency=COIN,
        legs=[
            Leg(ledger.account_id(session, "user_wallet", user_id), -price),
            Leg(ledger.account_id(session, "app_earnings", series.app_id), price - fee - commission, anchor=True),
            Leg(ledger.account_id(session, "platform_revenue"), fee),
            *attribution.creator_leg(session, touch, commission, COIN),
        ],
        details={
            "series_id": series.id,
            "app_id": series.app_id,
            "user_id": user_id,
            "what": what,
            "gross": price,
            "fee": fee,
            "commission": commission,
            "fee_bps": settings.fee_bps,
            "commission_bps": settings.commission_bps,
        },
        nested=False,  # the caller's savepoint holds the unlock's row and this transfer together
    )


def owns_series(session: Session, user_id: str, series_id: str) -> bool:
    """Whether the person bought the whole series (every episode, for good)."""
    return session.get(SeriesUnlock, (user_id, series_id)) is not None


def owns_every_series(session: Session, user_id: str, app_id: str) -> bool:
    """Whether the person bought every published series of the app whole (and it has one)."""
    published = select(Series.id).where(Series.app_id == app_id, Series.status == "published")
    total = session.scalar(select(func.count()).select_from(published.subquery())) or 0
    owned = session.scalar(
        select(func.count())
        .select_from(SeriesUnlock)
        .where(SeriesUnlock.user_id == user_id, SeriesUnlock.series_id.in_(published))
    )
    return total > 0 and owned == total


def one_purchase_at_a_time(session: Session, user_id: str, app_id: str) -> None:
    """A person's coin unlocks, series purchases and passes (subscriptions.subscribe) in one drama
    app take turns, each reading what the person may watch after the one before it committed: at
    once, on PostgreSQL, an unlock read before a series purchase or a pass committed charged for an
    episode they had just given (probes). Keyed by the app, not the series: a pass may cover every
    series of its app. Each path takes this one turn of its kind, before the terms' shared turn
    and the wallet's rows (as every payment does): no two of them wait for each other in a circle."""
    take_turns(session, "drama-purchase", user_id, app_id)


def unlock_with_coins(
    session: Session,
    *,
    user_id: str,
    series_id: str,
    number: int,
    amount: int | None,
    currency: str | None,
    launch_id: str | None = None,
    window: timedelta = attribution.DEFAULT_WINDOW,
    events: attribution.ConversionRecorder | None = None,
) -> str:
    """Unlock one episode for the series' episode price, which must be the ``amount`` (in
    ``currency``) the person confirmed, else PRICE_CHANGED; returns how the person has access now.
    The unlock is a conversion of the launch (``launch_id``) the player was opened in; with
    ``events`` (``platform.conversions``) its analytics event is recorded after the commit."""
    series = selling_series(session, series_id)
    episode = ready_episode(session, series.id, number)
    one_purchase_at_a_time(session, user_id, series.app_id)
    existing = access(session, user_id, series, episode)
    if existing:
        return existing  # nothing is charged, so there is no price to confirm
    # The price read here is the one charged: a change after this read reaches the next unlock.
    prices.confirm(prices.coins(series.episode_price), amount=amount, currency=currency, what=f"episode {number}")
    touch = None
    # One savepoint for the row and its coins: a charge refused (InsufficientFunds) leaves no unlock behind.
    with session.begin_nested():
        if insert_ignoring_conflicts(
            session,
            EpisodeUnlock,
            {
                "user_id": user_id,
                "episode_id": episode.id,
                "series_id": series.id,
                "method": "coins",
                "created_at": utcnow(),
            },
        ):
            touch = attribution.attribute(
                session, user_id=user_id, app_id=series.app_id, launch_id=launch_id, at=utcnow(), window=window
            )
            _charge(
                session,
                key=f"unlock:{user_id}:{episode.id}",
                user_id=user_id,
                series=series,
                price=series.episode_price,
                what=f"episode {number}",
                touch=touch,
            )
    if touch is not None and events is not None:
        _report_after_commit(session, events, series, user_id, touch, series.episode_price)
    return _granted(session, user_id, series, episode)


def unlock_with_ad(
    session: Session,
    *,
    user_id: str,
    series_id: str,
    number: int,
    ad_id: str,
    launch_id: str | None = None,
    window: timedelta = attribution.DEFAULT_WINDOW,
    events: attribution.ConversionRecorder | None = None,
) -> str:
    """Unlock one episode with a rewarded ad the person watched to the end, in the series' own app.
    The ad's id is recorded with the unlock, so the same ad cannot unlock a second episode."""
    series = selling_series(session, series_id)
    if not series.ad_unlock:
        raise Conflict("this series cannot be unlocked with ads", code="AD_UNLOCK_DISABLED")
    episode = ready_episode(session, series.id, number)
    # A person's ad unlocks one at a time: the day's count below and the unlock added after it
    # hold together (at once on PostgreSQL, 30 unlocks with a limit of 3 made 6 to 12).
    take_turns(session, "ad-unlock", user_id)
    existing = access(session, user_id, series, episode)
    if existing:
        return existing
    since = utcnow() - timedelta(days=1)
    today = session.execute(
        select(func.count())
        .select_from(EpisodeUnlock)
        .where(
            EpisodeUnlock.user_id == user_id,
            EpisodeUnlock.series_id == series.id,
            EpisodeUnlock.method == "ad",
            EpisodeUnlock.created_at > since,
        )
    ).scalar_one()
    if today >= series.ad_unlocks_per_day:
        raise Conflict(
            f"at most {series.ad_unlocks_per_day} episodes a day can be unlocked with ads", code="AD_UNLOCK_LIMIT"
        )
    ads_rewards.earned_reward(session, ad_id=ad_id, user_id=user_id, app_id=series.app_id)
    used = session.scalar(select(EpisodeUnlock.episode_id).where(EpisodeUnlock.ad_id == ad_id))
    if used is not None:
        raise Conflict("this ad already unlocked an episode", code="REWARD_USED")
    added = insert_ignoring_conflicts(
        session,
        EpisodeUnlock,
        {
            "user_id": user_id,
            "episode_id": episode.id,
            "series_id": series.id,
            "method": "ad",
            "ad_id": ad_id,
            "created_at": utcnow(),
        },
    )
    if not added:
        # The episode was unlocked just now by another request, or the ad's unique index refused
        # the row: the ad unlocked an episode of another series at that moment.
        granted = access(session, user_id, series, episode)
        if granted is None:
            raise Conflict("this ad already unlocked an episode", code="REWARD_USED")
        return granted
    # The ad's revenue (and the creator's commission on it) is the rewarded ad's conversion; the
    # unlock it paid for is counted with no revenue, so the funnel does not count money twice.
    touch = attribution.attribute(
        session, user_id=user_id, app_id=series.app_id, launch_id=launch_id, at=utcnow(), window=window
    )
    if events is not None:
        _report_after_commit(session, events, series, user_id, touch, 0)
    return _granted(session, user_id, series, episode)


def buy_series(
    session: Session,
    *,
    user_id: str,
    series_id: str,
    amount: int | None,
    currency: str | None,
    launch_id: str | None = None,
    window: timedelta = attribution.DEFAULT_WINDOW,
    events: attribution.ConversionRecorder | None = None,
) -> None:
    """Every episode of the series for its series price, which must be the ``amount`` (in
    ``currency``) the person confirmed, else PRICE_CHANGED. Buying it twice charges once."""
    series = selling_series(session, series_id)
    if series.series_price is None:
        raise Conflict("this series is not sold whole", code="NOT_FOR_SALE")
    one_purchase_at_a_time(session, user_id, series.app_id)
    if owns_series(session, user_id, series.id):
        return  # already bought: nothing is charged, so there is no price to confirm
    prices.confirm(prices.coins(series.series_price), amount=amount, currency=currency, what="the whole series")
    touch = None
    # One savepoint for the row and its coins: a charge refused (InsufficientFunds) leaves no purchase behind.
    with session.begin_nested():
        if insert_ignoring_conflicts(
            session, SeriesUnlock, {"user_id": user_id, "series_id": series.id, "created_at": utcnow()}
        ):
            touch = attribution.attribute(
                session, user_id=user_id, app_id=series.app_id, launch_id=launch_id, at=utcnow(), window=window
            )
            _charge(
                session,
                key=f"series:{user_id}:{series.id}",
                user_id=user_id,
                series=series,
                price=series.series_price,
                what="series",
                touch=touch,
                kind="series",
            )
    if touch is not None and events is not None:
        _report_after_commit(session, events, series, user_id, touch, series.series_price)


def _report_after_commit(
    session: Session,
    events: attribution.ConversionRecorder,
    series: Series,
    user_id: str,
    touch: attribution.Attribution,
    revenue: int,
) -> None:
    """The unlock's conversion event, recorded once the unit of work has committed (never after a rollback)."""
    after_commit(
        session,
        partial(
            attribution.report,
            events,
            "unlock",
            app_id=series.app_id,
            user_id=user_id,
            touch=touch,
            revenue=revenue,
            currency=COIN,
        ),
    )


# Signed media URLs -----------------------------------------------------------------------------

# A free episode's URL is a plain bearer link: anyone may watch it anyway. A paid episode's URL lives
# for minutes and is bound to its viewer, one of two ways:
# - the host's own player: to the sign-in session (its token's hash is part of the signature; the
#   media is on the host's origin, so the player's requests carry the cookie). Copied to another
#   browser it fails at once.
# - a drama app's own player (minis.drama.getPlayback), on the app's origin, which is another site
#   and never sends the host's cookie: a per-viewer token, the person's id signed into the URL, which
#   the media route checks along with the person's access on every request. Copied, it plays only
#   until it expires, minutes later.
FREE_URL_LIFETIME = timedelta(hours=6)
PAID_URL_LIFETIME = timedelta(minutes=5)


class MediaRefused(Forbidden):
    code = "MEDIA_LINK_INVALID"


@dataclass(frozen=True)
class Viewer:
    """Whom a media URL is for: nobody in particular (``key`` empty, a free episode), a session
    (``key`` "session:" and its token's hash) or a person (``person`` set, carried in the URL)."""

    key: str = ""
    person: str | None = None


ANYONE = Viewer()


def session_viewer(session_token: str) -> Viewer:
    return Viewer(key=f"session:{identity.token_hash(session_token)}")


def person_viewer(user_id: str) -> Viewer:
    return Viewer(key=f"person:{user_id}", person=user_id)


def _signature(
    secret: str, episode_id: str, media_key: str, expires: int, viewer: str = "", origin: int | None = None
) -> str:
    """An entry link's signature (``origin`` None: it opens any of the episode's files), or a
    playlist line's (``origin``, the entry link's own expiry: it opens only segments and variant
    playlists). The two messages differ from their first field, so one never passes for the other."""
    if origin is None:
        message = f"drama-media\0{episode_id}\0{media_key}\0{expires}\0{viewer}"
    else:
        message = f"drama-media-segments\0{episode_id}\0{media_key}\0{expires}\0{origin}\0{viewer}"
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()[:40]


def media_query(secret: str, episode: Episode, expires: int, viewer: Viewer = ANYONE, origin: int | None = None) -> str:
    """The query string that opens an episode's media until ``expires``, for ``viewer``; with
    ``origin`` (the entry link's expiry, carried as ``o``) only its segments and variant playlists."""
    carried = f"&o={origin}" if origin is not None else ""
    signature = _signature(secret, episode.id, episode.media_key or "", expires, viewer.key, origin)
    query = f"exp={expires}{carried}&sig={signature}"
    return f"{query}&u={viewer.person}" if viewer.person else query


@dataclass(frozen=True)
class Playback:
    expires_at: int
    urls: dict[str, str]
    subtitles: dict[str, str] = field(default_factory=dict)  # language -> its signed URL
    preview: dict[str, int] | None = None


def playback(
    session: Session,
    secret: str,
    *,
    user_id: str,
    viewer: Viewer,
    series_id: str,
    number: int,
    base_url: str,
    paid_lifetime: timedelta = PAID_URL_LIFETIME,
) -> Playback:
    """Signed, expiring URLs of an episode's media, for a person who may watch it; a paid episode's
    are bound to ``viewer`` (``session_viewer`` or ``person_viewer``) and last ``paid_lifetime``."""
    series = published_series(session, series_id)
    episode = ready_episode(session, series.id, number)
    why = access(session, user_id, series, episode)
    if not why:
        raise EpisodeLocked(f"episode {number} is locked", field="number")
    free = why == "free"
    expires = int(time.time() + (FREE_URL_LIFETIME if free else paid_lifetime).total_seconds())
    query = media_query(secret, episode, expires, ANYONE if free else viewer)
    root = f"{base_url}/media/drama/{episode.id}/{episode.media_key}"
    urls = {
        name: f"{root}/{path}?{query}"
        for name, path in (
            ("mp4_720", "720p.mp4"),
            ("mp4_480", "480p.mp4"),
            ("hls", "master.m3u8"),
            ("poster", "poster.jpg"),
        )
    }
    if episode.preview:
        urls["preview"] = f"{root}/preview.jpg?{query}"
    # Same origin and same signature as the video: a <track> loads them with the session's cookie.
    subtitles = {language: f"{root}/subtitles/{language}.vtt?{query}" for language in sorted(episode.subtitles or {})}
    return Playback(expires_at=expires, urls=urls, subtitles=subtitles, preview=episode.preview)


NOT_YOURS = "this media link is for another viewer; open the episode in the player"
ENTRY_FILES = ("master.m3u8",)


def _segment_file(path: str) -> bool:
    """What a playlist line may open: a segment or a variant playlist, which live in the variants'
    folders; never the master playlist beside them (fetching it again would sign its lines anew)
    nor a whole file (.mp4) or a picture."""
    normal = posixpath.normpath(path)
    return (
        "/" in normal
        and not normal.startswith(("/", ".."))
        and normal.endswith((".ts", ".m3u8"))
        and posixpath.basename(normal) not in ENTRY_FILES
    )


def check_media_url(
    session: Session,
    secret: str,
    episode: Episode,
    *,
    exp: str,
    sig: str,
    person: str,
    session_token: str | None,
    path: str = "",
    origin: str = "",
) -> Viewer:
    """Whom the URL was made for, if its signature holds for this request and it has not expired;
    raises 403 otherwise. A paid episode's URL holds only with the cookie of the session it was
    made for while that session is signed in, or, made for a person (``person``, the URL's ``u``);
    either way only while that person may still watch the episode. A playlist line's URL
    (``origin``, its ``o``) opens only segments and variant playlists (``path``)."""
    if not exp.isdigit() or len(exp) > 12 or (origin and (not origin.isdigit() or len(origin) > 12)):
        raise MediaRefused("this media link is not valid")
    expires = int(exp)
    series = session.get(Series, episode.series_id)
    viewer = ANYONE
    user_id = None
    if series is None or episode.number > series.free_episodes:
        if person:
            viewer, user_id = person_viewer(person), person
        elif session_token and (user := identity.user_for_token(session, session_token)):
            viewer, user_id = session_viewer(session_token), user.id
        else:
            raise MediaRefused(NOT_YOURS, code="MEDIA_LINK_NOT_YOURS")
    expected = _signature(
        secret, episode.id, episode.media_key or "", expires, viewer.key, int(origin) if origin else None
    )
    if not hmac.compare_digest(expected.encode(), (sig or "").encode()):
        raise (
            MediaRefused(NOT_YOURS, code="MEDIA_LINK_NOT_YOURS")
            if viewer.key
            else MediaRefused("this media link is not valid")
        )
    if origin and not _segment_file(path):
        raise MediaRefused(
            "a playlist's link opens only the playlist's own segments; open the episode in the player",
            code="MEDIA_LINK_NOT_YOURS",
        )
    if expires < time.time():
        raise MediaRefused("this media link has expired; ask for a new one", code="MEDIA_LINK_EXPIRED")
    if user_id is not None and (series is None or not access(session, user_id, series, episode)):
        raise MediaRefused(
            "this episode is no longer open to the person this link was made for", code="MEDIA_LINK_NOT_YOURS"
        )
    return viewer


def playlist_query(secret: str, episode: Episode, exp: str, sig: str, viewer: Viewer, origin: str = "") -> str:
    """The query the lines of an HLS playlist carry. A paid episode's segments are fetched as the
    episode plays, after the entry link expired: they get a signature, bound to the same viewer,
    that opens only segments and variant playlists until the entry link's own expiry (``exp``, or
    the ``origin`` a line's query carries) plus the episode's length. Counted from that expiry,
    never from now, so fetching a playlist again never pushes it further."""
    if not viewer.key:
        return f"exp={exp}&sig={sig}"
    first = int(origin or exp)
    return media_query(secret, episode, int(first + episode.duration_ms / 1000), viewer, origin=first)


def save_progress(
    session: Session,
    *,
    user_id: str,
    series_id: str,
    number: int,
    position_ms: int,
    page: str | None = None,
    seq: int | None = None,
) -> None:
    """Where the person is in the series. A save of a page (``page``, ``seq``: see ProgressIn) older
    than the one on record from that same page changes nothing: a busy server may answer a page's
    saves out of order, and the swipe's save landing after the close's would resume the person
    from the swipe. A save from another page (another device, a reload) always stands."""
    published_series(session, series_id)
    if not 1 <= number <= 10_000 or not 0 <= position_ms <= 24 * 3600 * 1000:
        raise InvalidArgument("episode number or position out of range")
    # An episode viewers see: "Episode 5 of 3" was saved, and shown on the hub, for one they
    # could not (attack56).
    ready_episode(session, series_id, number)
    take_turns(session, "watch-progress", user_id, series_id)  # the row read below stays the latest
    row = session.get(WatchProgress, (user_id, series_id))
    if row is None:
        session.add(
            WatchProgress(
                user_id=user_id, series_id=series_id, episode_number=number, position_ms=position_ms, page=page, seq=seq
            )
        )
    elif page is None or seq is None or row.page != page or row.seq is None or seq >= row.seq:
        row.episode_number, row.position_ms, row.updated_at = number, position_ms, utcnow()
        row.page, row.seq = page, seq


def progress(session: Session, user_id: str, series_id: str) -> WatchProgress | None:
    return session.get(WatchProgress, (user_id, series_id))


def recent_progress(session: Session, user_id: str, limit: int = 12) -> list[tuple[Series, WatchProgress]]:
    """The series this person watched lately, each with where they left off, latest first: only
    series still published, of apps not taken down."""
    rows = session.execute(
        select(Series, WatchProgress)
        .join(WatchProgress, WatchProgress.series_id == Series.id)
        .where(WatchProgress.user_id == user_id, Series.status == "published")
        .order_by(WatchProgress.updated_at.desc(), Series.id)
        .limit(limit)
    ).all()
    down = catalog.taken_down_app_ids(session, {series.app_id for series, _ in rows})
    return [(series, saved) for series, saved in rows if series.app_id not in down]


def watching(session: Session, user_id: str, *, limit: int = 12) -> list[tuple[Series, int, int]]:
    """The hub's Continue watching: ``recent_progress`` with, for each series, the episode the
    person is at and how many ready episodes it has (a series with none left out). Three queries,
    whatever the number of series."""
    rows = recent_progress(session, user_id, limit)
    if not rows:
        return []
    counts = {
        series_id: len(shown) for series_id, shown in ready_episodes(session, {series.id for series, _ in rows}).items()
    }
    return [(series, saved.episode_number, int(counts[series.id])) for series, saved in rows if counts.get(series.id)]


@dataclass(frozen=True)
class Unlocked:
    """An unlock as the operator's support sees it: the item key its charge (if any) is under."""

    item: str
    kind: str  # unlock | series
    app_id: str
    series_id: str
    series_title: str
    episode_number: int | None
    method: str  # coins | ad | series
    at: datetime


def unlocks_of(session: Session, user_id: str, *, limit: int = 200) -> list[Unlocked]:
    """The person's episode unlocks and series purchases, newest first."""
    episodes = session.execute(
        select(EpisodeUnlock, Episode.number, Series)
        .join(Episode, Episode.id == EpisodeUnlock.episode_id)
        .join(Series, Series.id == EpisodeUnlock.series_id)
        .where(EpisodeUnlock.user_id == user_id)
        .order_by(EpisodeUnlock.created_at.desc())
        .limit(limit)
    )
    found = [
        Unlocked(
            f"unlock:{user_id}:{unlock.episode_id}",
            "unlock",
            series.app_id,
            series.id,
            series.title,
            number,
            unlock.method,
            unlock.created_at,
        )
        for unlock, number, series in episodes
    ]
    whole = session.execute(
        select(SeriesUnlock, Series)
        .join(Series, Series.id == SeriesUnlock.series_id)
        .where(SeriesUnlock.user_id == user_id)
        .limit(limit)
    )
    found += [
        Unlocked(
            f"series:{user_id}:{bought.series_id}",
            "series",
            series.app_id,
            series.id,
            series.title,
            None,
            "coins",
            bought.created_at,
        )
        for bought, series in whole
    ]
    return sorted(found, key=lambda unlocked: unlocked.at, reverse=True)
