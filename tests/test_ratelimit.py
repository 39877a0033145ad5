"""Rate limits: the same GCRA in-process and in Redis, exact on a fake clock, safe under concurrency."""

from __future__ import annotations

import logging
import os
import random
import secrets
import threading
from collections.abc import Iterator

import pytest
import redis

from openminis.ratelimit import (
    Decision,
    InProcessRateLimiter,
    Rate,
    RateLimited,
    RedisRateLimiter,
    enforce,
    rate_limiter_from_url,
    redacted,
    retry_after_header,
)
from openminis.web.errors import status_for
from tests.conftest import unavailable

REDIS_URL = os.environ.get("MINIS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
FIVE_PER_TEN_SECONDS = Rate(5, 10)  # one cell every 2 s


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="session")
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        unavailable(f"Redis is not reachable at {redacted(REDIS_URL)}: {exc}")
    yield client
    client.close()


@pytest.fixture
def redis_prefix(redis_client) -> Iterator[str]:
    prefix = f"minis:test:rl:{secrets.token_hex(6)}:"
    yield prefix
    keys = list(redis_client.scan_iter(match=prefix + "*"))
    if keys:
        redis_client.delete(*keys)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["memory", "redis"])
def limiter(request, clock):
    if request.param == "memory":
        return InProcessRateLimiter(clock=clock)
    return RedisRateLimiter(REDIS_URL, prefix=request.getfixturevalue("redis_prefix"), clock=clock)


def hits(limiter, key: str, rate: Rate, times: int) -> list[Decision]:
    return [limiter.hit(key, rate) for _ in range(times)]


def test_a_burst_up_to_the_limit_passes_and_the_next_waits_exactly_for_the_next_cell(limiter):
    burst = hits(limiter, "app:1", FIVE_PER_TEN_SECONDS, 5)
    assert [d.allowed for d in burst] == [True] * 5
    assert [d.remaining for d in burst] == [4, 3, 2, 1, 0]
    assert all(d.retry_after == 0 for d in burst)

    assert limiter.hit("app:1", FIVE_PER_TEN_SECONDS) == Decision(allowed=False, remaining=0, retry_after=2.0)


def test_after_waiting_retry_after_the_request_is_allowed_again(limiter, clock):
    hits(limiter, "ip:10.0.0.1", FIVE_PER_TEN_SECONDS, 5)
    refused = limiter.hit("ip:10.0.0.1", FIVE_PER_TEN_SECONDS)

    clock.advance(refused.retry_after - 0.001)
    assert limiter.hit("ip:10.0.0.1", FIVE_PER_TEN_SECONDS) == Decision(False, 0, 0.001)
    clock.advance(0.001)
    assert limiter.hit("ip:10.0.0.1", FIVE_PER_TEN_SECONDS) == Decision(True, 0, 0.0)
    assert not limiter.hit("ip:10.0.0.1", FIVE_PER_TEN_SECONDS).allowed


def test_a_full_period_of_quiet_restores_the_whole_burst(limiter, clock):
    hits(limiter, "k", FIVE_PER_TEN_SECONDS, 5)
    clock.advance(10)
    assert [d.allowed for d in hits(limiter, "k", FIVE_PER_TEN_SECONDS, 6)] == [True] * 5 + [False]


def test_keys_are_independent(limiter):
    hits(limiter, "login:alice", FIVE_PER_TEN_SECONDS, 5)
    assert not limiter.hit("login:alice", FIVE_PER_TEN_SECONDS).allowed
    assert limiter.hit("login:bob", FIVE_PER_TEN_SECONDS) == Decision(True, 4, 0.0)


def test_a_cost_counts_as_that_many_requests(limiter):
    assert limiter.hit("k", FIVE_PER_TEN_SECONDS, cost=3) == Decision(True, 2, 0.0)
    # Two cells are left; three need one more to free, 2 s away.
    assert limiter.hit("k", FIVE_PER_TEN_SECONDS, cost=3) == Decision(False, 2, 2.0)
    assert limiter.hit("k", FIVE_PER_TEN_SECONDS, cost=2) == Decision(True, 0, 0.0)


@pytest.mark.parametrize("cost", [0, -1, 6])
def test_a_cost_outside_one_to_the_limit_is_a_value_error(limiter, cost):
    with pytest.raises(ValueError, match="cost"):
        limiter.hit("k", FIVE_PER_TEN_SECONDS, cost=cost)


def test_reset_clears_a_key(limiter):
    hits(limiter, "code:42", FIVE_PER_TEN_SECONDS, 5)
    limiter.reset("code:42")
    assert limiter.hit("code:42", FIVE_PER_TEN_SECONDS) == Decision(True, 4, 0.0)
    limiter.reset("never-used")


