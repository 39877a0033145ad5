"""A serving process on PostgreSQL looks each request's person up on its event loop, through a
few async connections opened in that loop when it starts and closed there when it stops
(loop_reads.py); what the person sees is what a lookup on a thread gave: sign-out at once, a
rename at once, and a write request changes the person it looked up."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy import event
from starlette.testclient import TestClient

from openminis.platform import Platform
from openminis.server import ServingApp

pytestmark = pytest.mark.postgres


@pytest.fixture
def serving(settings) -> Iterator[tuple[Platform, TestClient]]:
    settings.embedded_worker = False  # no job lanes: this is about requests
    platform = Platform(settings)
    with TestClient(ServingApp(platform), base_url="http://localhost:8000") as client:
        yield platform, client


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_get_reads_its_person_on_the_serving_loop_and_sees_sign_out_and_renames_at_once(serving):
    platform, client = serving
    assert platform.loop_reads is not None  # made by the lifespan, in the loop that serves
    csrf = {"X-CSRF-Token": client.get("/api/me").json()["csrf_token"]}
    first = client.get("/api/me").json()["user"]["id"]

    on_loop: list[bool] = []
    on_threads: list[str] = []
    reads = platform.loop_reads
    original = reads.first

    async def recording(statement, parameters):
        on_loop.append(asyncio._get_running_loop() is not None)
        return await original(statement, parameters)

    reads.first = recording
    event.listen(platform.db.engine, "before_cursor_execute", lambda *args: on_threads.append(args[2]))
    assert client.get("/api/me").json()["user"]["id"] == first
    assert on_loop == [True]
    assert not [sql for sql in on_threads if "auth_sessions" in sql]

    # The person read on the loop joins the request's unit: a GET's route reads on from there,
    # and a change made next is seen by the very next GET.
    assert client.get("/api/wallet").json() == {"balance": 0}
    # A write request's person is read on the loop too, and changed and flushed by its unit.
    assert client.patch("/api/me", json={"display_name": "Grace"}, headers=csrf).status_code == 200
    assert on_loop == [True, True, True]
    assert client.get("/api/me").json()["user"]["display_name"] == "Grace"
    assert not [sql for sql in on_threads if "auth_sessions" in sql and sql.lstrip().startswith("SELECT")]

    signed_out = client.cookies.get("minis_session")
    assert client.post("/api/account/sign-out", headers=csrf).status_code == 200
    client.cookies.set("minis_session", signed_out)  # a copy of the cookie kept after signing out
    after = client.get("/api/me")
    assert after.status_code == 200 and after.json()["user"]["id"] != first  # a new guest, not them


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_loop_reads_close_with_the_serving_process(settings):
    settings.embedded_worker = False
    platform = Platform(settings)
    with TestClient(ServingApp(platform), base_url="http://localhost:8000") as client:
        assert client.get("/api/me").status_code == 200
        pool = platform.loop_reads.pool
    assert platform.loop_reads is None
    assert pool.closed
