"""A drama producer on the live server: a published series of short generated episodes.

The demo's own series takes minutes to generate and transcode, so the browser tests make their
own, small one through the Open API as a producer would. ``DramaStudio.start`` uploads the clips
(the server's embedded worker transcodes them); ``publish`` waits until they are ready and
publishes the series.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from openminis.client import MinisClient
from openminis.drama.synth import make_clip
from openminis.liveserver import LiveServer
from tests.browser.ad_studio import ADMIN_TOKEN

APP_ID = "harbor-dramas"
TITLE = "Harbor Lights"
EPISODES = ["The Crossing", "Fog", "Salt", "The Lighthouse", "Low Tide"]
FREE_EPISODES = 3
EPISODE_PRICE = 30
SERIES_PRICE = 90
PASS = {"title": "Harbor week pass", "period_days": 7, "price": 60}


def make_clips(folder: Path, seconds: float = 3) -> list[Path]:
    return [
        make_clip(
            folder / f"episode-{number}.mp4",
            seconds=seconds,
            lines=[TITLE, f"Episode {number}", title],
            width=360,
            height=640,
            seed=number,
        )
        for number, title in enumerate(EPISODES, start=1)
    ]


PASSWORD = "studio-password-1"


@dataclass
class DramaStudio:
    server_url: str
    email: str
    secret: str
    series_id: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @classmethod
    def start(cls, server: LiveServer, clips: list[Path], *, email: str = "harbor@example.com") -> DramaStudio:
        """Signs up a producer, registers the drama app, creates the series and uploads every clip."""
        studio = cls.open(server, email=email)
        with httpx.Client(base_url=server.url, timeout=30, headers=studio.headers) as backend:
            for number, (clip, title) in enumerate(zip(clips, EPISODES, strict=True), start=1):
                uploaded = backend.put(
                    f"/openapi/v1/series/{studio.series_id}/episodes/{number}",
                    params={"title": title},
                    content=clip.read_bytes(),
                    headers={"Content-Type": "video/mp4"},
                )
                assert uploaded.status_code == 202, uploaded.text
        return studio

    @classmethod
    def open(cls, server: LiveServer, *, email: str = "harbor@example.com") -> DramaStudio:
        """Signs up a producer, registers the drama app and creates its series, with no episode yet."""
        server_url = server.url
        with httpx.Client(base_url=server_url, timeout=30) as browser:
            headers = {"X-CSRF-Token": browser.get("/api/me").json()["csrf_token"]}
            registered = browser.post(
                "/api/account/register", json={"email": email, "password": PASSWORD}, headers=headers
            )
            assert registered.status_code == 200, registered.text
            code = server.mailed(email, r"verification code is (\d{6})")
            assert browser.post("/api/account/verify", json={"code": code}, headers=headers).status_code == 200
            headers = {"X-CSRF-Token": browser.get("/api/me").json()["csrf_token"]}
            assert browser.post("/api/developer", json={"name": "Harbor Studio"}, headers=headers).status_code == 200
            app = browser.post(
                "/api/developer/apps",
                json={"app_id": APP_ID, "name": "Harbor Dramas", "kind": "drama"},
                headers=headers,
            )
            assert app.status_code == 201, app.text
            secret = app.json()["app_secret"]
            with MinisClient(APP_ID, secret, base_url=server_url) as backend:
                token = backend.access_token()
            auth = {"Authorization": f"Bearer {token}"}
            series = browser.post(
                "/openapi/v1/series",
                json={
                    "title": TITLE,
                    "synopsis": "A ferry captain, a missing keeper and one foggy week on the coast.",
                    "genres": ["mystery", "romance"],
                    "free_episodes": FREE_EPISODES,
                    "episode_price": EPISODE_PRICE,
                    "series_price": SERIES_PRICE,
                    "ad_unlock": True,
                },
                headers=auth,
            )
            assert series.status_code == 201, series.text
            series_id = series.json()["id"]
        return cls(server_url=server_url, email=email, secret=secret, series_id=series_id, token=token)

    def upload_package(self, package: bytes) -> None:
        """Ships a version of the drama app (a player of its own), signed in as the producer."""
        with httpx.Client(base_url=self.server_url, timeout=30) as browser:
            headers = {"X-CSRF-Token": browser.get("/api/me").json()["csrf_token"]}
            signed_in = browser.post(
                "/api/account/sign-in", json={"email": self.email, "password": PASSWORD}, headers=headers
            )
            assert signed_in.status_code == 200, signed_in.text
            headers = {"X-CSRF-Token": signed_in.json()["csrf_token"], "Content-Type": "application/zip"}
            uploaded = browser.post(f"/api/developer/apps/{APP_ID}/versions", content=package, headers=headers)
            assert uploaded.status_code == 201, uploaded.text
            version = uploaded.json()["version"]
            submitted = browser.post(f"/api/developer/apps/{APP_ID}/versions/{version}/submit", headers=headers)
            assert submitted.status_code == 200, submitted.text
            approved = browser.post(
                f"/api/admin/review/{APP_ID}/{version}/approve",
                json={"percent": 100},
                headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            )
            assert approved.status_code == 200, approved.text

    @classmethod
    def paid(cls, server: LiveServer, folder: Path) -> DramaStudio:
        """The producer's series published with every episode paid (none free): clips made in ``folder``."""
        clips = [
            make_clip(folder / f"{number}.mp4", seconds=1, lines=[title], width=360, height=640, seed=number)
            for number, title in enumerate(EPISODES, start=1)
        ]
        studio = cls.start(server, clips)
        studio.publish()
        with httpx.Client(base_url=server.url, headers=studio.headers, timeout=30) as backend:
            patched = backend.patch(f"/openapi/v1/series/{studio.series_id}", json={"free_episodes": 0})
            assert patched.status_code == 200, patched.text
        return studio

    def publish(self, timeout: float = 240) -> dict:
        """Waits until the server's worker has transcoded every episode, then publishes the series and a pass."""
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.server_url, timeout=30, headers=self.headers) as client:
            while True:
                series = client.get(f"/openapi/v1/series/{self.series_id}").json()
                states = [episode["status"] for episode in series["episodes"]]
                assert "failed" not in states, series
                if states.count("ready") == len(EPISODES):
                    break
                assert time.monotonic() < deadline, f"episodes not transcoded in {timeout} s: {states}"
                time.sleep(0.25)
            published = client.post(f"/openapi/v1/series/{self.series_id}/publish")
            assert published.status_code == 200, published.text
            created = client.post("/openapi/v1/passes", json={**PASS, "series_id": self.series_id})
            assert created.status_code == 201, created.text
            return published.json()
