"""Launches (who opened which app, from where) and cloud save (``minis.storage``)."""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import CompoundSelect, bindparam, case, func, literal, or_, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openminis.catalog import releases
from openminis.catalog import service as catalog
from openminis.db import as_utc, take_turns, utcnow
from openminis.developers import service as developers
from openminis.errors import Conflict, InvalidArgument, NotFound, TooLarge
from openminis.identity import app_identity, init_data
from openminis.pagination import decode_cursor, encode_cursor
from openminis.runtime.models import CloudSave, Launch

# A launch's scene: where the person opened the app from (docs/social.md lists them). Recorded
# with every launch; the funnel report groups by it (``minis analytics funnel --by scene``).
LAUNCH_SOURCES = (
    "feed",
    "hub",
    "search",
    "recents",
    "post",
    "share",
    "subscribe_message",
    "favourites",
    "home_screen",
    "preview",
    "other_app",
    "direct",
)
LAUNCH_ID = re.compile(r"^[0-9a-f]{32}\Z")
STORAGE_KEY = re.compile(r"^[A-Za-z0-9_.:-]{1,128}\Z")


class QuotaExceeded(TooLarge):
    code = "STORAGE_QUOTA_EXCEEDED"


@dataclass(frozen=True)
class Origin:
    """What a launch from a creator's post or from a share link came through, as the creators
    domain found it: the app the post or link opens, the post and its creator, who shared the link."""

    app_id: str | None
    post_id: str | None = None
    creator_id: str | None = None
    sharer_id: str | None = None


def record_launch(
    session: Session,
    *,
    user_id: str,
    app_id: str,
    launch_id: str,
    source: str,
    post_id: str | None = None,
    share: str | None = None,
    origin: Origin | None = None,
) -> tuple[Launch, bool]:
    """Record an opening, and whether this call recorded it. The client mints the id (a prewarmed
    frame carries it before the tap); sending the same launch again returns the first record. A
    launch from a creator's post names the post (its creator is recorded: attribution pays them);
    one from a share link carries the link's signed code (the sharer is recorded, and a shared
    post's creator). The post or the code is looked up by the caller, in the creators domain, and
    given here as ``origin``."""
    if not LAUNCH_ID.match(launch_id):
        raise InvalidArgument("launch_id must be 32 lowercase hex characters", field="launch_id")
    if source not in LAUNCH_SOURCES:
        raise InvalidArgument(f"source must be one of {', '.join(LAUNCH_SOURCES)}", field="source")
    existing = session.get(Launch, launch_id)
    if existing is not None:
        if existing.user_id != user_id or existing.app_id != app_id:
            raise Conflict("launch_id is already used", field="launch_id")
        return existing, False
    app = catalog.open_app(session, app_id)  # one taken down by a moderator launches no more
    # A drama's app has no package: its launches open the built-in player, at no version.
    version = releases.version_for(app, user_id) or ""
    launch = Launch(id=launch_id, user_id=user_id, app_id=app_id, version=version, source=source)
    _where_from(launch, post_id=post_id, share=share, origin=origin)
    try:
        with session.begin_nested():
            session.add(launch)
            session.flush()
    except IntegrityError:
        # The same launch recorded concurrently (a prewarmed frame and its tap): the first one stands.
        if session.get(Launch, launch_id) is None:
            raise
        return record_launch(
            session,
            user_id=user_id,
            app_id=app_id,
            launch_id=launch_id,
            source=source,
            post_id=post_id,
            share=share,
            origin=origin,
        )
    return launch, True


def _where_from(launch: Launch, *, post_id: str | None, share: str | None, origin: Origin | None) -> None:
    if launch.source == "post":
        if not post_id or origin is None or origin.post_id != post_id:
            raise InvalidArgument("a launch from a post names a published post", field="post_id")
        if origin.app_id != launch.app_id:
            raise InvalidArgument("this post does not link to this app", field="post_id")
        launch.post_id, launch.creator_id = origin.post_id, origin.creator_id
    elif post_id is not None:
        raise InvalidArgument("post_id goes with source 'post'", field="post_id")
    if launch.source == "share":
        if not share:
            raise InvalidArgument("a launch from a share link carries its code", field="share")
        if origin is None:
            raise NotFound("no such share link", field="share")
        if origin.app_id != launch.app_id:
            raise InvalidArgument("this share link does not open this app", field="share")
        launch.sharer_id, launch.post_id, launch.creator_id = origin.sharer_id, origin.post_id, origin.creator_id
    elif share is not None:
        raise InvalidArgument("share goes with source 'share'", field="share")


