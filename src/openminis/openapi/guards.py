"""Who may call the Open API, and how often: bearer tokens, and rate limits per IP and per app."""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from openminis import ratelimit
from openminis.developers import service as developers
from openminis.platform import Platform
from openminis.ratelimit import Rate, RateLimited
from openminis.web.dependencies import client_ip, get_platform, get_session

bearer = HTTPBearer(
    auto_error=False, description="an app access token from POST /auth/token, or a user access token where noted"
)


def enforce(platform: Platform, key: str, rate: Rate) -> None:
    ratelimit.enforce(platform.limiter, key, rate)


def limit_ip(request: Request, platform: Platform = Depends(get_platform)) -> None:
    enforce(platform, f"ip:{client_ip(request)}", platform.rates.per_ip)


def bearer_token(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> str:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise developers.Unauthenticated("send an access token: Authorization: Bearer <token>", code="INVALID_TOKEN")
    return credentials.credentials


def current_app_id(
    token: str = Depends(bearer_token),
    session: Session = Depends(get_session),
    platform: Platform = Depends(get_platform),
) -> str:
    app_id = developers.app_for_token(session, token)
    enforce(platform, f"app:{app_id}", platform.rates.per_app)
    return app_id


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
