from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openminis.db import Base, utcnow


class Developer(Base):
    """A studio or producer. A signed-in person becomes one; developers own apps."""

    __tablename__ = "developers"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AppSecret(Base):
    """An app's secret, stored only as a hash, plus the launch-data signing key derived from it.

    A rotation keeps the previous secret alive until ``expires_at`` (the grace period).
    """

    __tablename__ = "app_secrets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # HMAC-SHA256(secret, "minis-init-data"): the developer derives it from the secret; we must
    # keep it to sign, but it does not give back the secret or authenticate as the app.
    init_key: Mapped[str] = mapped_column(String(64))
    # HMAC-SHA256(secret, "minis-notify"): signs server notifications, derived like init_key.
    notify_key: Mapped[str] = mapped_column(String(64), server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)


class AppToken(Base):
    """A short-lived server access token (OAuth client credentials) for one app."""

    __tablename__ = "app_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    secret_id: Mapped[int] = mapped_column(ForeignKey("app_secrets.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class AppMember(Base):
    """A developer on an app's team, with a role: owner, developer, viewer or tester (team.py)."""

    __tablename__ = "app_members"

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    developer_id: Mapped[str] = mapped_column(
        ForeignKey("developers.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class AppInvite(Base):
    """An invitation, by email, to an app's team; the invited person accepts it signed in with that email."""

    __tablename__ = "app_invites"
    __table_args__ = (UniqueConstraint("app_id", "email"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(16))
    invited_by: Mapped[str | None] = mapped_column(ForeignKey("developers.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(default=None)
