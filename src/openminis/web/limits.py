"""The host's rate limits: who may change state how often, keyed by address and by person.

Each is a setting (``MINIS_RATE_*``), a GCRA rate (ratelimit.py) on the platform's limiter, so in
process by default and shared through Redis at scale. Per-IP keys use the address uvicorn
believed (the peer, or what one of ``MINIS_TRUSTED_PROXIES`` forwarded), never a header anyone
can send.
"""

from __future__ import annotations

from functools import lru_cache

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from openminis.ratelimit import InProcessRateLimiter, Rate, RateLimiter, enforce

# Reads and preflights change nothing; everything else is counted.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@lru_cache(maxsize=64)
def rate(text: str) -> Rate:
    """A rate setting, parsed once."""
    return Rate.parse(text)


def client_ip(request: Request) -> str:
    # The peer's address, or the one a trusted proxy forwarded: uvicorn has already put it in
    # request.client when the peer is one of MINIS_TRUSTED_PROXIES.
    return request.client.host if request.client else "unknown"


def route_name(request: Request) -> str:
    """The route's template, not the concrete path: ``POST /api/ads/{ad_id}/impression`` is one
    route whatever the ad, so a script cannot spread its repeats over fresh keys."""
    route = request.scope.get("route")
    return f"{request.method} {getattr(route, 'path', request.url.path)}"


async def hit(limiter: RateLimiter, key: str, text: str, cost: int = 1, *, what: str = "requests") -> None:
    """``enforce`` from async code: straight away in process (no I/O), in a thread for Redis."""
    if isinstance(limiter, InProcessRateLimiter):
        enforce(limiter, key, rate(text), cost, what=what)
    else:
        await run_in_threadpool(enforce, limiter, key, rate(text), cost, what=what)


def guest_key(ip: str) -> str:
    return f"guests:ip:{ip}"


def changes_by_ip_key(ip: str) -> str:
    return f"changes:ip:{ip}"


def changes_by_person_key(user_id: str, route: str) -> str:
    return f"changes:person:{user_id}:{route}"
