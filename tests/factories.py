"""Packages to publish in tests: a valid one by default, anything else by override."""

from __future__ import annotations

import io
import json
import zipfile

import httpx

from openminis.catalog import releases
from openminis.catalog.package import Limits, read_package
from openminis.platform import Platform
from openminis.unit_of_work import unit_of_work

ICON = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect width="1" height="1"/></svg>'
LIMITS = Limits(
    max_package_bytes=5_000_000,
    max_uncompressed_bytes=10_000_000,
    max_file_bytes=4_000_000,
    max_files=50,
    max_compression_ratio=100,
)


def manifest(**overrides) -> dict:
    document = {
        "id": "test-game",
        "name": "Test Game",
        "kind": "game",
        "version": "1.0.0",
        "entry": "index.html",
        "orientation": "portrait",
        "category": "arcade",
        "icon": "icon.svg",
        "description": "A game for tests.",
        "allowed_domains": [],
    }
    document.update(overrides)
    return {key: value for key, value in document.items() if value is not None}


def package_files(**overrides) -> dict[str, bytes]:
    return {
        "minis.json": json.dumps(manifest(**overrides)).encode(),
        "index.html": b'<!doctype html><script src="/minis-sdk.js"></script><canvas></canvas>'
        b'<script src="game.js"></script>',
        "game.js": b"minis.init().then(() => minis.ready());",
        "icon.svg": ICON,
    }


def zip_bytes(files: dict[str, bytes], *, compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def write_folder(root, files: dict[str, bytes]):
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def publish(platform: Platform, extra_files: dict[str, bytes] | None = None, **overrides):
    package = read_package(zip_bytes(package_files(**overrides) | (extra_files or {})), LIMITS)
    with unit_of_work(platform.db) as session:
        return releases.publish_released(session, platform.packages, package)


def publish_over_http(server_url: str, admin_token: str, **overrides: object) -> None:
    """The operator's upload to a running server (POST /api/admin/packages): released at once."""
    published = httpx.post(
        f"{server_url}/api/admin/packages",
        content=zip_bytes(package_files(**overrides)),
        headers={"Authorization": f"Bearer {admin_token}", "Content-Type": "application/zip"},
        timeout=30,
    )
    assert published.status_code == 201, published.text
