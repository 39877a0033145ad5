"""A server killed with SIGKILL, again and again, while its worker pays payouts: once it runs again
every payout is paid exactly once by the provider, recorded once, and the books verify; on SQLite
and PostgreSQL (as tests/payments/test_crash.py)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from openminis.db import utcnow
from openminis.jobs.models import Job
from openminis.liveserver import LiveServer, free_port
from openminis.platform import Platform
from openminis.unit_of_work import unit_of_work
from tests.conftest import postgres_database
from tests.payouts.live import (
    DEV,
    SERVER_ENV,
    migrated_sqlite,
    operator,
    paid_once_each,
    platform_on,
    publish_terms,
    sandbox_book,
    settled,
    statuses,
    withdrawable_payee,
)
from tests.payouts.test_payouts import books_hold

PAYOUTS = 20
KILLS = 2


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def server_env(request, tmp_path):
    """The server's database: a copy of the session's migrated SQLite file in its data folder, or a
    new PostgreSQL database (a copy of the migrated template): no server here runs the migrations."""
    if request.param == "sqlite":
        migrated_sqlite(request.getfixturevalue("sqlite_template"), tmp_path / "data")
        yield {}
    else:
        with postgres_database() as url:
            yield {"MINIS_DATABASE_URL": url}


def leases_lapse(platform: Platform) -> None:
    """Time moves past the job lease (jobs/service.py LEASE, two minutes) of every job a killed
    server had claimed, as days_pass moves the ledger's clock: its ``locked_until`` goes into the
    past, so that the next worker takes the job again at once instead of two minutes later.

    Sound because no process holds those leases any more: every server started here was killed
    and waited for, and a lease only keeps a job from a second worker while its first may still
    be running it. What the next worker then does is exactly what it would do once the lease
    lapsed by itself: run the job again from the start, asking the provider with the same key."""
    with unit_of_work(platform.db) as session:
        session.execute(update(Job).where(Job.status == "running").values(locked_until=utcnow() - timedelta(seconds=1)))


def until_paid(platform: Platform, count: int, server: subprocess.Popen) -> None:
    """Waits until the sandbox has made ``count`` transfers (the worker is paying), at most 60 s."""
    deadline = time.monotonic() + 60
    while len(sandbox_book(platform)) < count:
        assert server.poll() is None, f"the server exited by itself ({server.returncode})"
        assert time.monotonic() < deadline, f"the worker did not reach {count} transfers within 60 s"
        time.sleep(0.005)


def sigkill(server: subprocess.Popen) -> None:
    os.kill(server.pid, signal.SIGKILL)
    server.wait()
    assert server.returncode == -signal.SIGKILL, f"the server had exited by itself ({server.returncode})"


@contextmanager
def started(data: Path, env: dict[str, str]) -> Iterator[subprocess.Popen]:
    """``minis serve`` with its embedded worker, not waited for (the worker starts before the web
    server answers, and pays from its first moments); killed with SIGKILL when the block ends."""
    port = free_port()
    command = ["serve", "--port", str(port), "--data-dir", str(data)]
    environment = {**os.environ, "MINIS_PUBLIC_URL": f"http://localhost:{port}", **env}
    with open(data.parent / f"server-{port}.log", "w") as log:
        server = LiveServer.commands.popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield server
        finally:
            sigkill(server)


def caught_mid_payment(platform: Platform, ids: list[str]) -> int:
    """Payouts the provider paid whose payment the platform has not recorded yet: the kill fell
    between the provider's answer and the worker's record of it."""
    book = sandbox_book(platform)
    return sum(1 for p in statuses(platform, ids).values() if p.status == "in_transit" and f"payout-{p.id}" in book)


@pytest.mark.slow
def test_sigkill_while_the_worker_pays_payouts_pays_each_exactly_once(tmp_path, server_env):
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    # A few delivery threads: the worker pays a few payouts at a time, and a kill cuts several short.
    env = {**SERVER_ENV, **server_env, "MINIS_EMBEDDED_WORKER": "true", "MINIS_DELIVERY_THREADS": "3"}
    seed = random.randrange(1 << 30)
    pick = random.Random(seed)
    kills: list[tuple[int, int, int]] = []  # per kill: sandbox transfers before, at the kill, caught mid-payment

    with platform_on(env, data) as platform:
        # A developer asks for 20 payouts; finance approves them in one batch, and the server's
        # worker starts paying them: the server is killed after a few.
        server = LiveServer(data, env=env)
        with server:
            publish_terms(server, minimum=100)
            payee = withdrawable_payee(server)
            with closing(payee.client):
                ids = []
                for n in range(PAYOUTS):
                    asked = payee.post(DEV, source="COIN", amount=100, expect=100, idempotency_key=f"p{n}")
                    assert asked.status_code == 201 and asked.json()["status"] == "requested", asked.text
                    ids.append(asked.json()["id"])
            approved = operator(server, "POST", "/api/admin/payouts/approve", ids=ids, reason="payday")
            assert approved.status_code == 200, approved.text
            assert server.process is not None
            until_paid(platform, pick.randint(1, 5), server.process)
            sigkill(server.process)
        kills.append((0, len(sandbox_book(platform)), caught_mid_payment(platform, ids)))

        # Started again and killed again, each time a few payments later, while transfers remain.
        while len(kills) < KILLS and kills[-1][1] < PAYOUTS:
            leases_lapse(platform)
            before = len(sandbox_book(platform))
            with started(data, env) as again:
                until_paid(platform, min(before + pick.randint(1, 5), PAYOUTS), again)
            kills.append((before, len(sandbox_book(platform)), caught_mid_payment(platform, ids)))
        print(f"\nseed {seed}: transfers before, at each kill, and caught mid-payment: {kills}")
        assert sum(1 for _, at_kill, _ in kills if at_kill < PAYOUTS) >= 2, kills  # the kills cut real work short

        # Once more, left to finish: every payout paid exactly once, as the provider's book says.
        leases_lapse(platform)
        with LiveServer(data, env=env):
            settled(platform, deadline=30)
        payouts = paid_once_each(platform)
        assert [payouts[payout_id].status for payout_id in ids] == ["paid"] * PAYOUTS
        books_hold(platform)
