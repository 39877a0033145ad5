"""Share links: ``/s/{code}`` opens what was shared (a game, a drama series or episode, a post)
directly, for anyone, and the launch it makes names the person who shared it.

The code carries the target and the sharer, signed with the platform's secret, so links need no
table and cannot be forged to credit someone else: ``{kind}.{target}.{sharer}.{signature}``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from openminis.catalog import service as catalog
from openminis.creators.models import Creator, Post
from openminis.drama import catalog as drama
from openminis.errors import InvalidArgument, NotFound

KINDS = {"app": "a", "series": "s", "episode": "e", "post": "p"}
KIND_OF = {letter: kind for kind, letter in KINDS.items()}
NAMES = {"app": "app_id", "series": "series_id", "episode": "series_id and episode", "post": "post_id"}
CODE = re.compile(r"^([aesp])\.([A-Za-z0-9_-]{1,80})\.([A-Za-z0-9_-]{1,40})\.([A-Za-z0-9_-]{16})\Z")


@dataclass(frozen=True)
class Shared:
    """What a share link opens, resolved to the app that runs it."""

    code: str
    kind: str  # app | series | episode | post
    app_id: str
    sharer_id: str
    series_id: str | None = None
    episode: int | None = None
    post_id: str | None = None
    creator_id: str | None = None  # a shared post's creator


def _signature(secret: str, payload: str) -> str:
    digest = hmac.new(secret.encode(), b"share\0" + payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:12]).decode().rstrip("=")


def _target(kind: str, *, app_id: str | None, series_id: str | None, episode: int | None, post_id: str | None) -> str:
    if kind == "app":
        return app_id or ""
    if kind == "series":
        return series_id or ""
    if kind == "episode":
        return f"{series_id}-{episode}" if series_id and isinstance(episode, int) else ""
    return post_id or ""


def create(
    session: Session,
    secret: str,
    *,
    sharer_id: str,
    kind: str,
    app_id: str | None = None,
    series_id: str | None = None,
    episode: int | None = None,
    post_id: str | None = None,
) -> str:
    """A share code for something that exists and can be opened now."""
    if kind not in KINDS:
        raise InvalidArgument(f"kind must be one of {', '.join(KINDS)}", field="kind")
    target = _target(kind, app_id=app_id, series_id=series_id, episode=episode, post_id=post_id)
    if not target:
        raise InvalidArgument(f"a {kind} share names its {NAMES[kind]}", field="kind")
    payload = f"{KINDS[kind]}.{target}.{sharer_id}"
    code = f"{payload}.{_signature(secret, payload)}"
    resolve(session, secret, code)  # refuses a target that does not exist or is not public
    return code


def resolve(session: Session, secret: str, code: str) -> Shared:
    """The shared target, or NotFound for a code that is forged, malformed or whose target is gone."""
    match = CODE.match(code or "")
    if not match or not hmac.compare_digest(match[4], _signature(secret, code.rsplit(".", 1)[0])):
        raise NotFound("no such share link", field="share")
    kind, target, sharer = KIND_OF[match[1]], match[2], match[3]
    if kind == "app":
        app = catalog.published_app(session, target)
        if app is None:
            raise NotFound("the shared app is gone", field="share")
        return Shared(code=code, kind=kind, app_id=app.id, sharer_id=sharer)
    if kind == "post":
        post = session.get(Post, target)
        creator = session.get(Creator, post.creator_id) if post is not None else None
        # A post taken down, or whose creator is suspended, is gone for its links too (moderation/).
        if post is None or post.status != "ready" or post.anchor_app_id is None or not creator or creator.suspended_at:
            raise NotFound("the shared post is gone", field="share")
        return Shared(
            code=code,
            kind=kind,
            app_id=post.anchor_app_id,
            sharer_id=sharer,
            series_id=post.anchor_series_id,
            episode=post.anchor_episode,
            post_id=post.id,
            creator_id=post.creator_id,
        )
    series_id, _, number = target.rpartition("-") if kind == "episode" else (target, "", "")
    try:
        series = drama.published_series(session, series_id)
    except NotFound:
        raise NotFound("the shared series is gone", field="share") from None
    if kind == "episode":
        if not number.isdigit() or not drama.has_episode(session, series.id, int(number), ready_only=True):
            raise NotFound("the shared episode is gone", field="share")
        return Shared(
            code=code, kind=kind, app_id=series.app_id, sharer_id=sharer, series_id=series.id, episode=int(number)
        )
    return Shared(code=code, kind=kind, app_id=series.app_id, sharer_id=sharer, series_id=series.id)
