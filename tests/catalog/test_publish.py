"""Publishing stores an immutable version; a rejected or duplicate upload stores nothing."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from openminis.catalog import service as catalog
from openminis.catalog.models import App, AppVersion
from openminis.catalog.package import read_package
from openminis.errors import Conflict
from openminis.unit_of_work import unit_of_work
from tests.factories import LIMITS, package_files, publish, zip_bytes

ADMIN = {"Authorization": "Bearer test-admin-token", "Content-Type": "application/zip"}


def stored_dirs(platform) -> list:
    root = platform.settings.packages_dir
    return sorted(p.relative_to(root) for p in root.glob("*/*") if p.is_dir()) if root.exists() else []


def test_publishing_stores_files_and_a_version_row(platform, session):
    version = publish(platform)
    assert (version.app_id, version.version) == ("test-game", "1.0.0")
    assert platform.packages.path(version.storage_key, "index.html").read_bytes().startswith(b"<!doctype html>")
    assert session.get(App, "test-game").released_version == "1.0.0"


def test_a_version_that_exists_is_rejected_and_nothing_more_is_stored(platform, session):
    publish(platform)
    before = stored_dirs(platform)
    with pytest.raises(Conflict) as caught:
        publish(platform, description="changed")
    assert caught.value.code == "VERSION_EXISTS"
    assert stored_dirs(platform) == before
    assert session.scalar(select(func.count()).select_from(AppVersion)) == 1


def test_the_operator_releases_by_semver_not_upload_order(platform, session):
    publish(platform, version="1.10.0")
    publish(platform, version="1.9.0", name="Older name")
    app = session.get(App, "test-game")
    assert app.released_version == "1.10.0"
    assert app.name == "Test Game"


def test_concurrent_publishes_of_one_version_store_exactly_one(platform):
    package = read_package(zip_bytes(package_files()), LIMITS)
    outcomes: list[str] = []

    def attempt():
        try:
            with unit_of_work(platform.db) as session:
                catalog.publish_version(session, platform.packages, package, actor="test")
            outcomes.append("published")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict"] * 5 + ["published"]
    assert len(stored_dirs(platform)) == 1
    with platform.db.session() as session:
        version = catalog.get_version(session, "test-game", "1.0.0")
        assert platform.packages.path(version.storage_key, "game.js") is not None


def test_upload_endpoint_publishes_a_zip(client):
    response = client.post("/api/admin/packages", content=zip_bytes(package_files()), headers=ADMIN)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["entry_url"] == "http://test-game.apps.localhost:8000/v/1.0.0/index.html"
    assert body["file_count"] == 4


def test_upload_endpoint_rejects_with_a_clear_error_and_stores_nothing(client, platform):
    bad = zip_bytes(package_files(kind="movie"))
    response = client.post("/api/admin/packages", content=bad, headers=ADMIN)
    assert response.status_code == 422
    body = response.json()
    assert (body["code"], body["field"]) == ("INVALID_MANIFEST", "kind")
    assert body["request_id"]
    assert stored_dirs(platform) == []


def test_upload_endpoint_needs_the_admin_token(client):
    response = client.post(
        "/api/admin/packages", content=zip_bytes(package_files()), headers={"Authorization": "Bearer wrong"}
    )
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED"


def test_upload_over_the_size_limit_is_refused_before_reading_it_all(client, platform):
    platform.settings.max_package_bytes = 1000
    response = client.post("/api/admin/packages", content=b"x" * 5000, headers=ADMIN)
    assert response.status_code == 413
    assert response.json()["code"] == "PACKAGE_TOO_LARGE"
