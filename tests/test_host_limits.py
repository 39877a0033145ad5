"""The host's rate limits: guests per address, every state-changing route per address and per
person, each 429 with Retry-After; on the in-process limiter and on Redis.

Issue 12, item 9: guest creation made a row per cookie-less request; purchases, top-ups, events
and ads had no host-side rate limit; 429 answers carried no Retry-After.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from openminis.identity.models import User
from openminis.liveserver import LiveServer
from openminis.ratelimit import RedisRateLimiter
from tests.test_ratelimit import REDIS_URL, redis_client  # noqa: F401 (a fixture, used by name)


@pytest.fixture(params=["memory", "redis"])
def limited(request, platform) -> Iterator:
    """The platform with its limiter in either form (Redis: under a prefix of this test's own)."""
    if request.param == "redis":
        request.getfixturevalue("redis_client")  # skips (or fails in CI) when Redis is not there
        prefix = f"minis:test:host:{secrets.token_hex(6)}:"
        platform.__dict__["limiter"] = RedisRateLimiter(REDIS_URL, prefix=prefix)
    yield platform


def people(platform) -> int:
    with platform.db.session() as session:
        return session.scalar(select(func.count()).select_from(User))


def visitor(client: TestClient, address: str) -> TestClient:
    return TestClient(client.app, base_url="http://localhost:8000", client=(address, 50000))


def test_a_cookieless_burst_from_one_address_gets_429_with_retry_after_not_a_guest_each(client, limited):
    limited.settings.rate_guests_per_ip = "5/minute"
    before = people(limited)
    answers = [visitor(client, "203.0.113.5").get("/api/me") for _ in range(8)]
    assert [answer.status_code for answer in answers] == [200] * 5 + [429] * 3
    assert answers[5].json()["code"] == "RATE_LIMITED"
    assert 1 <= int(answers[5].headers["Retry-After"]) <= 12  # the next guest's cell frees in 12 s
    assert people(limited) == before + 5
    # Another address, and a visitor who already has a session, are not held up.
    assert visitor(client, "198.51.100.20").get("/api/me").status_code == 200
    returning = answers[0].cookies
    assert (
        TestClient(client.app, base_url="http://localhost:8000", client=("203.0.113.5", 50000), cookies=returning)
        .get("/api/me")
        .status_code
        == 200
    )


def test_state_changing_requests_from_one_address_are_limited_whatever_the_route(client, limited):
    limited.settings.rate_changes_per_ip = "4/minute"
    person = visitor(client, "203.0.113.9")
    csrf = {"X-CSRF-Token": person.get("/api/me").json()["csrf_token"]}
    answers = [
        person.patch("/api/me", json={"display_name": "Ann"}, headers=csrf),
        person.post("/api/events", json={"events": []}, headers={"Origin": "http://localhost:8000"}),
        person.post("/api/ads/requests", json={"app_id": "none", "unit_id": "none"}, headers=csrf),
        person.post("/api/wallet/topups", json={"pack_id": "none"}, headers=csrf),
        person.post("/api/account/sign-out", headers=csrf),  # without a session or CSRF token: counted all the same
        visitor(client, "203.0.113.9").post("/api/events", json={"events": []}),
    ]
    assert [answer.status_code for answer in answers][4:] == [429, 429]
    assert all(answer.status_code != 429 for answer in answers[:4])
    assert all(int(answer.headers["Retry-After"]) >= 1 for answer in answers[4:])
    # Reads are not counted.
    assert person.get("/api/me").status_code == 200


def test_a_persons_repeats_of_one_route_wait_while_their_other_routes_pass(client, limited):
    limited.settings.rate_changes_per_person = "3/minute"
    person = visitor(client, "203.0.113.12")
    csrf = {"X-CSRF-Token": person.get("/api/me").json()["csrf_token"]}
    renames = [person.patch("/api/me", json={"display_name": f"Ann {n}"}, headers=csrf) for n in range(5)]
    assert [answer.status_code for answer in renames] == [200, 200, 200, 429, 429]
    assert renames[3].json()["code"] == "RATE_LIMITED" and 1 <= int(renames[3].headers["Retry-After"]) <= 20
    assert person.post("/api/ads/requests", json={"app_id": "none", "unit_id": "none"}, headers=csrf).status_code == 422
    # Someone else behind the same address has their own allowance.
    other = visitor(client, "203.0.113.12")
    other_csrf = {"X-CSRF-Token": other.get("/api/me").json()["csrf_token"]}
    assert other.patch("/api/me", json={"display_name": "Bob"}, headers=other_csrf).status_code == 200


def test_every_state_changing_host_route_counts_against_the_address_limit(client, platform):
    """Every route of the host's API that is not a read, called from an address whose allowance is
    spent, answers 429 before anything else is looked at (one app-wide dependency does it)."""
    paths = client.get("/openapi.json").json()["paths"]
    changing = [
        (method.upper(), path.replace("{", "").replace("}", ""))
        for path, item in paths.items()
        for method in item
        if method in ("post", "put", "patch", "delete")
    ]
    assert len(changing) > 40
    platform.settings.rate_changes_per_ip = "1/hour"
    spent = visitor(client, "203.0.113.77")
    assert spent.post("/api/events", json={"events": []}).status_code != 429
    answers = {(method, path): spent.request(method, path, json={}).status_code for method, path in changing}
    assert {key: status for key, status in answers.items() if status != 429} == {}


@pytest.mark.slow
def test_a_forwarded_address_from_an_untrusted_peer_does_not_escape_the_guest_limit(tmp_path):
    """Keys use the address uvicorn believes: X-Forwarded-For counts only from MINIS_TRUSTED_PROXIES."""
    data = tmp_path / "data"
    data.mkdir()
    env = {"MINIS_TRUSTED_PROXIES": "10.9.9.9", "MINIS_RATE_GUESTS_PER_IP": "5/minute"}
    with LiveServer(data, env=env) as server:
        # The readiness check (GET /healthz) made no guest: five pass, then 429 for every one,
        # whatever address each claims to be forwarding for.
        answers = [
            httpx.get(f"{server.url}/api/me", headers={"X-Forwarded-For": f"192.0.2.{n}"}, timeout=30) for n in range(8)
        ]
    assert [answer.status_code for answer in answers] == [200] * 5 + [429] * 3
    assert all(int(answer.headers["Retry-After"]) >= 1 for answer in answers[5:])


def test_every_429_and_503_carries_retry_after_whatever_raised_it():
    from fastapi import FastAPI
    from starlette.exceptions import HTTPException

    from openminis.app import install_error_handlers
    from openminis.errors import TooMany, Unavailable

    app = FastAPI()
    install_error_handlers(app)

    @app.get("/busy")
    def busy():
        raise Unavailable("busy", code="OVERLOADED")

    @app.get("/slow-down")
    def slow_down():
        raise HTTPException(429, "slow down")

    @app.get("/later")
    def later():
        error = TooMany("later", code="RATE_LIMITED")
        error.retry_after = 41.2
        raise error

    with TestClient(app) as plain:
        assert [plain.get(path).headers.get("Retry-After") for path in ("/busy", "/slow-down", "/later")] == [
            "1",
            "1",
            "42",
        ]
