"""Object storage: packages, episode and post media, ad creatives and staged uploads under one
interface, with two implementations chosen in settings (as Warehouse's ``IFileStorage``).

- ``LocalStore``: files under the data dir, the embedded default. A key is a path under the root
  (``packages/{app}/{version}-{token}/index.html``, ``media/drama/{media_key}/master.m3u8``,
  ``ads/{sha256}.mp4``), so a data dir written before this module existed reads as it is.
- ``S3Store``: any S3-compatible store (AWS S3, MinIO, Ceph RGW, Cloudflare R2) named by
  ``MINIS_STORAGE_URL=s3://bucket/prefix``. Browsers never get large media through Python: a route
  checks who may see an object, then redirects to a presigned URL that expires within about a
  minute, or to the CDN (``MINIS_MEDIA_BASE_URL``) for public immutable objects.

Keys name immutable objects: every upload, transcode and package version gets a new key, and an
object is deleted only once nothing names it. That is what lets a node cache an object on disk
by its key, and a CDN cache it for a year.
"""

from __future__ import annotations

import mimetypes
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol
from urllib.parse import quote, urlsplit

from openminis import scratch

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client
    from types_boto3_s3.type_defs import ObjectIdentifierTypeDef

    from openminis.settings import Settings

# A key is "/"-separated segments, none empty, "." or ".."; no backslash or control character. As
# loose as a package's own paths (catalog/package.py), which become keys: a space, a dot file or
# a non-ASCII name is fine; nothing can name a place outside the store.
_UNSAFE = re.compile(r"[\\\x00-\x1f\x7f]")
_TYPES = {".m3u8": "application/vnd.apple.mpegurl", ".ts": "video/mp2t", ".mjs": "text/javascript"}


class InvalidKey(ValueError):
    """A key that could name something outside the store (``..``, an absolute path)."""


def check_key(key: str) -> str:
    segments = key.split("/")
    if not key or len(key) > 900 or _UNSAFE.search(key) or any(part in ("", ".", "..") for part in segments):
        raise InvalidKey(f"not a storage key: {key!r}")
    return key


def is_key(key: str) -> bool:
    try:
        check_key(key)
    except InvalidKey:
        return False
    return True


def content_type(key: str) -> str:
    suffix = Path(key).suffix.lower()
    return _TYPES.get(suffix) or mimetypes.guess_type(key)[0] or "application/octet-stream"


class ObjectStore(Protocol):
    """What the platform asks of its storage. Keys are ``check_key``'s; a folder is a key prefix."""

    # Whether objects are elsewhere (served by redirect, read through a download), not this machine's files.
    remote: bool

    def put_bytes(self, key: str, data: bytes) -> None: ...

    def put_file(self, key: str, source: Path) -> None:
        """Store the file under ``key``; the source may be moved away (it is the caller's staging copy)."""

    def put_folder(self, folder_key: str, source: Path) -> None:
        """Every file under ``source``, under ``folder_key/``: all of them, or none (a failure removes
        what was written). A retry with the same key replaces what an earlier attempt left."""

    def put_files(self, folder_key: str, files: dict[str, bytes]) -> None:
        """``put_folder`` from bytes in memory (a package version's files)."""

    def get(self, key: str) -> bytes | None: ...

    def exists(self, key: str) -> bool: ...

    def size(self, key: str) -> int | None:
        """The object's size in bytes, or None when there is no such object."""

    def fetched(self, key: str) -> AbstractContextManager[Path | None]:
        """A context: a local file with the object's bytes while it lasts (a download for the remote
        store), or None when there is no such object."""

    def delete(self, key: str) -> None: ...

    def delete_folder(self, folder_key: str) -> None:
        """Every object under ``folder_key/`` (not one whose key merely starts with the same text)."""

    def path(self, key: str) -> Path | None:
        """The object's file on this machine for Python to serve (the local store), or None."""

    def browser_url(self, key: str, *, public: bool = False, seconds: int | None = None) -> str | None:
        """A URL to hand a browser after the access checks, or None when Python serves the file
        itself (the local store). Public immutable objects go to the CDN when there is one; any
        other link expires after the store's lifetime, or ``seconds`` when that is shorter."""

    def browser_origins(self) -> list[str]:
        """The origins ``browser_url`` links to, for an app's Content-Security-Policy."""

    def describe(self) -> str: ...


