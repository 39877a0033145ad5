"""An app card's optional looping preview (minis.json ``preview``): a small video or animated
image inside the package, checked at upload (type by its bytes, size limit), on the card after."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from openminis.catalog.package import MAX_PREVIEW_BYTES
from tests.conftest import app_client
from tests.factories import package_files, zip_bytes

ADMIN = {"Authorization": "Bearer test-admin-token"}
TOWER_PREVIEW = (Path(__file__).resolve().parents[2] / "examples" / "tower-stack" / "preview.mp4").read_bytes()
GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"


def upload(client, preview: str | None, files: dict[str, bytes]):
    package = package_files(**({"preview": preview} if preview else {})) | files
    return client.post("/api/admin/packages", content=zip_bytes(package), headers=ADMIN)


def test_a_package_with_a_preview_video_gets_it_on_its_card_and_serves_it(client):
    assert upload(client, "media/preview.mp4", {"media/preview.mp4": TOWER_PREVIEW}).status_code == 201
    (card,) = client.get("/api/hub?kind=game").json()["items"]
    assert card["preview_url"] == f"{card['origin']}/v/1.0.0/media/preview.mp4"
    served = app_client(client, "test-game").get("/v/1.0.0/media/preview.mp4")
    assert served.status_code == 200 and served.headers["content-type"] == "video/mp4"
    assert served.content == TOWER_PREVIEW


def test_a_package_without_a_preview_has_none_and_an_animated_image_is_one(client):
    assert upload(client, None, {}).status_code == 201
    assert client.get("/api/hub?kind=game").json()["items"][0]["preview_url"] is None
    other = package_files(id="gif-game", preview="loop.gif") | {"loop.gif": GIF}
    assert client.post("/api/admin/packages", content=zip_bytes(other), headers=ADMIN).status_code == 201


@pytest.mark.parametrize(
    ("preview", "files", "why"),
    [
        ("preview.mp4", {}, "is not in the package"),
        ("preview.mov", {"preview.mov": TOWER_PREVIEW}, "must be one of"),
        ("preview.mp4", {"preview.mp4": b"<html>not a video</html>"}, "is not a mp4 file"),
        ("preview.webm", {"preview.webm": TOWER_PREVIEW}, "is not a webm file"),
        ("../preview.mp4", {}, "preview"),
        ("big.gif", {"big.gif": GIF + os.urandom(MAX_PREVIEW_BYTES)}, "limit for a preview"),
    ],
)
def test_a_bad_preview_is_refused_at_upload_naming_the_field(client, preview, files, why):
    response = upload(client, preview, files)
    assert response.status_code == 422, response.text
    body = response.json()
    assert (body["code"], body["field"]) == ("INVALID_MANIFEST", "preview")
    assert why in body["message"]
