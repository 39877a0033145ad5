"""A post's effects follow the unit of work that made them: the feed hears of a post once its
publication is committed, and a deleted post's files go once the deletion is; after a rollback,
neither happens."""

from __future__ import annotations

import pytest

from openminis import changes
from openminis.creators import pipeline, service
from openminis.unit_of_work import unit_of_work
from tests.creators.conftest import ready_post


class Abandoned(Exception):
    """The unit failed after the service returned."""


def test_the_feed_hears_of_a_transcoded_post_only_once_it_is_committed(client, platform, creator, clips):
    assert creator.post(clips["post"], caption="Soon").status_code == 201
    media = platform.settings.data_dir / "media" / "posts"
    [pending] = list((media / "uploads").iterdir())
    post_id = pending.name.split("-")[0]
    transcode = pipeline.transcoder(
        platform.db,
        platform.storage,
        platform.settings.data_dir / "work",
        pipeline.MAX_POST_SECONDS,
        platform.settings.transcode_preset,
    )
    before = changes.generation
    with pytest.raises(Abandoned), unit_of_work(platform.db) as session:
        transcode(session, {"post_id": post_id, "upload": pending.name})
        raise Abandoned
    assert changes.generation == before and pending.exists()
    assert creator.browser.get(f"/api/posts/{post_id}").json()["status"] == "uploaded"
    with unit_of_work(platform.db) as session:
        transcode(session, {"post_id": post_id, "upload": pending.name})
        assert changes.generation == before  # not before the commit
    assert changes.generation != before and not pending.exists()
    assert client.get(f"/api/posts/{post_id}").json()["status"] == "ready"


def test_a_deletion_rolled_back_keeps_the_posts_media(platform, creator, game):
    post_id = ready_post(platform, creator.user_id, game)
    media = platform.settings.data_dir / "media" / "posts"
    folder = media / f"{post_id}-media"
    folder.mkdir(parents=True)
    (folder / "480p.mp4").write_bytes(b"video")
    with pytest.raises(Abandoned), unit_of_work(platform.db) as session:
        service.delete_post(session, platform.storage, creator_id=creator.user_id, post_id=post_id)
        raise Abandoned
    assert (folder / "480p.mp4").exists()
    with unit_of_work(platform.db) as session:
        service.delete_post(session, platform.storage, creator_id=creator.user_id, post_id=post_id)
        assert folder.exists()
    assert not folder.exists()
