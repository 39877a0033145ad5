"""Ad creatives in either form of object storage (storage.py): stored once under their digest,
shown through the host's /media/ads/ (from a bucket, a redirect to a presigned link) or, with a
CDN in front of the bucket, linked to the CDN directly: public, immutable files."""

from __future__ import annotations

import pytest

from tests.ads.conftest import MP4
from tests.s3 import bucket_keys, following, in_bucket, platform_of

CDN = "https://media.example.com"


@pytest.fixture(params=["files", "s3", "s3 behind a CDN"])
def storage_form(request, settings):
    if request.param == "files":
        return settings
    server, bucket = request.getfixturevalue("s3_server"), request.getfixturevalue("bucket")
    return in_bucket(settings, server, bucket, **({"media_base_url": CDN} if "CDN" in request.param else {}))


@pytest.fixture
def platform(storage_form):
    with platform_of(storage_form) as made:
        yield made


def test_a_creative_is_stored_once_and_shown_from_either_store(ads, player, platform):
    video = MP4 + bytes(range(256)) * 4
    uploaded = ads.upload(video)
    name = uploaded["file"]
    assert ads.upload(video)["file"] == name  # named by its digest: stored once
    cdn = bool(platform.settings.media_base_url)
    if platform.storage.remote:
        assert bucket_keys(platform, "ads") == {name}
    host_url = f"http://localhost:8000/media/ads/{name}"
    assert uploaded["url"] == (f"{CDN}/minis/ads/{name}" if cdn else host_url)
    # The campaign's creative, as the host's ad player gets it in a decision.
    campaign = ads.campaign(ads.advertiser())
    assert ads.admin("GET", f"/campaigns/{campaign}/creatives").status_code == 200
    decided = ads.decide(player, ads.unit())["creative"]["url"]
    assert decided.startswith(f"{CDN}/minis/ads/" if cdn else "http://localhost:8000/media/ads/")
    with following(player) as viewer:
        if cdn:
            # The host's own link leads to the CDN too, whose copy never goes stale.
            redirect = viewer.get(host_url, follow_redirects=False)
            assert redirect.status_code == 307 and redirect.headers["location"] == f"{CDN}/minis/ads/{name}"
            return
        shown = viewer.get(host_url)
        assert shown.status_code == 200 and shown.content == video
        assert len(shown.history) == (1 if platform.storage.remote else 0)
        assert viewer.get("/media/ads/" + "0" * 64 + ".mp4").status_code == 404
