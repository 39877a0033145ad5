"""Creators and their posts: becoming one, posting a video with an anchor, what the host shows of them."""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict, Unpack, cast

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openminis import changes, pagination
from openminis.attribution import service as attribution
from openminis.catalog import cards
from openminis.catalog import service as catalog
from openminis.catalog.schemas import Card
from openminis.creators import audience
from openminis.creators.models import Creator, Post
from openminis.creators.schemas import (
    AnchorKind,
    AnchorOut,
    ConversionOut,
    CreatorOut,
    CreatorProfile,
    EarningsOut,
    FollowingPage,
    PostOut,
)
from openminis.db import take_turns, utcnow
from openminis.drama import catalog as drama
from openminis.errors import Conflict, Forbidden, InvalidArgument, NotFound
from openminis.identity import service as identity
from openminis.jobs import service as jobs
from openminis.settings import Settings
from openminis.storage import ObjectStore
from openminis.text import has_controls
from openminis.unit_of_work import after_commit
from openminis.wallet import service as wallet

if TYPE_CHECKING:
    from openminis.drama.models import Series

TRANSCODE_JOB = "creators.transcode"
HANDLE = re.compile(r"^[a-z0-9_]{3,32}\Z")
ANCHOR_KINDS = ("app", "series", "episode")
EARNINGS_ACCOUNT = "creator_earnings"
EARNINGS_CURRENCIES = ("COIN", "USD_MICROS")
# The files of a ready post that are served; the pipeline writes more (HLS, thumbnails) that posts do not use.
MEDIA_FILES = {"480p.mp4": "video/mp4", "720p.mp4": "video/mp4", "poster.jpg": "image/jpeg"}


def _text(value: str, *, field: str, limit: int, required: bool = False) -> str:
    """Trimmed text of at most ``limit`` characters. Line breaks may stay; other control
    characters (and bidi overrides, which could disguise a caption) may not."""
    value = value.strip()
    if required and not value:
        raise InvalidArgument(f"{field} is required", field=field)
    if len(value) > limit:
        raise InvalidArgument(f"{field} is at most {limit} characters", field=field)
    # The guard message text uses (text.py: C0, C1, bidi marks, embeddings, overrides and isolates,
    # line separators), and no lone surrogate.
    if has_controls(value, newlines=True) or any(unicodedata.category(ch) == "Cs" for ch in value):
        raise InvalidArgument(f"{field} may not contain control characters", field=field)
    return value


# Creators ---------------------------------------------------------------------------------------


def become_creator(session: Session, user_id: str, *, handle: str, display_name: str, bio: str = "") -> Creator:
    """Make the person a creator, or update their creator profile if they are one already."""
    user = identity.get_user(session, user_id)
    if user is None or user.kind == "guest":
        raise Forbidden("sign in (or create an account) to become a creator", code="SIGN_IN_REQUIRED")
    handle = handle.strip().removeprefix("@").lower()
    if not HANDLE.match(handle):
        raise InvalidArgument("a handle is 3 to 32 lowercase letters, digits or underscores", field="handle")
    display_name = " ".join(_text(display_name, field="display_name", limit=60, required=True).split())
    bio = _text(bio, field="bio", limit=200)
    # A person's requests to become a creator take turns (a double tap, a client retrying): the later
    # ones find the profile the first made and edit it, rather than colliding with it and being told
    # their own handle is taken (a probe: 20 at once on PostgreSQL, one HANDLE_TAKEN).
    take_turns(session, "creator", user_id)
    taken = session.scalar(select(Creator.user_id).where(Creator.handle == handle))
    if taken is not None and taken != user_id:
        raise Conflict(f"@{handle} is taken", code="HANDLE_TAKEN", field="handle")
    try:
        with session.begin_nested():
            creator = session.get(Creator, user_id)
            if creator is None:
                creator = Creator(user_id=user_id, handle=handle, display_name=display_name, bio=bio)
                session.add(creator)
            else:
                creator.handle, creator.display_name, creator.bio = handle, display_name, bio
            session.flush()
    except IntegrityError:  # someone took the handle between the check and the write
        raise Conflict(f"@{handle} is taken", code="HANDLE_TAKEN", field="handle") from None
    return creator


