from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class LaunchIn(BaseModel):
    launch_id: str = Field(max_length=64)
    app_id: str = Field(max_length=40)
    source: str = Field(max_length=32)


class LaunchOut(BaseModel):
    launch_id: str
    app_id: str
    version: str
    # Signed launch data for the app's backend (None for apps registered without a secret).
    init_data: str | None = None


class StorageValueIn(BaseModel):
    value: Any


class StorageValueOut(BaseModel):
    value: Any


class Ok(BaseModel):
    ok: bool = True
