"""Jobs enqueued ``behind`` (what anyone can cause in bulk, like a tournament's end told to the app's
backend) wait for every other due job: an app's order notification goes before the backlog,
within the app's share of the delivery threads, and the circuit breaker still counts both.

A probe: 240 tournaments' ``tournament.ended`` notifications in an app's lane, served oldest first
2 at a time, made its next ``order.paid`` wait 57.3 s (tests/social/test_tournament_flood.py does it
over HTTP)."""

from __future__ import annotations

from sqlalchemy import select

from openminis.jobs import service as jobs
from openminis.jobs.models import Job
from tests.jobs.test_lanes import KIND, Backends, registry


def enqueue(platform, lane: str, n: int, *, behind: bool = False, at=None) -> None:
    with platform.db.session() as session:
        jobs.enqueue(session, KIND, {"lane": lane, "n": n}, lane=lane, ref=f"{lane}-{n}", behind=behind, run_at=at)
        session.commit()


def test_a_job_enqueued_behind_is_claimed_after_a_newer_job_without_it(platform, clock):
    worker = jobs.Worker(platform.db, registry(Backends()), clock=clock)
    for n in range(5):
        enqueue(platform, "app-a", n, behind=True, at=clock())
    clock.advance(seconds=1)
    enqueue(platform, "app-a", 99, at=clock())

    first = worker.claim_next()
    assert first is not None and first.payload["n"] == 99


def test_when_the_lane_is_full_of_jobs_behind_the_next_free_place_goes_to_the_job_without_it(platform, clock):
    backends = Backends()
    worker = jobs.Worker(platform.db, registry(backends), clock=clock)  # two calls at a time per lane
    for n in range(6):
        enqueue(platform, "app-a", n, behind=True, at=clock())
    running = [worker.claim_next(), worker.claim_next()]
    assert [job.payload["n"] for job in running if job] == [0, 1]
    enqueue(platform, "app-a", 99, at=clock())
    assert worker.claim_next() is None  # the lane is full: the order waits for one call, not the backlog

    worker.run(running[0])
    nxt = worker.claim_next()
    assert nxt is not None and nxt.payload["n"] == 99
    worker.run(running[1])
    worker.run(nxt)
    assert worker.drain() == 4  # and those behind all run after it
    assert [n for _, n in backends.calls] == [0, 1, 99, 2, 3, 4, 5]


def test_jobs_behind_still_count_towards_their_lanes_limit_and_circuit(platform, clock):
    backends = Backends(down={"app-a"})
    worker = jobs.Worker(platform.db, registry(backends), clock=clock)
    for n in range(5):
        enqueue(platform, "app-a", n, behind=True, at=clock())
    enqueue(platform, "app-a", 99, at=clock())
    worker.drain()
    # Three consecutive failures open the circuit (TWO_PER_LANE): the order's call first, then two behind.
    assert [n for _, n in backends.calls] == [99, 0, 1]


def test_a_resend_finds_a_job_enqueued_behind_and_sends_it_now(platform, clock):
    worker = jobs.Worker(platform.db, registry(Backends()), clock=clock)
    enqueue(platform, "app-a", 1, behind=True, at=clock())
    worker.drain()
    with platform.db.session() as session:
        again = jobs.run_again(session, KIND, ref="app-a-1", lane="app-a", now=clock())
        session.commit()
        assert again is not None and again.status == "queued"
        behind = list(session.scalars(select(Job.behind).where(Job.ref == "app-a-1").order_by(Job.id)))
    assert behind == [True, False]  # the developer who asked is waiting: not behind
    assert worker.drain() == 1


def test_a_resend_of_a_job_waiting_behind_takes_it_out_of_the_backlog(platform, clock):
    worker = jobs.Worker(platform.db, registry(Backends()), clock=clock)
    for n in range(3):
        enqueue(platform, "app-a", n, behind=True, at=clock())
    with platform.db.session() as session:
        jobs.run_again(session, KIND, ref="app-a-2", lane="app-a", now=clock())
        session.commit()
    first = worker.claim_next()
    assert first is not None and first.payload["n"] == 2
