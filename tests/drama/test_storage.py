"""Episode media in either form of object storage (storage.py): uploads stored, transcoded through a
scratch folder, played through the media route, which, from a bucket, redirects to a presigned
link only after its checks (a paid episode's only in the session it was signed for)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from openminis.drama.models import Episode
from tests.drama.test_media_binding import grant, local, urls_of
from tests.s3 import bucket_keys, following, platform_of
from tests.studio import browser


@pytest.fixture
def platform(storage_form):
    with platform_of(storage_form) as made:
        yield made


def media_key_of(platform, series_id: str, number: int) -> str:
    with platform.db.session() as session:
        return session.query(Episode).filter_by(series_id=series_id, number=number).one().media_key


def test_a_transcoded_episode_plays_from_either_store(client, series, player, platform):
    key = media_key_of(platform, series["id"], 1)
    if platform.storage.remote:
        stored = bucket_keys(platform, f"media/drama/{key}")
        assert {"720p.mp4", "480p.mp4", "master.m3u8", "poster.jpg"} <= stored
        assert bucket_keys(platform, "media/drama/uploads") == set()  # each upload gone once transcoded
        assert not (platform.settings.data_dir / "media").exists()  # nothing kept on this node
        assert not list((platform.settings.data_dir / "work").iterdir())  # the scratch folders too
    urls = urls_of(player, series["id"], 1)["urls"]
    with following(player) as viewer:
        # The master playlist comes from Python, each line signed for this viewer.
        playlist = viewer.get(local(urls["hls"]))
        assert playlist.status_code == 200 and playlist.headers["cache-control"] == "private, no-store"
        variant = next(line for line in playlist.text.splitlines() if line and not line.startswith("#"))
        assert "sig=" in variant
        video = viewer.get(local(urls["mp4_480"]))
        assert video.status_code == 200 and video.content[4:8] == b"ftyp"
        if platform.storage.remote:
            [redirect] = video.history
            assert redirect.status_code == 307 and redirect.headers["cache-control"] == "private, no-store"
            assert str(video.url).startswith(platform.settings.storage_endpoint_url)
            assert parse_qs(urlsplit(str(video.url)).query)["X-Amz-Expires"] == ["60"]
            assert video.content == platform.storage.get(f"media/drama/{key}/480p.mp4")
        else:
            assert video.history == []  # Python serves the data dir's file itself


def test_a_paid_episodes_link_leads_into_the_store_only_in_its_own_session(client, series, player, platform):
    grant(platform, player, series["id"], 3)
    url = local(urls_of(player, series["id"], 3)["urls"]["mp4_480"])
    with following(player) as viewer:
        watched = viewer.get(url)
        assert watched.status_code == 200 and watched.content[4:8] == b"ftyp"
    thief = browser(client)
    thief.get("/api/me")  # a session of its own
    with following(thief) as other:
        copied = other.get(url)
        # Refused at the platform, before any link into the store was made.
        assert copied.status_code == 403 and copied.json()["code"] == "MEDIA_LINK_NOT_YOURS"
        assert copied.history == []


def test_a_cover_is_public_and_served_from_either_store(client, series, platform):
    cover = client.get("/api/dramas").json()["items"][0]["cover_url"]
    with following(browser(client)) as anyone:  # no session at all
        poster = anyone.get(local(cover))
        assert poster.status_code == 200 and poster.content[:3] == b"\xff\xd8\xff"
        assert len(poster.history) == (1 if platform.storage.remote else 0)
