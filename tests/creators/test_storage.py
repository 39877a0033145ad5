"""Post media in either form of object storage (storage.py): the upload stored, transcoded through a
scratch folder, shown through the media route (from a bucket, a redirect to a presigned link after
the check that the post is still up, never the CDN: a takedown must reach every viewer at once),
and deleted with the post and with its creator's account."""

from __future__ import annotations

import pytest

from openminis import erasure
from openminis.unit_of_work import unit_of_work
from tests.s3 import bucket_keys, following, platform_of
from tests.studio import browser


@pytest.fixture
def platform(storage_form):
    with platform_of(storage_form) as made:
        yield made


def stored(platform, folder: str) -> set[str]:
    if platform.storage.remote:
        return bucket_keys(platform, folder)
    root = platform.settings.data_dir / folder
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def test_a_post_is_shown_from_either_store_and_its_media_goes_with_it(client, platform, creator, clips):
    post = creator.post(clips["post"], caption="stored").json()
    assert len(stored(platform, "media/posts/uploads")) == 1
    platform.worker().drain()
    assert stored(platform, "media/posts/uploads") == set()
    public = browser(client).get(f"/api/posts/{post['id']}").json()
    media_key = public["video_url"].rsplit("/", 2)[1]
    assert stored(platform, f"media/posts/{media_key}") >= {"480p.mp4", "720p.mp4", "poster.jpg"}
    with following(browser(client)) as viewer:
        video = viewer.get(public["video_url"])
        assert video.status_code == 200 and video.content[4:8] == b"ftyp"
        if platform.storage.remote:
            [redirect] = video.history
            assert redirect.status_code == 307 and redirect.headers["cache-control"] == "private, no-store"
            assert str(video.url).startswith(platform.settings.storage_endpoint_url)
    deleted = creator.browser.delete(f"/api/creator/posts/{post['id']}", headers=creator.headers)
    assert deleted.status_code == 200
    assert stored(platform, f"media/posts/{media_key}") == set()
    with following(browser(client)) as viewer:
        gone = viewer.get(public["video_url"])
        assert gone.status_code == 404 and gone.history == []  # refused before any link was made


def test_an_erased_creators_post_media_is_deleted_from_the_store(client, platform, creator, clips):
    post = creator.post(clips["post"], caption="mine").json()
    platform.worker().drain()
    media_key = browser(client).get(f"/api/posts/{post['id']}").json()["video_url"].rsplit("/", 2)[1]
    assert stored(platform, f"media/posts/{media_key}")
    with unit_of_work(platform.db) as session:
        erasure.erase(session, user_id=creator.user_id, confirmation="DELETE", media=platform.storage)
    assert stored(platform, f"media/posts/{media_key}") == set()
