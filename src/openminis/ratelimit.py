"""Rate limits: one interface, an in-process and a Redis implementation of the same GCRA.

GCRA (the generic cell rate algorithm, as in redis-cell and Stripe's limiter) keeps one
number per key, the theoretical arrival time (TAT) of the next request. A rate of
``limit`` per ``period`` lets ``limit`` requests through at once after an idle spell,
then one every ``period / limit`` seconds; ``retry_after`` is exactly when the next
cell frees. It is a token bucket without a refill timer: over any stretch of time
``t`` it admits at most ``limit + limit * t / period`` requests, so a window of one
``period`` can hold up to ``2 * limit - 1`` (a full burst, then the refill). No
algorithm that keeps O(1) state per key can promise "never more than ``limit`` in
any window" and still allow bursts; that would need every timestamp (a sliding log).

Both implementations compute in whole microseconds with integers, so they agree
to the microsecond and Redis's Lua (doubles, exact up to 2**53) loses nothing.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import parse_qs, urlsplit

import redis
import redis.exceptions

from openminis.errors import TooMany

log = logging.getLogger("openminis.ratelimit")

MICROS = 1_000_000

_UNITS = {
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
}
_RATE = re.compile(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)?\s*([a-z]+)\s*", re.IGNORECASE | re.ASCII)


@dataclass(frozen=True)
class Rate:
    limit: int
    period: float

    def __post_init__(self) -> None:
        if isinstance(self.limit, bool) or not isinstance(self.limit, int) or self.limit < 1:
            raise ValueError(f"a rate's limit must be a positive integer, not {self.limit!r}")
        if not self.period > 0 or math.isinf(self.period):
            raise ValueError(f"a rate's period must be a positive number of seconds, not {self.period!r}")

    @classmethod
    def parse(cls, text: str) -> Rate:
        """``"100/second"``, ``"20/minute"``, ``"5/10s"``, ``"1000/hour"``, ``"3/2 days"``."""
        match = _RATE.fullmatch(text) if isinstance(text, str) else None
        unit = match and _UNITS.get(match[3].lower())
        if not match or not unit:
            raise ValueError(
                f"invalid rate {text!r}: expected '<count>/<unit>' or '<count>/<number><unit>' "
                "with unit second, minute, hour or day (e.g. '100/second', '20/minute', '5/10s')"
            )
        return cls(int(match[1]), float(match[2] or 1) * unit)

    @property
    def interval_us(self) -> int:
        """Microseconds between cells, rounded up so ``limit`` cells never span less than ``period``."""
        return max(1, -(-round(self.period * MICROS) // self.limit))


@dataclass(frozen=True)
class Decision:
    allowed: bool
    remaining: int
    retry_after: float  # seconds until one more request would be allowed (0 when allowed)


class RateLimiter(Protocol):
    def hit(self, key: str, rate: Rate, cost: int = 1) -> Decision: ...

    def peek(self, key: str, rate: Rate) -> Decision:
        """Whether one more hit would be allowed now, without counting it."""

    def give_back(self, key: str, rate: Rate, cost: int = 1) -> None:
        """Undo a hit that turned out not to count (a guess that was right): its cells are free again."""

    def reset(self, key: str) -> None: ...


def _check_cost(rate: Rate, cost: int) -> None:
    if not 1 <= cost <= rate.limit:
        raise ValueError(f"cost must be between 1 and the rate's limit {rate.limit}, not {cost}")


def _gcra(tat: int | None, now: int, rate: Rate, cost: int) -> tuple[Decision, int | None]:
    """One GCRA step: the decision and the new TAT to store (None when refused)."""
    interval = rate.interval_us
    window = interval * rate.limit
    tat = now if tat is None or tat < now else tat
    new_tat = tat + cost * interval
    allow_at = new_tat - window
    if now < allow_at:
        remaining = max(0, (window - (tat - now)) // interval)
        return Decision(False, remaining, (allow_at - now) / MICROS), None
    remaining = max(0, (window - (new_tat - now)) // interval)
    return Decision(True, remaining, 0.0), new_tat


class InProcessRateLimiter:
    """Limits within this process; the embedded default.

    Memory is bounded: a key whose TAT has passed holds no information and is dropped,
    and beyond ``max_keys`` the least recently used key goes (which forgets its
    history: that key starts over with a full burst).
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000) -> None:
        self.clock = clock
        self.max_keys = max_keys
        self._tats: OrderedDict[str, int] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._tats)

    def hit(self, key: str, rate: Rate, cost: int = 1) -> Decision:
        _check_cost(rate, cost)
        now = round(self.clock() * MICROS)
        with self._lock:
            decision, new_tat = _gcra(self._tats.get(key), now, rate, cost)
            if new_tat is not None:
                self._tats[key] = new_tat
            if key in self._tats:
                self._tats.move_to_end(key)
            self._evict(now)
        return decision

    def peek(self, key: str, rate: Rate) -> Decision:
        now = round(self.clock() * MICROS)
        with self._lock:
            return _gcra(self._tats.get(key), now, rate, 1)[0]

    def give_back(self, key: str, rate: Rate, cost: int = 1) -> None:
        _check_cost(rate, cost)
        now = round(self.clock() * MICROS)
        with self._lock:
            tat = self._tats.get(key)
            if tat is None:
                return
            tat -= cost * rate.interval_us
            if tat > now:
                self._tats[key] = tat
            else:
                del self._tats[key]

    def reset(self, key: str) -> None:
        with self._lock:
            self._tats.pop(key, None)

    def _evict(self, now: int) -> None:
        # Only the least recently used end is looked at (a key idle long enough gets there);
        # each key is dropped once, so this is O(1) amortised.
        while self._tats:
            oldest, tat = next(iter(self._tats.items()))
            if tat > now and len(self._tats) <= self.max_keys:
                break
            del self._tats[oldest]