def get_creator(session: Session, user_id: str) -> Creator:
    creator = session.get(Creator, user_id)
    if creator is None:
        raise NotFound("you are not a creator yet", code="NOT_A_CREATOR")
    return creator


def creator_by_handle(session: Session, handle: str) -> Creator | None:
    return session.scalar(select(Creator).where(Creator.handle == handle))


def creator_out(creator: Creator) -> CreatorOut:
    return CreatorOut(
        user_id=creator.user_id,
        handle=creator.handle,
        display_name=creator.display_name,
        bio=creator.bio,
        avatar_url=f"/api/avatars/{creator.user_id}.svg",
    )


# Posts ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Anchor:
    kind: str | None = None
    app_id: str | None = None
    series_id: str | None = None
    episode: int | None = None
    category: str = "general"


def check_anchor(
    session: Session,
    kind: str | None,
    *,
    app_id: str | None = None,
    series_id: str | None = None,
    episode: int | None = None,
) -> Anchor:
    """Resolve what a post links to; refuse a link to something a viewer could not open."""
    if not kind:
        if app_id or series_id or episode is not None:
            raise InvalidArgument("anchor_kind is required with an anchor", field="anchor_kind")
        return Anchor()
    if kind not in ANCHOR_KINDS:
        raise InvalidArgument(f"anchor_kind is one of {', '.join(ANCHOR_KINDS)}", field="anchor_kind")
    if kind == "app":
        if series_id or episode is not None:
            raise InvalidArgument("an app anchor names only anchor_app_id", field="anchor_kind")
        if not app_id:
            raise InvalidArgument("an app anchor names its app in anchor_app_id", field="anchor_app_id")
        app = catalog.published_app(session, app_id)
        if app is None:
            raise InvalidArgument(f"no published app {app_id[:64]!r}", field="anchor_app_id")
        return Anchor(kind="app", app_id=app.id, category=app.category or app.kind)
    try:
        series = drama.published_series(session, series_id or "")
    except NotFound:
        raise InvalidArgument(f"no published series {series_id!r}", field="anchor_series_id") from None
    if app_id and app_id != series.app_id:
        raise InvalidArgument("anchor_app_id is not the series' app", field="anchor_app_id")
    if kind == "series":
        if episode is not None:
            raise InvalidArgument("a series anchor names no episode; use anchor_kind 'episode'", field="anchor_episode")
        number = None
    else:
        if episode is None:
            raise InvalidArgument("an episode anchor needs anchor_episode", field="anchor_episode")
        if not drama.has_episode(session, series.id, episode, ready_only=True):
            raise InvalidArgument(f"the series has no episode {episode}", field="anchor_episode")
        number = episode
    app = catalog.get_app(session, series.app_id)
    return Anchor(
        kind=kind, app_id=series.app_id, series_id=series.id, episode=number, category=app.category or app.kind
    )


def _check_post(
    session: Session,
    *,
    caption: str,
    anchor_kind: str | None,
    anchor_app_id: str | None,
    anchor_series_id: str | None,
    anchor_episode: int | None,
) -> tuple[str, Anchor]:
    return _text(caption, field="caption", limit=300), check_anchor(
        session, anchor_kind, app_id=anchor_app_id, series_id=anchor_series_id, episode=anchor_episode
    )


class PostFields(TypedDict):
    """What a person writes on a post: its caption and what it links to."""

    caption: str
    anchor_kind: str | None
    anchor_app_id: str | None
    anchor_series_id: str | None
    anchor_episode: int | None


