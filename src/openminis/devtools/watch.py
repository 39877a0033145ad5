"""Watches a package folder and calls back once per burst of changes (an editor's save is often
several writes: a temporary file, a rename, a touch)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from watchfiles import DefaultFilter, watch

log = logging.getLogger("openminis.dev")


class FolderWatcher:
    """``on_change`` runs on the watcher's own thread, after each burst; ``stop`` ends it."""

    def __init__(self, folder: Path, on_change: Callable[[], object]):
        self.folder = folder
        self.on_change = on_change
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="minis-dev-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        # DefaultFilter leaves out editors' swap files and version control's folders: a change there
        # is not the package's and would publish a version for nothing.
        for changes in watch(
            self.folder, watch_filter=DefaultFilter(), stop_event=self._stop, debounce=400, raise_interrupt=False
        ):
            if not changes:
                continue
            try:
                self.on_change()
            except Exception:  # a file removed mid-read, say: the next save tries again
                log.exception("the change could not be published")
