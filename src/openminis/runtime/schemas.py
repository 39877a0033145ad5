from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class LaunchIn(BaseModel):
    launch_id: str = Field(max_length=64)
    app_id: str = Field(max_length=40)
    source: str = Field(max_length=32)
    post_id: str | None = Field(default=None, max_length=32)  # source "post": which creator post
    share: str | None = Field(default=None, max_length=200)  # source "share": the link's code


class LaunchOut(BaseModel):
    launch_id: str
    app_id: str
    version: str
    # Signed launch data for the app's backend (None for apps registered without a secret).
    init_data: str | None = None
    # The platform the launched version was made for (``minis import``), None for a native app.
    origin_sdk: str | None = None
    # Opened from a minis.share link: the payload the sharer's app put in it, the context the opener
    # joined, and the sharer's openid in the app (minis.getLaunchOptions()).
    query: dict[str, str] = Field(default_factory=dict)
    context: str | None = None
    referrer: str | None = None


class StorageValueIn(BaseModel):
    value: Any


class StorageValueOut(BaseModel):
    value: Any


class Ok(BaseModel):
    ok: bool = True


class FavouriteOut(BaseModel):
    app_id: str
    favourite: bool


class AboutOut(BaseModel):
    app_id: str
    name: str
    version: str  # the version this person gets (a staged one for people in its share)
    description: str
    developer: str | None  # the studio's name; None for an app no developer owns (a house app)
    privacy_policy_url: str | None  # from the version's manifest, when it names one