def precheck_post(session: Session, *, creator_id: str, **fields: Unpack[PostFields]) -> None:
    """Refuse a post before its upload is read (a video may be hundreds of megabytes); create_post
    checks again. Only reads: the route runs it in a read unit that ends before the upload."""
    get_creator(session, creator_id)
    _check_post(session, **fields)


def create_post(
    session: Session,
    media: ObjectStore,
    *,
    creator_id: str,
    caption: str,
    source: Path,
    anchor_kind: str | None = None,
    anchor_app_id: str | None = None,
    anchor_series_id: str | None = None,
    anchor_episode: int | None = None,
) -> Post:
    """Take an uploaded video (put in the object store under ``media/posts/uploads/``) and queue its
    transcoding; the post is public once its media is ready. Nothing is written when the caption or
    the anchor is refused."""
    get_creator(session, creator_id)
    caption, anchor = _check_post(
        session,
        caption=caption,
        anchor_kind=anchor_kind,
        anchor_app_id=anchor_app_id,
        anchor_series_id=anchor_series_id,
        anchor_episode=anchor_episode,
    )
    post = Post(
        id="pst_" + secrets.token_hex(10),
        creator_id=creator_id,
        caption=caption,
        category=anchor.category,
        anchor_kind=anchor.kind,
        anchor_app_id=anchor.app_id,
        anchor_series_id=anchor.series_id,
        anchor_episode=anchor.episode,
        status="uploaded",
        progress=0,
    )
    session.add(post)
    session.flush()  # a refused row refuses the upload before its file is moved in
    upload = f"{post.id}-{secrets.token_hex(4)}{source.suffix.lower()}"
    media.put_file(upload_key(upload), source)
    try:
        jobs.enqueue(session, TRANSCODE_JOB, {"post_id": post.id, "upload": upload}, unique_key=f"transcode:{upload}")
        session.flush()
    except BaseException:
        media.delete(upload_key(upload))  # no job will ever take it
        raise
    return post


def get_post(session: Session, post_id: str, *, viewer_id: str | None = None) -> Post:
    """A post anyone may see once ready (and while its creator is not suspended); its creator sees
    it at every stage."""
    post = session.get(Post, post_id)
    if post is None or (post.creator_id != viewer_id and (post.status != "ready" or _suspended_creator(session, post))):
        raise NotFound(f"no post {post_id!r}")
    return post


def _suspended_creator(session: Session, post: Post) -> bool:
    creator = session.get(Creator, post.creator_id)
    return creator is None or creator.suspended_at is not None


def suspended_creators(session: Session, creator_ids: Collection[str]) -> set[str]:
    """Which of these creators a moderator has suspended, in one query."""
    if not creator_ids:
        return set()
    statement = select(Creator.user_id).where(Creator.user_id.in_(set(creator_ids)), Creator.suspended_at.is_not(None))
    return set(session.scalars(statement))


def list_posts(session: Session, creator_id: str) -> list[Post]:
    """Every post of a creator, newest first, whatever its stage."""
    return list(
        session.scalars(
            select(Post).where(Post.creator_id == creator_id).order_by(Post.created_at.desc(), Post.id.desc())
        )
    )


def upload_key(upload: str) -> str:
    """Where an uploaded post video waits for its transcode, in the object store."""
    return f"media/posts/uploads/{upload}"


def media_folder(media_key: str) -> str:
    """Where a ready post's renditions and poster are, in the object store."""
    return f"media/posts/{media_key}"


def delete_post(session: Session, media: ObjectStore, *, creator_id: str, post_id: str) -> None:
    post = session.get(Post, post_id)
    if post is None or post.creator_id != creator_id:
        raise NotFound(f"no post {post_id!r} of yours")
    media_key = post.media_key
    session.delete(post)
    session.flush()
    # A queued transcode finds the post gone and drops its upload; a running one drops its output.
    # The files go once the post is gone for good: after a rollback it still serves them.
    if media_key:
        after_commit(session, partial(media.delete_folder, media_folder(media_key)))


