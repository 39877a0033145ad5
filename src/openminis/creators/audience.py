"""A creator's audience: who likes their posts and who follows them.

Liking and following are acts of a signed-in person (a guest is asked to sign in first), so that
the counts, and the ranking signal the likes give, are people and not browsers. Each is one row
per (thing, person) set with PUT and cleared with DELETE: a burst of the same tap, or a retry,
leaves one row.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from openminis.creators.models import Creator, Follow, Post, PostLike
from openminis.db import insert_ignoring_conflicts, utcnow
from openminis.errors import Forbidden, InvalidArgument, NotFound
from openminis.identity import service as identity

FOLLOWING_PAGE_MAX = 50


def _signed_in(session: Session, user_id: str) -> None:
    user = identity.get_user(session, user_id)
    if user is None or user.kind == "guest":
        raise Forbidden("sign in to like posts and follow creators", code="SIGN_IN_REQUIRED")


def _shown_post(session: Session, post_id: str) -> Post:
    post = session.get(Post, post_id)
    if post is None or post.status != "ready":
        raise NotFound(f"no post {post_id!r}")
    creator = session.get(Creator, post.creator_id)
    if creator is None or creator.suspended_at is not None:
        raise NotFound(f"no post {post_id!r}")
    return post


def set_like(session: Session, user_id: str, post_id: str, *, liked: bool) -> tuple[bool, int]:
    """Like or unlike a published post; returns whether the person likes it now and its like count."""
    _signed_in(session, user_id)
    _shown_post(session, post_id)
    if liked:
        insert_ignoring_conflicts(session, PostLike, {"post_id": post_id, "user_id": user_id, "created_at": utcnow()})
    else:
        session.execute(delete(PostLike).where(PostLike.post_id == post_id, PostLike.user_id == user_id))
    session.flush()
    # No changes.listed here: a like is a ranking signal, read by the next snapshot (TTL), and
    # rebuilding at every tap would push the snapshots of people's cursor chains out.
    return liked, like_counts(session, [post_id]).get(post_id, 0)


def ranked_like_app(session: Session, user_id: str, post_id: str) -> str | None:
    """The app a like of this post is a ranking signal for (its anchor's: the feed serves a post
    with it), or None: a post without an anchor is not in the feed, and a creator's like of their
    own post is no signal (social56)."""
    post = session.get(Post, post_id)
    if post is None or post.creator_id == user_id:
        return None
    return post.anchor_app_id


def resolve_creator(session: Session, handle_or_id: str) -> Creator:
    """A creator (not suspended) by handle (with or without @) or by user id."""
    key = handle_or_id.strip().removeprefix("@")
    if not key or len(key) > 64:
        raise InvalidArgument("name a creator by handle or id", field="creator")
    creator = session.scalar(select(Creator).where(Creator.handle == key.lower())) or session.get(Creator, key)
    if creator is None or creator.suspended_at is not None:
        raise NotFound(f"no creator {handle_or_id!r}")
    return creator


def set_follow(session: Session, user_id: str, handle_or_id: str, *, following: bool) -> tuple[Creator, bool, int]:
    """Follow or unfollow a creator; returns the creator, whether the person follows them now, and
    their follower count."""
    _signed_in(session, user_id)
    creator = resolve_creator(session, handle_or_id)
    if creator.user_id == user_id:
        raise InvalidArgument("you cannot follow yourself", field="creator")
    if following:
        insert_ignoring_conflicts(
            session, Follow, {"creator_id": creator.user_id, "follower_id": user_id, "created_at": utcnow()}
        )
    else:
        session.execute(delete(Follow).where(Follow.creator_id == creator.user_id, Follow.follower_id == user_id))
    session.flush()
    return creator, following, follower_counts(session, [creator.user_id]).get(creator.user_id, 0)


def like_counts(session: Session, post_ids: Collection[str]) -> dict[str, int]:
    if not post_ids:
        return {}
    rows = session.execute(
        select(PostLike.post_id, func.count()).where(PostLike.post_id.in_(set(post_ids))).group_by(PostLike.post_id)
    )
    return {post_id: count for post_id, count in rows}


def liked_by(session: Session, user_id: str | None, post_ids: Collection[str]) -> set[str]:
    if not user_id or not post_ids:
        return set()
    statement = select(PostLike.post_id).where(PostLike.user_id == user_id, PostLike.post_id.in_(set(post_ids)))
    return set(session.scalars(statement))


def follower_counts(session: Session, creator_ids: Collection[str]) -> dict[str, int]:
    if not creator_ids:
        return {}
    rows = session.execute(
        select(Follow.creator_id, func.count())
        .where(Follow.creator_id.in_(set(creator_ids)))
        .group_by(Follow.creator_id)
    )
    return {creator_id: count for creator_id, count in rows}


def followed_by(session: Session, user_id: str | None, creator_ids: Collection[str]) -> set[str]:
    if not user_id or not creator_ids:
        return set()
    statement = select(Follow.creator_id).where(Follow.follower_id == user_id, Follow.creator_id.in_(set(creator_ids)))
    return set(session.scalars(statement))


def all_likers(session: Session) -> set[tuple[str, str]]:
    """Every like as (post id, user id), for the ranking's snapshot (one scan of the primary key)."""
    return {(post_id, user_id) for post_id, user_id in session.execute(select(PostLike.post_id, PostLike.user_id))}


def following_posts(session: Session, user_id: str, *, before: tuple[datetime, str] | None, limit: int) -> list[Post]:
    """Published posts of the creators the person follows, newest first, older than ``before``
    (published_at, id) when given."""
    if not 1 <= limit <= FOLLOWING_PAGE_MAX:
        raise InvalidArgument(f"limit is 1 to {FOLLOWING_PAGE_MAX}", field="limit")
    followed = select(Follow.creator_id).where(Follow.follower_id == user_id)
    suspended = select(Creator.user_id).where(Creator.suspended_at.is_not(None))
    statement = (
        select(Post)
        .where(
            Post.status == "ready",
            Post.published_at.is_not(None),
            Post.creator_id.in_(followed),
            Post.creator_id.not_in(suspended),
        )
        .order_by(Post.published_at.desc(), Post.id.desc())
        .limit(limit)
    )
    if before is not None:
        at, post_id = before
        statement = statement.where((Post.published_at < at) | ((Post.published_at == at) & (Post.id < post_id)))
    return list(session.scalars(statement))


def erase(session: Session, user_id: str) -> None:
    """A deleted person's likes and follows go with them: they were the person's acts."""
    session.execute(delete(PostLike).where(PostLike.user_id == user_id))
    session.execute(delete(Follow).where(Follow.follower_id == user_id))
