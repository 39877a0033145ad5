"""Background jobs survive restarts, retry with backoff, and run once even with several workers."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from openminis.jobs import service as jobs
from openminis.jobs.models import Job
from openminis.unit_of_work import unit_of_work


def count(platform, **filters) -> int:
    with platform.db.session() as session:
        statement = select(func.count()).select_from(Job)
        for field, value in filters.items():
            statement = statement.where(getattr(Job, field) == value)
        return session.scalar(statement)


def test_a_job_enqueued_in_a_rolled_back_transaction_does_not_exist(platform):
    with platform.db.session() as session:
        jobs.enqueue(session, "notify", {"n": 1})
        session.rollback()
    assert count(platform) == 0


def test_the_same_unique_key_makes_one_job(platform):
    with platform.db.session() as session:
        assert jobs.enqueue(session, "notify", {"n": 1}, unique_key="order:1:paid") is True
        assert jobs.enqueue(session, "notify", {"n": 2}, unique_key="order:1:paid") is False
        session.commit()
    assert count(platform) == 1


def test_a_failing_job_retries_with_exponential_backoff_until_it_succeeds(platform, registry, clock):
    calls = []

    def flaky(session, payload):
        calls.append(clock())
        if len(calls) < 4:
            raise jobs.Retry("backend down")

    registry.register("notify", flaky, jobs.Policy(first=timedelta(seconds=10), cap=timedelta(minutes=10)))
    with platform.db.session() as session:
        jobs.enqueue(session, "notify", {}, run_at=clock())
        session.commit()
    worker = jobs.Worker(platform.db, registry, clock=clock)
    assert worker.drain() == 1  # first attempt fails, next one is 10 s away
    for wait in (10, 20, 40):
        clock.advance(seconds=wait - 1)
        assert worker.drain() == 0
        clock.advance(seconds=1)
        assert worker.drain() == 1
    assert len(calls) == 4
    assert count(platform, status="done") == 1


def test_a_job_past_its_give_up_time_is_marked_dead(platform, registry, clock):
    registry.register(
        "notify",
        lambda s, p: (_ for _ in ()).throw(RuntimeError("always fails")),
        jobs.Policy(first=timedelta(hours=1), cap=timedelta(hours=1), give_up_after=timedelta(hours=3)),
    )
    with platform.db.session() as session:
        jobs.enqueue(session, "notify", {}, run_at=clock())
        session.commit()
    worker = jobs.Worker(platform.db, registry, clock=clock)
    for _ in range(5):
        worker.drain()
        clock.advance(hours=1)
    with platform.db.session() as session:
        job = session.scalar(select(Job))
        # Attempts at 0, 1, 2 and 3 hours are inside the window; the next would be at 4, past it.
        assert job.status == "dead" and job.attempts == 4 and "always fails" in job.last_error


def test_a_job_whose_worker_died_is_taken_again_after_its_lease(platform, registry, clock):
    done = []
    registry.register("notify", lambda s, p: done.append(p))
    with platform.db.session() as session:
        jobs.enqueue(session, "notify", {"n": 1}, run_at=clock())
        session.commit()
        assert jobs.claim(session, clock()) is not None  # a worker leased it, then died
        session.commit()
    worker = jobs.Worker(platform.db, registry, clock=clock)
    assert worker.drain() == 0
    clock.advance(minutes=3)
    assert worker.drain() == 1 and done == [{"n": 1}]


def test_several_workers_run_each_job_exactly_once(platform, registry):
    seen: list[int] = []
    lock = threading.Lock()

    def record(session, payload):
        with lock:
            seen.append(payload["n"])

    registry.register("notify", record)
    with platform.db.session() as session:
        for n in range(60):
            jobs.enqueue(session, "notify", {"n": n})
        session.commit()
    workers = [jobs.Worker(platform.db, registry) for _ in range(4)]
    threads = [threading.Thread(target=worker.drain) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(seen) == list(range(60))
    assert count(platform, status="done") == 60


def test_an_unknown_job_kind_is_retried_not_lost(platform, registry, clock):
    with platform.db.session() as session:
        jobs.enqueue(session, "from-the-future", {}, run_at=clock())
        session.commit()
    jobs.Worker(platform.db, registry, clock=clock).drain()
    assert count(platform, status="queued") == 1


def test_a_slow_job_in_its_own_lane_does_not_hold_up_the_others(platform, registry):
    release, done = threading.Event(), []
    registry.register("slow", lambda session, payload: release.wait(timeout=30))
    registry.register("notify", lambda session, payload: done.append(payload["n"]))
    with platform.db.session() as session:
        jobs.enqueue(session, "slow", {})
        jobs.enqueue(session, "notify", {"n": 1})
        session.commit()
    slow_lane = jobs.Worker(platform.db, registry, only=frozenset({"slow"}))
    fast_lane = jobs.Worker(platform.db, registry, skip=frozenset({"slow"}))
    busy = threading.Thread(target=slow_lane.drain)
    busy.start()
    try:
        assert fast_lane.drain() == 1 and done == [1]  # while the slow job is still running
        assert busy.is_alive()
    finally:
        release.set()
        busy.join()
    assert count(platform, status="done") == 2


def test_a_job_committed_in_this_process_wakes_an_idle_worker_at_once(platform, registry):
    # The worker polls once an hour here: only the doorbell that the job's commit rings can start it.
    ran = threading.Event()
    registry.register("notify", lambda session, payload: ran.set())
    worker = jobs.Worker(platform.db, registry)
    worker.start(poll_seconds=3600)
    try:
        with unit_of_work(platform.db) as session:
            jobs.enqueue(session, "notify", {"n": 1})
        assert ran.wait(timeout=30), "the worker slept through the committed job"
    finally:
        worker.stop()
    assert count(platform, status="done") == 1


def test_a_rolled_back_job_rings_no_doorbell(platform):
    rung = threading.Event()
    jobs.doorbell(platform.db.engine).listen(rung)
    with pytest.raises(RuntimeError), unit_of_work(platform.db) as session:
        jobs.enqueue(session, "notify", {"n": 1})
        raise RuntimeError("the work failed")
    assert not rung.is_set()
    with unit_of_work(platform.db) as session:
        jobs.enqueue(session, "notify", {"n": 2})
    assert rung.is_set()
    jobs.doorbell(platform.db.engine).forget(rung)
