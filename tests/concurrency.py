"""Many workers at once: the harness for the tests that money holds under concurrency."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable

import httpx


def race(workers: int, attempts: int, attempt: Callable[[int, int], str]) -> Counter:
    """Start ``workers`` threads together; each calls ``attempt(worker, n)`` ``attempts`` times.
    Returns how often each outcome came back; an exception in any worker is raised here."""
    outcomes: Counter = Counter()
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(workers)

    def work(worker: int) -> None:
        start.wait()
        try:
            for n in range(attempts):
                result = attempt(worker, n)
                with lock:
                    outcomes[result] += 1
        except BaseException as exc:  # reported by the test, not lost in a thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(worker,)) for worker in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return outcomes


def one_connection_each(count: int) -> httpx.Limits:
    """An async client's limits for ``count`` requests released at once: each on a connection of
    its own, closed once answered. None is kept alive: httpcore's pool, each time a request starts
    or ends, walks its connections and, for each idle one, counts every idle one again, so a
    client holding 200 idle connections spent more of the test's CPU on its pool than on the
    requests."""
    return httpx.Limits(max_connections=count, max_keepalive_connections=0)


def answered(send: Callable[[], httpx.Response], attempts: int = 60) -> httpx.Response:
    """The answer to a request sent again while the server says it is busy (503, Retry-After),
    as a client does: the tests that race requests assert what was decided, not who waited. After
    ``attempts`` the last 503 comes back, for the test to fail on rather than wait for ever."""
    for _ in range(attempts - 1):
        if (response := send()).status_code != 503:
            return response
        time.sleep(float(response.headers.get("retry-after", "1")))
    return send()


async def honouring_retry_after(send: Callable[[], Awaitable[httpx.Response]], attempts: int = 20) -> httpx.Response:
    """``send()`` again after a 503 with Retry-After, as a client should, up to ``attempts`` times.
    "Not now" is how the platform answers more than it can take at once, on a busy machine; the
    work asked for must still be done exactly once. (Five times were too few: in a run with 8
    workers on 2 cores, one of 280 racing requests for one person's turn was told "not now" five
    times, each after waiting its 5 s for the turn.) A connection dropped before any answer is sent
    again too, as a client holding an idempotency key does (every storm's request is keyed or
    idempotent). Any other 5xx, or a 503 without Retry-After, comes back as it is, for the test to
    fail on."""
    for _ in range(attempts - 1):
        try:
            answer = await send()
        except (httpx.ReadError, httpx.RemoteProtocolError):
            await asyncio.sleep(0.5)
            continue
        if answer.status_code != 503 or "retry-after" not in answer.headers:
            return answer
        await asyncio.sleep(float(answer.headers["retry-after"]))
    return await send()
