"""Host routes for creators: becoming one, posting, earnings; public post pages and media."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import Depends, Path, Query, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from openminis.creators import audience, service
from openminis.creators.schemas import (
    CreatorIn,
    CreatorOut,
    CreatorProfile,
    EarningsOut,
    FollowingPage,
    FollowOut,
    LikeOut,
    MyCreator,
    PostOut,
)
from openminis.errors import NotFound
from openminis.platform import Platform
from openminis.runtime.schemas import Ok
from openminis.unit_of_work import after_commit, unit_of_work
from openminis.web.dependencies import (
    ChangingPerson,
    CurrentPerson,
    PlatformDep,
    SessionDep,
    UploadingPerson,
    ViewerId,
    changing_visitor,
)
from openminis.web.head import FileAnswer
from openminis.web.routing import Router
from openminis.web.uploads import check_declared_size, staged_video, video_suffix

router = Router(tags=["creators"])
PostId = Path(max_length=32)


@router.post("/api/creator", response_model=CreatorOut)
def become_creator(body: CreatorIn, visitor: ChangingPerson, session: SessionDep) -> CreatorOut:
    """Become a creator (signed-in accounts only), or edit the creator profile."""
    creator = service.become_creator(
        session, visitor.user.id, handle=body.handle, display_name=body.display_name, bio=body.bio
    )
    return service.creator_out(creator)


@router.get("/api/creator", response_model=CreatorOut)
def my_creator(visitor: CurrentPerson, session: SessionDep) -> CreatorOut:
    return service.creator_out(service.get_creator(session, visitor.user.id))


@router.get("/api/me/creator", response_model=MyCreator)
def my_creator_or_none(visitor: CurrentPerson, session: SessionDep) -> MyCreator:
    """What Me asks on every visit: a person who is not a creator gets ``creator: null``, not a 404."""
    creator = service.find_creator(session, visitor.user.id)
    return MyCreator(creator=service.creator_out(creator) if creator is not None else None)


def _post_fields(
    caption: str = Query(default="", max_length=2000),
    anchor_kind: str | None = Query(default=None, max_length=16),
    anchor_app_id: str | None = Query(default=None, max_length=40),
    anchor_series_id: str | None = Query(default=None, max_length=32),
    anchor_episode: int | None = Query(default=None, ge=1, le=10_000),
) -> service.PostFields:
    return {
        "caption": caption,
        "anchor_kind": anchor_kind,
        "anchor_app_id": anchor_app_id,
        "anchor_series_id": anchor_series_id,
        "anchor_episode": anchor_episode,
    }


async def _post_video(
    request: Request,
    platform: PlatformDep,
    visitor: UploadingPerson,
    fields: Annotated[service.PostFields, Depends(_post_fields)],
) -> AsyncIterator[FilePath]:
    """The post's video, staged once its sender and its fields were checked (a wrong caption or
    anchor is refused before hundreds of megabytes are read)."""
    video_suffix(request)
    limit = platform.settings.max_episode_upload_bytes
    check_declared_size(request, limit)
    await run_in_threadpool(_precheck, platform, visitor.user.id, fields)
    async with staged_video(request, platform.settings.work_dir, limit) as staging:
        yield staging


@router.post("/api/creator/posts", response_model=PostOut, status_code=201)
async def create_post(
    request: Request,
    checked: UploadingPerson,
    fields: Annotated[service.PostFields, Depends(_post_fields)],
    staging: Annotated[FilePath, Depends(_post_video)],
    session: SessionDep,
    platform: PlatformDep,
) -> PostOut:
    """Post a video, sent as the raw body (video/mp4, video/quicktime or video/webm). It is
    transcoded in the background and public once ready; GET /api/creator/posts shows the progress."""
    visitor = await changing_visitor(request, checked, session)
    post = await run_in_threadpool(
        service.create_post, session, platform.storage, creator_id=visitor.user.id, source=staging, **fields
    )
    return await run_in_threadpool(service.post_out, session, platform.settings, post)


def _precheck(platform: Platform, creator_id: str, fields: service.PostFields) -> None:
    with unit_of_work(platform.db, reads=True) as reading:
        service.precheck_post(reading, creator_id=creator_id, **fields)


@router.get("/api/creator/posts", response_model=list[PostOut])
def my_posts(visitor: CurrentPerson, session: SessionDep, platform: PlatformDep) -> list[PostOut]:
    """Every post of mine, newest first, with its processing status and progress."""
    creator = service.get_creator(session, visitor.user.id)
    return service.post_outs(session, platform.settings, service.list_posts(session, creator.user_id))


@router.delete("/api/creator/posts/{post_id}", response_model=Ok)
def delete_post(visitor: ChangingPerson, session: SessionDep, platform: PlatformDep, post_id: str = PostId) -> Ok:
    service.delete_post(session, platform.storage, creator_id=visitor.user.id, post_id=post_id)
    return Ok()


@router.get("/api/creator/earnings", response_model=EarningsOut)
def earnings(
    visitor: CurrentPerson,
    session: SessionDep,
    cursor: str | None = Query(default=None, max_length=200),
    limit: int = Query(default=20, ge=1, le=100),
) -> EarningsOut:
    """Commission balances (COIN, USD_MICROS) and the conversions behind them, newest first."""
    return service.earnings(session, visitor.user.id, cursor=cursor, limit=limit)


@router.get("/api/posts/{post_id}", response_model=PostOut)
def post(visitor: CurrentPerson, session: SessionDep, platform: PlatformDep, post_id: str = PostId) -> PostOut:
    """A published post; its creator also sees it while it is processing or after it failed."""
    found = service.get_post(session, post_id, viewer_id=visitor.user.id)
    return service.post_out(session, platform.settings, found, viewer=visitor.user.id)


@router.get("/media/posts/{media_key}/{file}", include_in_schema=False)
def media(
    session: SessionDep, platform: PlatformDep, media_key: str = Path(max_length=80), file: str = Path(max_length=16)
) -> Response:
    """A ready post's renditions and poster, public. A media key is new at every transcode, so
    the files never change under a URL; but a moderator's takedown must reach every viewer at
    once, so each use asks here again (no-cache) instead of a year-long cached copy serving on.
    For the same reason a remote store's objects are never linked through the CDN: each use gets a
    presigned link of about a minute, after this check."""
    service.ready_media(session, media_key, file)
    key = f"{service.media_folder(media_key)}/{file}"
    linked = platform.storage.browser_url(key)
    if linked is not None:
        return RedirectResponse(linked, status_code=307, headers={"Cache-Control": "private, no-store"})
    target = platform.storage.path(key)
    if target is None:
        raise NotFound("no such media")
    return FileAnswer(target, media_type=service.MEDIA_FILES[file], headers={"Cache-Control": "public, no-cache"})


# Likes, follows, a creator's page and the Following tab ------------------------------------------

CreatorKey = Path(min_length=1, max_length=64, description="A creator's handle (with or without @) or user id.")


@router.put("/api/posts/{post_id}/like", response_model=LikeOut)
def like(visitor: ChangingPerson, session: SessionDep, platform: PlatformDep, post_id: str = PostId) -> LikeOut:
    """Like a published post (signed-in people only). Idempotent: liking again changes nothing."""
    liked, likes = audience.set_like(session, visitor.user.id, post_id, liked=True)
    if (app_id := audience.ranked_like_app(session, visitor.user.id, post_id)) is not None:
        ranking, user_id = platform.ranking, visitor.user.id
        after_commit(session, lambda: ranking.served.liked(user_id, app_id, post_id))
    return LikeOut(post_id=post_id, liked=liked, likes=likes)


@router.delete("/api/posts/{post_id}/like", response_model=LikeOut)
def unlike(visitor: ChangingPerson, session: SessionDep, post_id: str = PostId) -> LikeOut:
    liked, likes = audience.set_like(session, visitor.user.id, post_id, liked=False)
    return LikeOut(post_id=post_id, liked=liked, likes=likes)


@router.put("/api/creators/{creator}/follow", response_model=FollowOut)
def follow(visitor: ChangingPerson, session: SessionDep, creator: str = CreatorKey) -> FollowOut:
    """Follow a creator (signed-in people only). Idempotent."""
    found, following, followers = audience.set_follow(session, visitor.user.id, creator, following=True)
    return FollowOut(creator=service.creator_out(found), following=following, followers=followers)


@router.delete("/api/creators/{creator}/follow", response_model=FollowOut)
def unfollow(visitor: ChangingPerson, session: SessionDep, creator: str = CreatorKey) -> FollowOut:
    found, following, followers = audience.set_follow(session, visitor.user.id, creator, following=False)
    return FollowOut(creator=service.creator_out(found), following=following, followers=followers)


@router.get("/api/creators/{creator}", response_model=CreatorProfile)
def creator_profile(
    viewer: ViewerId, session: SessionDep, platform: PlatformDep, creator: str = CreatorKey
) -> CreatorProfile:
    """A creator's public page: profile, follower count, newest posts and the apps they link to."""
    return service.profile(session, platform.settings, creator, viewer=viewer)


@router.get("/api/following", response_model=FollowingPage)
def following(
    visitor: CurrentPerson,
    session: SessionDep,
    platform: PlatformDep,
    cursor: str | None = Query(default=None, max_length=200),
    limit: int = Query(default=10, ge=1, le=50),
) -> FollowingPage:
    """Posts of the creators the person follows, newest first."""
    return service.following_page(session, platform.settings, user_id=visitor.user.id, cursor=cursor, limit=limit)
