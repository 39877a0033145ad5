"""Ads on the live server for the browser tests: the operator's house campaign with a short video,
a studio's game with a rewarded unit, and the studio's backend that receives verified rewards.

The demo seeds no ad units or campaigns, so the tests make their own through the APIs of
docs/ads.md, as an operator and a developer would.
"""

from __future__ import annotations

import http.server
import threading
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from openminis.client import InvalidReward, MinisClient, SeenEvents, verify_reward
from openminis.drama.synth import make_clip

ADMIN_TOKEN = "browser-tests-admin"
AD_SECONDS = 3
AD_TITLE = "Harbor Lights: now streaming"


def house_campaign(server_url: str, folder: Path) -> dict:
    """An advertiser's house campaign (never billed) with one 3 s vertical video creative."""
    clip = make_clip(
        folder / "house-ad.mp4",
        seconds=AD_SECONDS,
        lines=["Harbor Lights", "Now streaming"],
        width=360,
        height=640,
        seed=7,
    )
    with httpx.Client(
        base_url=f"{server_url}/api/admin/ads", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=30
    ) as admin:
        advertiser = admin.post("/advertisers", json={"name": "openminis Studios"})
        assert advertiser.status_code == 201, advertiser.text
        campaign = admin.post(
            "/campaigns", json={"advertiser_id": advertiser.json()["id"], "name": "House: dramas", "house": True}
        )
        assert campaign.status_code == 201, campaign.text
        media = admin.post("/media", content=clip.read_bytes())
        assert media.status_code == 201, media.text
        creative = admin.post(
            f"/campaigns/{campaign.json()['id']}/creatives",
            json={
                "file": media.json()["file"],
                "click_url": "https://example.com/harbor-lights",
                "title": AD_TITLE,
                "width": 360,
                "height": 640,
                "duration_ms": AD_SECONDS * 1000,
            },
        )
        assert creative.status_code == 201, creative.text
        return campaign.json()


@dataclass
class RewardsBackend:
    """A game's backend endpoint for verified rewards (docs/ads.md), on a free loopback port. It
    checks every callback's signature with the platform's published keys, as a real one must:
    fetched once, and again only for a key id it has not seen."""

    client: MinisClient
    verified: list[dict] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def __post_init__(self):
        seen = SeenEvents()
        backend = self
        self.keys = self.client.reward_keys()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                header = self.headers.get("minis-reward-signature", "")
                try:
                    try:
                        reward = verify_reward(body, header, backend.keys, seen=seen)
                    except InvalidReward as exc:
                        if exc.reason != "unknown_key":
                            raise
                        backend.keys = backend.client.reward_keys()  # rotated since: fetch again
                        reward = verify_reward(body, header, backend.keys, seen=seen)
                except InvalidReward as exc:
                    backend.refused.append(exc.reason)
                    self.send_response(400)  # as docs/ads.md's handler answers
                else:
                    backend.verified.append(reward)
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/minis/rewards"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.client.close()


def create_unit(client: MinisClient, server_url: str, body: dict) -> dict:
    response = httpx.post(
        f"{server_url}/openapi/v1/ad-units",
        json=body,
        headers={"Authorization": f"Bearer {client.access_token()}"},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return response.json()
