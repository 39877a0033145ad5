from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class DeveloperIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=80)


class DeveloperOut(BaseModel):
    id: str
    name: str


class AppIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    app_id: str = Field(max_length=40)
    name: str = Field(max_length=60)
    kind: Literal["game", "drama"]


class AppCreatedOut(BaseModel):
    app_id: str
    app_secret: str = Field(description="shown this once; the platform keeps only its hash")


class RotateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grace_seconds: int = Field(default=86_400, ge=0, le=7 * 86_400)


class SecretOut(BaseModel):
    app_secret: str
    previous_valid_for_seconds: int


class DeveloperAppOut(BaseModel):
    app_id: str
    name: str
    kind: str
    latest_version: str | None


class DeveloperAppList(BaseModel):
    items: list[DeveloperAppOut]
