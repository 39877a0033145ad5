"""Admission to the database (web/admission.py, db.py): the gate's turns lose no slot whatever
waiters do; reads need no write lock; a lock or connection not had in time is 503, never a hang."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, text
from starlette.testclient import TestClient

from openminis.admission import Gate
from openminis.app import create_app
from openminis.liveserver import run_apart
from openminis.platform import Platform


def test_a_gate_gives_back_every_slot_when_waiters_time_out_are_cancelled_or_served():
    async def scenario() -> tuple[int, int, int]:
        gate = Gate(3)
        inside = most_inside = 0
        rng = random.Random(12)

        async def visitor() -> None:
            nonlocal inside, most_inside
            loop = asyncio.get_running_loop()
            try:
                await gate.enter(loop.time() + rng.choice([0.0005, 0.001, 0.002, 0.003, 1.0]))
            except TimeoutError:
                return
            inside += 1
            most_inside = max(most_inside, inside)
            await asyncio.sleep(rng.choice([0, 0, 0.0005, 0.001]))
            inside -= 1
            gate.leave()

        tasks = [asyncio.create_task(visitor()) for _ in range(3000)]
        await asyncio.sleep(0.004)
        for task in rng.sample(tasks, 300):  # clients that hang up while waiting
            task.cancel()
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        errors = [o for o in outcomes if isinstance(o, Exception) and not isinstance(o, asyncio.CancelledError)]
        assert errors == []
        return gate.free, len(gate.waiters), most_inside

    free, waiting, most_inside = run_apart(scenario())
    assert (free, waiting) == (3, 0)
    assert most_inside == 3


def test_a_slot_freed_goes_to_the_longest_waiter_before_a_newcomer():
    async def scenario() -> list[str]:
        gate = Gate(1)
        order: list[str] = []
        loop = asyncio.get_running_loop()
        await gate.enter(loop.time() + 1)

        async def visitor(name: str) -> None:
            await gate.enter(loop.time() + 1)
            order.append(name)
            gate.leave()

        first = asyncio.create_task(visitor("first"))
        await asyncio.sleep(0)
        gate.leave()
        second = asyncio.create_task(visitor("newcomer"))
        await asyncio.gather(first, second)
        return order

    assert run_apart(scenario()) == ["first", "newcomer"]


def test_a_waiter_past_its_deadline_gets_timeout_error():
    async def scenario() -> None:
        gate = Gate(1)
        loop = asyncio.get_running_loop()
        await gate.enter(loop.time() + 1)
        with pytest.raises(TimeoutError):
            await gate.enter(loop.time() + 0.01)
        gate.leave()
        assert (gate.free, len(gate.waiters)) == (1, 0)

    run_apart(scenario())


# The database side of a request, in process, on SQLite and PostgreSQL --------------------------


@pytest.fixture
def quick(settings) -> Iterator[tuple[Platform, TestClient]]:
    """A platform whose requests wait at most 0.3 s for anything at the database."""
    settings.db_wait_seconds = 0.3
    settings.db_requests = 4
    settings.db_pool_reserve = 2
    platform = Platform(settings)
    with TestClient(create_app(platform=platform), base_url="http://localhost:8000") as client:
        yield platform, client
    platform.close()


@contextmanager
def writer_holding_the_lock(platform: Platform) -> Iterator[None]:
    """A job's write unit that has begun (on SQLite: the write lock taken) and not yet committed."""
    with platform.db.session() as unit:
        unit.execute(text("SELECT 1"))
        yield


def test_reads_are_answered_while_a_writer_holds_the_sqlite_write_lock(quick):
    platform, client = quick
    client.get("/api/me")  # a guest, made before the writer begins
    with writer_holding_the_lock(platform):
        # The writer keeps the lock for the whole block: a read that waited for it would be
        # answered 503 DATABASE_BUSY after 0.3 s.
        assert client.get("/api/wallet").json() == {"balance": 0}
        assert client.get("/api/me").status_code == 200


# SQLite only: PostgreSQL has no database-wide write lock to wait for.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_write_that_cannot_have_the_lock_in_time_is_503_with_retry_after_and_leaves_nothing(quick):
    platform, client = quick
    with writer_holding_the_lock(platform):
        first_visit = client.get("/api/me")  # makes a guest: a write
    assert first_visit.status_code == 503, first_visit.text
    assert first_visit.json()["code"] == "DATABASE_BUSY" and int(first_visit.headers["retry-after"]) >= 1
    assert "set-cookie" not in first_visit.headers
    assert client.get("/api/me").status_code == 200  # and once the writer is done, it goes through


def test_a_request_that_finds_no_free_connection_in_time_is_503_with_retry_after(quick):
    platform, client = quick
    client.get("/api/me")
    held = [
        platform.db.engine.connect() for _ in range(platform.settings.db_requests + platform.settings.db_pool_reserve)
    ]
    try:
        response = client.get("/api/wallet")
    finally:
        for connection in held:
            connection.close()
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "DATABASE_BUSY" and int(response.headers["retry-after"]) >= 1
    assert client.get("/api/wallet").status_code == 200


@contextmanager
def statements_recorded(platform: Platform) -> Iterator[list[tuple[str, bool]]]:
    """Each statement the platform runs meanwhile, and whether it ran on an event loop's thread."""
    seen: list[tuple[str, bool, bool]] = []

    def record(connection, _cursor, statement, _parameters, _context, _executemany) -> None:
        on_loop = asyncio._get_running_loop() is not None
        alone = connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT"
        seen.append((statement.split()[0].upper(), on_loop, alone))

    event.listen(platform.db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(platform.db.engine, "before_cursor_execute", record)


def test_a_signed_in_get_looks_the_person_up_on_the_loop_on_sqlite_and_on_a_thread_on_postgresql(quick):
    """A thread costs more than SQLite's read by a unique key: GET /api/me on SQLite runs its one
    SELECT on the event loop and ends its unit there too. PostgreSQL's statements are round trips
    to another process: they stay on threads, and the lookup, one statement, runs in autocommit
    (one round trip, not BEGIN, SELECT, COMMIT)."""
    platform, client = quick
    client.get("/api/me")  # the guest and its cookie
    with statements_recorded(platform) as seen:
        me = client.get("/api/me")
    assert me.status_code == 200
    sqlite = platform.db.engine.dialect.name == "sqlite"
    assert seen == [("SELECT", sqlite, not sqlite)]


def test_after_the_lookup_on_the_loop_the_route_reads_and_writes_in_the_same_unit(quick):
    """The lookup's read transaction ends; the route's statements begin the next one in the same
    unit, and the person it loaded can be changed and saved (a rename, a stale cookie's new guest)."""
    _platform, client = quick
    csrf = {"X-CSRF-Token": client.get("/api/me").json()["csrf_token"]}
    assert client.get("/api/wallet").json() == {"balance": 0}  # the lookup, then the route's reads
    assert client.patch("/api/me", json={"display_name": "Ada"}, headers=csrf).status_code == 200
    assert client.get("/api/me").json()["user"]["display_name"] == "Ada"
    client.cookies.set("minis_session", "stale-token-of-nobody")
    fresh = client.get("/api/me")  # looked up on the loop, not found: made a guest on a thread
    assert fresh.status_code == 200 and fresh.json()["user"]["kind"] == "guest"
    assert fresh.cookies.get("minis_session") not in (None, "stale-token-of-nobody")
