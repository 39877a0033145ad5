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
