"""Packages in either form of object storage (storage.py): uploaded over HTTP, launched on the
app's origin with its Content-Security-Policy; from a bucket, read once into the node's disk cache."""

from __future__ import annotations

import pytest

from openminis.catalog import service as catalog
from openminis.unit_of_work import unit_of_work
from tests.conftest import app_client
from tests.factories import package_files, zip_bytes
from tests.s3 import bucket_keys, platform_of

ADMIN = {"Authorization": "Bearer test-admin-token", "Content-Type": "application/zip"}


@pytest.fixture
def platform(storage_form):
    with platform_of(storage_form) as made:
        yield made


def test_a_package_uploaded_over_http_launches_from_either_store(client, platform):
    files = package_files()
    published = client.post("/api/admin/packages", content=zip_bytes(files), headers=ADMIN)
    assert published.status_code == 201, published.text
    app = app_client(client, "test-game")
    launched = app.get("/", follow_redirects=False)
    assert launched.status_code == 302 and launched.headers["location"] == "/v/1.0.0/index.html"
    entry = app.get("/v/1.0.0/index.html")
    assert entry.status_code == 200 and entry.content == files["index.html"]
    policy = entry.headers["content-security-policy"]
    assert "frame-ancestors http://localhost:8000" in policy
    assert app.get("/v/1.0.0/game.js").content == files["game.js"]
    if not platform.storage.remote:
        return
    with unit_of_work(platform.db, reads=True) as session:
        storage_key = catalog.get_version(session, "test-game", "1.0.0").storage_key
    assert bucket_keys(platform, f"packages/{storage_key}") == set(files)
    # The host's media routes redirect into the bucket: an app's page may load what they lead to.
    assert f"media-src 'self' data: blob: http://localhost:8000 {platform.settings.storage_endpoint_url}" in policy
    # Files already read are served from this node's cache, keyed by the immutable storage key:
    # with the bucket's copy gone they still serve; a file never read is not found.
    platform.storage.delete_folder(f"packages/{storage_key}")
    assert app.get("/v/1.0.0/index.html").content == files["index.html"]
    assert app.get("/v/1.0.0/icon.svg").status_code == 404