def ready_posts_statement() -> Select[Post]:
    """Published posts of creators not suspended, newest first: the base of the feed's candidate queries."""
    suspended = select(Creator.user_id).where(Creator.suspended_at.is_not(None))
    return (
        select(Post)
        .where(Post.status == "ready", Post.creator_id.not_in(suspended))
        .order_by(Post.published_at.desc(), Post.id.desc())
    )


def ready_posts(
    session: Session, *, limit: int = 200, creator_id: str | None = None, app_id: str | None = None
) -> list[Post]:
    statement = ready_posts_statement()
    if creator_id:
        statement = statement.where(Post.creator_id == creator_id)
    if app_id:
        statement = statement.where(Post.anchor_app_id == app_id)
    return list(session.scalars(statement.limit(limit)))


def posts_by_id(session: Session, post_ids: list[str], *, ready_only: bool = True) -> list[Post]:
    """The posts with these ids, in the given order (missing and, by default, unready ones left out)."""
    if not post_ids:
        return []
    # Readiness is checked here, not in SQL: beside "status = 'ready'" SQLite picks the status
    # index and scans every ready post instead of looking the ids up.
    rows = list(session.scalars(select(Post).where(Post.id.in_(set(post_ids)))))
    # Filtered here, when a page is built, not in the feed's cached ranking: a takedown or a
    # suspension holds from its commit on.
    suspended = suspended_creators(session, {post.creator_id for post in rows}) if ready_only else set()
    found = {
        post.id: post
        for post in rows
        if not ready_only or (post.status == "ready" and post.creator_id not in suspended)
    }
    return [found[post_id] for post_id in post_ids if post_id in found]


def ranked_posts(session: Session) -> list[tuple[str, str, datetime]]:
    """Every ready post's id, category and when it was published: what the feed ranks."""
    # The columns the ranking needs, not whole rows: there may be hundreds of thousands. Readiness
    # is checked here: when nearly every post is ready, SQLite's walk through the status index
    # takes twice as long as reading the table.
    statement = select(
        Post.id, Post.category, func.coalesce(Post.published_at, Post.created_at), Post.status, Post.creator_id
    )
    rows = session.execute(statement)
    suspended = set(session.scalars(select(Creator.user_id).where(Creator.suspended_at.is_not(None))))
    return [
        (post_id, category, at)
        for post_id, category, at, status, creator_id in rows
        if status == "ready" and creator_id not in suspended
    ]


def post_likers(session: Session) -> set[tuple[str, str]]:
    """Who likes which post now, as (post id, user id): what the ranking's like signal is read
    against (only signed-in people can like, audience.py)."""
    return audience.all_likers(session)


def ready_media(session: Session, media_key: str, file: str) -> Post:
    """The ready post whose media folder is ``media_key``, if ``file`` is one a post serves."""
    # A media key starts with its post's id, so the lookup is by primary key, not a scan.
    post = session.get(Post, media_key.split("-", 1)[0]) if file in MEDIA_FILES else None
    # The file streams after the route returned, when the request's unit has ended: no transaction
    # stays open while it is sent.
    if post is None or post.status != "ready" or post.media_key != media_key or _suspended_creator(session, post):
        raise NotFound("no such media")
    return post


# Moderation: a moderator takes a post down or suspends a creator (moderation/ calls these) -------


def set_post_removed(session: Session, post_id: str, removed: bool) -> dict[str, object]:
    """Take a published post down ("removed") or put it back ("ready"); returns its status before.
    A status rather than a flag beside it: every read path already shows only "ready" posts."""
    post = session.get(Post, post_id)
    if post is None:
        raise NotFound(f"no post {post_id!r}")
    before: dict[str, object] = {"status": post.status}
    if removed and post.status not in ("ready", "removed"):
        # Its transcode would publish it over the takedown; the creator may delete it instead.
        raise Conflict(f"post {post_id!r} is not published (it is {post.status})", code="NOT_PUBLISHED")
    if not removed and post.status != "removed":
        return before
    post.status = "removed" if removed else "ready"
    session.flush()
    after_commit(session, changes.listed)  # the feed's ranking drops or takes the post back
    return before


