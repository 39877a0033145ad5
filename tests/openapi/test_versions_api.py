"""A build pipeline ships versions through the Open API with the app's token: upload, read the
platform's check report, submit for review; it cannot release (that is a person's act)."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.factories import package_files, zip_bytes


@pytest.fixture
def pipeline(client, studio) -> tuple[TestClient, dict[str, str]]:
    quiet = TestClient(client.app, base_url="http://localhost:8000", raise_server_exceptions=False)
    return quiet, {"Authorization": f"Bearer {studio.backend(quiet).access_token()}"}


def test_a_pipeline_uploads_reads_the_report_and_submits(pipeline, studio):
    http, bearer = pipeline
    uploaded = http.post(
        "/openapi/v1/app/versions",
        content=zip_bytes(package_files(id=studio.app_id, version="2.0.0")),
        headers={**bearer, "Content-Type": "application/zip"},
    )
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["state"] == "checked"
    assert uploaded.json()["check_report"]["passed"] is True
    # Checked again, as the console's Check again (a pipeline whose check job gave up had no way: dev54).
    again = http.post("/openapi/v1/app/versions/2.0.0/checks", headers=bearer)
    assert (again.status_code, again.json()["state"]) == (202, "checked"), again.text
    submitted = http.post("/openapi/v1/app/versions/2.0.0/submit", headers=bearer)
    assert (submitted.status_code, submitted.json()["state"]) == (200, "in_review")
    states = {v["version"]: v["state"] for v in http.get("/openapi/v1/app/versions", headers=bearer).json()["items"]}
    assert states == {"2.0.0": "in_review", "1.0.0": "released"}
    history = studio.developer.get(f"/api/developer/apps/{studio.app_id}/versions/2.0.0").json()["history"]
    assert [(e["action"], e["actor"]) for e in history if e["action"] != "checked"] == [
        ("uploaded", f"app:{studio.app_id} (Open API)"),
        ("rechecked", f"app:{studio.app_id} (Open API)"),
        ("submitted", f"app:{studio.app_id} (Open API)"),
    ]
    too_late = http.post("/openapi/v1/app/versions/2.0.0/checks", headers=bearer)
    assert (too_late.status_code, too_late.json()["code"]) == (409, "VERSION_STATE")


def test_a_pipeline_cannot_upload_another_apps_package_or_garbage(pipeline, studio):
    http, bearer = pipeline
    other = http.post(
        "/openapi/v1/app/versions",
        content=zip_bytes(package_files(id="someone-else", version="2.0.0")),
        headers={**bearer, "Content-Type": "application/zip"},
    )
    assert (other.status_code, other.json()["field"]) == (422, "id")
    garbage = http.post("/openapi/v1/app/versions", content=b"not a zip", headers=bearer)
    assert garbage.status_code == 422
    # A zip sent as JSON, or in a form, is told how to send it: as JSON it was told only "invalid
    # text", and a form was read as a package with its parts' headers ahead of the archive (dev54).
    package = zip_bytes(package_files(id=studio.app_id, version="3.0.0"))
    as_json = http.post(
        "/openapi/v1/app/versions", content=package, headers={**bearer, "Content-Type": "application/json"}
    )
    assert as_json.status_code == 422 and "sent as application/json" in as_json.json()["message"], as_json.text
    assert "a package: application/zip" in as_json.json()["message"]
    in_a_form = http.post("/openapi/v1/app/versions", files={"zip": ("game.zip", package)}, headers=bearer)
    assert (in_a_form.status_code, in_a_form.json()["field"]) == (422, "content-type"), in_a_form.text
    assert "with Content-Type: application/zip (not multipart/form-data)" in in_a_form.json()["message"]
    unknown = http.post("/openapi/v1/app/versions/9.9.9/submit", headers=bearer)
    assert unknown.status_code == 404
    released = http.post("/openapi/v1/app/versions/1.0.0/submit", headers=bearer)
    assert (released.status_code, released.json()["code"]) == (409, "VERSION_STATE")
