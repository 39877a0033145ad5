"""Video uploads sent as a raw request body (episodes, creators' posts): checked, streamed to a
staging file under a size limit, and removed however the request ends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Request
from starlette.requests import ClientDisconnect

from openminis import scratch
from openminis.errors import InvalidArgument, TooLarge
from openminis.web import body_limit

VIDEO_TYPES = {"video/mp4": ".mp4", "video/quicktime": ".mov", "video/webm": ".webm"}


def video_suffix(request: Request) -> str:
    """The staging file's suffix for the body's Content-Type; refuses any other type."""
    suffix = VIDEO_TYPES.get(request.headers.get("content-type", "").split(";")[0].strip())
    if suffix is None:
        raise InvalidArgument(f"Content-Type must be one of {', '.join(VIDEO_TYPES)}", field="content-type")
    return suffix


def check_declared_size(request: Request, limit: int) -> None:
    """Refuse, before reading a byte, a body whose declared length is over the limit."""
    if int(request.headers.get("content-length") or 0) > limit:
        raise _too_large(limit)


@asynccontextmanager
async def staged_video(request: Request, work_root: Path, limit: int) -> AsyncIterator[Path]:
    """The body, written to a staging file in a scratch folder under ``work_root`` (counted as it
    streams: a lying Content-Length does not get past the limit); the file and its folder are gone
    when the block ends, or at the next start of a server or worker if this process is killed."""
    suffix = video_suffix(request)
    body_limit.allow(request, limit, code="UPLOAD_TOO_LARGE")
    with scratch.folder(work_root, "upload-") as folder:
        staging = folder / f"upload{suffix}"
        size = 0
        with staging.open("wb") as file:
            async for chunk in body_of(request):
                size += len(chunk)
                if size > limit:
                    raise _too_large(limit)
                file.write(chunk)
        if size == 0:
            raise InvalidArgument("the upload is empty")
        yield staging


async def body_of(request: Request) -> AsyncIterator[bytes]:
    """The request body's chunks. A sender who hangs up part way is a refusal like any other (a
    422 no one reads), not an unhandled error: each such upload logged a traceback (a probe)."""
    try:
        async for chunk in request.stream():
            yield chunk
    except ClientDisconnect:
        raise InvalidArgument("the upload was cut off before its end") from None


def _too_large(limit: int) -> TooLarge:
    return TooLarge(f"the upload is over the {limit}-byte limit", code="UPLOAD_TOO_LARGE")
