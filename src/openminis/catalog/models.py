from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from openminis.db import Base, utcnow


class FileEntry(TypedDict):
    """One file of a version in its files index."""

    size: int
    sha256: str


class App(Base):
    """A mini-program. Its id is also its origin's first label, so it is a DNS label."""

    __tablename__ = "apps"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(16), index=True)
    category: Mapped[str] = mapped_column(String(32), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # The version everyone gets; None until a first version is released (an app registered by a
    # developer has none yet). A staged version goes to ``staged_percent`` % of people, each placed
    # by a stable hash of the app and the person (releases.version_for).
    released_version: Mapped[str | None] = mapped_column(String(64), default=None)
    staged_version: Mapped[str | None] = mapped_column(String(64), default=None)
    staged_percent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    developer_id: Mapped[str | None] = mapped_column(
        ForeignKey("developers.id", ondelete="SET NULL"), default=None, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set while a moderator has the app taken down or suspended (moderation/): it is then out of
    # every listing and no one may launch it, buy in it or call the Open API for it but to read
    # and refund (service.require_open).
    taken_down_at: Mapped[datetime | None] = mapped_column(default=None)


class AppVersion(Base):
    """One immutable upload of an app: its manifest and what its files weigh."""

    __tablename__ = "app_versions"
    __table_args__ = (UniqueConstraint("app_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    version: Mapped[str] = mapped_column(String(64))
    manifest: Mapped[dict[str, Any]] = mapped_column(JSON)
    files: Mapped[dict[str, FileEntry]] = mapped_column(JSON)  # path -> its size and hash
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    # Where the files are in the package store; unique per upload, so a failed publish
    # can remove its own files without touching a concurrent winner's.
    storage_key: Mapped[str] = mapped_column(String(200))
    # uploaded -> checked -> in_review -> approved | rejected -> released -> superseded (releases.py).
    state: Mapped[str] = mapped_column(String(16), default="uploaded", server_default="released", index=True)
    check_report: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # Whether the version was ever released: its files are then public at /v/{version}/ for good
    # (a person who got it may still be running it), where others are served only to previews.
    public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class VersionEvent(Base):
    """Who did what to a version, and when: the version's history, append-only."""

    __tablename__ = "version_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    version: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(24))  # uploaded, checked, submitted, approved, ...
    state: Mapped[str] = mapped_column(String(16))  # the version's state after the action
    actor: Mapped[str] = mapped_column(String(120))  # "developer:<id> <name>", "staff:<email>", "operator", "checker"
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