def origin_sdk(session: Session, launch: Launch) -> str | None:
    """The platform the launched version was made for (its manifest's ``origin_sdk``), or None for
    a native app and for a drama's built-in player (no package)."""
    if not launch.version:
        return None
    found = catalog.get_version(session, launch.app_id, launch.version).manifest.get("origin_sdk")
    return str(found) if found else None


def get_launch(session: Session, launch_id: str) -> Launch | None:
    return session.get(Launch, launch_id)


@dataclass(frozen=True)
class CreatorTouch:
    """A launch from a creator's post (or a shared post): the creator it credits, and the post."""

    creator_id: str
    post_id: str | None


@dataclass(frozen=True)
class LaunchSeen:
    """A launch as the platform recorded it: what an analytics event naming it is checked against."""

    app_id: str
    at: datetime
    source: str
    post_id: str | None
    creator_id: str | None


def launches_of(session: Session, user_id: str, launch_ids: Collection[str]) -> dict[str, LaunchSeen]:
    """The person's recorded launches among ``launch_ids`` (ids of other people's are not there)."""
    if not launch_ids:
        return {}
    columns = (Launch.id, Launch.app_id, Launch.created_at, Launch.source, Launch.post_id, Launch.creator_id)
    rows = session.execute(select(*columns).where(Launch.id.in_(list(launch_ids)), Launch.user_id == user_id))
    return {
        launch_id: LaunchSeen(app_id, as_utc(at), source, post_id, creator_id)
        for launch_id, app_id, at, source, post_id, creator_id in rows
    }


def _touches_statement() -> CompoundSelect[str, str | None, str]:
    """Both touches in one round trip: the last creator launch within the window and the first ever.
    Built once (every purchase runs it); the person, app and times are parameters."""
    launches = Launch.__table__.c
    touches = select(launches.creator_id, launches.post_id).where(
        launches.user_id == bindparam("user_id"),
        launches.app_id == bindparam("app_id"),
        launches.creator_id.is_not(None),
        launches.created_at <= bindparam("at"),
    )
    last = (
        touches.where(launches.created_at >= bindparam("since"))
        .order_by(launches.created_at.desc(), launches.id.desc())
        .limit(1)
    )
    first = touches.order_by(launches.created_at, launches.id).limit(1)
    return union_all(
        select(last.add_columns(literal("last").label("touch")).subquery()),
        select(first.add_columns(literal("first").label("touch")).subquery()),
    )


_TOUCHES = _touches_statement()


def creator_touches(
    session: Session, *, user_id: str, app_id: str, at: datetime, since: datetime
) -> tuple[CreatorTouch | None, CreatorTouch | None]:
    """The person's last launch of the app from a creator between ``since`` and ``at``, and their
    first one ever up to ``at`` (attribution's last and first touch)."""
    rows = session.execute(_TOUCHES, {"user_id": user_id, "app_id": app_id, "at": at, "since": since}).all()
    found = {touch: CreatorTouch(creator_id, post_id) for creator_id, post_id, touch in rows}
    return found.get("last"), found.get("first")


def signed_launch_data(session: Session, secret: str, launch: Launch) -> str | None:
    """The launch's ``initData`` for the app's backend, or None for an app with no secret (no backend)."""
    keys = developers.init_keys(session, launch.app_id)
    if not keys:
        return None
    openid = app_identity.known_openid(session, secret, launch.app_id, launch.user_id)
    return init_data.sign(
        keys,
        app_id=launch.app_id,
        openid=openid,
        launch_id=launch.id,
        source=launch.source,
    )


def recent_plays(session: Session, user_id: str, limit: int = 12) -> list[tuple[str, datetime]]:
    """The apps this person launched, each with its last launch, latest first."""
    last = func.max(Launch.created_at)
    rows = session.execute(
        select(Launch.app_id, last)
        .where(Launch.user_id == user_id)
        .group_by(Launch.app_id)
        .order_by(last.desc())
        .limit(limit)
    ).all()
    return [(row[0], row[1]) for row in rows]


def plays_since(session: Session, app_ids: Collection[str], since: datetime) -> dict[str, int]:
    """How many launches each app had since ``since`` (apps without any are left out)."""
    if not app_ids:
        return {}
    rows = session.execute(
        select(Launch.app_id, func.count())
        .where(Launch.app_id.in_(list(app_ids)), Launch.created_at >= since)
        .group_by(Launch.app_id)
    ).all()
    return {app_id: count for app_id, count in rows}


