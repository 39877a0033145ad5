"""Calls to developers' backends hold no database transaction, share the delivery threads fairly
(one app cannot fill them), and stop calling a backend that keeps failing until it is back."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select

from openminis.db import utcnow
from openminis.egress import Outcome
from openminis.jobs import service as jobs
from openminis.jobs.circuits import Lanes
from openminis.jobs.deliveries import DeliveryPool
from openminis.jobs.models import Circuit, Job
from tests.jobs.hand_clock import Clock

KIND = "test.call"


@dataclass
class Backends:
    """A ``jobs.Call`` whose backends (one per lane) are up, down, or hang until released."""

    down: set[str] = field(default_factory=set)
    hang: set[str] = field(default_factory=set)
    release: threading.Event = field(default_factory=threading.Event)
    calls: list[tuple[str, int]] = field(default_factory=list)
    in_flight: dict[str, int] = field(default_factory=dict)
    most_in_flight: dict[str, int] = field(default_factory=dict)
    during_call: object = None  # called inside send(), with no session open
    lock: threading.Lock = field(default_factory=threading.Lock)

    def prepare(self, session, payload):
        return payload

    def send(self, payload) -> Outcome:
        lane = payload["lane"]
        with self.lock:
            self.calls.append((lane, payload["n"]))
            self.in_flight[lane] = self.in_flight.get(lane, 0) + 1
            self.most_in_flight[lane] = max(self.most_in_flight.get(lane, 0), self.in_flight[lane])
        try:
            if self.during_call:
                self.during_call()
            if lane in self.hang:
                self.release.wait(30)
            return Outcome(503 if lane in self.down else 204, "HTTP 503" if lane in self.down else None, 1)
        finally:
            with self.lock:
                self.in_flight[lane] -= 1

    def record(self, session, payload, prepared, outcome, *, attempt, next_attempt):
        pass


TWO_PER_LANE = Lanes(per_lane=2, breaker_failures=3, breaker_cooldown=timedelta(seconds=60))


def registry(backends: Backends, lanes: Lanes = TWO_PER_LANE) -> jobs.Registry:
    registry = jobs.Registry(lanes=lanes)
    registry.register_call(
        KIND,
        backends,
        jobs.Policy(first=timedelta(seconds=1), cap=timedelta(seconds=1), give_up_after=timedelta(days=1)),
    )
    return registry


def enqueue(platform, lane: str, n: int, clock=None) -> None:
    with platform.db.session() as session:
        jobs.enqueue(
            session, KIND, {"lane": lane, "n": n}, lane=lane, ref=f"{lane}-{n}", run_at=clock() if clock else None
        )
        session.commit()


def done(platform, lane: str) -> int:
    with platform.db.session() as session:
        return session.scalar(select(func.count()).select_from(Job).where(Job.lane == lane, Job.status == "done"))


def test_no_database_transaction_is_open_while_a_backend_is_called(platform):
    """On SQLite the delivery held the one write lock through the call; here another writer gets
    in while the backend is still being called."""
    wrote = threading.Event()

    def another_request_writes():
        def write():
            with platform.db.session() as session:
                jobs.enqueue(session, "other.work", {})
                session.commit()
            wrote.set()

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        writer.join(timeout=5)

    backends = Backends(during_call=another_request_writes)
    enqueue(platform, "app-a", 1)
    jobs.Worker(platform.db, registry(backends)).drain()
    assert wrote.is_set() and backends.calls == [("app-a", 1)]


def test_the_circuit_opens_after_consecutive_failures_and_a_probe_closes_it(platform):
    clock = Clock()
    backends = Backends(down={"app-a"})
    worker = jobs.Worker(platform.db, registry(backends), clock=clock)
    for n in range(6):
        enqueue(platform, "app-a", n, clock)
    enqueue(platform, "app-b", 1, clock)

    worker.drain()
    a_calls = [c for c in backends.calls if c[0] == "app-a"]
    assert len(a_calls) == 3  # the third consecutive failure opened the circuit: the other three wait
    assert done(platform, "app-b") == 1  # another app is not held up
    with platform.db.session() as session:
        circuit = session.get(Circuit, "app-a")
        assert circuit.failures == 3 and circuit.open_until == clock() + timedelta(seconds=60)

    clock.advance(seconds=30)
    assert worker.drain() == 0  # still open: nothing goes to that backend

    clock.advance(seconds=31)
    backends.down.clear()  # the backend is back; the first call after the cooldown finds it
    probe = worker.claim_next()
    assert probe is not None and worker.claim_next() is None  # half-open: one probe, no one else
    worker.run(probe)
    assert worker.drain() == 5  # the probe closed the circuit: everything waiting goes
    assert done(platform, "app-a") == 6
    with platform.db.session() as session:
        circuit = session.get(Circuit, "app-a")
        assert circuit.failures == 0 and circuit.open_until is None


def test_a_failed_probe_opens_the_circuit_again(platform):
    clock = Clock()
    backends = Backends(down={"app-a"})
    worker = jobs.Worker(platform.db, registry(backends), clock=clock)
    for n in range(4):
        enqueue(platform, "app-a", n, clock)
    worker.drain()
    clock.advance(seconds=61)
    assert worker.drain() == 1  # the probe, failed
    assert worker.drain() == 0
    with platform.db.session() as session:
        assert session.get(Circuit, "app-a").open_until == clock() + timedelta(seconds=60)


def test_one_app_holds_at_most_its_share_of_the_delivery_threads(platform):
    backends = Backends(hang={"app-a"})
    pool = DeliveryPool(platform.db, registry(backends), threads=4)
    for n in range(8):
        enqueue(platform, "app-a", n)
    pool.start(poll_seconds=0.05)
    try:
        deadline = utcnow() + timedelta(seconds=10)
        while backends.most_in_flight.get("app-a", 0) < 2 and utcnow() < deadline:
            threading.Event().wait(0.05)
        for n in range(5):
            enqueue(platform, "app-b", n)
        while done(platform, "app-b") < 5 and utcnow() < deadline:
            threading.Event().wait(0.05)
        assert done(platform, "app-b") == 5  # delivered while app-a's backend hangs
        assert backends.most_in_flight["app-a"] == 2 and done(platform, "app-a") == 0
    finally:
        backends.release.set()
        pool.stop()
