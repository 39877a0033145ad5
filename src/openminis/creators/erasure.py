"""Creators' part of a person's data (openminis/erasure.py): the creator profile and the posts. A
deletion blanks the profile and removes each post and its media; commissions earned stay (wallet)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from openminis.creators import audience, service
from openminis.creators.models import Creator, Follow, Post, PostLike
from openminis.identity.erasure import ERASED_NAME
from openminis.rows import as_dict
from openminis.storage import ObjectStore


def export(session: Session, user_id: str) -> dict[str, Any]:
    creator = session.get(Creator, user_id)
    acts = {
        "likes": [as_dict(row) for row in session.scalars(select(PostLike).where(PostLike.user_id == user_id))],
        "follows": [as_dict(row) for row in session.scalars(select(Follow).where(Follow.follower_id == user_id))],
    }
    if creator is None:
        return {"creator": None, "posts": [], **acts}
    posts = session.scalars(select(Post).where(Post.creator_id == user_id))
    return {"creator": as_dict(creator), "posts": [as_dict(row) for row in posts], **acts}


def erase(session: Session, user_id: str, *, media: ObjectStore) -> None:
    """Post media goes here, before the commit: a post without its media is harmless, the reverse is not."""
    audience.erase(session, user_id)
    creator = session.get(Creator, user_id)
    if creator is None:
        return
    for post in session.scalars(select(Post).where(Post.creator_id == user_id)).all():
        if post.media_key:
            media.delete_folder(service.media_folder(post.media_key))
        post.caption, post.media_key, post.status = "", None, "removed"
        post.anchor_kind, post.anchor_app_id, post.anchor_series_id, post.anchor_episode = None, None, None, None
    creator.display_name, creator.bio, creator.handle = ERASED_NAME, "", f"deleted-{user_id[:24]}"
