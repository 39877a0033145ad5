"""Scratch folders for work done in files outside the database and the store (a transcode, a
version's checks, an upload on its way in), and the sweep that removes those a killed process
left behind.

A folder is held, for as long as its work runs, by an exclusive ``flock`` on a file inside it. The
kernel lets go of the lock when the process ends, however it ends (a SIGKILL, the OOM killer), so
a folder whose lock can be taken belongs to no running process: the sweep removes exactly those.
A sweep is safe at any time, while other processes on the machine (``--workers N``, a ``minis
worker`` beside the servers) use the same data folder.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

LOCK = ".held"
# A folder without its lock file is one made a moment ago, its lock not yet taken (or one left by a
# version of the platform before locks): removed only once it is this old.
UNLOCKED_GRACE_SECONDS = 3600


@contextlib.contextmanager
def folder(root: Path, prefix: str) -> Iterator[Path]:
    """A new folder under ``root``, held by this process until the block ends, then removed."""
    root.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(dir=root, prefix=prefix))
    # Locked under another name, then named: a sweep never finds the lock file before it is held.
    held = os.open(path / ".taking", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(held, fcntl.LOCK_EX)
        os.rename(path / ".taking", path / LOCK)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)  # still held: a sweep cannot start on it meanwhile
        os.close(held)


def sweep(root: Path) -> list[str]:
    """Remove the folders under ``root`` that no running process holds; the names removed."""
    if not root.is_dir():
        return []
    removed = []
    for entry in root.iterdir():
        if entry.is_dir() and not entry.is_symlink() and _abandoned(entry):
            removed.append(entry.name)
    return removed


def _abandoned(entry: Path) -> bool:
    """Remove ``entry`` if no process holds it (its lock taken here while it is removed)."""
    try:
        held = os.open(entry / LOCK, os.O_RDWR)
    except FileNotFoundError:
        with contextlib.suppress(FileNotFoundError):
            if time.time() - entry.stat().st_mtime > UNLOCKED_GRACE_SECONDS:
                shutil.rmtree(entry, ignore_errors=True)
                return True
        return False
    try:
        try:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # its work is running
        shutil.rmtree(entry, ignore_errors=True)
        return True
    finally:
        os.close(held)
