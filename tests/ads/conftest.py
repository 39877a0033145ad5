"""An operator selling ads and a developer's app showing them, on one test server."""

from __future__ import annotations

from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from openminis.db import utcnow
from tests.studio import DevApp, csrf_of

ADMIN = {"Authorization": "Bearer test-admin-token"}
# The smallest files each format's first bytes recognise: enough for the server, which never decodes them.
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(64)
WEBM = b"\x1a\x45\xdf\xa3" + bytes(64)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)
JPG = b"\xff\xd8\xff\xe0" + bytes(64)
WEBP = b"RIFF\x00\x00\x00\x00WEBPVP8 " + bytes(64)


class Clock:
    """The ad server's clock, moved by hand."""

    def __init__(self):
        self.now = utcnow()

    def __call__(self):
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


class Ads:
    """The operator's admin calls, the developer's Open API calls and the host's serving calls."""

    def __init__(self, client: TestClient, studio: DevApp):
        self.client, self.studio = client, studio
        self._video: str | None = None

    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.studio.backend(self.client).access_token()}"}

    def admin(self, method: str, path: str, headers: dict | None = None, **kwargs):
        return self.client.request(method, f"/api/admin/ads{path}", headers={**ADMIN, **(headers or {})}, **kwargs)

    def advertiser(self, name: str = "Acme", funds: int = 100_000_000) -> str:
        created = self.admin("POST", "/advertisers", json={"name": name})
        assert created.status_code == 201, created.text
        if funds:
            deposited = self.admin(
                "POST",
                f"/advertisers/{created.json()['id']}/deposits",
                json={"amount": funds, "idempotency_key": "first"},
            )
            assert deposited.status_code == 200, deposited.text
        return created.json()["id"]

    def upload(self, data: bytes = MP4) -> dict:
        uploaded = self.admin("POST", "/media", content=data, headers={"Content-Type": "application/octet-stream"})
        assert uploaded.status_code == 201, uploaded.text
        return uploaded.json()

    def campaign(
        self,
        advertiser_id: str,
        *,
        bid_cpm: int = 5_000_000,
        total_budget: int | None = 50_000_000,
        house: bool = False,
        file: bytes = MP4,
        duration_ms: int = 30_000,
        title: str = "Ad",
        **fields,
    ) -> str:
        body = {"advertiser_id": advertiser_id, "name": title, "house": house, **fields}
        if not house:
            body |= {"bid_cpm": bid_cpm, "total_budget": total_budget}
        created = self.admin("POST", "/campaigns", json=body)
        assert created.status_code == 201, created.text
        campaign_id = created.json()["id"]
        creative = self.admin(
            "POST",
            f"/campaigns/{campaign_id}/creatives",
            json={
                "file": self.upload(file)["file"],
                "click_url": f"https://example.com/{campaign_id}",
                "title": title,
                "width": 1080,
                "height": 1920,
                "duration_ms": duration_ms,
            },
        )
        assert creative.status_code == 201, creative.text
        return campaign_id

    def unit(self, kind: str = "rewarded", **fields) -> str:
        body = {"name": f"{kind} unit", "kind": kind, **fields}
        if kind == "rewarded":
            body.setdefault("reward", {"type": "coins_ingame", "amount": 10})
        created = self.client.post("/openapi/v1/ad-units", json=body, headers=self.bearer())
        assert created.status_code == 201, created.text
        return created.json()["id"]

    def request(self, player: TestClient, unit_id: str, **body):
        return player.post(
            "/api/ads/requests",
            json={"app_id": self.studio.app_id, "unit_id": unit_id, **body},
            headers=csrf_of(player),
        )

    def decide(self, player: TestClient, unit_id: str, **body) -> dict:
        response = self.request(player, unit_id, **body)
        assert response.status_code == 200, response.text
        return response.json()

    def step(self, player: TestClient, ad_id: str, step: str, **body):
        if step == "impression" and "show_token" not in body:
            # As the host's ad player does: the show token when the creative is on screen, then the impression.
            body["show_token"] = self.show_token(player, ad_id)
        return player.post(f"/api/ads/{ad_id}/{step}", json=body or None, headers=csrf_of(player))

    def show_token(self, player: TestClient, ad_id: str) -> str | None:
        shown = player.post(f"/api/ads/{ad_id}/shown", headers=csrf_of(player))
        return shown.json()["show_token"] if shown.status_code == 200 else None

    def show(self, player: TestClient, unit_id: str, **body) -> dict:
        """Request an ad and start showing it."""
        decision = self.decide(player, unit_id, **body)
        shown = self.step(player, decision["ad_id"], "impression")
        assert shown.status_code == 200, shown.text
        return decision


@pytest.fixture
def ads(client, studio) -> Ads:
    return Ads(client, studio)


@pytest.fixture
def clock(platform) -> Clock:
    clock = Clock()
    platform.ads.clock = clock
    return clock
