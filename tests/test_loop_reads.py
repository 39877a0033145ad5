"""A serving process on PostgreSQL looks a GET's person up on its event loop, through a small
async engine made in that loop when it starts and disposed there when it stops (loop_reads.py);
what the person sees is what a lookup on a thread gave: sign-out at once, a rename at once."""

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

    def record(*_args) -> None:
        on_loop.append(asyncio._get_running_loop() is not None)

    event.listen(platform.loop_reads.engine.sync_engine, "before_cursor_execute", record)
    assert client.get("/api/me").json()["user"]["id"] == first
    assert on_loop == [True]

    # The person read on the loop joins the request's unit: a GET's route reads on from there,
    # and a change made next is seen by the very next GET.
    assert client.get("/api/wallet").json() == {"balance": 0}
    assert client.patch("/api/me", json={"display_name": "Grace"}, headers=csrf).status_code == 200
    assert client.get("/api/me").json()["user"]["display_name"] == "Grace"

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
        engine = platform.loop_reads.engine
    assert platform.loop_reads is None
    assert engine.sync_engine.pool.checkedout() == 0
