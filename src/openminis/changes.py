"""What the feed lists changed (an app published, a post ready or deleted): a process-wide count
the ranking compares with its snapshot's, so a new item shows up at the next feed request rather
than when the snapshot ages out. A change made in another process (a second server, ``minis
worker``) arrives as a signal (openminis/signals.py) where the deployment broadcasts them, and
otherwise when the snapshot's time to live runs out."""

from __future__ import annotations

import itertools
import threading

from openminis import signals

_lock = threading.Lock()
_counter = itertools.count(1)
generation = 0


def _bump() -> None:
    global generation
    with _lock:
        generation = next(_counter)


signals.on("listed", _bump)


def listed() -> None:
    """The signal that what the feed lists changed: registered on the unit of work that makes the
    change, ``after_commit(session, changes.listed)``, so that it goes out only once the change is
    committed (a rebuild before the commit would not see it, and a rollback made no change)."""
    signals.send("listed")
