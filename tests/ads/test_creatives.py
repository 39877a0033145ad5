"""Demand is managed by the operator: advertisers, deposits, campaigns, creative files checked by
their bytes and served cacheable with ranges."""

from __future__ import annotations

import pytest

from tests.ads.conftest import JPG, MP4, PNG, WEBM, WEBP


def test_admin_calls_need_the_admin_token(client):
    assert client.get("/api/admin/ads/campaigns").status_code == 401
    assert client.post("/api/admin/ads/media", content=MP4).status_code == 401
    assert client.get("/api/admin/ads/campaigns", headers={"Authorization": "Bearer wrong"}).status_code == 401


@pytest.mark.parametrize(
    ("data", "kind", "content_type"),
    [
        (MP4, "video", "video/mp4"),
        (WEBM, "video", "video/webm"),
        (PNG, "image", "image/png"),
        (JPG, "image", "image/jpeg"),
        (WEBP, "image", "image/webp"),
    ],
)
def test_creative_files_are_recognised_by_their_bytes(ads, data, kind, content_type):
    uploaded = ads.upload(data)
    assert (uploaded["kind"], uploaded["content_type"], uploaded["size_bytes"]) == (kind, content_type, len(data))


def test_a_file_that_is_not_a_video_or_an_image_is_refused_whatever_it_claims(ads):
    response = ads.admin("POST", "/media", content=b"<script>alert(1)</script>", headers={"Content-Type": "video/mp4"})
    assert response.status_code == 422 and response.json()["code"] == "INVALID_MEDIA"


def test_a_file_over_the_size_limit_is_refused(ads, platform):
    platform.settings.ads_max_creative_bytes = 1_000
    response = ads.admin("POST", "/media", content=MP4 + bytes(1_000))
    assert response.status_code == 413 and response.json()["code"] == "MEDIA_TOO_LARGE"


def test_creative_files_are_served_immutable_and_in_ranges(ads, client):
    video = MP4 + bytes(range(256)) * 4
    url = ads.upload(video)["url"].removeprefix("http://localhost:8000")
    whole = client.get(url)
    assert whole.status_code == 200 and whole.content == video
    assert (
        whole.headers["cache-control"] == "public, max-age=31536000, immutable"
        and whole.headers["accept-ranges"] == "bytes"
    )
    part = client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == video[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(video)}"
    assert client.get("/media/ads/../../secret.key").status_code == 404
    assert client.get("/media/ads/" + "0" * 64 + ".mp4").status_code == 404


def test_a_deposit_funds_an_advertiser_once_per_key(ads):
    advertiser = ads.advertiser(funds=0)
    for _ in range(2):
        response = ads.admin(
            "POST", f"/advertisers/{advertiser}/deposits", json={"amount": 5_000_000, "idempotency_key": "wire-1"}
        )
        assert response.status_code == 200 and response.json()["funds"] == 5_000_000
    assert ads.admin("GET", "/advertisers").json()["items"][0]["funds"] == 5_000_000


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"bid_cpm": 500, "total_budget": 1_000_000}, "bid_cpm"),
        ({"bid_cpm": 5_000_000}, "total_budget"),
        ({"house": True, "bid_cpm": 5_000_000}, "bid_cpm"),
        ({"bid_cpm": 5_000_000, "total_budget": 1_000_000, "markets": ["usa"]}, "markets"),
        ({"bid_cpm": 5_000_000, "total_budget": 1_000_000, "categories": ["Puzzle Games"]}, "categories"),
    ],
)
def test_an_invalid_campaign_is_refused_naming_the_field(ads, body, field):
    advertiser = ads.advertiser()
    response = ads.admin("POST", "/campaigns", json={"advertiser_id": advertiser, "name": "c", **body})
    assert response.status_code == 422 and response.json()["field"] == field


def test_a_campaign_budget_cannot_be_lowered_below_what_it_spent(ads, player):
    campaign = ads.campaign(ads.advertiser(), bid_cpm=5_000_000, total_budget=1_000_000)
    ads.show(player, ads.unit(floor_cpm=5_000_000))  # pays the floor: 5,000 micros
    body = {"name": "c", "bid_cpm": 5_000_000, "total_budget": 4_999}
    response = ads.admin("PUT", f"/campaigns/{campaign}", json=body)
    assert response.status_code == 422 and response.json()["field"] == "total_budget"
    paused = ads.admin(
        "PUT", f"/campaigns/{campaign}", json={**body, "total_budget": 2_000_000, "status": "paused"}
    ).json()
    assert (paused["status"], paused["spent"], paused["spent_today"]) == ("paused", 5_000, 5_000)
    assert ads.request(player, ads.unit()).json()["code"] == "NO_FILL"  # a paused campaign serves at once


def test_a_stopped_creative_is_no_longer_served(ads, player):
    campaign = ads.campaign(ads.advertiser())
    [creative] = ads.admin("GET", f"/campaigns/{campaign}/creatives").json()["items"]
    assert ads.admin("PUT", f"/creatives/{creative['id']}", json={"active": False}).json()["active"] is False
    assert ads.request(player, ads.unit()).json()["code"] == "NO_FILL"


def test_a_creative_must_use_an_uploaded_file(ads):
    campaign = ads.campaign(ads.advertiser())
    response = ads.admin(
        "POST",
        f"/campaigns/{campaign}/creatives",
        json={
            "file": "f" * 64 + ".mp4",
            "click_url": "https://e.com",
            "title": "t",
            "width": 1,
            "height": 1,
            "duration_ms": 5_000,
        },
    )
    assert response.status_code == 422 and response.json()["field"] == "file"
