from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from openminis.db import Base, utcnow


class User(Base):
    """A person. Everyone starts as a guest on the first visit; nothing is asked before playing.

    Upgrading to a full account sets an email (and perhaps a password) on the same row, so coins,
    saves and purchases stay where they are. An email is set only once its owner proved it (a code
    or a link that came back from the mailbox); accounts made before verification existed have
    ``email_verified_at`` empty and give the email up when its owner proves it.
    """

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="guest")
    display_name: Mapped[str] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(254), unique=True, default=None)
    password_hash: Mapped[str | None] = mapped_column(Text, default=None)
    email_verified_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when the person deleted their account: the row stays, with no personal data, so the money
    # records that name its id (ledger, orders, unlocks) still add up (openminis/erasure.py).
    erased_at: Mapped[datetime | None] = mapped_column(default=None)


class EmailVerification(Base):
    """A registration waiting for the code mailed to its address. Until the code comes back the
    email is not the guest's: anyone may ask for any address, and the one who proves it wins."""

    __tablename__ = "email_verifications"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    # None when a full account made before verification existed proves the email it already has.
    password_hash: Mapped[str | None] = mapped_column(Text, default=None)
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class AuthSession(Base):
    """A browser's sign-in. Only the token's hash is stored, so a database leak signs no one in."""

    __tablename__ = "auth_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class SignInLink(Base):
    """A one-time sign-in link sent to an email address. Opening it only shows a page that asks;
    the sign-in is the POST from that page."""

    __tablename__ = "sign_in_links"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    # The guest who asked. A first sign-in may upgrade this guest instead of making a new account,
    # but only when that guest's own browser confirms the link, and says yes to it.
    guest_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    # The hash of the nonce in the asking browser's link cookie: who opens the link where it was asked for.
    browser_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class LoginCode(Base):
    """The one-time code ``minis.login()`` returns: bound to one app, one use, minutes to live."""

    __tablename__ = "login_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class UserToken(Base):
    """An access or refresh token a developer's backend holds for one person in one app."""

    __tablename__ = "user_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # "access" | "refresh"
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    scope: Mapped[str] = mapped_column(String(200))
    # Tokens issued together (one code exchange and its refreshes) share a family, so that a
    # refresh token used twice, the mark of a stolen one, revokes the whole family.
    family: Mapped[str] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class Authorization(Base):
    """What a person has let an app see; revoking it ends every token the app holds for them."""

    __tablename__ = "authorizations"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    profile: Mapped[bool] = mapped_column(default=False)  # consented to share name and avatar
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class AppUser(Base):
    """Who an openid is. Openids are one-way (an HMAC), so the platform keeps this map to find the
    person behind an openid a developer's backend names (an order created by the backend)."""

    __tablename__ = "app_users"

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
