from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from openminis.db import Base, utcnow


class StaffMember(Base):
    """A person who works for the platform's operator, with one role (staff/service.py's ROLES)."""

    __tablename__ = "staff"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """One staff action, append-only: who did what to which item, when, why, and the item before
    and after (staff/audit.py). Nothing updates or deletes these rows."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))  # "staff:<email> (<role>)" or "operator (admin token)"
    action: Mapped[str] = mapped_column(String(40), index=True)  # takedown, restore, set_fee, refund, approve, ...
    target_kind: Mapped[str] = mapped_column(String(24))  # app, version, post, series, episode, creator, order, ...
    target_id: Mapped[str] = mapped_column(String(120), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
