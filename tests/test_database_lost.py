"""PostgreSQL misbehaving under the platform, which answers every request in flight all the same,
200 or 503 with Retry-After (nothing was done, ask again), never a 500, never a connection closed
without an answer, never a wait without end:

- it drops the platform's connections (a restart, a failover, an idle-connection killer, an
  operator's ``pg_terminate_backend``): a probe of many nodes behind nginx saw 500s
  (``AdminShutdown`` in the session lookup on the event loop) and connections reset by the server,
  and nginx, taking each node out for 10 s on its first reset, answered 502 for everything for 10 s;
- a row the platform needs stays locked by another transaction (an operator's psql session, a
  migration queued behind a long transaction): the same probe's purchases waited as long as the
  lock was held, 39 s, holding every admission slot, so both nodes answered 503 to everyone.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import psycopg
import pytest

from openminis.db import libpq_url
from openminis.liveserver import LiveServer, run_apart
from tests.conftest import PG_ADMIN
from tests.publishing_live import ADMIN_TOKEN, live_server

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

CLIENTS = 20
SECONDS = 4.0
PATHS = ("/api/me", "/api/wallet", "/api/feed?limit=5")
WAIT = 2  # MINIS_DB_WAIT_SECONDS: how long a request may wait for anything, a lock included


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("database-lost") / "data"
    data.mkdir()
    yield from live_server(
        "postgresql", data, events_in_database=True, MINIS_SANDBOX_PAYMENTS="true", MINIS_DB_WAIT_SECONDS=str(WAIT)
    )


def operator(server: LiveServer) -> psycopg.Connection:
    """An operator's psql session on the platform's database: what it locks stays locked until its
    transaction ends, with the ``with`` block it is used in."""
    return psycopg.connect(libpq_url(server.env["MINIS_DATABASE_URL"]) or "")


def drop_connections(server: LiveServer) -> int:
    """What PostgreSQL does to every connection of a restart: each of the platform's is ended."""
    database = urlsplit(server.env["MINIS_DATABASE_URL"]).path.lstrip("/")
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        ended = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [database],
        ).fetchone()
    return int(ended[0]) if ended else 0


async def people_reading(server: LiveServer, cookies: list[dict[str, str]]) -> tuple[Counter, list[str]]:
    """CLIENTS people each reading their wallet, feed and account over and over for SECONDS, while
    the connections are dropped twice; what they were answered, and what was no answer at all."""
    answers: Counter = Counter()
    failures: list[str] = []
    stop = time.monotonic() + SECONDS

    async def person(n: int) -> None:
        async with httpx.AsyncClient(base_url=server.url, timeout=30, cookies=cookies[n]) as client:
            i = 0
            while time.monotonic() < stop:
                path = PATHS[(n + i) % len(PATHS)]
                i += 1
                try:
                    response = await client.get(path)
                except httpx.TransportError as exc:
                    failures.append(f"{path}: {type(exc).__name__}")
                    continue
                code = response.json().get("code") if response.status_code >= 400 else ""
                answers[(response.status_code, code, "Retry-After" in response.headers)] += 1

    async def dropper() -> None:
        for at in (1.0, 2.5):
            await asyncio.sleep(at - (SECONDS - (stop - time.monotonic())))
            assert await asyncio.to_thread(drop_connections, server) > 0

    await asyncio.gather(dropper(), *(person(n) for n in range(CLIENTS)))
    return answers, failures


def test_requests_in_flight_when_postgresql_drops_every_connection_are_answered_200_or_503(server):
    cookies = []
    for _ in range(CLIENTS):
        with httpx.Client(base_url=server.url) as guest:
            assert guest.get("/api/me").status_code == 200
            cookies.append(dict(guest.cookies))
    answers, failures = run_apart(people_reading(server, cookies))
    assert failures == []
    assert {status for status, _code, _retry in answers} <= {200, 503}, answers
    assert all(retry for status, _code, retry in answers if status == 503), answers
    assert sum(n for (status, _code, _retry), n in answers.items() if status == 200) > CLIENTS
    # And at once after: everyone is served.
    for n in range(CLIENTS):
        with httpx.Client(base_url=server.url, cookies=cookies[n]) as client:
            assert client.get("/api/wallet").status_code == 200


def test_a_payment_waiting_on_a_row_locked_elsewhere_is_answered_503_while_it_is_still_locked(server):
    with httpx.Client(base_url=server.url, timeout=60, headers={"Origin": server.url}) as person:
        person.headers["X-CSRF-Token"] = person.get("/api/me").json()["csrf_token"]

        def new_topup() -> str:
            made = person.post(
                "/api/wallet/topups", json={"pack_id": "coins-100", "amount": 99, "currency": "USD", "coins": 100}
            )
            assert made.status_code == 201, made.text
            return f"/api/wallet/topups/{made.json()['id']}/sandbox/pay"

        # A first top-up makes the person's wallet (and the sandbox's account): rows to lock.
        assert person.post(new_topup(), json={"card_number": "4242424242424242"}).status_code == 200
        pay = new_topup()
        with operator(server) as psql:
            # Every account, the person's wallet among them, locked by an open transaction.
            psql.execute("SELECT id FROM accounts FOR UPDATE").fetchall()
            # Answered inside this block: while the lock is held (the transaction ends with the block).
            answer = person.post(pay, json={"card_number": "4242424242424242"})
        assert answer.status_code == 503 and answer.json()["code"] == "DATABASE_BUSY", answer.text
        assert "Retry-After" in answer.headers
        # Nothing was done: asked again once the lock is gone, the payment goes through, once.
        paid = person.post(pay, json={"card_number": "4242424242424242"})
        assert paid.status_code == 200 and paid.json()["status"] == "succeeded", paid.text
        assert person.get("/api/wallet").json()["balance"] == 200


@pytest.mark.parametrize(
    ("table", "path"),
    [("auth_sessions", "/api/me"), ("events", "/api/admin/feed/explain?user_id={me}&fresh=true")],
    ids=["the sessions, read on the event loop", "the analytics events, read by the feed's ranking"],
)
def test_a_request_waiting_on_a_table_locked_elsewhere_is_answered_503_while_it_is_still_locked(server, table, path):
    """The attack on the lock fix: an ALTER TABLE's lock on the sessions (or the events) held every
    signed-in request (every feed ranking) as long as it was held, 40 s: the reads on the event loop
    and the analytics store had connections of their own, without the lock timeout."""
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with httpx.Client(base_url=server.url, timeout=60, headers=admin) as person:
        path = path.format(me=person.get("/api/me").json()["user"]["id"])
        assert person.get(path).status_code == 200
        with operator(server) as psql:
            psql.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
            # Answered inside this block: while the lock is held (the transaction ends with the block).
            answer = person.get(path)
        assert answer.status_code == 503 and "Retry-After" in answer.headers, answer.text
        assert person.get(path).status_code == 200
