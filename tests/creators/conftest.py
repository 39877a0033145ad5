"""Creators with a signed-in browser each, generated clips, and something for their posts to link to."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from openminis.creators.models import Post
from openminis.db import utcnow
from openminis.drama import media
from openminis.drama.synth import make_clip
from openminis.wallet import service as ledger
from tests.drama.conftest import drama_app, transcode_once, upload
from tests.factories import publish
from tests.studio import browser, csrf_of, sign_up


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
        return self.browser.post(
            "/api/creator/posts",
            params=params,
            content=clip.read_bytes(),
            headers={**self.headers, "Content-Type": "video/mp4"},
        )


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
def drama(client, platform, clips, transcoded, monkeypatch) -> dict:
    """A published series of two episodes, and a draft series."""
    studio = drama_app(client)
    published = client.post("/openapi/v1/series", json={"title": "Night Shift"}, headers=studio.headers).json()
    draft = client.post("/openapi/v1/series", json={"title": "Coming Soon"}, headers=studio.headers).json()
    for number in (1, 2):
        assert upload(client, studio, published["id"], number, clips["post"]).status_code == 202
    with monkeypatch.context() as patched:  # one real transcode of the clip a run (tests/drama/conftest.py)
        patched.setattr(media, "transcode", transcode_once(transcoded))
        platform.worker().drain()
    assert client.post(f"/openapi/v1/series/{published['id']}/publish", headers=studio.headers).status_code == 200
    return {
        "app_id": studio.app.app_id,
        "series_id": published["id"],
        "draft_id": draft["id"],
        "headers": studio.headers,  # the producer's backend, on the Open API
    }


def ready_post(platform, creator_id: str, app_id: str) -> str:
    """A published post linking to the app. Its video is beside the point here (test_posts.py
    covers the pipeline), so the row is written as the pipeline leaves it."""
    post_id = "pst_" + secrets.token_hex(10)
    with platform.db.session() as session:
        session.add(
            Post(
                id=post_id,
                creator_id=creator_id,
                caption="Try this",
                category="puzzle",
                anchor_kind="app",
                anchor_app_id=app_id,
                status="ready",
                progress=100,
                media_key=f"{post_id}-media",
                duration_ms=8000,
                published_at=utcnow(),
            )
        )
        session.commit()
    return post_id


def launch(player, app_id: str, source: str, **where) -> str:
    launch_id = secrets.token_hex(16)
    response = player.post(
        "/api/launches",
        json={"launch_id": launch_id, "app_id": app_id, "source": source, **where},
        headers=csrf_of(player),
    )
    assert response.status_code == 200, response.text
    return launch_id


def verifies(platform) -> bool:
    with platform.db.session() as session:
        result = ledger.verify(session)
        assert result.ok, result.problems
        return True
