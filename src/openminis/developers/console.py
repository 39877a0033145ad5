"""The developer console's API: register as a developer, register apps, rotate secrets, upload versions."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Path, Request
from starlette.concurrency import run_in_threadpool

from openminis.catalog import service as catalog
from openminis.catalog.admin import read_upload, version_out
from openminis.catalog.package import PackageError
from openminis.catalog.schemas import VersionOut
from openminis.developers import service
from openminis.developers.schemas import (
    AppCreatedOut,
    AppIn,
    DeveloperAppList,
    DeveloperAppOut,
    DeveloperIn,
    DeveloperOut,
    RotateIn,
    SecretOut,
)
from openminis.web.dependencies import ChangingDeveloper, ChangingPerson, CurrentDeveloper, PlatformDep, SessionDep

router = APIRouter(prefix="/api/developer", tags=["developers"])
AppId = Path(max_length=40)


@router.post("", response_model=DeveloperOut)
def become_developer(body: DeveloperIn, visitor: ChangingPerson, session: SessionDep) -> DeveloperOut:
    developer = service.become_developer(session, visitor.user, name=body.name)
    return DeveloperOut(id=developer.id, name=developer.name)


@router.get("/apps", response_model=DeveloperAppList)
def my_apps(developer: CurrentDeveloper, session: SessionDep) -> DeveloperAppList:
    apps = catalog.apps_of(session, developer.id)
    return DeveloperAppList(
        items=[DeveloperAppOut(app_id=a.id, name=a.name, kind=a.kind, latest_version=a.latest_version) for a in apps]
    )


@router.post("/apps", response_model=AppCreatedOut, status_code=201)
def register_app(body: AppIn, developer: ChangingDeveloper, session: SessionDep) -> AppCreatedOut:
    created = service.register_app(session, developer, app_id=body.app_id, name=body.name, kind=body.kind)
    return AppCreatedOut(app_id=created.app.id, app_secret=created.secret)


@router.post("/apps/{app_id}/secret", response_model=SecretOut)
def rotate_secret(body: RotateIn, developer: ChangingDeveloper, session: SessionDep, app_id: str = AppId) -> SecretOut:
    secret = service.rotate_secret(session, developer, app_id, grace=timedelta(seconds=body.grace_seconds))
    return SecretOut(app_secret=secret, previous_valid_for_seconds=body.grace_seconds)


@router.post("/apps/{app_id}/versions", response_model=VersionOut, status_code=201)
async def upload_version(
    request: Request, developer: ChangingDeveloper, session: SessionDep, platform: PlatformDep, app_id: str = AppId
) -> VersionOut:
    await run_in_threadpool(service.owned_app, session, developer, app_id)
    package = await read_upload(request, platform)
    if package.manifest.id != app_id:
        raise PackageError(
            f"minis.json: id: this package is {package.manifest.id!r}, not {app_id!r}",
            code="INVALID_MANIFEST",
            field="id",
        )
    version = await run_in_threadpool(catalog.publish_version, session, platform.packages, package)
    return version_out(platform, version, package)
