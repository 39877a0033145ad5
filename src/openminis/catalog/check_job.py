"""The ``version.check`` job: an uploaded version through the platform's checks (checks.py), its
report recorded on the version (releases.record_check)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from openminis import scratch
from openminis.catalog import preview, releases
from openminis.catalog.checks import Budgets, run_checks, screenshot_folder
from openminis.catalog.service import get_version
from openminis.errors import NotFound
from openminis.jobs import service as jobs
from openminis.unit_of_work import unit_of_work

if TYPE_CHECKING:
    from openminis.platform import Platform  # the composition root, above this domain: named, not imported

CHECK_JOB = "version.check"
# A check that crashed (the server restarting under it) runs again soon; a version never checked
# cannot be submitted, so the job keeps trying for a day.
POLICY = jobs.Policy(first=timedelta(seconds=30), cap=timedelta(minutes=10), give_up_after=timedelta(hours=24))


def page_url(platform: Platform, app_id: str, version: str) -> str:
    """The host's preview of the version, opened as the platform's checker."""
    token = preview.check_token(platform.secret, app_id, version)
    return f"{platform.settings.host_origin}/preview/{app_id}/{version}?check={token}"


def check_version(platform: Platform, app_id: str, version: str) -> dict[str, Any]:
    """A version's check report, not yet recorded. Chromium takes seconds: call it with no unit of
    work open (the version's files are read in a short read unit of their own). NotFound when
    there is no such version."""
    with unit_of_work(platform.db, reads=True) as reading:
        files = dict(get_version(reading, app_id, version).files)
    settings = platform.settings
    with scratch.folder(settings.work_dir, "check-") as work:
        shots = work / "screenshots"
        shots.mkdir()
        report = run_checks(
            files,
            page_url(platform, app_id, version),
            budgets=Budgets.from_settings(settings),
            chromium=settings.chromium_path,
            screenshot_dir=shots,
            browser=settings.browser_checks,
        )
        # Stored before the report that names them is recorded; a check run again replaces them.
        if any(shots.iterdir()):
            platform.storage.put_folder(screenshot_folder(app_id, version), shots)
    return report


def handler(platform: Platform) -> jobs.Handler:
    def check(session: Session, payload: jobs.Payload) -> None:
        # The job's own unit (``session``) issues its first statement only once the checks are
        # done: on SQLite a unit holds the write lock from its first statement on.
        try:
            report = check_version(platform, payload["app_id"], payload["version"])
            releases.record_check(session, payload["app_id"], payload["version"], report)
        except NotFound:
            return  # deleted since its upload, or while it was checked: nothing to record

    return check


def register(registry: jobs.Registry, platform: Platform) -> None:
    registry.register(CHECK_JOB, handler(platform), POLICY)
