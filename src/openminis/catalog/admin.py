from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from openminis.catalog import service
from openminis.catalog.models import AppVersion
from openminis.catalog.package import Package, read_zip
from openminis.catalog.schemas import VersionOut
from openminis.errors import TooLarge
from openminis.platform import Platform
from openminis.web import body_limit
from openminis.web.dependencies import AdminOnly, PlatformDep, SessionDep

router = APIRouter(prefix="/api/admin", tags=["catalog"])


async def read_upload(request: Request, platform: Platform) -> Package:
    """A zip from the raw request body, refused as soon as it passes the size limit."""
    limit = platform.settings.max_package_bytes
    body_limit.allow(request, limit, code="PACKAGE_TOO_LARGE")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"package is over the {limit}-byte limit", code="PACKAGE_TOO_LARGE")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise TooLarge(f"package is over the {limit}-byte limit", code="PACKAGE_TOO_LARGE")
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


@router.post("/packages", response_model=VersionOut, status_code=201, dependencies=[AdminOnly])
async def upload_package(request: Request, platform: PlatformDep, session: SessionDep) -> VersionOut:
    """Upload a package as a zip (the raw request body, ``Content-Type: application/zip``)."""
    package = await read_upload(request, platform)
    version = await run_in_threadpool(service.publish_version, session, platform.packages, package)
    return version_out(platform, version, package)
