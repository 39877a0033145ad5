"""The delivery pool: the threads that call developers' backends (notifications, reward callbacks).

A few threads of their own, so that a backend that hangs never holds up the platform's other jobs;
a call is claimed only when a thread is free, and the claim skips apps already at their limit of
calls in flight or whose circuit is open (``circuits.py``), so that one app cannot fill the pool
for the others.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from openminis.db import Database, utcnow
from openminis.jobs.service import IDLE_POLL_SECONDS, Claimed, Registry, Worker, doorbell

log = logging.getLogger("openminis.jobs")


class DeliveryPool:
    def __init__(self, db: Database, registry: Registry, *, threads: int = 8, clock: Callable[[], datetime] = utcnow):
        self.worker = Worker(db, registry, clock=clock, only=registry.call_kinds)
        self.threads = threads
        self.name = f"deliveries-{secrets.token_hex(3)}"
        self._free = threading.Semaphore(threads)
        self._stop, self._wake = threading.Event(), threading.Event()
        self._executor: ThreadPoolExecutor | None = None
        self._thread: threading.Thread | None = None

    def start(self, poll_seconds: float = IDLE_POLL_SECONDS) -> None:
        doorbell(self.worker.db.engine).listen(self._wake)  # a new call to make wakes us too
        executor = self._executor = ThreadPoolExecutor(self.threads, thread_name_prefix=self.name)
        self._thread = threading.Thread(
            target=self._dispatch, args=(executor, poll_seconds), name=self.name, daemon=True
        )
        self._thread.start()

    def _dispatch(self, executor: ThreadPoolExecutor, poll_seconds: float) -> None:
        while not self._stop.is_set():
            if not self._free.acquire(timeout=poll_seconds):
                continue  # every thread is calling out; check for a stop, then wait again
            try:
                job = self.worker.claim_next()
            except Exception:  # the database may be briefly unavailable; keep the pool alive
                log.exception("delivery pool error")
                job = None
            if job is None:
                self._free.release()
                self._wake.wait(poll_seconds)  # a finished call wakes us: its lane may have room again
                self._wake.clear()
                continue
            executor.submit(self._run, job)

    def _run(self, job: Claimed) -> None:
        try:
            self.worker.run(job)
        except Exception:
            log.exception("delivery %s failed", job.id)
        finally:
            self._free.release()
            self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        doorbell(self.worker.db.engine).forget(self._wake)
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=10)
        if self._executor:
            # Calls in flight end by their own timeouts; their jobs' leases cover a cut-off process.
            self._executor.shutdown(wait=False, cancel_futures=True)
