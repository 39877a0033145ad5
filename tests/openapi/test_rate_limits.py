"""The Open API's limits per IP and per app, enforced in-process or, with MINIS_REDIS_URL, through Redis."""

from __future__ import annotations

import secrets

import pytest
import redis

from openminis.ratelimit import RedisRateLimiter
from tests.conftest import unavailable

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(params=["in-process", "redis"])
def limited(request, platform):
    platform.settings.rate_per_ip = "5/minute"
    platform.settings.rate_per_app = "3/minute"
    if request.param == "redis":
        try:
            redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
        except redis.exceptions.ConnectionError as exc:
            unavailable(f"Redis is not reachable at {REDIS_URL}: {exc}")
        platform.settings.redis_url = REDIS_URL
        platform.__dict__["limiter"] = RedisRateLimiter(REDIS_URL, prefix=f"minis:test:{secrets.token_hex(4)}:")
    return platform


def test_requests_past_the_per_ip_limit_get_429_with_the_error_envelope(client, limited):
    statuses = [client.get("/openapi/v1/app").status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    body = client.get("/openapi/v1/app").json()
    assert body["code"] == "RATE_LIMITED" and body["request_id"]


def test_requests_past_the_per_app_limit_get_429(client, studio, limited):
    backend = studio.backend(client)
    backend.access_token()  # one request of the five this IP may make
    codes = []
    for _ in range(4):
        response = client.get("/openapi/v1/app", headers={"Authorization": f"Bearer {backend._token}"})
        codes.append(response.status_code)
    assert codes == [200, 200, 200, 429]
