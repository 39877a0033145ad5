"""How often the Open API may be called: rate limits per IP (per app: web/dependencies.py's
current_app_id), and a door that shuts on repeated failed guesses."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from fastapi import Request

from openminis import ratelimit
from openminis.platform import Platform
from openminis.ratelimit import Decision, Rate, RateLimited
from openminis.web.dependencies import PlatformDep, client_ip


def enforce(platform: Platform, key: str, rate: Rate) -> None:
    ratelimit.enforce(platform.limiter, key, rate)


def limit_ip(request: Request, platform: PlatformDep) -> None:
    enforce(platform, f"ip:{client_ip(request)}", platform.rates.per_ip)


class BruteForceGuard:
    """Counts failed attempts at guessing something (codes, passwords) and shuts the door when they pile up.

    ``check`` then ``failed``: successes are not counted, so a busy backend exchanging many good
    codes at once is never slowed; guesses sent at once all pass the check before any of them is
    counted, which is no harm where a guess cannot succeed (a code or a secret of 128 bits).
    ``attempt`` then ``give_back`` for a password: each guess is counted before it is tried, and
    given back when it was right. Forty wrong passwords sent at once had 17 tried on one node and
    24 on two, against a limit of 10 (a probe, scale52).
    """

    def __init__(self, platform: Platform, key: str, rate: Rate):
        self.platform, self.key, self.rate = platform, f"fail:{key}", rate

    def check(self) -> None:
        _refuse_unless(self.platform.limiter.peek(self.key, self.rate))

    def failed(self) -> None:
        self.platform.limiter.hit(self.key, self.rate)

    def attempt(self) -> None:
        """Count this attempt now, before it is tried, or RateLimited with nothing counted."""
        _refuse_unless(self.platform.limiter.hit(self.key, self.rate))

    def give_back(self) -> None:
        """The attempt succeeded: it is not counted after all."""
        self.platform.limiter.give_back(self.key, self.rate)


def _refuse_unless(decision: Decision) -> None:
    if not decision.allowed:
        raise RateLimited(
            f"too many failed attempts; retry after {decision.retry_after:.1f} s", retry_after=decision.retry_after
        )


def attempt_all(guards: list[BruteForceGuard]) -> None:
    """One attempt counted against each guard, or RateLimited with none counted."""
    for done, guard in enumerate(guards):
        try:
            guard.attempt()
        except RateLimited:
            give_back_all(guards[:done])
            raise


def give_back_all(guards: list[BruteForceGuard]) -> None:
    for guard in guards:
        guard.give_back()


@contextmanager
def counted(guards: list[BruteForceGuard], *, keep: Callable[[BaseException | None], bool]) -> Iterator[None]:
    """One attempt counted against each guard before the block runs (attempts at once each see the
    others), and given back when the block ends unless ``keep`` says the count stands for how it
    ended (``None``: it returned)."""
    attempt_all(guards)
    try:
        yield
    except BaseException as exc:
        if not keep(exc):
            give_back_all(guards)
        raise
    if not keep(None):
        give_back_all(guards)
