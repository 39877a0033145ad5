from __future__ import annotations

from fastapi import Path, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from openminis.catalog import releases, service
from openminis.catalog.checks import read_screenshot
from openminis.catalog.diff import manifest_changes, product_changes
from openminis.catalog.models import AppVersion
from openminis.catalog.package import Package
from openminis.catalog.schemas import VersionOut
from openminis.developers.schemas import Change, DecisionIn, ReleaseIn, ReviewItem, ReviewList, RollbackIn
from openminis.errors import NotFound
from openminis.platform import Platform
from openminis.staff import audit, conflicts
from openminis.web import notices, versions
from openminis.web.dependencies import AdminOnly, PlatformDep, Reviewer, SessionDep, StaffPersonId
from openminis.web.routing import Router

router = Router(prefix="/api/admin", tags=["catalog"])
AppId = Path(max_length=40)
VersionName = Path(max_length=64)


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
async def upload_package(body: versions.PackageBody, platform: PlatformDep, session: SessionDep) -> VersionOut:
    """Upload a package as a zip (the raw request body, ``Content-Type: application/zip``)."""
    package = await versions.read_package(body, platform)
    version = await run_in_threadpool(releases.publish_released, session, platform.packages, package)
    return version_out(platform, version, package)


# The review queue: submitted versions, for the platform's reviewers ------------------------------


@router.get("/review", response_model=ReviewList)
def review_queue(reviewer: Reviewer, session: SessionDep, platform: PlatformDep) -> ReviewList:
    """Submitted versions, the longest waiting first, each with what changed from the released one."""
    return ReviewList(items=[_review_item(session, platform, v) for v in releases.review_queue(session)])


@router.get("/review/{app_id}/{version}", response_model=ReviewItem)
def review_item(
    reviewer: Reviewer, session: SessionDep, platform: PlatformDep, app_id: str = AppId, version: str = VersionName
) -> ReviewItem:
    return _review_item(session, platform, service.get_version(session, app_id, version))


@router.post("/review/{app_id}/{version}/approve", response_model=ReviewItem)
def approve(
    body: DecisionIn,
    reviewer: Reviewer,
    person: StaffPersonId,
    session: SessionDep,
    platform: PlatformDep,
    app_id: str = AppId,
    version: str = VersionName,
) -> ReviewItem:
    """Approve a version; with ``percent`` it is also released to that share of people at once."""
    not_their_own_app(session, person, app_id)
    approved = releases.approve(session, app_id, version, actor=reviewer, note=body.note)
    _audit(session, reviewer, "approve", approved, body.note, before="in_review")
    if body.percent is not None:
        releases.release(session, app_id, version, percent=body.percent, actor=reviewer)
        _audit(session, reviewer, "release", approved, f"to {body.percent} %", before="approved")
    notices.tell_decision(session, platform, app_id, approved.version, "approved", body.note.strip())
    return _review_item(session, platform, approved)


@router.post("/review/{app_id}/{version}/reject", response_model=ReviewItem)
def reject(
    body: DecisionIn,
    reviewer: Reviewer,
    person: StaffPersonId,
    session: SessionDep,
    platform: PlatformDep,
    app_id: str = AppId,
    version: str = VersionName,
) -> ReviewItem:
    not_their_own_app(session, person, app_id)
    rejected = releases.reject(session, app_id, version, actor=reviewer, note=body.note)
    _audit(session, reviewer, "reject", rejected, body.note, before="in_review")
    notices.tell_decision(session, platform, app_id, rejected.version, "rejected", body.note.strip())
    return _review_item(session, platform, rejected)


@router.post("/apps/{app_id}/versions/{version}/release", response_model=ReviewItem)
def release(
    body: ReleaseIn,
    reviewer: Reviewer,
    person: StaffPersonId,
    session: SessionDep,
    platform: PlatformDep,
    app_id: str = AppId,
    version: str = VersionName,
) -> ReviewItem:
    """A reviewer sets the share of an approved version, as its developer may."""
    not_their_own_app(session, person, app_id)
    before = service.get_version(session, app_id, version).state
    releases.release(session, app_id, version, percent=body.percent, actor=reviewer)
    released = service.get_version(session, app_id, version)
    _audit(session, reviewer, "release", released, f"to {body.percent} %", before=before)
    return _review_item(session, platform, released)


@router.post("/apps/{app_id}/rollback", response_model=ReviewItem)
def roll_back_app(
    body: RollbackIn,
    reviewer: Reviewer,
    person: StaffPersonId,
    session: SessionDep,
    platform: PlatformDep,
    app_id: str = AppId,
) -> ReviewItem:
    not_their_own_app(session, person, app_id)
    before = service.get_version(session, app_id, body.version).state
    releases.roll_back(session, app_id, body.version, actor=reviewer, note=body.note)
    target = service.get_version(session, app_id, body.version)
    _audit(session, reviewer, "roll_back", target, body.note, before=before)
    return _review_item(session, platform, target)


def not_their_own_app(session: Session, person: str | None, app_id: str) -> None:
    """A reviewer on an app's team (or invited to it) decides nothing of its versions: another
    reviewer does. A probe: a developer of an app, made a reviewer, approved their own upload and
    released it to everyone, past the review and the owner's right to release."""
    conflicts.not_on_its_team(session, person, app_id, act="reviews, releases and rolls back its versions")


def _audit(session: Session, actor: str, action: str, version: AppVersion, reason: str, *, before: str) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        target_kind="version",
        target_id=f"{version.app_id}@{version.version}",
        reason=reason,
        before={"state": before},
        after={"state": version.state},
    )


def _review_item(session: Session, platform: Platform, version: AppVersion) -> ReviewItem:
    app = service.get_app(session, version.app_id)
    released = service.get_version(session, app.id) if app.released_version else None
    return ReviewItem(
        app_id=app.id,
        app_name=app.name,
        kind=app.kind,
        released_version=app.released_version,
        version=versions.version_out(session, platform, version, history=True),
        manifest_changes=[
            Change(**c) for c in manifest_changes(released.manifest if released else {}, version.manifest)
        ],
        product_changes=[Change(**c) for c in product_changes(released.manifest if released else {}, version.manifest)],
    )


@router.get("/review/{app_id}/{version}/screenshots/{name}", include_in_schema=False)
def screenshot(
    reviewer: Reviewer,
    platform: PlatformDep,
    app_id: str = AppId,
    version: str = VersionName,
    name: str = Path(max_length=60),
) -> Response:
    """A screenshot the platform's checks took of a version, for its reviewer (names from the check report)."""
    image = read_screenshot(platform.storage, app_id, version, name)
    if image is None:
        raise NotFound("no such screenshot")
    return Response(image, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})