def set_suspended(session: Session, creator_id: str, suspended: bool) -> dict[str, object]:
    """Suspend a creator (all their posts hidden and unserved) or lift it; returns the state before."""
    creator = session.get(Creator, creator_id)
    if creator is None:
        raise NotFound(f"no creator {creator_id!r}")
    before: dict[str, object] = {"suspended": creator.suspended_at is not None}
    creator.suspended_at = (creator.suspended_at or utcnow()) if suspended else None
    session.flush()
    after_commit(session, changes.listed)
    return before


def post_owner(session: Session, post_id: str) -> str | None:
    """The creator of a post, whatever its status (a takedown's owner reads why)."""
    post = session.get(Post, post_id)
    return post.creator_id if post is not None else None


def find_post(session: Session, post_id: str) -> Post | None:
    return session.get(Post, post_id)


def search_creators(session: Session, query: str, *, limit: int = 20) -> list[Creator]:
    """Creators (not suspended) whose handle or display name holds ``query`` (case-insensitive,
    wildcards literal)."""
    pattern = "%" + query.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    statement = (
        select(Creator)
        .where(
            Creator.suspended_at.is_(None),
            func.lower(Creator.handle).like(pattern, escape="\\")
            | func.lower(Creator.display_name).like(pattern, escape="\\"),
        )
        .order_by(Creator.handle)
        .limit(limit)
    )
    return list(session.scalars(statement))


def find_creator(session: Session, user_id: str) -> Creator | None:
    return session.get(Creator, user_id)


def find_creators(session: Session, user_ids: Collection[str]) -> dict[str, Creator]:
    """The creators among these people, by user id, in one query."""
    if not user_ids:
        return {}
    return {c.user_id: c for c in session.scalars(select(Creator).where(Creator.user_id.in_(set(user_ids))))}


# What the host shows ----------------------------------------------------------------------------


def post_out(session: Session, settings: Settings, post: Post, *, viewer: str | None = None) -> PostOut:
    return post_outs(session, settings, [post], viewer=viewer)[0]


def post_outs(session: Session, settings: Settings, posts: list[Post], *, viewer: str | None = None) -> list[PostOut]:
    """PostOuts for a page of posts in a fixed number of queries, whatever the page's length; an
    anchored app's chip is at the version ``viewer`` gets."""
    if not posts:
        return []
    creator_ids = {p.creator_id for p in posts}
    creators = {c.user_id: c for c in session.scalars(select(Creator).where(Creator.user_id.in_(creator_ids)))}
    app_ids = {p.anchor_app_id for p in posts if p.anchor_kind and p.anchor_app_id}
    series_ids = {p.anchor_series_id for p in posts if p.anchor_kind in ("series", "episode") and p.anchor_series_id}
    chips = cards.cards(session, settings, app_ids, viewer=viewer, unpackaged=True)
    series = drama.series_by_id(session, series_ids)
    covers = drama.covers(session, settings.host_origin, series_ids)
    base = settings.public_url.rstrip("/")
    post_ids = [post.id for post in posts]
    likes = audience.like_counts(session, post_ids)
    liked = audience.liked_by(session, viewer, post_ids)
    followed = audience.followed_by(session, viewer, creator_ids)
    outs = []
    for post in posts:
        ready = post.status == "ready" and post.media_key
        media = f"{base}/media/posts/{post.media_key}" if ready else None
        outs.append(
            PostOut(
                id=post.id,
                creator=creator_out(creators[post.creator_id]),
                caption=post.caption,
                category=post.category,
                status=post.status,
                progress=post.progress,
                error=post.error,
                duration_ms=post.duration_ms,
                video_url=f"{media}/480p.mp4" if media else None,
                video_url_hd=f"{media}/720p.mp4" if media else None,
                poster_url=f"{media}/poster.jpg" if media else None,
                anchor=_anchor_out(post, chips, series, covers),
                created_at=post.created_at,
                published_at=post.published_at,
                likes=likes.get(post.id, 0),
                liked=post.id in liked,
                following=post.creator_id in followed,
            )
        )
    return outs


