"""Open API routes for producers: series, episode uploads, publishing, passes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from openminis.drama import catalog, subscriptions, subtitles
from openminis.drama.api import series_out, series_outs
from openminis.drama.models import Series
from openminis.drama.schemas import (
    EpisodeOut,
    PassIn,
    PassOut,
    ProducerPassList,
    ProducerPassOut,
    ProducerSeriesOut,
    SeriesIn,
    SeriesList,
    SeriesPatch,
)
from openminis.errors import InvalidArgument
from openminis.platform import Platform
from openminis.runtime.schemas import Ok
from openminis.web import body_limit
from openminis.web.dependencies import CallingApp, PlatformDep, SessionDep, platform_of
from openminis.web.routing import Router
from openminis.web.uploads import staged_video
from openminis.web.versions import OpenApiSender

router = Router(tags=["drama"])
SeriesId = Path(max_length=32)


def producer_out(session: Session, platform: Platform, series: Series) -> ProducerSeriesOut:
    episodes = [EpisodeOut.model_validate(e, from_attributes=True) for e in catalog.episodes(session, series.id)]
    return series_out(session, series, platform.settings.host_origin, ProducerSeriesOut, episodes=episodes)


@router.post("/series", response_model=ProducerSeriesOut, status_code=201)
def create_series(body: SeriesIn, app_id: CallingApp, session: SessionDep, platform: PlatformDep) -> ProducerSeriesOut:
    return producer_out(session, platform, catalog.create_series(session, app_id, **body.model_dump()))


@router.get("/series", response_model=SeriesList)
def list_series(app_id: CallingApp, session: SessionDep, platform: PlatformDep) -> SeriesList:
    found = catalog.list_series(session, app_id=app_id, published=False)
    return SeriesList(items=series_outs(session, found, platform.settings.host_origin))


@router.get("/series/{series_id}", response_model=ProducerSeriesOut)
def get_series(
    app_id: CallingApp, session: SessionDep, platform: PlatformDep, series_id: str = SeriesId
) -> ProducerSeriesOut:
    """The series with every episode's processing status and progress."""
    return producer_out(session, platform, catalog.owned_series(session, app_id, series_id))


@router.patch("/series/{series_id}", response_model=ProducerSeriesOut)
def patch_series(
    body: SeriesPatch, app_id: CallingApp, session: SessionDep, platform: PlatformDep, series_id: str = SeriesId
) -> ProducerSeriesOut:
    return producer_out(session, platform, catalog.update_series(session, app_id, series_id, **body.changes()))


# The raw bodies below are read before anything of their route touches the database (dependencies
# named first), after their sender's token (OpenApiSender): an upload that comes slowly would
# otherwise hold its unit of work open, and with it SQLite's write lock or one of PostgreSQL's
# database slots, for as long as it lasts (a probe, on the console's package upload:
# web/versions.package_body).


async def _episode_video(request: Request, _sender: Annotated[None, OpenApiSender]) -> AsyncIterator[FilePath]:
    settings = platform_of(request).settings
    async with staged_video(request, settings.work_dir, settings.max_episode_upload_bytes) as staging:
        yield staging


async def _subtitles_file(request: Request, _sender: Annotated[None, OpenApiSender]) -> bytes:
    if request.headers.get("content-type", "").split(";")[0].strip() != "text/vtt":
        raise InvalidArgument("Content-Type must be text/vtt", field="content-type")
    body_limit.allow(request, subtitles.MAX_BYTES, code="SUBTITLES_TOO_LARGE")
    return await request.body()


@router.put("/series/{series_id}/episodes/{number}", response_model=EpisodeOut, status_code=202)
async def upload_episode(
    staging: Annotated[FilePath, Depends(_episode_video)],
    app_id: CallingApp,
    session: SessionDep,
    platform: PlatformDep,
    series_id: str = SeriesId,
    number: int = Path(ge=1, le=10_000),
    title: str = Query(default="", max_length=120),
) -> EpisodeOut:
    """Upload an episode's video as the raw body (video/mp4, video/quicktime or video/webm).
    It is transcoded in the background; poll GET /series/{id} for its progress."""
    episode = await run_in_threadpool(
        catalog.accept_upload, session, platform.storage, app_id, series_id, number, title=title, source=staging
    )
    return EpisodeOut.model_validate(episode, from_attributes=True)


