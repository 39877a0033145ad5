from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from openminis.inputs import Input


class UserOut(BaseModel):
    id: str
    display_name: str
    kind: str
    email: str | None = None
    avatar_url: str
    # False for an account made before emails were verified: it is asked to prove its email.
    email_verified: bool = False
    # The email a guest asked to register, waiting for the code mailed to it.
    pending_email: str | None = None


class MeOut(BaseModel):
    user: UserOut
    csrf_token: str


class SignedInOut(MeOut):
    """A sign-in's answer: the account this browser is now, and the coins its guest had, which were
    added to the account (0 when there were none, or the browser was signed in to an account)."""

    guest_coins_added: int = 0


class RegisterIn(Input):
    email: str = Field(max_length=254)
    password: str = Field(max_length=256)


class SignInIn(RegisterIn):
    pass


class VerifyIn(Input):
    code: str = Field(max_length=20)


class CodeSent(BaseModel):
    """A verification code went to ``email``; the account is the guest's once the code comes back."""

    ok: bool = True
    email: str
    delivery: Literal["email", "log"]


class ConfirmLinkIn(Input):
    token: str = Field(max_length=100)
    # Make the account from this browser's guest, with its coins and progress (only offered to the
    # guest that asked for the link, in its own browser).
    keep_guest: bool = False


class LinkIn(Input):
    email: str = Field(max_length=254)


class LinkSent(BaseModel):
    ok: bool = True
    # "email": sent through the SMTP server; "log": no mail server (development), the link is in
    # the server's log.
    delivery: Literal["email", "log"]


class RenameIn(Input):
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