# Both scripts' KEYS[1] is the key and ARGV: interval (us), limit, cost, now (us; empty = the
# server's TIME). Numbers are written with %.0f because Lua's default tostring (%.14g) would round
# a microsecond timestamp.
_NOW = """
local interval = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local now
if ARGV[4] ~= nil and ARGV[4] ~= "" then
  now = tonumber(ARGV[4])
else
  if redis.replicate_commands then redis.replicate_commands() end
  local t = redis.call("TIME")
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
"""

# Returns {allowed, remaining, retry_after_us}.
_SCRIPT = (
    _NOW
    + """
local window = interval * limit
local tat = tonumber(redis.call("GET", KEYS[1]))
if tat == nil or tat < now then tat = now end
local new_tat = tat + cost * interval
local allow_at = new_tat - window
if now < allow_at then
  return {0, math.max(0, math.floor((window - (tat - now)) / interval)), allow_at - now}
end
redis.call("SET", KEYS[1], string.format("%.0f", new_tat),
           "PX", string.format("%.0f", math.ceil((new_tat - now) / 1000)))
return {1, math.max(0, math.floor((window - (new_tat - now)) / interval)), 0}
"""
)
_SCRIPT_SHA = hashlib.sha1(_SCRIPT.encode()).hexdigest()

# The key's TAT moves back by the cost's cells; at or before now it holds nothing, and goes.
_GIVE_BACK = (
    _NOW
    + """
local tat = tonumber(redis.call("GET", KEYS[1]))
if tat == nil then return 0 end
tat = tat - cost * interval
if tat <= now then
  redis.call("DEL", KEYS[1])
else
  redis.call("SET", KEYS[1], string.format("%.0f", tat), "PX", string.format("%.0f", math.ceil((tat - now) / 1000)))
end
return 1
"""
)


def _secrets(url: str) -> list[str]:
    parts = urlsplit(url)
    found = [parts.password] if parts.password else []
    return found + [value for value in parse_qs(parts.query).get("password", []) if value]


def redacted(url: str) -> str:
    """The URL with its password (in the userinfo or a ``password=`` query) replaced, fit for logs."""
    head, question, query = url.partition("?")
    parts = urlsplit(head)
    if parts.password is not None:
        host = parts.netloc.rsplit("@", 1)[1]
        head = head.replace(parts.netloc, f"{parts.username or ''}:***@{host}", 1)
    return head + question + re.sub(r"(^|&)(password=)[^&]*", r"\1\2***", query, flags=re.IGNORECASE)


