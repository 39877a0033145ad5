"""How often the Open API may be called: rate limits per IP (per app: web/dependencies.py's
current_app_id), and a door that shuts on repeated failed guesses."""

from __future__ import annotations

from fastapi import Request

from openminis import ratelimit
from openminis.platform import Platform
from openminis.ratelimit import Rate, RateLimited
from openminis.web.dependencies import PlatformDep, client_ip


def enforce(platform: Platform, key: str, rate: Rate) -> None:
    ratelimit.enforce(platform.limiter, key, rate)


def limit_ip(request: Request, platform: PlatformDep) -> None:
    enforce(platform, f"ip:{client_ip(request)}", platform.rates.per_ip)


class BruteForceGuard:
    """Counts failed attempts at guessing something (codes, passwords) and shuts the door when they pile up.

    Successes are not counted, so a busy backend exchanging many good codes is never slowed.
    """

    def __init__(self, platform: Platform, key: str, rate: Rate):
        self.platform, self.key, self.rate = platform, f"fail:{key}", rate

    def check(self) -> None:
        decision = self.platform.limiter.peek(self.key, self.rate)
        if not decision.allowed:
            raise RateLimited(
                f"too many failed attempts; retry after {decision.retry_after:.1f} s", retry_after=decision.retry_after
            )

    def failed(self) -> None:
        self.platform.limiter.hit(self.key, self.rate)
