from __future__ import annotations

import hmac

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from openminis.catalog import service
from openminis.catalog.models import AppVersion
from openminis.catalog.package import Package, PackageError, read_zip
from openminis.catalog.schemas import VersionOut
from openminis.errors import Forbidden
from openminis.platform import Platform
from openminis.web import body_limit
from openminis.web.dependencies import get_platform, get_session

router = APIRouter(prefix="/api/admin", tags=["catalog"])


def require_admin(request: Request, platform: Platform = Depends(get_platform)) -> None:
    # Operators upload with a token; developers upload through /api/developer with their account.
    expected = platform.settings.admin_token
    presented = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if not expected or not hmac.compare_digest(
        expected.encode(), presented.encode()
    ):  # bytes: a header may hold non-ASCII
        raise Forbidden("an admin token is required", code="UNAUTHORIZED", status=401)


async def read_upload(request: Request, platform: Platform) -> Package:
    """A zip from the raw request body, refused as soon as it passes the size limit."""
    limit = platform.settings.max_package_bytes
    body_limit.allow(request, limit, code="PACKAGE_TOO_LARGE")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PackageError(f"package is over the {limit}-byte limit", code="PACKAGE_TOO_LARGE", status=413)
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise PackageError(f"package is over the {limit}-byte limit", code="PACKAGE_TOO_LARGE", status=413)
    return await run_in_threadpool(read_zip, bytes(body), platform.package_limits)


def version_out(platform: Platform, version: AppVersion, package: Package) -> VersionOut:
    return VersionOut(
        app_id=version.app_id,
        version=version.version,
        size_bytes=version.size_bytes,
        file_count=len(version.files),
        sha256=version.sha256,
        entry_url=f"{platform.settings.app_origin(version.app_id)}/v/{version.version}/{package.manifest.entry}",
    )


@router.post("/packages", response_model=VersionOut, status_code=201, dependencies=[Depends(require_admin)])
async def upload_package(
    request: Request, platform: Platform = Depends(get_platform), session: Session = Depends(get_session)
) -> VersionOut:
    """Upload a package as a zip (the raw request body, ``Content-Type: application/zip``)."""
    package = await read_upload(request, platform)
    version = await run_in_threadpool(service.publish_version, session, platform.packages, package)
    return version_out(platform, version, package)