def _anchor_out(
    post: Post, chips: dict[str, Card], series: dict[str, Series], covers: dict[str, str]
) -> AnchorOut | None:
    """The post's chip; none when what it linked to is gone (apps and series are deleted with SET NULL)."""
    chip = chips.get(post.anchor_app_id) if post.anchor_app_id else None
    if post.anchor_kind is None or chip is None:
        return None
    if post.anchor_kind == "app":
        title = chip.name
    else:
        linked = series.get(post.anchor_series_id) if post.anchor_series_id else None
        if linked is None or linked.status != "published":  # a series taken down has no chip either
            return None
        title = linked.title if post.anchor_kind == "series" else f"Ep {post.anchor_episode} · {linked.title}"
        cover = covers.get(linked.id)
        if not chip.version and cover:
            # A drama app without a package of its own has no icon: its series' cover stands in.
            chip = chip.model_copy(update={"icon_url": cover})
    return AnchorOut(
        kind=cast(AnchorKind, post.anchor_kind),  # check_anchor let only these in
        app_id=chip.app_id,
        series_id=post.anchor_series_id if post.anchor_kind != "app" else None,
        episode=post.anchor_episode,
        title=title,
        card=chip,
    )


# Earnings ---------------------------------------------------------------------------------------


def earnings(session: Session, user_id: str, *, cursor: str | None = None, limit: int = 20) -> EarningsOut:
    """The creator's commission balances and the conversions behind them, newest first. Reads only:
    an account nobody has paid into yet is not opened, it shows 0."""
    balances = wallet.balances(session, EARNINGS_ACCOUNT, user_id, EARNINGS_CURRENCIES)
    page, next_cursor = attribution.creator_conversions(session, user_id, cursor=cursor, limit=limit)
    return EarningsOut(
        balances=balances,
        conversions=[ConversionOut.model_validate(c, from_attributes=True) for c in page],
        next_cursor=next_cursor,
    )


# A creator's page and the Following tab ---------------------------------------------------------

PROFILE_POSTS = 60


def profile(session: Session, settings: Settings, handle_or_id: str, *, viewer: str | None) -> CreatorProfile:
    """A creator's public page: their newest published posts and the apps those posts link to."""
    creator = audience.resolve_creator(session, handle_or_id)
    posts = ready_posts(session, creator_id=creator.user_id, limit=PROFILE_POSTS)
    outs = post_outs(session, settings, posts, viewer=viewer)
    app_ids = list(dict.fromkeys(p.anchor_app_id for p in posts if p.anchor_kind == "app" and p.anchor_app_id))
    found = cards.cards(session, settings, app_ids, viewer=viewer)
    return CreatorProfile(
        creator=creator_out(creator),
        followers=audience.follower_counts(session, [creator.user_id]).get(creator.user_id, 0),
        following=bool(audience.followed_by(session, viewer, [creator.user_id])),
        posts=outs,
        apps=[found[app_id] for app_id in app_ids if app_id in found],
    )


def following_page(
    session: Session, settings: Settings, *, user_id: str, cursor: str | None, limit: int
) -> FollowingPage:
    before = pagination.decode_cursor(cursor, str) if cursor else None
    posts = audience.following_posts(session, user_id, before=before, limit=limit)
    last = posts[-1] if len(posts) == limit else None
    return FollowingPage(
        items=post_outs(session, settings, posts, viewer=user_id),
        next_cursor=pagination.encode_cursor(last.published_at, last.id) if last and last.published_at else None,
    )