def test_concurrent_hits_never_pass_more_than_the_limit(limiter):
    rate = Rate(50, 3600)
    start = threading.Barrier(20)
    allowed = []

    def worker() -> None:
        start.wait()
        allowed.extend(d.allowed for d in hits(limiter, "open-api:app-1", rate, 10))

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(allowed) == 200 and allowed.count(True) == 50


def test_sustained_traffic_is_held_to_the_rate_after_the_initial_burst(limiter, clock):
    # GCRA is a token bucket: a full burst, then one cell per period/limit. A window of
    # one period therefore holds at most 2 * limit - 1 (documented in the module).
    times = []
    for _ in range(201):  # a request every 0.5 s for 100 s
        if limiter.hit("k", FIVE_PER_TEN_SECONDS).allowed:
            times.append(clock.now)
        clock.advance(0.5)
    assert len(times) == 5 + 50
    busiest = max(sum(1 for t in times if start <= t < start + 10) for start in times)
    assert busiest == 2 * 5 - 1


@pytest.mark.parametrize(
    "text, rate",
    [
        ("100/second", Rate(100, 1)),
        ("20/minute", Rate(20, 60)),
        ("5/10s", Rate(5, 10)),
        ("1000/hour", Rate(1000, 3600)),
        ("3/day", Rate(3, 86400)),
        (" 10 / 15 minutes ", Rate(10, 900)),
        ("2/0.5s", Rate(2, 0.5)),
        ("7/H", Rate(7, 3600)),
    ],
)
def test_rate_parse_accepts_count_per_unit_or_per_n_units(text, rate):
    assert Rate.parse(text) == rate


@pytest.mark.parametrize(
    "text",
    [
        "",
        "100",
        "100/",
        "/second",
        "ten/second",
        "100/fortnight",
        "0/second",
        "-1/second",
        "5/0s",
        "5/10",
        "5/s/s",
        "1e3/hour",
        "5/１s",
    ],
)
def test_rate_parse_rejects_anything_else_with_a_value_error(text):
    with pytest.raises(ValueError, match="rate"):
        Rate.parse(text)


def test_a_redis_outage_falls_back_to_local_limits_and_logs_no_password(caplog):
    limiter = RedisRateLimiter("redis://:s3cret@127.0.0.1:1/0", clock=FakeClock())
    with caplog.at_level(logging.WARNING, logger="openminis.ratelimit"):
        decisions = hits(limiter, "k", FIVE_PER_TEN_SECONDS, 6)
        limiter.reset("k")

    # Fail-open to the same limits enforced locally, not to no limits at all.
    assert [d.allowed for d in decisions] == [True] * 5 + [False]
    assert limiter.hit("k", FIVE_PER_TEN_SECONDS).allowed
    assert caplog.records and all(r.levelno == logging.WARNING for r in caplog.records)
    assert "127.0.0.1:1" in caplog.text
    assert "s3cret" not in caplog.text


def test_redis_limiters_in_different_processes_share_one_budget_on_the_server_clock(redis_client, redis_prefix):
    web_1, web_2 = RedisRateLimiter(REDIS_URL, redis_prefix), RedisRateLimiter(REDIS_URL, redis_prefix)
    rate = Rate(4, 3600)
    decisions = [limiter.hit("app-1", rate) for limiter in (web_1, web_2, web_1, web_2, web_1)]
    assert [d.allowed for d in decisions] == [True] * 4 + [False]
    assert 899 < decisions[-1].retry_after <= 900
    # The key expires by itself once it holds no information (the TAT has passed).
    assert 0 < redis_client.pttl(redis_prefix + "app-1") <= 3600_000


def test_the_redis_script_is_loaded_again_after_a_script_flush(redis_client, redis_prefix, clock):
    limiter = RedisRateLimiter(REDIS_URL, redis_prefix, clock=clock)
    assert limiter.hit("k", FIVE_PER_TEN_SECONDS).allowed
    redis_client.script_flush()
    assert limiter.hit("k", FIVE_PER_TEN_SECONDS) == Decision(True, 3, 0.0)


def test_both_implementations_decide_identically(redis_prefix):
    memory_clock, redis_clock = FakeClock(), FakeClock()
    memory = InProcessRateLimiter(clock=memory_clock)
    shared = RedisRateLimiter(REDIS_URL, redis_prefix, clock=redis_clock)
    rates = [Rate(3, 1), Rate(5, 10), Rate(7, 60), Rate(100, 3600)]
    rng = random.Random(1234)
    for _ in range(300):
        step = rng.choice([0, 0, 0.001, 0.1, 0.37, 1.5, 7])
        memory_clock.advance(step)
        redis_clock.advance(step)
        key, rate = rng.choice("abc"), rng.choice(rates)
        cost = rng.randint(1, rate.limit)
        assert memory.hit(key + str(rate), rate, cost) == shared.hit(key + str(rate), rate, cost)


