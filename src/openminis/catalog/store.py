"""Where package files live. One interface; local files by default, object storage at scale."""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path
from typing import Protocol


class PackageStore(Protocol):
    def put(self, app_id: str, version: str, files: dict[str, bytes]) -> str:
        """Store a whole version's files and return its storage key. All or nothing."""

    def delete(self, storage_key: str) -> None: ...

    def path(self, storage_key: str, file: str) -> Path | None:
        """A local file path to serve, or None if the file does not exist."""


class LocalPackageStore:
    """Files under the data dir. Each upload goes to a staging folder, then one rename makes it visible."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def put(self, app_id: str, version: str, files: dict[str, bytes]) -> str:
        key = f"{app_id}/{version}-{secrets.token_hex(6)}"
        final = self.root / key
        staging = self.root / ".staging" / secrets.token_hex(8)
        try:
            for relative, data in files.items():
                target = staging / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging, final)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return key

    def delete(self, storage_key: str) -> None:
        shutil.rmtree(self.root / storage_key, ignore_errors=True)

    def path(self, storage_key: str, file: str) -> Path | None:
        candidate = self.root / storage_key / file
        return candidate if candidate.is_file() else None
