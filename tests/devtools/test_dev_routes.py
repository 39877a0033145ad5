"""The dev page's routes exist in ``minis dev`` alone: they sign a browser in without a password."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from openminis.devtools.app import create_dev_app
from openminis.devtools.server import DevServer
from openminis.platform import Platform


def refuse(platform: Platform, path: Path, *, developer: str | None = None) -> str:
    raise AssertionError("nothing is published in these tests")


def test_minis_serve_has_no_dev_page_and_no_password_free_sign_in(client):
    assert client.get("/dev").status_code == 404
    assert client.post("/dev/api/person", json={"person": "member"}).status_code == 404


def test_the_dev_servers_person_switch_wants_the_dev_pages_csrf_token_and_origin(platform, tmp_path):
    with TestClient(create_dev_app(DevServer(platform, tmp_path, refuse)), base_url="http://localhost:8000") as dev:
        page = dev.get("/dev")
        assert page.status_code == 200 and "frame-ancestors 'none'" in page.headers["content-security-policy"]
        token = page.text.split('"csrfToken": "', 1)[1].split('"', 1)[0]
        assert dev.post("/dev/api/person", json={"person": "member"}).status_code == 403
        forged = dev.post(
            "/dev/api/person",
            json={"person": "member"},
            headers={"X-CSRF-Token": token, "Origin": "http://star-catcher.apps.localhost:8000"},
        )
        assert forged.status_code == 403
        switched = dev.post("/dev/api/person", json={"person": "member"}, headers={"X-CSRF-Token": token})
        user = switched.json()["user"]
        assert (user["display_name"], user["kind"]) == ("Dev Player", "full")
        assert dev.post("/dev/api/checks", headers={"X-CSRF-Token": token}).status_code == 403  # a new session now


def test_an_apps_own_dev_folder_is_the_apps_not_the_dev_page(platform, tmp_path):
    with TestClient(
        create_dev_app(DevServer(platform, tmp_path, refuse)), base_url="http://star-catcher.apps.localhost:8000"
    ) as app_origin:
        assert "minis-config" not in app_origin.get("/dev").text