def test_the_in_process_limiter_evicts_the_least_recently_used_keys_beyond_its_cap(clock):
    limiter = InProcessRateLimiter(clock=clock, max_keys=3)
    hits(limiter, "a", FIVE_PER_TEN_SECONDS, 5)
    for key in ("b", "c", "d"):
        limiter.hit(key, FIVE_PER_TEN_SECONDS)
    assert len(limiter) == 3
    # "a" was evicted, so it starts over with a full burst.
    assert limiter.hit("a", FIVE_PER_TEN_SECONDS) == Decision(True, 4, 0.0)
    assert len(limiter) == 3


def test_the_in_process_limiter_forgets_idle_keys(clock):
    limiter = InProcessRateLimiter(clock=clock)
    for n in range(1000):
        limiter.hit(f"ip:{n}", FIVE_PER_TEN_SECONDS)
    clock.advance(2)  # each key's single cell has freed: they hold no information
    limiter.hit("ip:new", FIVE_PER_TEN_SECONDS)
    assert len(limiter) == 1


def test_the_limiter_comes_from_the_redis_url_setting():
    assert isinstance(rate_limiter_from_url(None), InProcessRateLimiter)
    assert isinstance(rate_limiter_from_url(""), InProcessRateLimiter)
    assert isinstance(rate_limiter_from_url("redis://127.0.0.1:6379/0"), RedisRateLimiter)


@pytest.mark.parametrize(
    "url, shown",
    [
        ("redis://:s3cret@127.0.0.1:1/0", "redis://:***@127.0.0.1:1/0"),
        ("rediss://user:s3cret@cache:6380/2", "rediss://user:***@cache:6380/2"),
        ("unix:///run/redis.sock?db=1&password=s3cret", "unix:///run/redis.sock?db=1&password=***"),
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
    ],
)
def test_redis_urls_are_logged_without_their_password(url, shown):
    assert redacted(url) == shown


def test_peek_tells_whether_one_more_hit_would_pass_without_counting_it(limiter, clock):
    rate = Rate.parse("3/minute")
    for _ in range(5):
        assert limiter.peek("guess", rate).allowed
    for _ in range(3):
        limiter.hit("guess", rate)
    peeked = limiter.peek("guess", rate)
    assert not peeked.allowed and peeked.retry_after == pytest.approx(20)
    clock.advance(20)
    assert limiter.peek("guess", rate).allowed
    assert limiter.hit("guess", rate).allowed


def test_a_hit_given_back_frees_its_cell_and_no_more(limiter, clock):
    """A guess counted before it is tried, and given back once it was right (openapi/guards.py)."""
    rate = Rate.parse("3/minute")
    for _ in range(3):
        assert limiter.hit("guess", rate).allowed
    assert not limiter.hit("guess", rate).allowed
    limiter.give_back("guess", rate)
    assert limiter.hit("guess", rate).allowed  # the freed cell, once
    assert not limiter.hit("guess", rate).allowed
    for _ in range(5):  # more than was taken: the key starts afresh, with no credit beyond its burst
        limiter.give_back("guess", rate)
    for _ in range(3):
        assert limiter.hit("guess", rate).allowed
    assert not limiter.hit("guess", rate).allowed
    limiter.give_back("never-hit", rate)  # nothing to give back: nothing happens
    assert limiter.peek("never-hit", rate).remaining == 2


def test_enforce_raises_rate_limited_with_the_wait_until_the_next_cell(limiter):
    for _ in range(5):
        enforce(limiter, "person:1", FIVE_PER_TEN_SECONDS)
    with pytest.raises(RateLimited) as refused:
        enforce(limiter, "person:1", FIVE_PER_TEN_SECONDS, what="renames")
    assert (status_for(refused.value), refused.value.code, refused.value.retry_after) == (429, "RATE_LIMITED", 2.0)
    assert "too many renames" in refused.value.message


def test_enforce_counts_a_cost_above_the_limit_as_the_whole_limit(limiter):
    enforce(limiter, "batch", FIVE_PER_TEN_SECONDS, cost=500)  # a batch bigger than the rate passes alone...
    with pytest.raises(RateLimited):
        enforce(limiter, "batch", FIVE_PER_TEN_SECONDS)  # ...and spends the whole burst


@pytest.mark.parametrize(
    ("seconds", "header"), [(None, "1"), (0, "1"), (0.2, "1"), (1.0, "1"), (1.01, "2"), (59.5, "60")]
)
def test_retry_after_is_whole_seconds_rounded_up_and_at_least_one(seconds, header):
    assert retry_after_header(seconds) == header


def test_a_rate_setting_without_its_unit_stops_the_settings_not_every_request():
    """MINIS_RATE_CHANGES_PER_PERSON=100000 started a server whose every request was a 500 (attack56b)."""
    from pydantic import ValidationError

    from openminis.settings import Settings

    with pytest.raises(ValidationError, match="MINIS_RATE_CHANGES_PER_PERSON: invalid rate '100000'"):
        Settings(rate_changes_per_person="100000")
