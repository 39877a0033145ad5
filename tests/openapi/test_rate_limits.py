"""The Open API's limits per IP and per app, enforced in-process or, with MINIS_REDIS_URL, through Redis."""

from __future__ import annotations

import secrets

import httpx
import pytest
import redis

from openminis.liveserver import LiveServer
from openminis.ratelimit import RedisRateLimiter
from tests.conftest import unavailable

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(params=["in-process", "redis"])
def limited(request, platform):
    platform.settings.rate_per_ip = "5/minute"
    platform.settings.rate_per_app = "3/minute"
    platform.__dict__.pop("rates", None)  # read again: fixtures before this one (studio) already used them
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


def forwarded_statuses(server, addresses: list[str]) -> list[int]:
    with httpx.Client(base_url=server.url, timeout=10) as http:
        return [http.get("/openapi/v1/app", headers={"X-Forwarded-For": address}).status_code for address in addresses]


@pytest.mark.slow
def test_behind_a_trusted_proxy_each_forwarded_address_has_its_own_limit(tmp_path):
    """A real ``minis serve``: the proxy in front of it (here, this test on loopback, trusted by
    default) forwards each person's address, and each address gets its own allowance."""
    (tmp_path / "data").mkdir()
    with LiveServer(tmp_path / "data", env={"MINIS_RATE_PER_IP": "2/minute"}) as server:
        assert forwarded_statuses(server, ["198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4"]) == [401] * 4
        assert forwarded_statuses(server, ["198.51.100.1", "198.51.100.1"]) == [401, 429]


@pytest.mark.slow
def test_a_forwarded_address_from_an_untrusted_peer_is_not_believed(tmp_path):
    """With MINIS_TRUSTED_PROXIES naming another machine, a client on loopback cannot pose as many
    people by sending X-Forwarded-For: its requests all count against its own address."""
    (tmp_path / "data").mkdir()
    with LiveServer(
        tmp_path / "data", env={"MINIS_RATE_PER_IP": "2/minute", "MINIS_TRUSTED_PROXIES": "192.0.2.10"}
    ) as server:
        assert forwarded_statuses(server, ["198.51.100.1", "198.51.100.2", "198.51.100.3"]) == [401, 401, 429]
