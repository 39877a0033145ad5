"""A version's checks run again on request only before it is submitted, and only once the checks
before have ended.

A probe (developer49): 60 re-checks of one version, each a job of its own in the one lane that
every app's checks share, held another developer's upload unchecked (and so unsubmittable) for
minutes; re-checks of rejected, in-review and released versions were taken as well.
"""

from __future__ import annotations

import pytest

from openminis.catalog.check_job import CHECK_JOB
from openminis.catalog.models import AppVersion
from openminis.jobs.models import Job
from tests.factories import package_files, zip_bytes

ZIP = {"Content-Type": "application/zip"}


@pytest.fixture
def checks_in_a_browser(client, studio, monkeypatch) -> None:
    """From here on, checks in Chromium, as jobs (the studio's first version was checked at once):
    no worker runs in these tests, so a check stays queued."""
    monkeypatch.setattr(client.app.platform.settings, "browser_checks", True)


def checks_queued(platform, app_id: str) -> int:
    with platform.db.session() as session:
        return sum(1 for job in session.query(Job).filter(Job.kind == CHECK_JOB) if job.payload["app_id"] == app_id)


def test_a_version_is_checked_again_once_the_checks_before_ended_and_only_before_it_is_submitted(
    client, platform, studio, checks_in_a_browser
):
    base = f"/api/developer/apps/{studio.app_id}/versions"
    uploaded = studio.developer.post(
        base, content=zip_bytes(package_files(id=studio.app_id, version="2.0.0")), headers={**studio.headers, **ZIP}
    )
    assert uploaded.status_code == 201, uploaded.text
    assert checks_queued(platform, studio.app_id) == 1

    for _ in range(3):
        again = studio.developer.post(f"{base}/2.0.0/checks", headers=studio.headers)
        assert (again.status_code, again.json()["code"]) == (409, "CHECKS_UNDER_WAY"), again.text
    assert checks_queued(platform, studio.app_id) == 1

    with platform.db.session() as session:  # the check ran and reported (passed or failed: checked)
        session.query(Job).filter(Job.kind == CHECK_JOB).update({"status": "done"})
        session.query(AppVersion).filter(AppVersion.app_id == studio.app_id, AppVersion.version == "2.0.0").update(
            {"state": "checked"}
        )
        session.commit()
    assert studio.developer.post(f"{base}/2.0.0/checks", headers=studio.headers).status_code == 202
    assert checks_queued(platform, studio.app_id) == 2

    released = studio.developer.post(f"{base}/1.0.0/checks", headers=studio.headers)  # the studio's first
    assert (released.status_code, released.json()["code"]) == (409, "VERSION_STATE"), released.text


def test_a_version_whose_checks_gave_up_says_it_may_be_checked_again(client, platform, studio, checks_in_a_browser):
    """Checks that gave up (their job dead: Chromium crashed on every try) leave the version
    "uploaded" with no report. The console offered Check again only for a checked version, so the
    version said "The checks are still running" for good; its answer now says when the platform
    takes a Check again, and the console offers it from that."""
    base = f"/api/developer/apps/{studio.app_id}/versions"
    uploaded = studio.developer.post(
        base, content=zip_bytes(package_files(id=studio.app_id, version="2.0.0")), headers={**studio.headers, **ZIP}
    )
    assert (uploaded.status_code, uploaded.json()["may_check_again"]) == (201, False), uploaded.text

    with platform.db.session() as session:
        session.query(Job).filter(Job.kind == CHECK_JOB).update({"status": "dead"})
        session.commit()
    now = studio.developer.get(f"{base}/2.0.0", headers=studio.headers).json()
    assert (now["state"], now["check_report"], now["may_check_again"]) == ("uploaded", None, True)

    again = studio.developer.post(f"{base}/2.0.0/checks", headers=studio.headers)
    assert (again.status_code, again.json()["may_check_again"]) == (202, False), again.text
    assert checks_queued(platform, studio.app_id) == 2
