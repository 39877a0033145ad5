"""Where package files live: under ``packages/`` of the platform's object store (storage.py)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Protocol

from openminis.storage import ObjectStore, is_key


class PackageStore(Protocol):
    def put(self, app_id: str, version: str, files: dict[str, bytes]) -> str:
        """Store a whole version's files and return its storage key. All or nothing."""

    def delete(self, storage_key: str) -> None: ...

    def path(self, storage_key: str, file: str) -> Path | None:
        """A local file path to serve, or None if the file does not exist."""


class StoredPackages:
    """A version's files under ``packages/{storage_key}/`` of the object store.

    Package files are served by Python, on the app's origin with its Content-Security-Policy. When
    the store is not on this machine (S3), a file is read once into ``cache`` and served from there:
    a storage key is new at every upload and its files never change, so a cached copy never goes
    stale, and packages are size-capped (max_package_bytes)."""

    def __init__(self, store: ObjectStore, cache: Path):
        self.store, self.cache = store, Path(cache)

    def put(self, app_id: str, version: str, files: dict[str, bytes]) -> str:
        key = f"{app_id}/{version}-{secrets.token_hex(6)}"
        self.store.put_files(f"packages/{key}", files)
        return key

    def delete(self, storage_key: str) -> None:
        self.store.delete_folder(f"packages/{storage_key}")

    def path(self, storage_key: str, file: str) -> Path | None:
        key = f"packages/{storage_key}/{file}"
        if not is_key(key):
            return None
        if not self.store.remote:
            return self.store.path(key)
        cached = self.cache / storage_key / file
        if cached.is_file():
            return cached
        data = self.store.get(key)
        if data is None:
            return None
        cached.parent.mkdir(parents=True, exist_ok=True)
        staging = cached.with_name(f".{cached.name}.{secrets.token_hex(4)}.part")
        try:
            staging.write_bytes(data)
            os.replace(staging, cached)  # concurrent readers of one file each write whole copies
        finally:
            staging.unlink(missing_ok=True)
        return cached
