"""A drama studio with a published series of generated episodes, shared by the drama tests."""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from openminis.drama import media
from openminis.drama.synth import make_clip
from tests.studio import DevApp, browser, sign_up


@pytest.fixture(scope="session")
def clips(tmp_path_factory) -> dict[str, Path]:
    """Generated once per run: real H.264/AAC files for the pipeline to chew on."""
    root = tmp_path_factory.mktemp("clips")
    return {
        "episode": make_clip(root / "episode.mp4", seconds=3, lines=["Night Shift", "Episode"], width=360, height=640),
        "silent": make_clip(root / "silent.mp4", seconds=2, lines=["Silent"], width=360, height=640, silent=True),
        "landscape": make_clip(root / "landscape.mp4", seconds=2, lines=["Wide"], width=640, height=360),
    }


@dataclass
class Studio:
    app: DevApp
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def drama_app(client, app_id: str = "night-dramas") -> Studio:
    developer = browser(client)
    headers = sign_up(developer, f"producer-{app_id}@example.com")
    named = developer.post("/api/developer", json={"name": f"Night Studio {app_id}"}, headers=headers)
    assert named.status_code == 200, named.text  # a studio's name is its own: one per app here
    created = developer.post(
        "/api/developer/apps", json={"app_id": app_id, "name": "Night Dramas", "kind": "drama"}, headers=headers
    ).json()
    app = DevApp(app_id=app_id, secret=created["app_secret"], developer=developer, headers=headers)
    return Studio(app=app, token=app.backend(client).access_token())


def upload(client, studio: Studio, series_id: str, number: int, clip: Path):
    return client.put(
        f"/openapi/v1/series/{series_id}/episodes/{number}",
        params={"title": f"Episode {number}"},
        content=clip.read_bytes(),
        headers={**studio.headers, "Content-Type": "video/mp4"},
    )


@pytest.fixture
def studio(client) -> Studio:
    return drama_app(client)


def transcode_once(transcoded: dict):
    """``media.transcode`` that runs the real pipeline once for a given clip and length limit and
    copies that result for the same clip again: the series below has 5 episodes of one clip, and
    every test that uses it made them anew (test_pipeline.py tests the transcode itself)."""
    real = media.transcode

    def transcode(source: Path, out_dir: Path, *, max_seconds: float, preset: str, progress=lambda pct: None):
        key = f"{hashlib.sha256(source.read_bytes()).hexdigest()}-{max_seconds}-{preset}"
        if key not in transcoded:
            folder = transcoded["root"] / key
            transcoded[key] = (folder, real(source, folder, max_seconds=max_seconds, preset=preset, progress=progress))
        folder, output = transcoded[key]
        shutil.copytree(folder, out_dir, dirs_exist_ok=True)
        progress(100)
        return output

    return transcode


@pytest.fixture
def series(client, studio, clips, platform, transcoded, monkeypatch) -> dict:
    """A published series of 5 episodes: 2 free, then 20 coins each, or 60 for the series."""
    fields = {"free_episodes": 2, "episode_price": 20, "series_price": 60}
    return published_series(client, studio, clips, platform, transcoded, monkeypatch, episodes=5, **fields)


def published_series(client, studio, clips, platform, transcoded, monkeypatch, *, episodes: int, **fields) -> dict:
    """A series of the studio's app, made, its ``episodes`` uploaded (transcoded once for all the
    tests) and published; ``fields`` over the defaults."""
    body = {"title": "Night Shift", "synopsis": "Doctors, secrets, one long night.", "genres": ["romance"]} | fields
    created = client.post("/openapi/v1/series", json=body, headers=studio.headers).json()
    for number in range(1, episodes + 1):
        assert upload(client, studio, created["id"], number, clips["episode"]).status_code == 202
    with monkeypatch.context() as patched:  # only for these uploads: the tests' own run the real pipeline
        patched.setattr(media, "transcode", transcode_once(transcoded))
        platform.worker().drain()
    published = client.post(f"/openapi/v1/series/{created['id']}/publish", headers=studio.headers)
    assert published.status_code == 200, published.text
    return published.json()
