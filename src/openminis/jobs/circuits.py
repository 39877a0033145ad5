"""Delivery lanes: calls to developers' backends share a few threads, and one backend cannot take
them all. Each app's calls are a lane; a lane holds at most ``per_lane`` running calls, and its
circuit breaker stops calling a backend that keeps failing until a probe finds it back.

The state is in the database (running jobs' leases, the ``circuits`` table), so the limits hold
across every ``minis worker`` process sharing the job table, not only within one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, and_, case, func, or_, select, update
from sqlalchemy.orm import Session

from openminis.db import insert_ignoring_conflicts
from openminis.jobs.models import Circuit, Job

# PostgreSQL: claims of laned jobs take this transaction-level advisory lock, so two workers cannot
# both see a lane below its limit (or a half-open circuit) and both claim: the count would overshoot.
CLAIM_LOCK = 0x6D696E6973  # "minis"


@dataclass(frozen=True)
class Lanes:
    per_lane: int = 2
    breaker_failures: int = 5
    breaker_cooldown: timedelta = timedelta(seconds=60)


def claimable(statement: Select[Job], now: datetime, lanes: Lanes) -> Select[Job]:
    """``statement`` (over jobs) without the jobs of lanes that are full or whose circuit is open."""
    full = (
        select(Job.lane)
        .where(Job.status == "running", Job.locked_until >= now, Job.lane.is_not(None))
        .group_by(Job.lane)
        .having(func.count() >= lanes.per_lane)
    )
    broken = select(Circuit.lane).where(Circuit.open_until > now)
    return statement.where(or_(Job.lane.is_(None), and_(Job.lane.not_in(full), Job.lane.not_in(broken))))


def lock_claims(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(CLAIM_LOCK)))


def claimed(session: Session, lane: str, now: datetime, lease: timedelta, lanes: Lanes) -> None:
    """A job of ``lane`` was just claimed: if its circuit had opened, this call is the one probe
    (half-open), and the circuit stays shut to others until the probe's outcome is known."""
    circuit = session.get(Circuit, lane)
    if circuit is not None and circuit.failures >= lanes.breaker_failures:
        circuit.open_until, circuit.updated_at = now + lease, now


def record(session: Session, lane: str, ok: bool, now: datetime, lanes: Lanes) -> None:
    """A call of ``lane`` ended: success closes the circuit, a failure counts towards opening it."""
    if ok:
        session.execute(
            update(Circuit)
            .where(Circuit.lane == lane, Circuit.failures > 0)
            .values(failures=0, open_until=None, updated_at=now)
        )
        return
    insert_ignoring_conflicts(session, Circuit, {"lane": lane, "failures": 0, "updated_at": now})
    # One statement: concurrent outcomes of the same lane each count (no lost read-modify-write).
    session.execute(
        update(Circuit)
        .where(Circuit.lane == lane)
        .values(
            failures=Circuit.failures + 1,
            open_until=case(
                (Circuit.failures + 1 >= lanes.breaker_failures, now + lanes.breaker_cooldown), else_=Circuit.open_until
            ),
            updated_at=now,
        )
    )


def half_open(session: Session, lane: str, now: datetime) -> None:
    """Let the next call of ``lane`` through as a probe now (a developer asked for a resend: they
    say their backend is back)."""
    session.execute(
        update(Circuit).where(Circuit.lane == lane, Circuit.open_until > now).values(open_until=now, updated_at=now)
    )


def state(session: Session, lane: str, now: datetime, lanes: Lanes) -> str:
    """closed, open or half-open, as the developer is told."""
    circuit = session.get(Circuit, lane)
    if circuit is None or circuit.failures < lanes.breaker_failures:
        return "closed"
    return "open" if circuit.open_until is not None and circuit.open_until > now else "half-open"
