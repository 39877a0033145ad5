"""Durable background jobs over one table: enqueue in the caller's transaction, run with leases.

The embedded default runs a worker thread inside ``minis serve``; at scale ``minis worker``
processes share the same table, PostgreSQL handing each job to one of them (``SKIP LOCKED``).
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from openminis.db import Database, insert_ignoring_conflicts, utcnow
from openminis.jobs.models import Job

log = logging.getLogger("openminis.jobs")
LEASE = timedelta(minutes=2)


class Retry(Exception):
    """Raised by a handler to try again later (the job's backoff decides when, unless ``after`` is given)."""

    def __init__(self, reason: str, after: timedelta | None = None):
        super().__init__(reason)
        self.after = after


@dataclass(frozen=True)
class Policy:
    """How a kind of job retries: exponential backoff from ``first`` up to ``cap``, for ``give_up_after``."""

    first: timedelta = timedelta(seconds=10)
    cap: timedelta = timedelta(hours=1)
    give_up_after: timedelta = timedelta(hours=48)

    def delay(self, attempts: int) -> timedelta:
        return min(self.first * (2 ** max(attempts - 1, 0)), self.cap)


Handler = Callable[[Session, dict], None]


@dataclass
class Kind:
    handler: Handler
    policy: Policy


class Registry:
    """What each job kind does. Domains register their handlers when the platform starts."""

    def __init__(self):
        self.kinds: dict[str, Kind] = {}

    def register(self, kind: str, handler: Handler, policy: Policy | None = None) -> None:
        self.kinds[kind] = Kind(handler, policy or Policy())


def enqueue(session: Session, kind: str, payload: dict, *, unique_key: str | None = None, run_at: datetime | None = None) -> bool:
    """Add a job in the caller's transaction: it exists only if the caller's work commits.
    Returns False when a job with the same unique key already exists (nothing is added)."""
    now = utcnow()
    return insert_ignoring_conflicts(
        session, Job, {"kind": kind, "payload": payload, "unique_key": unique_key, "status": "queued", "attempts": 0, "run_at": run_at or now, "created_at": now}
    )


def claim(session: Session, now: datetime, *, only: frozenset[str] | None = None, skip: frozenset[str] = frozenset()) -> Job | None:
    """Lease the next due job (queued and due, or running with a lapsed lease) and commit the lease.
    ``only`` and ``skip`` restrict the kinds, so that slow work can have a lane of its own."""
    due = or_((Job.status == "queued") & (Job.run_at <= now), (Job.status == "running") & (Job.locked_until < now))
    statement = select(Job).where(due).order_by(Job.run_at, Job.id).limit(1)
    if only is not None:
        statement = statement.where(Job.kind.in_(only))
    if skip:
        statement = statement.where(Job.kind.not_in(skip))
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    job = session.scalar(statement)
    if job is None:
        session.rollback()
        return None
    job.status, job.locked_until, job.attempts = "running", now + LEASE, job.attempts + 1
    session.commit()
    return job


class Worker:
    """Runs due jobs. ``clock`` is injectable, so tests can let a simulated hour pass."""

    def __init__(
        self, db: Database, registry: Registry, *, clock: Callable[[], datetime] = utcnow,
        only: frozenset[str] | None = None, skip: frozenset[str] = frozenset(),
    ):
        self.db, self.registry, self.clock = db, registry, clock
        self.only, self.skip = only, skip
        self.name = f"worker-{secrets.token_hex(3)}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> bool:
        """Run one due job, if any. Returns whether one ran."""
        now = self.clock()
        with self.db.session() as session:
            job = claim(session, now, only=self.only, skip=self.skip)
            if job is None:
                return False
            kind = self.registry.kinds.get(job.kind)
            try:
                if kind is None:
                    raise RuntimeError(f"no handler for job kind {job.kind!r}")
                kind.handler(session, dict(job.payload))
                session.commit()
                self._finish(session, job.id, status="done", error=None, run_at=None)
            except Exception as exc:  # a handler failure must never stop the worker
                session.rollback()
                policy = kind.policy if kind else Policy()
                after = exc.after if isinstance(exc, Retry) and exc.after else policy.delay(job.attempts)
                give_up = now + after > job.created_at + policy.give_up_after
                if not isinstance(exc, Retry):
                    log.warning("job %s (%s) failed on attempt %d: %s", job.id, job.kind, job.attempts, exc)
                self._finish(session, job.id, status="dead" if give_up else "queued", error=str(exc)[:2000], run_at=None if give_up else now + after)
            return True

    def _finish(self, session: Session, job_id: int, *, status: str, error: str | None, run_at: datetime | None) -> None:
        values = {"status": status, "locked_until": None, "last_error": error}
        if run_at is not None:
            values["run_at"] = run_at
        if status in ("done", "dead"):
            values["finished_at"] = self.clock()
        session.execute(update(Job).where(Job.id == job_id).values(**values))
        session.commit()

    def drain(self, limit: int = 10_000) -> int:
        """Run every job that is due now; returns how many ran (tests and ``minis worker --once``)."""
        ran = 0
        while ran < limit and self.run_once():
            ran += 1
        return ran

    def start(self, poll_seconds: float = 0.5) -> None:
        def loop():
            while not self._stop.is_set():
                try:
                    busy = self.run_once()
                except Exception:  # the database may be briefly unavailable; keep the worker alive
                    log.exception("job worker error")
                    busy = False
                if not busy:
                    self._stop.wait(poll_seconds)

        self._thread = threading.Thread(target=loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)
