from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from openminis.inputs import Input


class ErrorOut(BaseModel):
    """The one error envelope of every endpoint."""

    code: str = Field(examples=["CODE_EXPIRED"])
    message: str
    request_id: str
    field: str | None = None


class TokenIn(Input):
    grant_type: Literal["client_credentials"]
    client_id: str = Field(min_length=1, max_length=40, description="the app id")
    client_secret: str = Field(min_length=1, max_length=200)


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int


class CodeIn(Input):
    code: str = Field(min_length=1, max_length=200, description="the code minis.login() returned")


class UserSessionOut(BaseModel):
    openid: str
    unionid: str
    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int
    refresh_expires_in: int
    scope: str


class RefreshIn(Input):
    refresh_token: str = Field(min_length=1, max_length=200)


class RevokeIn(Input):
    token: str = Field(min_length=1, max_length=200)


class UserInfoOut(BaseModel):
    openid: str
    unionid: str
    display_name: str | None = Field(description="only after the person consented in getUserProfile()")
    avatar_url: str | None


class AppOut(BaseModel):
    app_id: str
    name: str
    kind: str
    category: str
    latest_version: str | None
    origin: str


class VersionItem(BaseModel):
    version: str
    size_bytes: int
    sha256: str
    created_at: datetime
    state: str = Field(
        default="released",
        description="uploaded, checked, in_review, approved, rejected, released or superseded (docs/publishing.md)",
    )
    check_report: dict[str, Any] | None = Field(default=None, description="the platform's checks of the version")


class VersionPage(BaseModel):
    items: list[VersionItem]
    next_cursor: str | None


class LaunchItem(BaseModel):
    launch_id: str
    openid: str
    source: str
    version: str
    created_at: datetime


class LaunchPage(BaseModel):
    items: list[LaunchItem]
    next_cursor: str | None


class Revoked(BaseModel):
    revoked: bool = True
