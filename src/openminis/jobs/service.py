"""Durable background jobs over one table: enqueue in the caller's transaction, run with leases.

The embedded default runs a worker thread inside ``minis serve``; at scale ``minis worker``
processes share the same table, PostgreSQL handing each job to one of them (``SKIP LOCKED``).

A job kind that calls a developer's backend is a ``Call``, run in three steps so that no database
transaction (on SQLite, the one write lock) is held while the backend takes its time: ``prepare``
in one short transaction, ``send`` with no session open, ``record`` the outcome in another short
transaction with the job's next attempt. Such jobs run on delivery lanes (``circuits.py``).

A claim is a lease: while the job's work runs, its worker renews the lease every third of it, in a
short unit of its own; a worker that died renews nothing, and once the lease lapses another worker
claims the job again. Each claim counts an attempt, and the attempt is the claim's token: renewing
and finishing change the job only while it is still running that attempt, so a worker that lost
its claim (it stalled past its lease and another took the job) leaves the job to the new claim.

A job enqueued ``behind`` is claimed only when no due job without it can be.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, Protocol, TypedDict, TypeVar, cast

from sqlalchemy import Connection, CursorResult, Engine, or_, select, update
from sqlalchemy.orm import Session

from openminis.db import Database, insert_ignoring_conflicts, utcnow
from openminis.egress import Outcome
from openminis.jobs import circuits
from openminis.jobs.circuits import Lanes
from openminis.jobs.models import Job
from openminis.unit_of_work import after_commit, unit_of_work

log = logging.getLogger("openminis.jobs")
# How long a claim holds a job without a word from its worker: the worker renews it while the job
# runs, so this is how soon a job whose worker died is taken again, not how long a job may take.
LEASE = timedelta(minutes=2)

# A job enqueued ``behind`` waits for every other due job: it is claimed only when no job without
# it can be (in its lane, or anywhere). It is for work anyone can cause in bulk and nobody waits
# for (a tournament's end told to the app's backend), so that it never holds up what people do wait
# for in the same lane (an order's notification: a probe's 240 tournaments delayed one by 57 s).


class Retry(Exception):
    """Raised by a handler to try again later (the job's backoff decides when, unless ``after`` is given)."""

    def __init__(self, reason: str, after: timedelta | None = None):
        super().__init__(reason)
        self.after = after


@dataclass(frozen=True)
class Policy:
    """How a kind of job retries: exponential backoff from ``first`` up to ``cap``, for
    ``give_up_after``; or, when ``schedule`` is given, after each failed attempt the next delay in
    it, giving up when it runs out (a schedule a developer can read in the docs)."""

    first: timedelta = timedelta(seconds=10)
    cap: timedelta = timedelta(hours=1)
    give_up_after: timedelta = timedelta(hours=48)
    schedule: tuple[timedelta, ...] = ()

    def delay(self, attempts: int) -> timedelta:
        if self.schedule:
            return self.schedule[min(max(attempts, 1), len(self.schedule)) - 1]
        factor: int = 2 ** max(attempts - 1, 0)
        return min(self.first * factor, self.cap)

    def next_run(
        self, attempts: int, now: datetime, created_at: datetime, after: timedelta | None = None
    ) -> datetime | None:
        """When to try again after failed attempt number ``attempts``, or None to give up."""
        if self.schedule:
            return None if attempts > len(self.schedule) else now + (after or self.delay(attempts))
        after = after or self.delay(attempts)
        return None if now + after > created_at + self.give_up_after else now + after


Payload = dict[str, Any]
"""A job's payload: JSON, stored with the job."""

Handler = Callable[[Session, Payload], None]

Prepared = TypeVar("Prepared")


class Call(Protocol[Prepared]):
    """A job kind that calls a developer's backend, in three steps (see the module's docstring)."""

    def prepare(self, session: Session, payload: Payload) -> Prepared | None:
        """What to send (None: nothing to send any more, the job is done). May write; committed before the call."""

    def send(self, prepared: Prepared) -> Outcome:
        """Make the call. No session is open."""

    def record(
        self,
        session: Session,
        payload: Payload,
        prepared: Prepared,
        outcome: Outcome,
        *,
        attempt: int,
        next_attempt: datetime | None,
    ) -> None:
        """Log the attempt for the developer, in the transaction that also finishes the job."""


class ToProvider(Protocol):
    """What a ProviderCall asks: it names the provider that is asked."""

    @property
    def provider(self) -> str: ...


Asking = TypeVar("Asking", bound=ToProvider)
Answer = TypeVar("Answer")
Provider = TypeVar("Provider")

# A provider that cannot be reached is asked again for three days; then what was asked stays
# waiting, its last error saying "gave up", for the operator to see.
PROVIDER_POLICY = Policy(first=timedelta(minutes=1), cap=timedelta(hours=2), give_up_after=timedelta(days=3))


@dataclass
class Asked(Generic[Asking, Answer]):
    """What a ProviderCall asks, and the answer once it came."""

    what: Asking
    answer: Answer | None = None


class ProviderCall(Generic[Asking, Answer, Provider]):
    """A Call that asks an outside provider (a payment or a payout provider) something, once per
    key the provider honours: ``prepare`` reads what to ask (None: nothing any more), ``ask`` asks
    the provider it names, among ``providers``, with no session open, and raises ``unavailable``
    when the outcome is unknown (as does a provider not configured here: the job tries again
    later, with the same key); ``settle`` records an answer, ``trouble`` why there was none
    (``gave_up`` once the policy's retries are spent)."""

    def __init__(
        self,
        *,
        providers: Callable[[], Mapping[str, Provider]],
        prepare: Callable[[Session, Payload], Asking | None],
        ask: Callable[[Provider, Asking], Answer],
        settle: Callable[[Session, Asking, Answer], object],
        trouble: Callable[[Session, Asking, str, bool], object],
        unavailable: type[Exception],
    ):
        self._providers = providers
        self._prepare, self._ask, self._settle, self._trouble = prepare, ask, settle, trouble
        self._unavailable = unavailable

    def _asked(self, what: Asking) -> Answer:
        provider = self._providers().get(what.provider)
        if provider is None:
            raise self._unavailable(f"the provider {what.provider!r} is not configured here")
        return self._ask(provider, what)

    def prepare(self, session: Session, payload: Payload) -> Asked[Asking, Answer] | None:
        what = self._prepare(session, payload)
        return None if what is None else Asked(what)

    def send(self, prepared: Asked[Asking, Answer]) -> Outcome:
        started = time.monotonic()
        try:
            prepared.answer = self._asked(prepared.what)
        except self._unavailable as exc:
            return Outcome(None, str(exc), int((time.monotonic() - started) * 1000))
        return Outcome(200, None, int((time.monotonic() - started) * 1000))

    def record(
        self,
        session: Session,
        payload: Payload,
        prepared: Asked[Asking, Answer],
        outcome: Outcome,
        *,
        attempt: int,
        next_attempt: datetime | None,
    ) -> None:
        if prepared.answer is not None:
            self._settle(session, prepared.what, prepared.answer)
        else:
            self._trouble(session, prepared.what, outcome.error or "no answer", next_attempt is None)


@dataclass
class Kind:
    handler: Handler | None
    policy: Policy
    call: Call[Any] | None = None


@dataclass
class Registry:
    """What each job kind does. Domains register their handlers when the platform starts."""

    lanes: Lanes = field(default_factory=Lanes)
    kinds: dict[str, Kind] = field(default_factory=dict)

    def register(self, kind: str, handler: Handler, policy: Policy | None = None) -> None:
        self.kinds[kind] = Kind(handler, policy or Policy())

    def register_call(self, kind: str, call: Call[Any], policy: Policy | None = None) -> None:
        self.kinds[kind] = Kind(None, policy or Policy(), call)

    @property
    def call_kinds(self) -> frozenset[str]:
        return frozenset(name for name, kind in self.kinds.items() if kind.call is not None)


class Doorbell:
    """Wakes this process's idle workers when a job was committed here, rather than at their next
    poll: a reward callback or a transcode starts at once, and an idle worker polls the table only
    now and then (for jobs that another process added or that fall due later)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: list[threading.Event] = []

    def listen(self, event: threading.Event) -> None:
        with self._lock:
            self._listeners.append(event)

    def forget(self, event: threading.Event) -> None:
        with self._lock:
            if event in self._listeners:
                self._listeners.remove(event)

    def ring(self) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for event in listeners:
            event.set()


# One doorbell per database this process uses, by URL: a job committed there may be run by any
# of this process's workers on it.
_DOORBELLS: dict[str, Doorbell] = {}
_DOORBELLS_LOCK = threading.Lock()


def doorbell(bind: Engine | Connection) -> Doorbell:
    """The doorbell of the database ``bind`` (an engine, or a session's bind) is on."""
    with _DOORBELLS_LOCK:
        return _DOORBELLS.setdefault(bind.engine.url.render_as_string(), Doorbell())


def enqueue(
    session: Session,
    kind: str,
    payload: Payload,
    *,
    unique_key: str | None = None,
    run_at: datetime | None = None,
    lane: str | None = None,
    ref: str | None = None,
    behind: bool = False,
) -> bool:
    """Add a job in the caller's transaction: it exists only if the caller's work commits.
    Returns False when a job with the same unique key already exists (nothing is added).
    ``behind``: claimed only when no due job without it can be."""
    now = utcnow()
    if run_at is None or run_at <= now:
        after_commit(session, doorbell(session.get_bind()).ring)
    return insert_ignoring_conflicts(
        session,
        Job,
        {
            "kind": kind,
            "behind": behind,
            "payload": payload,
            "unique_key": unique_key,
            "status": "queued",
            "attempts": 0,
            "run_at": run_at or now,
            "created_at": now,
            "lane": lane,
            "ref": ref,
        },
    )


def claim(
    session: Session,
    now: datetime,
    *,
    only: frozenset[str] | None = None,
    skip: frozenset[str] = frozenset(),
    lanes: Lanes | None = None,
    lease: timedelta = LEASE,
) -> Job | None:
    """Lease the next due job (queued and due, or running with a lapsed lease) for ``lease``; the
    caller's unit commits the lease. ``only`` and ``skip`` restrict the kinds, so that slow work can
    have a lane of its own. With ``lanes``, a job of a lane that is full or whose circuit is open is
    left for later. Oldest first, jobs enqueued ``behind`` after all others."""
    due = or_((Job.status == "queued") & (Job.run_at <= now), (Job.status == "running") & (Job.locked_until < now))
    statement = select(Job).where(due).order_by(Job.behind, Job.run_at, Job.id).limit(1)
    if only is not None:
        statement = statement.where(Job.kind.in_(only))
    if skip:
        statement = statement.where(Job.kind.not_in(skip))
    if lanes is not None:
        circuits.lock_claims(session)
        statement = circuits.claimable(statement, now, lanes)
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    job = session.scalar(statement)
    if job is None:
        return None
    job.status, job.locked_until, job.attempts = "running", now + lease, job.attempts + 1
    if lanes is not None and job.lane is not None:
        circuits.claimed(session, job.lane, now, lease, lanes)
    session.flush()
    return job


def _held(job_id: int, attempt: int) -> tuple[Any, ...]:
    """The job is still running the claim that counted ``attempt``: no one claimed it again since."""
    return (Job.id == job_id, Job.status == "running", Job.attempts == attempt)


def renew(session: Session, job_id: int, attempt: int, until: datetime) -> bool:
    """Extend the lease of the job's claim ``attempt`` to ``until``. False when the job is no longer
    that claim's: it ended, or its lease lapsed and another worker claimed it again."""
    renewed = session.execute(update(Job).where(*_held(job_id, attempt)).values(locked_until=until))
    return cast("CursorResult[Any]", renewed).rowcount == 1


def finish(
    session: Session,
    job_id: int,
    *,
    attempt: int,
    status: str,
    error: str | None,
    run_at: datetime | None,
    now: datetime,
) -> bool:
    """End the job's claim ``attempt`` with ``status``. False, changing nothing, when the job is no
    longer that claim's: the worker that claimed it again owns its outcome (a probe saw a lapsed
    claim's late end overwrite the new one's)."""
    values: dict[str, object] = {"status": status, "locked_until": None, "last_error": error}
    if run_at is not None:
        values["run_at"] = run_at
    if status in ("done", "dead"):
        values["finished_at"] = now
    finished = session.execute(update(Job).where(*_held(job_id, attempt)).values(**values))
    return cast("CursorResult[Any]", finished).rowcount == 1


def under_way(session: Session, kind: str, *, ref: str) -> bool:
    """Whether a job of ``kind`` about ``ref`` is queued or running."""
    found = select(Job.id).where(Job.kind == kind, Job.ref == ref, Job.status.in_(("queued", "running")))
    return session.scalar(found.limit(1)) is not None


def run_again(session: Session, kind: str, *, ref: str, lane: str, now: datetime) -> Job | None:
    """Run the newest job of ``kind`` (enqueued ``behind`` or not) about ``ref`` in ``lane`` again,
    now: due at once if it is waiting for a retry, a fresh copy (with its own retries) if it was
    done or given up. The lane's open circuit lets it through as a probe. None when there is no
    such job."""
    named = Job.kind == kind
    job = session.scalar(select(Job).where(named, Job.ref == ref, Job.lane == lane).order_by(Job.id.desc()).limit(1))
    if job is None:
        return None
    circuits.half_open(session, lane, now)
    # No longer behind: the developer who asked for it is waiting.
    if job.status == "queued":
        job.behind, job.run_at = False, now
    elif job.status in ("done", "dead"):
        enqueue(
            session,
            kind,
            dict(job.payload),
            unique_key=f"{ref}:again:{secrets.token_hex(6)}",
            run_at=now,
            lane=lane,
            ref=ref,
        )
        session.flush()
        job = session.scalar(
            select(Job).where(named, Job.ref == ref, Job.lane == lane).order_by(Job.id.desc()).limit(1)
        )
    session.flush()
    return job


# How often an idle worker looks for jobs that its process's doorbell does not announce: those added
# by another process (a second server, ``minis worker``) or that fall due later (a retry).
IDLE_POLL_SECONDS = 1.0


@dataclass(frozen=True)
class Claimed:
    """A leased job, read out of its claiming transaction (which is over)."""

    id: int
    kind: str
    payload: Payload
    attempts: int
    created_at: datetime
    lane: str | None


class LostClaim(Exception):
    """The job was claimed again while this worker ran it (its lease had lapsed): what this run
    would have committed with the job's end is rolled back, the new claim's run counts."""


class Lane(Protocol):
    """What runs jobs in the background until stopped: a Worker, the delivery pool (deliveries.py)."""

    name: str

    def start(self, poll_seconds: float = IDLE_POLL_SECONDS) -> None: ...

    def stop(self) -> None: ...


class WorkerOptions(TypedDict, total=False):
    """Worker's keyword arguments, for those who pass them on (Platform.worker)."""

    clock: Callable[[], datetime]
    only: frozenset[str] | None
    skip: frozenset[str]


class Worker:
    """Runs due jobs. ``clock`` is injectable, so tests can let a simulated hour pass; ``lease``
    too, so that they can see a job outlast its lease in seconds."""

    def __init__(
        self,
        db: Database,
        registry: Registry,
        *,
        clock: Callable[[], datetime] = utcnow,
        only: frozenset[str] | None = None,
        skip: frozenset[str] = frozenset(),
        lease: timedelta = LEASE,
    ):
        self.db, self.registry, self.clock = db, registry, clock
        self.only, self.skip, self.lease = only, skip, lease
        self.name = f"worker-{secrets.token_hex(3)}"
        self._stop, self._woken = threading.Event(), threading.Event()
        self._thread: threading.Thread | None = None

    def claim_next(self) -> Claimed | None:
        """Lease the next due job this worker runs, in one short transaction."""
        calls = self.registry.call_kinds
        runs_calls = (self.only is None or bool(self.only & calls)) and not calls <= self.skip
        with unit_of_work(self.db) as session:
            lanes = self.registry.lanes if runs_calls else None
            job = claim(session, self.clock(), only=self.only, skip=self.skip, lanes=lanes, lease=self.lease)
            if job is None:
                return None
            return Claimed(job.id, job.kind, dict(job.payload), job.attempts, job.created_at, job.lane)

    def run_once(self) -> bool:
        """Run one due job, if any. Returns whether one ran."""
        job = self.claim_next()
        if job is None:
            return False
        self.run(job)
        return True

    def run(self, job: Claimed) -> None:
        """Run a claimed job, holding its lease while the work goes on."""
        with self._renewing(job):
            try:
                self._run(job)
            except LostClaim:
                log.warning(
                    "job %s (%s) was claimed again while attempt %d ran (its lease had lapsed); "
                    "that attempt's end is dropped",
                    job.id,
                    job.kind,
                    job.attempts,
                )

    @contextmanager
    def _renewing(self, job: Claimed) -> Iterator[None]:
        """Renew the job's lease every third of it until the block ends (a job may take longer than
        its lease: a transcode on a busy machine). The renewals are this worker's; if it dies, they
        stop with it and the lease lapses, for another worker to claim the job again."""
        ended = threading.Event()
        beat = threading.Thread(target=self._renew, args=(job, ended), name=f"{self.name}-lease", daemon=True)
        beat.start()
        try:
            yield
        finally:
            ended.set()
            beat.join()

    def _renew(self, job: Claimed, ended: threading.Event) -> None:
        while not ended.wait(self.lease.total_seconds() / 3):
            try:
                with unit_of_work(self.db) as session:
                    held = renew(session, job.id, job.attempts, self.clock() + self.lease)
            except Exception:  # the database may be briefly unavailable: the next beat tries again
                log.exception("could not renew the lease of job %s", job.id)
                continue
            if not held:
                return  # the job ended meanwhile, or was claimed again (its end then says so)

    def _run(self, job: Claimed) -> None:
        kind = self.registry.kinds.get(job.kind)
        if kind is not None and kind.call is not None:
            self._call(job, kind, kind.call)
            return
        now = self.clock()
        try:
            # The handler's work and the job's end are one unit: done exactly when the work committed.
            with unit_of_work(self.db) as session:
                if kind is None or kind.handler is None:
                    raise RuntimeError(f"no handler for job kind {job.kind!r}")
                kind.handler(session, dict(job.payload))
                self._finish(session, job, status="done", error=None, run_at=None)
        except LostClaim:
            raise
        except Exception as exc:  # a handler failure must never stop the worker
            policy = kind.policy if kind else Policy()
            run_at = policy.next_run(job.attempts, now, job.created_at, exc.after if isinstance(exc, Retry) else None)
            if not isinstance(exc, Retry):
                log.warning("job %s (%s) failed on attempt %d: %s", job.id, job.kind, job.attempts, exc)
            with unit_of_work(self.db) as session:
                self._finish(session, job, status="queued" if run_at else "dead", error=str(exc)[:2000], run_at=run_at)

    def _call(self, job: Claimed, kind: Kind, call: Call[Any]) -> None:
        """Prepare in one transaction, call with none open, record the outcome in another."""
        try:
            with unit_of_work(self.db) as session:
                prepared = call.prepare(session, job.payload)
            outcome = None if prepared is None else call.send(prepared)
        except Exception as exc:  # a bug, not the backend's answer: retried, and not held against the backend
            log.warning("job %s (%s) failed on attempt %d: %s", job.id, job.kind, job.attempts, exc)
            with unit_of_work(self.db) as session:
                run_at = kind.policy.next_run(job.attempts, self.clock(), job.created_at)
                self._finish(session, job, status="queued" if run_at else "dead", error=str(exc)[:2000], run_at=run_at)
            return
        now = self.clock()
        with unit_of_work(self.db) as session:
            if outcome is None:
                self._finish(session, job, status="done", error=None, run_at=None)
                return
            run_at = None if outcome.ok else kind.policy.next_run(job.attempts, now, job.created_at)
            call.record(session, job.payload, prepared, outcome, attempt=job.attempts, next_attempt=run_at)
            if job.lane is not None:
                circuits.record(session, job.lane, outcome.ok, now, self.registry.lanes)
            status = "done" if outcome.ok else ("queued" if run_at else "dead")
            self._finish(session, job, status=status, error=outcome.error, run_at=run_at)

    def _finish(
        self, session: Session, job: Claimed, *, status: str, error: str | None, run_at: datetime | None
    ) -> None:
        """End the job in ``session``'s unit; LostClaim (rolling the unit back) if it is no longer ours."""
        if not finish(
            session, job.id, attempt=job.attempts, status=status, error=error, run_at=run_at, now=self.clock()
        ):
            raise LostClaim(f"job {job.id} was claimed again")

    def drain(self, limit: int = 10_000) -> int:
        """Run every job that is due now; returns how many ran (tests and ``minis worker --once``)."""
        ran = 0
        while ran < limit and self.run_once():
            ran += 1
        return ran

    def start(self, poll_seconds: float = IDLE_POLL_SECONDS) -> None:
        doorbell(self.db.engine).listen(self._woken)

        def loop() -> None:
            while not self._stop.is_set():
                self._woken.clear()  # before the claim: a job committed during it rings again
                try:
                    busy = self.run_once()
                except Exception:  # the database may be briefly unavailable; keep the worker alive
                    log.exception("job worker error")
                    busy = False
                if not busy:
                    self._woken.wait(poll_seconds)

        self._thread = threading.Thread(target=loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        doorbell(self.db.engine).forget(self._woken)
        self._woken.set()
        if self._thread:
            self._thread.join(timeout=10)
