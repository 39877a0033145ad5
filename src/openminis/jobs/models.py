from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from openminis.db import Base, utcnow


class Job(Base):
    """A unit of background work, durable across restarts.

    A worker leases a job (``locked_until``) and renews the lease while it runs it; if the worker
    dies the lease runs out and another worker takes the job again, so handlers must be idempotent.
    """

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_due", "status", "run_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Enqueuing the same unique key twice makes one job (a retried request enqueues nothing more).
    unique_key: Mapped[str | None] = mapped_column(String(200), unique=True, default=None)
    # Calls to a developer's backend run on delivery lanes: ``lane`` is whose backend (the app id),
    # so that one app's calls are limited and broken off without holding up another's; ``ref`` is
    # what the job is about (a notification's event id), to find it again for a resend.
    lane: Mapped[str | None] = mapped_column(String(64), default=None)
    ref: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued | running | done | dead
    # Claimed only when no due job without it can be (jobs.service.enqueue's ``behind``).
    behind: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    run_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class Circuit(Base):
    """A lane's circuit breaker: after ``failures`` consecutive failed calls it opens, and no call
    goes to that backend until ``open_until``; then one call probes it (half-open), and its outcome
    closes the circuit or opens it again."""

    __tablename__ = "circuits"

    lane: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    open_until: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
