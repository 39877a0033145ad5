"""A version's checks run again on request only before it is submitted, and only once the checks
before have ended.

A probe (developer49): 60 re-checks of one version, each a job of its own in the one lane that
every app's checks share, held another developer's upload unchecked (and so unsubmittable) for
minutes; re-checks of rejected, in-review and released versions were taken as well.
"""

from __future__ import annotations

import pytest

from openminis.catalog import releases
from openminis.catalog.check_job import CHECK_JOB
from openminis.catalog.models import AppVersion
from openminis.jobs.models import Job
from tests.concurrency import race
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


def test_a_version_checked_again_cannot_be_submitted_until_its_new_report_is_in(
    client, platform, studio, checks_in_a_browser
):
    """It kept its state "checked" and the passing report before: submitted while its new checks
    ran, it went to review, and then to everyone, with the hard failure the new report gave (a
    probe, dev53). It is being checked again until that report is in, and is judged on it."""
    base = f"/api/developer/apps/{studio.app_id}/versions"
    uploaded = studio.developer.post(
        base, content=zip_bytes(package_files(id=studio.app_id, version="2.0.0")), headers={**studio.headers, **ZIP}
    )
    assert uploaded.status_code == 201, uploaded.text
    with platform.db.session() as session:  # its first checks passed
        session.query(Job).filter(Job.kind == CHECK_JOB).update({"status": "done"})
        releases.record_check(session, studio.app_id, "2.0.0", {"passed": True, "hard_failures": []})
        session.commit()

    again = studio.developer.post(f"{base}/2.0.0/checks", headers=studio.headers)
    assert (again.status_code, again.json()["state"], again.json()["check_report"]) == (202, "uploaded", None)
    submitted = studio.developer.post(f"{base}/2.0.0/submit", headers=studio.headers)
    assert (submitted.status_code, submitted.json()["code"]) == (409, "NOT_CHECKED"), submitted.text

    failed = {"passed": False, "hard_failures": [{"code": "never_ready", "message": "the app never called ready()"}]}
    with platform.db.session() as session:  # the new checks end: the app no longer starts
        session.query(Job).filter(Job.kind == CHECK_JOB).update({"status": "done"})
        releases.record_check(session, studio.app_id, "2.0.0", failed)
        session.commit()
    submitted = studio.developer.post(f"{base}/2.0.0/submit", headers=studio.headers)
    assert (submitted.status_code, submitted.json()["code"]) == (409, "CHECKS_FAILED"), submitted.text
    history = studio.developer.get(f"{base}/2.0.0", headers=studio.headers).json()["history"]
    assert [event["action"] for event in history][-2:] == ["rechecked", "checked"]


def test_check_again_asked_many_times_at_once_queues_one_check(client, platform, studio, checks_in_a_browser):
    """Whether checks were under way was asked before the version was locked: 40 requests at once
    on PostgreSQL all found none, and queued four check jobs for one version (a probe, attack53)."""
    base = f"/api/developer/apps/{studio.app_id}/versions"
    uploaded = studio.developer.post(
        base, content=zip_bytes(package_files(id=studio.app_id, version="2.0.0")), headers={**studio.headers, **ZIP}
    )
    assert uploaded.status_code == 201, uploaded.text
    with platform.db.session() as session:
        session.query(Job).filter(Job.kind == CHECK_JOB).update({"status": "done"})
        releases.record_check(session, studio.app_id, "2.0.0", {"passed": True, "hard_failures": []})
        session.commit()

    outcomes = race(
        20, 1, lambda worker, n: str(studio.developer.post(f"{base}/2.0.0/checks", headers=studio.headers).status_code)
    )
    assert outcomes == {"202": 1, "409": 19}
    assert checks_queued(platform, studio.app_id) == 2  # the upload's, and one check again
