"""Viewer routes: the Dramas hub, a series with what the person may watch, unlocks, playback."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path as FilePath
from typing import Literal, TypeVar, overload

from fastapi import Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from openminis.ads import inventory as ads_inventory
from openminis.drama import access, catalog, subscriptions, subtitles
from openminis.drama.models import Episode, Series
from openminis.drama.schemas import (
    AccessOut,
    BuySeriesIn,
    PassOut,
    PlaybackOut,
    PreviewOut,
    ProgressIn,
    ProgressOut,
    SeriesList,
    SeriesOut,
    SubscribeIn,
    SubscriptionItem,
    SubscriptionList,
    SubscriptionOut,
    SubtitleTrackOut,
    UnlockIn,
    ViewerEpisodeOut,
    ViewerSeriesOut,
)
from openminis.errors import InvalidArgument, NotFound
from openminis.runtime.schemas import Ok
from openminis.storage import is_key
from openminis.web.dependencies import ChangingPerson, CurrentPerson, PlatformDep, SessionDep, session_token
from openminis.web.head import FileAnswer
from openminis.web.routing import Router

router = Router(tags=["drama"])
SeriesId = Path(max_length=32)
Number = Path(ge=1, le=10_000)
MEDIA_TYPES = {
    ".mp4": "video/mp4",
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".jpg": "image/jpeg",
    ".vtt": "text/vtt; charset=utf-8",
}
Shape = TypeVar("Shape", bound=SeriesOut)


@overload
def series_out(session: Session, series: Series, base: str, *, ready: list[Episode] | None = None) -> SeriesOut: ...
@overload
def series_out(
    session: Session,
    series: Series,
    base: str,
    cls: type[Shape],
    *,
    ready: list[Episode] | None = None,
    **extra: object,
) -> Shape: ...
def series_out(
    session: Session,
    series: Series,
    base: str,
    cls: type[SeriesOut] = SeriesOut,
    *,
    ready: list[Episode] | None = None,
    **extra: object,
) -> SeriesOut:
    """The series as ``cls`` (SeriesOut, or a shape extending it with ``extra``'s fields). ``ready``:
    its ready episodes when the caller has them (series_outs reads a list's in one query)."""
    if ready is None:
        ready = catalog.episodes(session, series.id, ready_only=True)
    cover = f"{base}/media/drama/{ready[0].id}/{ready[0].media_key}/poster.jpg?cover=1" if ready else None
    fields = {name: getattr(series, name) for name in SeriesOut.model_fields if hasattr(series, name)}
    return cls.model_validate({**fields, "cover_url": cover, "episode_count": len(ready), **extra})


def series_outs(session: Session, series: list[Series], base: str) -> list[SeriesOut]:
    """Many series as SeriesOut, their episodes read in one query rather than one per series."""
    ready = catalog.ready_episodes(session, [s.id for s in series])
    return [series_out(session, s, base, ready=ready[s.id]) for s in series]


@router.get("/api/dramas", response_model=SeriesList)
def dramas(session: SessionDep, platform: PlatformDep) -> SeriesList:
    return SeriesList(items=series_outs(session, catalog.list_series(session), platform.settings.host_origin))


@router.get("/api/dramas/{series_id}", response_model=ViewerSeriesOut)
def series_detail(
    visitor: CurrentPerson, session: SessionDep, platform: PlatformDep, series_id: str = SeriesId
) -> ViewerSeriesOut:
    series = catalog.published_series(session, series_id)
    ready = catalog.episodes(session, series.id, ready_only=True)
    rights = access.access_map(session, visitor.user.id, series, ready)
    base = platform.settings.host_origin
    episodes = [
        ViewerEpisodeOut(
            number=e.number,
            title=e.title,
            duration_ms=e.duration_ms,
            access=rights[e.number],
            thumbnail_url=f"{base}/media/drama/{e.id}/{e.media_key}/thumb-000.jpg?cover=1",
        )
        for e in ready
    ]
    saved = access.progress(session, visitor.user.id, series.id)
    passes = [
        PassOut(id=p.id, title=p.title, period_days=p.period_days, price=p.price, series_id=p.series_id)
        for p in subscriptions.offered(session, visitor.user.id, series)
    ]
    units = (
        [u for u in ads_inventory.list_units(session, series.app_id) if u.kind == "rewarded" and u.active]
        if series.ad_unlock
        else []
    )
    return series_out(
        session,
        series,
        base,
        ViewerSeriesOut,
        episodes=episodes,
        passes=passes,
        ad_unit_id=units[0].id if units else None,
        progress=ProgressOut(episode_number=saved.episode_number, position_ms=saved.position_ms) if saved else None,
    )


@router.post("/api/dramas/{series_id}/episodes/{number}/playback", response_model=PlaybackOut)
def playback(
    visitor: CurrentPerson,
    session: SessionDep,
    platform: PlatformDep,
    series_id: str = SeriesId,
    number: int = Number,
    bound: Literal["session", "person"] = Query(default="session"),
) -> PlaybackOut:
    """Signed, expiring media URLs; 402 EPISODE_LOCKED when the person may not watch it. A paid
    episode's are bound to this browser's session, or (``bound=person``, for a drama app's own
    player on its own origin, which the session cookie never reaches) carry a per-viewer token."""
    viewer = (
        access.person_viewer(visitor.user.id) if bound == "person" else access.session_viewer(visitor.session_token)
    )
    signed = access.playback(
        session,
        platform.secret,
        user_id=visitor.user.id,
        viewer=viewer,
        series_id=series_id,
        number=number,
        base_url=platform.settings.host_origin,
        paid_lifetime=timedelta(seconds=platform.settings.paid_media_url_seconds),
    )
    return PlaybackOut(
        expires_at=signed.expires_at,
        urls=signed.urls,
        subtitles=[SubtitleTrackOut(language=language, url=url) for language, url in signed.subtitles.items()],
        preview=PreviewOut.model_validate(signed.preview) if signed.preview else None,
    )


@router.post("/api/dramas/{series_id}/episodes/{number}/unlock", response_model=AccessOut)
def unlock(
    body: UnlockIn,
    visitor: ChangingPerson,
    session: SessionDep,
    platform: PlatformDep,
    series_id: str = SeriesId,
    number: int = Number,
) -> AccessOut:
    if body.method == "coins":
        granted = access.unlock_with_coins(
            session,
            user_id=visitor.user.id,
            series_id=series_id,
            number=number,
            amount=body.amount,
            currency=body.currency,
            launch_id=body.launch_id,
            window=platform.settings.attribution_window,
            events=platform.conversions,
        )
    else:
        if not body.ad_id:
            raise InvalidArgument("ad_id is required to unlock with an ad", field="ad_id")
        granted = access.unlock_with_ad(
            session,
            user_id=visitor.user.id,
            series_id=series_id,
            number=number,
            ad_id=body.ad_id,
            launch_id=body.launch_id,
            window=platform.settings.attribution_window,
            events=platform.conversions,
        )
    return AccessOut(number=number, access=granted)


@router.post("/api/dramas/{series_id}/purchase", response_model=Ok)
def buy_series(
    body: BuySeriesIn, visitor: ChangingPerson, session: SessionDep, platform: PlatformDep, series_id: str = SeriesId
) -> Ok:
    access.buy_series(
        session,
        user_id=visitor.user.id,
        series_id=series_id,
        amount=body.amount,
        currency=body.currency,
        launch_id=body.launch_id,
        window=platform.settings.attribution_window,
        events=platform.conversions,
    )
    return Ok()


@router.put("/api/dramas/{series_id}/progress", response_model=Ok)
def save_progress(body: ProgressIn, visitor: ChangingPerson, session: SessionDep, series_id: str = SeriesId) -> Ok:
    access.save_progress(
        session,
        user_id=visitor.user.id,
        series_id=series_id,
        number=body.episode_number,
        position_ms=body.position_ms,
        page=body.page,
        seq=body.seq,
    )
    return Ok()


@router.post("/api/passes/{pass_id}/subscribe", response_model=SubscriptionOut)
def subscribe(
    body: SubscribeIn,
    visitor: ChangingPerson,
    session: SessionDep,
    platform: PlatformDep,
    pass_id: str = Path(max_length=32),
) -> SubscriptionOut:
    subscription = subscriptions.subscribe(
        session,
        platform.secret,
        user_id=visitor.user.id,
        pass_id=pass_id,
        amount=body.amount,
        currency=body.currency,
        launch_id=body.launch_id,
        window=platform.settings.attribution_window,
        events=platform.conversions,
    )
    return SubscriptionOut.model_validate(subscription, from_attributes=True)


@router.get("/api/subscriptions", response_model=SubscriptionList)
def my_subscriptions(visitor: CurrentPerson, session: SessionDep) -> SubscriptionList:
    """The person's drama passes: active (renewing), cancelled (running to the period's end) or lapsed."""
    items = [
        SubscriptionItem(
            id=subscription.id,
            pass_id=subscription.pass_id,
            status=subscription.status,
            period=subscription.period,
            current_period_end=subscription.current_period_end,
            title=drama_pass.title,
            app_id=drama_pass.app_id,
            series_id=drama_pass.series_id,
            price=subscription.price,
            period_days=drama_pass.period_days,
            renews=subscriptions.renews(session, subscription, drama_pass),
        )
        for subscription, drama_pass in subscriptions.subscriptions_of(session, visitor.user.id)
    ]
    return SubscriptionList(items=items)


@router.post("/api/subscriptions/{subscription_id}/cancel", response_model=SubscriptionOut)
def cancel(visitor: ChangingPerson, session: SessionDep, subscription_id: str = Path(max_length=32)) -> SubscriptionOut:
    return SubscriptionOut.model_validate(
        subscriptions.cancel(session, user_id=visitor.user.id, subscription_id=subscription_id), from_attributes=True
    )


@router.get("/media/drama/{episode_id}/{media_key}/{path:path}", include_in_schema=False)
def media(
    request: Request,
    session: SessionDep,
    platform: PlatformDep,
    episode_id: str = Path(max_length=32),
    media_key: str = Path(max_length=80),
    path: str = Path(max_length=80),
    exp: str = Query(default="", max_length=12),
    sig: str = Query(default="", max_length=64),
    u: str = Query(default="", max_length=32),
    o: str = Query(default="", max_length=12),
    cover: str = Query(default="", max_length=4),
) -> Response:
    """Episode media, only through a signed, unexpired URL; a paid episode's only with the cookie of
    the session it was signed for (the media origin is the host's own, so the player's requests
    carry it). Posters and thumbnails are public (``cover``): they are what a locked episode shows
    in the list."""
    public = cover == "1" and (path == "poster.jpg" or (path.startswith("thumb-") and path.endswith(".jpg")))
    episode = session.get(Episode, episode_id)
    if episode is None or episode.media_key != media_key or not catalog.playable(session, episode):
        raise NotFound("no such media")
    viewer = access.ANYONE
    if not public:
        viewer = access.check_media_url(
            session,
            platform.secret,
            episode,
            exp=exp,
            sig=sig,
            person=u,
            session_token=session_token(request, platform),
            path=path,
            origin=o,
        )
    store = platform.storage
    suffix = FilePath(path).suffix
    if path.startswith("subtitles/") and suffix == ".vtt":
        # Served here whatever the store, never redirected: a <track> needs them same-origin.
        found = subtitles.served_key(episode, path)
        text = store.get(found) if found else None
        if text is None:
            raise NotFound("no such subtitles")
        return Response(text, media_type=MEDIA_TYPES[suffix], headers={"Cache-Control": "private, no-store"})
    key = f"{catalog.media_folder(media_key)}/{path}"
    if not is_key(key):
        raise NotFound("no such media")
    if suffix == ".m3u8":
        # Each segment and variant must carry a signature, or the player could not fetch them.
        # Playlists are small and carry the viewer's own signatures: served here, never cached.
        playlist = store.get(key)
        if playlist is None:
            raise NotFound("no such media")
        query = access.playlist_query(platform.secret, episode, exp, sig, viewer, origin=o)
        lines = [
            line if not line or line.startswith("#") else f"{line}?{query}" for line in playlist.decode().splitlines()
        ]
        return Response(
            "\n".join(lines) + "\n", media_type=MEDIA_TYPES[suffix], headers={"Cache-Control": "private, no-store"}
        )
    # Segments, renditions and images do not stream through Python when the store is remote: the
    # checks above passed, so the browser gets a link to the object that expires within about a
    # minute (MINIS_MEDIA_URL_SECONDS), or the CDN's for a public cover. A paid episode's link is
    # handed out only behind its session's check, and lives shorter than the signed URL it came from.
    left = None if public else max(1, int(exp) - int(time.time()))
    linked = store.browser_url(key, public=public, seconds=left)
    if linked is not None:
        return RedirectResponse(linked, status_code=307, headers={"Cache-Control": "private, no-store"})
    target = store.path(key)
    if target is None:
        raise NotFound("no such media")
    max_age = 86_400 if public else max(0, int(exp) - int(time.time()))  # what the signed URL has left
    return FileAnswer(
        target,
        media_type=MEDIA_TYPES.get(suffix, "application/octet-stream"),
        headers={"Cache-Control": f"{'public' if public else 'private'}, max-age={max_age}, immutable"},
    )
