"""Creative files: recognised by their first bytes, stored once under their digest, served immutably.

Kept under ``ads/`` of the platform's object store: the data dir's ``ads/`` folder, or a bucket
behind a CDN. A file's name is its SHA-256 and extension, so a name never
changes meaning and the files can be cached for a year.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from openminis.errors import InvalidArgument, TooLarge
from openminis.storage import ObjectStore

FILE_NAME = re.compile(r"^[0-9a-f]{64}\.(mp4|webm|png|jpg|webp)\Z")
CONTENT_TYPES = {
    "mp4": "video/mp4",
    "webm": "video/webm",
    "png": "image/png",
    "jpg": "image/jpeg",
    "webp": "image/webp",
}


MediaKind = Literal["video", "image"]


class MediaError(InvalidArgument):
    code = "INVALID_MEDIA"


@dataclass(frozen=True)
class MediaFile:
    name: str
    kind: MediaKind
    content_type: str
    size_bytes: int


def sniff(data: bytes) -> str | None:
    """The extension the bytes really are (whatever the upload claims), or None."""
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:3] == b"\xff\xd8\xff":
        return "jpg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"  # EBML: Matroska's header, which WebM shares
    if data[4:8] == b"ftyp":
        return "mp4"  # ISO base media: the first box is the file type box
    return None


def check(data: bytes, max_bytes: int) -> tuple[str, MediaKind]:
    """(extension, kind) of an acceptable creative file, or MediaError (TooLarge over ``max_bytes``)."""
    if len(data) > max_bytes:
        raise TooLarge(f"a creative file is at most {max_bytes} bytes", code="MEDIA_TOO_LARGE")
    if not data:
        raise MediaError("the creative file is empty")
    extension = sniff(data)
    if extension is None:
        raise MediaError("a creative file must be an MP4 or WebM video, or a PNG, JPEG or WebP image")
    return extension, "video" if extension in ("mp4", "webm") else "image"


class CreativeStore(Protocol):
    def put(self, data: bytes, extension: str) -> str:
        """Store the bytes and return the file's name."""

    def size(self, name: str) -> int | None:
        """The file's size in bytes, or None when there is no such file."""

    def path(self, name: str) -> Path | None:
        """A local path for Python to serve, or None (no such file, or the store is remote)."""

    def browser_url(self, name: str) -> str | None:
        """Where a browser gets the file when the store is remote (the CDN, or a presigned link),
        or None when Python serves it."""


class StoredCreatives:
    """Creative files under ``ads/`` of the platform's object store (storage.py)."""

    def __init__(self, store: ObjectStore):
        self.store = store

    def put(self, data: bytes, extension: str) -> str:
        name = f"{hashlib.sha256(data).hexdigest()}.{extension}"
        if not self.store.exists(f"ads/{name}"):  # a name is its content: stored once
            self.store.put_bytes(f"ads/{name}", data)
        return name

    def size(self, name: str) -> int | None:
        return self.store.size(f"ads/{name}") if FILE_NAME.match(name) else None

    def path(self, name: str) -> Path | None:
        return self.store.path(f"ads/{name}") if FILE_NAME.match(name) else None

    def browser_url(self, name: str) -> str | None:
        # Named by digest, so public and immutable: the CDN's copy never goes stale.
        return self.store.browser_url(f"ads/{name}", public=True) if FILE_NAME.match(name) else None


def store(media: CreativeStore, data: bytes, max_bytes: int) -> MediaFile:
    extension, kind = check(data, max_bytes)
    name = media.put(data, extension)
    return MediaFile(name=name, kind=kind, content_type=CONTENT_TYPES[extension], size_bytes=len(data))
