"""A browser whose session has ended (signed out in another tab, the account deleted, sessions
purged) loads a page: several requests at once, each with the dead cookie, each made a new guest.
Against a real ``minis serve``, on SQLite and PostgreSQL, every one is answered: no "the database
is busy" for want of a second look at a cookie already found to be nobody's."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest

from openminis.liveserver import LiveServer, run_apart
from tests.concurrency import one_connection_each
from tests.publishing_live import DATABASES, live_server

AT_ONCE = 30
ROUTES = ("/api/me", "/api/wallet", "/api/me/favourites", "/api/messages/unread")


@pytest.fixture(params=DATABASES)
def server(request, tmp_path):
    yield from live_server(request.param, tmp_path / "data", MINIS_RATE_GUESTS_PER_IP="100000/minute")


async def load_page(server: LiveServer, cookie: str) -> Counter:
    async with httpx.AsyncClient(base_url=server.url, timeout=30, limits=one_connection_each(AT_ONCE)) as client:
        answers = await asyncio.gather(
            *(
                client.get(ROUTES[n % len(ROUTES)], headers={"Cookie": f"minis_session={cookie}"})
                for n in range(AT_ONCE)
            )
        )
    return Counter(answer.status_code for answer in answers)


def test_a_page_loaded_with_an_ended_session_is_answered_whole(server):
    with httpx.Client(base_url=server.url, timeout=30) as person:
        me = person.get("/api/me").json()
        cookie = person.cookies["minis_session"]
        signed_out = person.post("/api/account/sign-out", headers={"X-CSRF-Token": me["csrf_token"]})
        assert signed_out.status_code == 200, signed_out.text
    assert run_apart(load_page(server, cookie)) == Counter({200: AT_ONCE})
    assert run_apart(load_page(server, "never-a-session-of-anyone")) == Counter({200: AT_ONCE})
