"""Creators with a signed-in browser each, generated clips, and something for their posts to link to."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from openminis.drama.synth import make_clip
from tests.drama.conftest import drama_app, upload
from tests.factories import publish
from tests.studio import browser, sign_up


@pytest.fixture(scope="session")
def clips(tmp_path_factory) -> dict[str, Path]:
    """Generated once per run: small real H.264/AAC files for the pipeline."""
    root = tmp_path_factory.mktemp("creator-clips")
    return {
        "post": make_clip(root / "post.mp4", seconds=2, lines=["@tester", "First post"], width=360, height=640, seed=3),
        "landscape": make_clip(root / "landscape.mp4", seconds=1, lines=["Wide"], width=640, height=360),
    }


@dataclass
class Creator:
    browser: TestClient
    headers: dict[str, str]
    user_id: str

    def post(self, clip: Path, **params):
        return self.browser.post("/api/creator/posts", params=params, content=clip.read_bytes(), headers={**self.headers, "Content-Type": "video/mp4"})


def make_creator(client, handle: str) -> Creator:
    person = browser(client)
    headers = sign_up(person, f"{handle}@example.com")
    made = person.post("/api/creator", json={"handle": handle, "display_name": handle.title()}, headers=headers)
    assert made.status_code == 200, made.text
    return Creator(browser=person, headers=headers, user_id=made.json()["user_id"])


@pytest.fixture
def creator(client) -> Creator:
    return make_creator(client, "tester")


@pytest.fixture
def game(platform) -> str:
    """A published game in the "puzzle" category."""
    return publish(platform, id="tile-game", name="Tile Game", category="puzzle").app_id


@pytest.fixture
def drama(client, platform, clips) -> dict:
    """A published series of two episodes, and a draft series."""
    studio = drama_app(client)
    published = client.post("/openapi/v1/series", json={"title": "Night Shift"}, headers=studio.headers).json()
    draft = client.post("/openapi/v1/series", json={"title": "Coming Soon"}, headers=studio.headers).json()
    for number in (1, 2):
        assert upload(client, studio, published["id"], number, clips["post"]).status_code == 202
    platform.worker().drain()
    assert client.post(f"/openapi/v1/series/{published['id']}/publish", headers=studio.headers).status_code == 200
    return {"app_id": studio.app.app_id, "series_id": published["id"], "draft_id": draft["id"]}
