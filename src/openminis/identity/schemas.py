from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class UserOut(BaseModel):
    id: str
    display_name: str
    kind: str
    email: str | None = None
    avatar_url: str


class MeOut(BaseModel):
    user: UserOut
    csrf_token: str


class RegisterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=254)
    password: str = Field(max_length=256)


class SignInIn(RegisterIn):
    pass


class LinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=254)


class LinkSent(BaseModel):
    ok: bool = True
    # "email": sent through the SMTP server; "log": no mail server (development), the link is in
    # the server's log.
    delivery: Literal["email", "log"]


class RenameIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    display_name: str = Field(max_length=80)


class LoginCodeOut(BaseModel):
    code: str
    expires_in: int


class ProfileOut(BaseModel):
    """What the app receives after the person accepts the consent sheet."""

    display_name: str
    avatar_url: str


class AuthorizationOut(BaseModel):
    app_id: str
    name: str
    icon_url: str | None
    profile: bool
    granted_at: datetime


class AuthorizationList(BaseModel):
    items: list[AuthorizationOut]
