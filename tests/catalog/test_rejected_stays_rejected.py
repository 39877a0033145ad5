"""A rejected version never reaches a person: it cannot be submitted again unchanged, from the
console or the Open API; the developer fixes it and uploads a new version (docs/publishing.md; a
probe had a rejected 2.0.0 back in review with one POST)."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.factories import package_files, zip_bytes
from tests.studio import ADMIN_TOKEN

REVIEWER = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def submitted_upload(studio, version: str) -> None:
    developer, headers = studio.developer, studio.headers
    uploaded = developer.post(
        f"/api/developer/apps/{studio.app_id}/versions",
        content=zip_bytes(package_files(id=studio.app_id, version=version)),
        headers={**headers, "Content-Type": "application/zip"},
    )
    assert uploaded.status_code == 201, uploaded.text
    submitted = developer.post(f"/api/developer/apps/{studio.app_id}/versions/{version}/submit", headers=headers)
    assert submitted.status_code == 200, submitted.text


def rejected_upload(studio, version: str) -> None:
    submitted_upload(studio, version)
    rejected = studio.developer.post(
        f"/api/admin/review/{studio.app_id}/{version}/reject", json={"note": "crashes on level 2"}, headers=REVIEWER
    )
    assert rejected.status_code == 200, rejected.text


def state_of(studio, version: str) -> str:
    return studio.developer.get(f"/api/developer/apps/{studio.app_id}/versions/{version}").json()["state"]


@pytest.mark.parametrize("through", ["console", "openapi"])
def test_a_rejected_version_cannot_be_submitted_again(client, studio, through):
    rejected_upload(studio, "2.0.0")
    if through == "console":
        again = studio.developer.post(
            f"/api/developer/apps/{studio.app_id}/versions/2.0.0/submit", headers=studio.headers
        )
    else:
        quiet = TestClient(client.app, base_url="http://localhost:8000", raise_server_exceptions=False)
        bearer = {"Authorization": f"Bearer {studio.backend(quiet).access_token()}"}
        again = quiet.post("/openapi/v1/app/versions/2.0.0/submit", headers=bearer)
    assert again.status_code == 409, again.text
    body = again.json()
    assert body["code"] == "VERSION_STATE"
    assert "never reaches a person; fix it and upload a new version" in body["message"]
    assert state_of(studio, "2.0.0") == "rejected"
    queue = studio.developer.get("/api/admin/review", headers=REVIEWER)
    assert queue.status_code == 200, queue.text
    assert not [item for item in queue.json()["items"] if item["version"]["version"] == "2.0.0"]


def test_the_fix_uploaded_as_a_new_version_goes_to_review(client, studio):
    rejected_upload(studio, "2.0.0")
    submitted_upload(studio, "2.0.1")
    assert (state_of(studio, "2.0.0"), state_of(studio, "2.0.1")) == ("rejected", "in_review")