class RedisRateLimiter:
    """Limits shared by every web process through Redis; keys expire by themselves.

    The clock is the Redis server's ``TIME`` so that all processes agree; a ``clock``
    passed here replaces it (tests).
    """

    def __init__(
        self,
        url: str,
        prefix: str = "minis:rl:",
        *,
        clock: Callable[[], float] | None = None,
        timeout: float = 0.5,
        retry_interval: float = 2.0,
    ) -> None:
        self.prefix = prefix
        self.clock = clock
        self.retry_interval = retry_interval
        self._url = url
        self._redis = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        self._fallback = InProcessRateLimiter(clock=clock or time.monotonic)
        self._down_until = 0.0

    def hit(self, key: str, rate: Rate, cost: int = 1) -> Decision:
        _check_cost(rate, cost)
        # A Redis outage must not take the platform down, nor lift every limit: while
        # Redis cannot be reached, each process enforces the same limits on its own
        # (fail-open to local limits, not to unlimited). After a failure Redis is not
        # retried for `retry_interval` seconds, so requests do not each wait a timeout.
        if time.monotonic() < self._down_until:
            return self._fallback.hit(key, rate, cost)
        now = "" if self.clock is None else str(round(self.clock() * MICROS))
        args = (rate.interval_us, rate.limit, cost, now)
        try:
            try:
                allowed, remaining, retry_us = self._redis.evalsha(_SCRIPT_SHA, 1, self.prefix + key, *args)
            except redis.exceptions.NoScriptError:
                allowed, remaining, retry_us = self._redis.eval(_SCRIPT, 1, self.prefix + key, *args)
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
            self._went_down(exc)
            return self._fallback.hit(key, rate, cost)
        return Decision(bool(allowed), int(remaining), int(retry_us) / MICROS)

    def peek(self, key: str, rate: Rate) -> Decision:
        # Advisory, so two plain reads suffice: the stored TAT and the server's clock.
        if time.monotonic() < self._down_until:
            return self._fallback.peek(key, rate)
        try:
            stored = self._redis.get(self.prefix + key)
            if self.clock is not None:
                now = round(self.clock() * MICROS)
            else:
                seconds, micros = self._redis.time()
                now = seconds * MICROS + micros
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
            self._went_down(exc)
            return self._fallback.peek(key, rate)
        return _gcra(int(float(stored)) if stored is not None else None, now, rate, 1)[0]

    def give_back(self, key: str, rate: Rate, cost: int = 1) -> None:
        _check_cost(rate, cost)
        if time.monotonic() < self._down_until:
            self._fallback.give_back(key, rate, cost)
            return
        now = "" if self.clock is None else str(round(self.clock() * MICROS))
        try:
            self._redis.eval(_GIVE_BACK, 1, self.prefix + key, rate.interval_us, rate.limit, cost, now)
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
            self._went_down(exc)
            self._fallback.give_back(key, rate, cost)

    def reset(self, key: str) -> None:
        self._fallback.reset(key)
        try:
            self._redis.delete(self.prefix + key)
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
            self._went_down(exc)

    def _went_down(self, exc: Exception) -> None:
        self._down_until = time.monotonic() + self.retry_interval
        reason = str(exc)
        for secret in _secrets(self._url):
            reason = reason.replace(secret, "***")
        log.warning(
            "Redis at %s is unreachable (%s: %s); using in-process rate limits for %.0f s",
            redacted(self._url),
            type(exc).__name__,
            reason,
            self.retry_interval,
        )


def rate_limiter_from_url(redis_url: str | None, namespace: str = "") -> RateLimiter:
    """Redis when ``MINIS_REDIS_URL`` is set, otherwise in-process. ``namespace``: the deployment's
    (db.deployment_key), so that two deployments on one Redis do not share their limits."""
    if not redis_url:
        return InProcessRateLimiter()
    return RedisRateLimiter(redis_url, f"minis:rl:{namespace}:" if namespace else "minis:rl:")


class RateLimited(TooMany):
    """Too many requests: 429 with the seconds to wait, which the web edge sends as Retry-After."""

    code = "RATE_LIMITED"

    def __init__(self, message: str, *, retry_after: float, code: str | None = None, field: str | None = None):
        super().__init__(message, code=code, field=field)
        self.retry_after = retry_after


def retry_after_header(seconds: float | None) -> str:
    """Retry-After in whole seconds (RFC 9110), rounded up and at least 1: a 0 would invite a
    retry that is refused again."""
    return str(max(1, math.ceil(seconds or 0)))


def enforce(limiter: RateLimiter, key: str, rate: Rate, cost: int = 1, *, what: str = "requests") -> None:
    """Count ``cost`` hits on ``key``; raise RateLimited (with the wait) when over the rate.
    A cost above the rate's limit counts as the whole limit (a batch can never pass alone otherwise)."""
    decision = limiter.hit(key, rate, min(max(cost, 1), rate.limit))
    if not decision.allowed:
        raise RateLimited(
            f"too many {what}; retry after {decision.retry_after:.1f} s", retry_after=decision.retry_after
        )