@router.delete("/series/{series_id}/episodes/{number}", response_model=Ok)
def delete_episode(
    app_id: CallingApp,
    session: SessionDep,
    platform: PlatformDep,
    series_id: str = SeriesId,
    number: int = Path(ge=1, le=10_000),
) -> Ok:
    """Delete an episode whose file was refused (``failed``); a ready one is replaced by a new file."""
    catalog.delete_failed_episode(session, platform.storage, app_id, series_id, number)
    return Ok()


Language = Path(min_length=2, max_length=16, description="a language tag: en, es, pt-BR, zh-Hant")


@router.put("/series/{series_id}/episodes/{number}/subtitles/{language}", response_model=EpisodeOut)
async def upload_subtitles(
    data: Annotated[bytes, Depends(_subtitles_file)],
    app_id: CallingApp,
    session: SessionDep,
    platform: PlatformDep,
    series_id: str = SeriesId,
    number: int = Path(ge=1, le=10_000),
    language: str = Language,
) -> EpisodeOut:
    """Subtitles for an uploaded episode in one language, as a WebVTT raw body (``text/vtt``, at
    most 256 KB), replacing that language's file if there was one. The file is checked as a player
    reads it (header, cue timings in order); a refusal names the line at fault."""
    episode = await run_in_threadpool(
        subtitles.attach, session, platform.storage, app_id, series_id, number, language, data
    )
    return EpisodeOut.model_validate(episode, from_attributes=True)


@router.delete("/series/{series_id}/episodes/{number}/subtitles/{language}", response_model=EpisodeOut)
def delete_subtitles(
    app_id: CallingApp,
    session: SessionDep,
    platform: PlatformDep,
    series_id: str = SeriesId,
    number: int = Path(ge=1, le=10_000),
    language: str = Language,
) -> EpisodeOut:
    episode = subtitles.detach(session, platform.storage, app_id, series_id, number, language)
    return EpisodeOut.model_validate(episode, from_attributes=True)


@router.post("/series/{series_id}/publish", response_model=ProducerSeriesOut)
def publish(
    app_id: CallingApp, session: SessionDep, platform: PlatformDep, series_id: str = SeriesId
) -> ProducerSeriesOut:
    return producer_out(session, platform, catalog.publish(session, app_id, series_id))


PassId = Path(max_length=32)


@router.get("/passes", response_model=ProducerPassList)
def list_passes(app_id: CallingApp, session: SessionDep) -> ProducerPassList:
    """The app's passes, on sale or retired."""
    return ProducerPassList(
        items=[
            ProducerPassOut.model_validate(p, from_attributes=True) for p in subscriptions.passes_of(session, app_id)
        ]
    )


@router.post("/passes/{pass_id}/retire", response_model=ProducerPassOut)
def retire_pass(app_id: CallingApp, session: SessionDep, pass_id: str = PassId) -> ProducerPassOut:
    """Take the pass off sale: no one subscribes from now on; those subscribed keep it until they cancel."""
    return ProducerPassOut.model_validate(subscriptions.retire_pass(session, app_id, pass_id), from_attributes=True)


@router.post("/passes", response_model=PassOut, status_code=201)
def create_pass(body: PassIn, app_id: CallingApp, session: SessionDep) -> PassOut:
    created = subscriptions.create_pass(
        session, app_id, title=body.title, period_days=body.period_days, price=body.price, series_id=body.series_id
    )
    return PassOut(
        id=created.id,
        title=created.title,
        period_days=created.period_days,
        price=created.price,
        series_id=created.series_id,
    )
