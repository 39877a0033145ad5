"""The demo's creators post generated videos, anchored to the demo games and drama, once."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import select

from openminis.cli import DEMO_DEVELOPER, EXAMPLES, publish_folder
from openminis.creators import demo, service
from openminis.creators.models import Creator, Post
from openminis.drama import catalog as drama_catalog
from openminis.drama import demo as drama_demo
from openminis.identity import accounts
from openminis.unit_of_work import unit_of_work


def _publish_demo_drama(platform, clip, tmp_path) -> str:
    """The demo series, short: five episodes are enough for the posts' anchors (1 and 5)."""
    drama_demo.ensure_app(platform)
    with unit_of_work(platform.db) as session:
        series_id = drama_catalog.create_series(session, drama_demo.APP_ID, title=drama_demo.TITLE).id
        for number in range(1, 6):
            copy = shutil.copy(clip, tmp_path / f"ep{number}.mp4")
            drama_catalog.accept_upload(
                session, platform.storage, drama_demo.APP_ID, series_id, number, title=f"Episode {number}", source=copy
            )
    platform.worker().drain()
    with unit_of_work(platform.db) as session:
        drama_catalog.publish(session, drama_demo.APP_ID, series_id)
    return series_id


@pytest.mark.slow
# The demo is the README's first command, on the embedded defaults: SQLite only. Transcoding and
# publishing on PostgreSQL are tests/drama/test_pipeline.py's and tests/creators/test_posts.py's.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_demo_creators_post_to_the_demo_games_and_drama_once(platform, clips, tmp_path):
    for folder in sorted(p for p in EXAMPLES.iterdir() if (p / "minis.json").is_file()):
        publish_folder(platform, folder, developer=DEMO_DEVELOPER, skip_existing=True)
    quiet = {"seconds": 1.5, "process_now": True, "report": lambda line: None}

    # Before the drama is published, posts that link to it wait for a later run.
    assert demo.seed_demo_creators(platform, **quiet) == 7
    series_id = _publish_demo_drama(platform, clips["post"], tmp_path)
    assert demo.seed_demo_creators(platform, **quiet) == 3
    assert demo.seed_demo_creators(platform, **quiet) == 0

    with platform.db.session() as session:
        creators = {c.handle: c for c in session.scalars(select(Creator))}
        assert set(creators) == {"skyjumper", "mergequeen", "stackmaster", "nightshiftfan"}
        posts = list(session.scalars(select(Post)))
        assert len(posts) == 10 and {p.status for p in posts} == {"ready"}
        anchors = {(p.anchor_kind, p.anchor_app_id, p.anchor_series_id, p.anchor_episode) for p in posts}
        assert anchors == {
            (None, None, None, None),
            ("app", "sky-runner", None, None),
            ("app", "merge-2048", None, None),
            ("app", "tower-stack", None, None),
            ("series", drama_demo.APP_ID, series_id, None),
            ("episode", drama_demo.APP_ID, series_id, 1),
            ("episode", drama_demo.APP_ID, series_id, 5),
        }
        assert len({p.caption for p in posts}) == 10
        outs = service.post_outs(session, platform.settings, posts)
        assert all(o.video_url and o.poster_url for o in outs)
        # Full accounts, which the demo's operator can sign in to.
        user, _ = accounts.sign_in_with_password(
            session,
            platform.passwords,
            email="mergequeen@example.com",
            password=demo.password_for(platform, "mergequeen"),
        )
        assert (user.id, user.kind, user.display_name) == (creators["mergequeen"].user_id, "full", "Merge Queen")