class LocalStore:
    """Files under a root folder (the data dir). Writes go to a staging folder and appear with one
    rename, so a reader never sees half a version or half a file under its final name."""

    remote = False

    def __init__(self, root: Path):
        self.root = Path(root)

    def _file(self, key: str) -> Path:
        return self.root / check_key(key)

    def _staging(self, key: str) -> Path:
        # Beside the final place's top folder (``packages/.staging``): one filesystem, so one rename.
        staging = self.root / check_key(key).split("/")[0] / ".staging" / secrets.token_hex(8)
        staging.parent.mkdir(parents=True, exist_ok=True)
        return staging

    def put_bytes(self, key: str, data: bytes) -> None:
        final, staging = self._file(key), self._staging(key)
        try:
            staging.write_bytes(data)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging, final)
        finally:
            staging.unlink(missing_ok=True)

    def put_file(self, key: str, source: Path) -> None:
        final = self._file(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(source, final)

    def put_folder(self, folder_key: str, source: Path) -> None:
        final, staging = self._file(folder_key), self._staging(folder_key)
        try:
            shutil.move(source, staging)  # a rename when the source is on the same filesystem
            final.parent.mkdir(parents=True, exist_ok=True)
            if final.exists():
                shutil.rmtree(final)  # a retry's: nothing names it yet
            os.replace(staging, final)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def put_files(self, folder_key: str, files: dict[str, bytes]) -> None:
        staging = self._staging(folder_key)
        try:
            for relative, data in files.items():
                target = staging / check_key(relative)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
            self.put_folder(folder_key, staging)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def get(self, key: str) -> bytes | None:
        path = self.path(key)
        return path.read_bytes() if path else None

    def exists(self, key: str) -> bool:
        return self.path(key) is not None

    def size(self, key: str) -> int | None:
        path = self.path(key)
        return path.stat().st_size if path else None

    @contextmanager
    def fetched(self, key: str) -> Iterator[Path | None]:
        yield self.path(key)

    def delete(self, key: str) -> None:
        self._file(key).unlink(missing_ok=True)

    def delete_folder(self, folder_key: str) -> None:
        shutil.rmtree(self._file(folder_key), ignore_errors=True)

    def path(self, key: str) -> Path | None:
        candidate = self._file(key)
        return candidate if candidate.is_file() else None

    def browser_url(self, key: str, *, public: bool = False, seconds: int | None = None) -> str | None:
        return None

    def browser_origins(self) -> list[str]:
        return []

    def describe(self) -> str:
        return f"files in {self.root}"


class S3Store:
    """A bucket (and a key prefix in it) of an S3-compatible store."""

    remote = True

    def __init__(
        self,
        client: S3Client,
        bucket: str,
        prefix: str = "",
        *,
        media_base_url: str = "",
        url_seconds: int,
        work_dir: Path,
    ):
        self.client, self.bucket, self.prefix = client, bucket, prefix.strip("/")
        self.media_base_url, self.url_seconds = media_base_url.rstrip("/"), url_seconds
        # Where downloads for local work go (``fetched``): this machine's scratch folders, which the
        # next start sweeps after a process killed mid-download or mid-transcode (scratch.py).
        self.work_dir = work_dir

    def _key(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def put_bytes(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, ContentType=content_type(key))

    def put_file(self, key: str, source: Path) -> None:
        self.client.upload_file(str(source), self.bucket, self._key(key), ExtraArgs={"ContentType": content_type(key)})

    def put_folder(self, folder_key: str, source: Path) -> None:
        files = sorted(path for path in source.rglob("*") if path.is_file())
        self._all_or_nothing(folder_key, [(p.relative_to(source).as_posix(), p) for p in files])

    def put_files(self, folder_key: str, files: dict[str, bytes]) -> None:
        self._all_or_nothing(folder_key, list(files.items()))

    def _all_or_nothing(self, folder_key: str, items: list[tuple[str, Path | bytes]]) -> None:
        # S3 has no rename: objects appear one by one. Nothing names the folder until this returns
        # (the caller writes its key to the database after), so a half-written folder is never
        # read; a failure deletes it, and a retry under the same key writes every object again.
        try:
            self.delete_folder(folder_key)  # an earlier attempt's objects: the retry's set replaces them
            for relative, body in items:
                key = f"{folder_key}/{check_key(relative)}"
                if isinstance(body, Path):
                    self.put_file(key, body)
                else:
                    self.put_bytes(key, body)
        except BaseException:
            self.delete_folder(folder_key)
            raise

    def get(self, key: str) -> bytes | None:
        try:
            found = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except self.client.exceptions.NoSuchKey:
            return None
        return found["Body"].read()

    def exists(self, key: str) -> bool:
        return self.size(key) is not None

    def size(self, key: str) -> int | None:
        from botocore.exceptions import ClientError

        try:
            found = self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return found["ContentLength"]

    @contextmanager
    def fetched(self, key: str) -> Iterator[Path | None]:
        from botocore.exceptions import ClientError

        with scratch.folder(self.work_dir, "fetch-") as folder:
            target = folder / Path(key).name
            try:
                self.client.download_file(self.bucket, self._key(key), str(target))
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                    yield None
                    return
                raise
            yield target

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def delete_folder(self, folder_key: str) -> None:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self._key(folder_key) + "/"
        )
        for page in pages:
            keys: list[ObjectIdentifierTypeDef] = [{"Key": found["Key"]} for found in page.get("Contents", [])]
            if keys:
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True})

    def path(self, key: str) -> Path | None:
        return None

    def browser_url(self, key: str, *, public: bool = False, seconds: int | None = None) -> str | None:
        if public and self.media_base_url:
            return f"{self.media_base_url}/{quote(self._key(key))}"
        lifetime = max(1, min(self.url_seconds, seconds if seconds is not None else self.url_seconds))
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": self._key(key)}, ExpiresIn=lifetime
        )

    def browser_origins(self) -> list[str]:
        # Presigning is local arithmetic: the URL of any key shows the store's origin (path-style
        # endpoint, or the bucket's virtual host).
        origins = [_origin(self.browser_url("origin"))]
        if self.media_base_url:
            origins.append(_origin(self.media_base_url))
        return list(dict.fromkeys(origins))

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")


def _origin(url: str | None) -> str:
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}"


def open_storage(settings: Settings) -> ObjectStore:
    """The store the settings name: the S3-compatible bucket of ``storage_url``, else the data dir."""
    if not settings.storage_url:
        return LocalStore(settings.data_dir)
    import boto3
    from botocore.config import Config

    bucket, prefix = settings.storage_bucket
    # A custom endpoint (MinIO, Ceph RGW, R2, a test server) is addressed by path, which every one
    # of them accepts; AWS itself by the bucket's virtual host.
    style: Literal["path", "virtual"] = "path" if settings.storage_endpoint_url else "virtual"
    client = boto3.client(
        "s3",
        endpoint_url=settings.storage_endpoint_url or None,
        region_name=settings.storage_region,
        aws_access_key_id=settings.storage_access_key_id or None,
        aws_secret_access_key=settings.storage_secret_access_key or None,
        config=Config(signature_version="s3v4", s3={"addressing_style": style}, retries={"mode": "standard"}),
    )
    return S3Store(
        client,
        bucket,
        prefix,
        media_base_url=settings.media_base_url,
        url_seconds=settings.media_url_seconds,
        work_dir=settings.work_dir,
    )
