"""What the feed lists changed (an app published, a post ready or deleted): a process-wide count
the ranking compares with its snapshot's, so a new item shows up at the next feed request rather
than when the snapshot ages out. A change made in another process (``minis worker``) is seen
when the snapshot's time to live runs out."""

from __future__ import annotations

import itertools
import threading

_lock = threading.Lock()
_counter = itertools.count(1)
generation = 0


def listed() -> None:
    """Call after the commit that changed what the feed lists."""
    global generation
    with _lock:
        generation = next(_counter)
