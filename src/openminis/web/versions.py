"""Versions at the web edge, shared by the console's, the Open API's and the reviewers' routes: a
package read from a request body, stored and its checks started (one upload path for the console
and build pipelines), and a version as the console and the review queue show it."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from openminis.catalog import releases
from openminis.catalog import service as catalog
from openminis.catalog.check_job import CHECK_JOB, page_url
from openminis.catalog.checks import Budgets, run_checks
from openminis.catalog.package import Package, PackageError, read_zip
from openminis.developers import service as developers
from openminis.developers import team
from openminis.developers.schemas import ConsoleVersionOut, VersionEventOut
from openminis.errors import Conflict, InvalidArgument, TooLarge
from openminis.jobs import service as jobs
from openminis.platform import Platform
from openminis.web import body_limit
from openminis.web.dependencies import BearerToken, UploadingPerson, in_read_unit, platform_of
from openminis.web.uploads import body_of

if TYPE_CHECKING:
    from openminis.catalog.models import App, AppVersion

T = TypeVar("T")


def share_of(session: Session, version: AppVersion) -> int:
    """The percent of people who get this version now."""
    return _share(catalog.get_app(session, version.app_id), version)


def _share(app: App, version: AppVersion) -> int:
    if version.version == app.released_version:
        return 100 - (app.staged_percent if app.staged_version else 0)
    if version.version == app.staged_version:
        return app.staged_percent
    return 0


def may_check_again(session: Session, platform: Platform, version: AppVersion) -> bool:
    return check_again_refusal(session, platform, version) is None


def check_again_refusal(session: Session, platform: Platform, version: AppVersion) -> Conflict | None:
    """Why the checks of this version cannot run again now, or None where they can: before it is
    submitted, once the checks before have ended. A version whose check job gave up stays
    "uploaded", and is checked again from here."""
    if version.state not in ("uploaded", "checked"):  # checked: its report came, passed or failed
        return Conflict(
            f"{version.version} is {version.state}: checks run again only before a version is submitted",
            code="VERSION_STATE",
        )
    # Every app's checks share one lane: 60 re-checks of one version held another developer's upload
    # unchecked for minutes (a probe), so a version is checked again once the checks before ended.
    ref = f"{version.app_id}@{version.version}"
    if platform.settings.browser_checks and jobs.under_way(session, CHECK_JOB, ref=ref):
        return Conflict(
            "this version's checks are under way: their report comes when they end", code="CHECKS_UNDER_WAY"
        )
    return None


def version_out(
    session: Session, platform: Platform, version: AppVersion, *, history: bool = False
) -> ConsoleVersionOut:
    """A version as the console and the reviewers show it, with what the platform would take of it
    now: both pages offer an action where this says the platform takes it (catalog/releases.py)."""
    app = catalog.get_app(session, version.app_id)
    events = releases.history(session, version.app_id, version.version) if history else []
    went = version.state in ("released", "superseded") and releases.went_to_everyone(session, version)
    return ConsoleVersionOut(
        version=version.version,
        state=version.state,
        created_at=version.created_at,
        size_bytes=version.size_bytes,
        file_count=len(version.files),
        share=_share(app, version),
        went_to_everyone=went,
        may_release=releases.may_release(app, version),
        may_stage=releases.may_stage(app, version),
        may_roll_back=releases.may_roll_back(app, version, went_to_everyone=went),
        may_check_again=may_check_again(session, platform, version),
        check_report=version.check_report,
        preview_url=f"{platform.settings.host_origin}/preview/{version.app_id}/{version.version}",
        history=[VersionEventOut(action=e.action, state=e.state, actor=e.actor, note=e.note, at=e.at) for e in events],
    )


# What a zip is sent as: its own type, Windows browsers' name for it, or bytes without a type.
ZIP_TYPES = ("application/zip", "application/x-zip-compressed", "application/octet-stream")


async def package_body(request: Request) -> bytes:
    """An upload's raw body (a zip), refused as soon as it passes the size limit. A dependency its
    routes name first, so that it is read before anything of theirs touches the database: the
    request's unit of work, begun before a body that comes slowly or never, held the SQLite write
    lock (everyone's purchases and sign-ups were 503 while it lasted) or, on PostgreSQL, one of the
    few database slots (eight uploads stalled every request: a probe)."""
    sent_as = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if sent_as and sent_as not in ZIP_TYPES:
        # A form's or text's body is not the zip: a multipart form was read as a package, its
        # parts' headers ahead of the archive (a probe, dev54).
        raise InvalidArgument(
            f"send the zip itself as the body, with Content-Type: application/zip (not {sent_as})",
            field="content-type",
        )
    limit = platform_of(request).settings.max_package_bytes
    body_limit.allow(request, limit, code="PACKAGE_TOO_LARGE")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"package is over the {limit}-byte limit", code="PACKAGE_TOO_LARGE")
    body = bytearray()
    async for chunk in body_of(request):
        body.extend(chunk)
        if len(body) > limit:
            raise TooLarge(f"package is over the {limit}-byte limit", code="PACKAGE_TOO_LARGE")
    return bytes(body)


# Who sends the body is checked before it is read, in a read unit of its own that has ended when the
# reading starts (nothing is held meanwhile): otherwise anyone, without credentials, could make the
# server hold a package in memory, or write an episode to disk, before the 401 (a probe: 20 such
# requests took a gigabyte). The route's own dependencies check again, in its unit of work.


async def _console_member(request: Request, sender: UploadingPerson, app_id: str = Path(max_length=40)) -> None:
    """A console upload's sender: as any large upload's (``uploading_visitor``), and a member of the
    app's team who may upload."""
    await in_read_unit(
        platform_of(request),
        lambda reading: team.member_app(reading, developers.developer_for(reading, sender.user), app_id, act="upload"),
    )


async def _app_of_token(request: Request, token: BearerToken) -> None:
    """An Open API upload's sender: a live access token."""
    await in_read_unit(platform_of(request), lambda reading: developers.app_for_token(reading, token))


async def _console_package(request: Request, _sender: Annotated[None, Depends(_console_member)]) -> bytes:
    return await package_body(request)


async def _openapi_package(request: Request, _sender: Annotated[None, Depends(_app_of_token)]) -> bytes:
    return await package_body(request)


# The operator's upload checks its sender first by itself (a route-level AdminOnly, no database).
PackageBody = Annotated[bytes, Depends(package_body)]
ConsolePackageBody = Annotated[bytes, Depends(_console_package)]
OpenApiPackageBody = Annotated[bytes, Depends(_openapi_package)]
OpenApiSender = Depends(_app_of_token)


async def read_package(body: bytes, platform: Platform) -> Package:
    return await run_in_threadpool(read_zip, body, platform.package_limits)


async def upload(
    body: bytes, session: Session, platform: Platform, app_id: str, *, actor: str, shape: Callable[[AppVersion], T]
) -> T:
    """A zip (``package_body``) stored as an ``uploaded`` version of ``app_id`` (the package must
    say it is that app), its checks started, and the answer ``shape`` makes of it: the console's
    upload and the Open API's, one path."""
    package = await read_package(body, platform)
    if package.manifest.id != app_id:
        raise PackageError(
            f"minis.json: id: this package is {package.manifest.id!r}, not {app_id!r}",
            code="INVALID_MANIFEST",
            field="id",
        )

    def store() -> T:
        version = catalog.publish_version(session, platform.packages, package, actor=actor)
        start_checks(session, platform, version)
        return shape(version)

    return await run_in_threadpool(store)


def start_checks(session: Session, platform: Platform, version: AppVersion, *, again: bool = False) -> None:
    """The platform's checks of a version: in headless Chromium, as a job (check_job.py); or, where
    the operator turned the browser checks off (MINIS_BROWSER_CHECKS=false), the package's own
    checks at once, the report saying the start was not checked in a browser."""
    settings = platform.settings
    if settings.browser_checks:
        # Once per upload; checks asked for again (check_again_refusal) are a job of their own.
        ref = f"{version.app_id}@{version.version}"
        key = f"check:{version.app_id}:{version.version}" + (f":{secrets.token_hex(4)}" if again else "")
        payload = {"app_id": version.app_id, "version": version.version}
        jobs.enqueue(session, CHECK_JOB, payload, unique_key=key, ref=ref)
        return
    report = run_checks(
        dict(version.files),
        page_url(platform, version.app_id, version.version),
        budgets=Budgets.from_settings(settings),
        chromium=settings.chromium_path,
        screenshot_dir=settings.work_dir,  # no browser, so no screenshot is taken
        browser=False,
    )
    releases.record_check(session, version.app_id, version.version, report)
