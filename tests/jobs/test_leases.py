"""A claimed job is its worker's for as long as the worker runs it, however long that takes; a worker
that dies lets go of it once its lease lapses; and a worker that lost its claim leaves the job to
the worker that claimed it again."""

from __future__ import annotations

import threading
import time
from contextlib import suppress
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from openminis.db import utcnow
from openminis.jobs import service as jobs
from openminis.jobs.models import Job
from tests.jobs.test_worker import count

# A lease of seconds rather than minutes: its worker renews it every second, which leaves a busy
# machine two seconds to run a renewal before the lease lapses.
LEASE = timedelta(seconds=3)


def the_job(platform) -> Job:
    with platform.db.session() as session:
        job = session.scalar(select(Job).where(Job.kind == "transcode"))
        assert job is not None
        return job


def until(moment: datetime) -> None:
    """Let the wall clock reach ``moment`` (a lease runs on it)."""
    time.sleep(max((moment - utcnow()).total_seconds(), 0) + 0.05)


def enqueue_transcode(platform, **options) -> None:
    with platform.db.session() as session:
        jobs.enqueue(session, "transcode", {"episode": 1}, **options)
        session.commit()


class Died(BaseException):
    """What a worker that died leaves behind: its handler never returns, nothing ends the job."""


def test_a_job_that_outlasts_its_lease_is_not_claimed_by_another_worker_meanwhile_and_runs_once(platform, registry):
    """Probe (PostgreSQL, ``minis serve --workers 2``): a transcode ran past its two-minute lease and
    the other process claimed it again as the lease ran out, while the first still ran it; both runs
    published the episode's folder, and the job ended done with two attempts."""
    started, finish, runs = threading.Event(), threading.Event(), []

    def transcode(session, payload):
        runs.append(payload)
        started.set()
        finish.wait(timeout=60)

    registry.register("transcode", transcode)
    enqueue_transcode(platform)
    first = jobs.Worker(platform.db, registry, lease=LEASE)
    second = jobs.Worker(platform.db, registry, lease=LEASE)
    running = threading.Thread(target=first.drain)
    running.start()
    try:
        assert started.wait(timeout=30)
        claimed_until = the_job(platform).locked_until
        assert claimed_until is not None
        # When the claim's lease would have lapsed, and once more a lease later: still the first's.
        for lapsed in (claimed_until, claimed_until + LEASE):
            until(lapsed)
            assert second.drain() == 0
    finally:
        finish.set()
        running.join()
    job = the_job(platform)
    assert runs == [{"episode": 1}]
    assert (job.status, job.attempts) == ("done", 1)


def test_a_worker_that_died_stops_renewing_and_another_claims_the_job_once_the_lease_lapses(platform, registry):
    runs = []

    def transcode(session, payload):
        runs.append(payload)
        if len(runs) == 1:
            # The first worker runs past its first lease (renewing it), then dies mid-job.
            until(claimed_until)
            raise Died

    registry.register("transcode", transcode)
    enqueue_transcode(platform)
    first = jobs.Worker(platform.db, registry, lease=LEASE)
    claimed = first.claim_next()
    assert claimed is not None
    claimed_until = the_job(platform).locked_until
    assert claimed_until is not None

    def dies() -> None:
        with suppress(Died):
            first.run(claimed)

    dying = threading.Thread(target=dies)
    dying.start()
    dying.join()
    # The dead worker's last renewal is the lease that holds; nothing renews it any more.
    job = the_job(platform)
    assert job.status == "running" and job.locked_until is not None and job.locked_until > claimed_until
    until(job.locked_until)
    second = jobs.Worker(platform.db, registry, lease=LEASE)
    assert second.drain() == 1
    job = the_job(platform)
    assert runs == [{"episode": 1}, {"episode": 1}]
    assert (job.status, job.attempts) == ("done", 2)


@pytest.mark.parametrize("ending", ["succeeds", "fails"])
def test_a_worker_that_lost_its_claim_leaves_the_job_to_the_worker_that_claimed_it_again(
    platform, registry, clock, ending
):
    """Found with the probe above: a worker ended its job by id alone, so a run whose claim had
    lapsed and been taken again marked the job done or queued over the new claim."""
    second_started, second_may_end, runs = threading.Event(), threading.Event(), []
    second = jobs.Worker(platform.db, registry, clock=clock)
    claims_again = threading.Thread(target=second.drain)

    def transcode(session, payload):
        runs.append(payload)
        if len(runs) > 1:
            second_started.set()
            second_may_end.wait(timeout=60)
            return
        # The first worker stalls past its lease (it renews nothing meanwhile); the second claims the
        # job and runs it; then the first goes on, writes, and ends.
        clock.advance(minutes=3)
        claims_again.start()
        assert second_started.wait(timeout=30)
        jobs.enqueue(session, "published", {"episode": 1})
        if ending == "fails":
            raise RuntimeError("the first run failed")

    registry.register("transcode", transcode)
    enqueue_transcode(platform, run_at=clock())
    first = jobs.Worker(platform.db, registry, clock=clock)
    try:
        assert first.drain() == 1
        job = the_job(platform)
        assert (job.status, job.attempts, job.last_error) == ("running", 2, None)  # the second's claim
        assert count(platform, kind="published") == 0  # the first's work went with its end
    finally:
        second_may_end.set()
        claims_again.join()
    job = the_job(platform)
    assert (job.status, job.attempts, job.last_error) == ("done", 2, None)
