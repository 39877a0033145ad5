"""The posting job: folds the ledger's pending credits into their accounts' balances, in batches.

Sales credit an app's earnings and the platform's revenue as pending entries (wallet/service.py),
so that they never queue on those rows; this thread folds them in, a few thousand at a time in one
short transaction each, so that the pending set stays small and reading a balance stays cheap.
Nothing depends on when it runs: every read adds what is still pending, and a debit folds its
account first. Any number of processes may run it at once (each entry is folded once).
"""

from __future__ import annotations

import logging
import threading

from openminis.db import Database
from openminis.unit_of_work import unit_of_work
from openminis.wallet.service import post_pending

log = logging.getLogger("openminis.wallet")

# Between rounds when nothing was pending: a second's sales at most wait to be folded.
INTERVAL_SECONDS = 1.0


def post_all(db: Database, batch: int) -> int:
    """Fold everything pending now, ``batch`` entries a transaction; returns how many were folded."""
    total = 0
    while True:
        with unit_of_work(db) as session:
            folded = post_pending(session, limit=batch)
        total += folded
        if folded < batch:
            return total


class Posting:
    """A background lane (jobs.service.Lane) that runs ``post_all`` every ``INTERVAL_SECONDS``."""

    def __init__(self, db: Database, batch: int):
        self.db = db
        self.batch = batch
        self.name = "ledger-posting"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, poll_seconds: float = INTERVAL_SECONDS) -> None:
        def loop() -> None:
            while not self._stop.wait(poll_seconds):
                try:
                    post_all(self.db, self.batch)
                except Exception:  # the database may be briefly unavailable; keep posting later
                    log.exception("ledger posting error")

        self._thread = threading.Thread(target=loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)
