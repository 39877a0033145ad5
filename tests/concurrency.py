"""Many workers at once: the harness for the tests that money holds under concurrency."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable


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