@dataclass(frozen=True)
class StorageLimits:
    quota_bytes: int
    value_bytes: int
    max_keys: int
    # Games made for YouTube Playables keep Playables' 3 MiB save (ytgame.game.saveData) besides.
    playables_quota_bytes: int = 0

    def quota_for(self, origin_sdk: str | None) -> int:
        """A person's cloud-save bytes in an app made for ``origin_sdk`` (None: a native app)."""
        return max(self.quota_bytes, self.playables_quota_bytes) if origin_sdk == "playables" else self.quota_bytes


def _check_key(key: str) -> None:
    if not STORAGE_KEY.match(key):
        raise InvalidArgument("key must be 1-128 characters of letters, digits, '_', '.', ':' or '-'", field="key")


def get_value(session: Session, *, user_id: str, app_id: str, key: str) -> object:
    _check_key(key)
    row = session.get(CloudSave, (user_id, app_id, key))
    return None if row is None else json.loads(row.value)


def set_value(session: Session, limits: StorageLimits, *, user_id: str, app_id: str, key: str, value: object) -> None:
    _check_key(key)
    if not catalog.app_exists(session, app_id):
        raise InvalidArgument(f"no app {app_id!r}", field="app_id")
    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"value is not JSON: {exc}", field="value") from None
    size = len(text.encode()) + len(key)
    if size > limits.value_bytes:
        raise QuotaExceeded(f"value is {size} bytes; one key holds at most {limits.value_bytes}", field="value")
    # A person's saves in one app take turns: the first write of a key and the quota counted after
    # it hold together (two new keys at once each counted without the other's, and both stayed).
    take_turns(session, "cloud-save", user_id, app_id)
    row = session.get(CloudSave, (user_id, app_id, key))
    if row is None:
        session.add(
            CloudSave(user_id=user_id, app_id=app_id, key=key, value=text, size_bytes=size, updated_at=utcnow())
        )
    else:
        row.value, row.size_bytes, row.updated_at = text, size, utcnow()
    session.flush()
    # Checked after the write, inside the same transaction, so the totals include this value.
    keys, total = session.execute(
        select(func.count(), func.coalesce(func.sum(CloudSave.size_bytes), 0)).where(
            CloudSave.user_id == user_id, CloudSave.app_id == app_id
        )
    ).one()
    if keys > limits.max_keys:
        raise QuotaExceeded(f"an app keeps at most {limits.max_keys} keys per person", field="key")
    # The app's platform of origin is read only for a save over the usual quota.
    if total > limits.quota_bytes and total > (quota := limits.quota_for(catalog.origin_sdk_of(session, app_id))):
        raise QuotaExceeded(f"saving this would use {total} bytes of this app's {quota}-byte quota", field="value")


def remove_value(session: Session, *, user_id: str, app_id: str, key: str) -> None:
    _check_key(key)
    row = session.get(CloudSave, (user_id, app_id, key))
    if row is not None:
        session.delete(row)
        session.flush()


def list_launches(
    session: Session, app_id: str, *, cursor: str | None = None, limit: int = 50
) -> tuple[list[Launch], str | None]:
    """An app's launches, newest first."""
    statement = select(Launch).where(Launch.app_id == app_id)
    if cursor:
        created, launch_id = decode_cursor(cursor, str)
        statement = statement.where(
            or_(Launch.created_at < created, (Launch.created_at == created) & (Launch.id < launch_id))
        )
    rows = list(session.scalars(statement.order_by(Launch.created_at.desc(), Launch.id.desc()).limit(limit + 1)))
    page = rows[:limit]
    return page, (encode_cursor(page[-1].created_at, page[-1].id) if len(rows) > limit else None)


@dataclass(frozen=True)
class Players:
    """How many different people launched an app in each window ending now."""

    app_id: str
    week: int
    previous_week: int
    month: int


def players_by_app(session: Session, *, now: datetime) -> list[Players]:
    """Distinct players per app this week, the week before and the last 30 days, in one grouped
    query over the launches of the last 30 days: what the hub's popular and ranking sections read."""
    week, two_weeks, month = now - timedelta(days=7), now - timedelta(days=14), now - timedelta(days=30)
    statement = (
        select(
            Launch.app_id,
            func.count(func.distinct(case((Launch.created_at >= week, Launch.user_id)))),
            func.count(
                func.distinct(case(((Launch.created_at >= two_weeks) & (Launch.created_at < week), Launch.user_id)))
            ),
            func.count(func.distinct(Launch.user_id)),
        )
        .where(Launch.created_at >= month, Launch.created_at <= now)
        .group_by(Launch.app_id)
    )
    return [Players(app_id, this, before, total) for app_id, this, before, total in session.execute(statement)]
