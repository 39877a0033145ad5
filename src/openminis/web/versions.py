"""A version as the console and the review queue show it, and the start of its checks: shared by
the developers' and the reviewers' routes."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from openminis.catalog import releases
from openminis.catalog import service as catalog
from openminis.catalog.check_job import CHECK_JOB, page_url
from openminis.catalog.checks import Budgets, run_checks, screenshot_dir
from openminis.developers.schemas import ConsoleVersionOut, VersionEventOut
from openminis.jobs import service as jobs
from openminis.platform import Platform

if TYPE_CHECKING:
    from openminis.catalog.models import AppVersion


def share_of(session: Session, version: AppVersion) -> int:
    """The percent of people who get this version now."""
    app = catalog.get_app(session, version.app_id)
    if version.version == app.released_version:
        return 100 - (app.staged_percent if app.staged_version else 0)
    if version.version == app.staged_version:
        return app.staged_percent
    return 0


def version_out(
    session: Session, platform: Platform, version: AppVersion, *, history: bool = False
) -> ConsoleVersionOut:
    events = releases.history(session, version.app_id, version.version) if history else []
    return ConsoleVersionOut(
        version=version.version,
        state=version.state,
        created_at=version.created_at,
        size_bytes=version.size_bytes,
        file_count=len(version.files),
        share=share_of(session, version),
        check_report=version.check_report,
        preview_url=f"{platform.settings.host_origin}/preview/{version.app_id}/{version.version}",
        history=[VersionEventOut(action=e.action, state=e.state, actor=e.actor, note=e.note, at=e.at) for e in events],
    )


def start_checks(session: Session, platform: Platform, version: AppVersion, *, again: bool = False) -> None:
    """The platform's checks of a version: in headless Chromium, as a job (check_job.py); or, where
    the operator turned the browser checks off (MINIS_BROWSER_CHECKS=false), the package's own
    checks at once, the report saying the start was not checked in a browser."""
    settings = platform.settings
    if settings.browser_checks:
        # Once per upload; a check asked for again is a job of its own.
        key = f"check:{version.app_id}:{version.version}" + (f":{secrets.token_hex(4)}" if again else "")
        jobs.enqueue(session, CHECK_JOB, {"app_id": version.app_id, "version": version.version}, unique_key=key)
        return
    report = run_checks(
        dict(version.files),
        page_url(platform, version.app_id, version.version),
        budgets=Budgets.from_settings(settings),
        chromium=settings.chromium_path,
        screenshot_dir=screenshot_dir(settings.data_dir, version.app_id, version.version),
        browser=False,
    )
    releases.record_check(session, version.app_id, version.version, report)
