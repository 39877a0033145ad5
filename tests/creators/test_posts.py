"""A creator's post: uploaded, transcoded by the episodes' pipeline, public once ready, with an anchor
that must lead somewhere a viewer can go."""

from __future__ import annotations

from sqlalchemy import event, func, select

from openminis.creators import service
from openminis.creators.models import Post
from openminis.jobs.models import Job
from tests.creators.conftest import make_creator
from tests.studio import browser


def _count(platform, table) -> int:
    with platform.db.session() as session:
        return session.scalar(select(func.count()).select_from(table))


def test_an_uploaded_post_is_transcoded_then_public_with_its_media(client, platform, creator, clips, game):
    accepted = creator.post(clips["post"], caption="My first run 🎮\nso close!", anchor_kind="app", anchor_app_id=game)
    assert accepted.status_code == 201, accepted.text
    post = accepted.json()
    assert (post["status"], post["video_url"], post["poster_url"], post["category"]) == (
        "uploaded",
        None,
        None,
        "puzzle",
    )
    assert (
        post["anchor"]["kind"] == "app"
        and post["anchor"]["title"] == "Tile Game"
        and post["anchor"]["card"]["app_id"] == game
    )
    viewer = browser(client)
    assert viewer.get(f"/api/posts/{post['id']}").status_code == 404  # not public before it is ready
    assert creator.browser.get(f"/api/posts/{post['id']}").json()["status"] == "uploaded"  # but its creator sees it

    platform.worker().drain()

    public = viewer.get(f"/api/posts/{post['id']}").json()
    assert (public["status"], public["progress"], public["duration_ms"], public["error"]) == ("ready", 100, 2000, None)
    assert public["published_at"] is not None and public["creator"]["handle"] == "tester"
    assert public["video_url"].startswith("http://localhost:8000/media/posts/") and public["video_url"].endswith(
        "/480p.mp4"
    )
    assert public["video_url_hd"].endswith("/720p.mp4") and public["poster_url"].endswith("/poster.jpg")
    video = viewer.get(public["video_url"])
    assert (
        video.status_code == 200
        and video.headers["content-type"] == "video/mp4"
        # Asked again at each use: a moderator's takedown reaches cached copies too (docs/moderation.md).
        and video.headers["cache-control"] == "public, no-cache"
    )
    part = viewer.get(public["video_url_hd"], headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and len(part.content) == 100
    assert viewer.get(public["poster_url"]).content[:2] == b"\xff\xd8"
    folder = public["video_url"].rsplit("/", 1)[0]
    for other in ("master.m3u8", "720p", "thumb-000.jpg", "..%2F..%2Fminis.db"):
        assert viewer.get(f"{folder}/{other}").status_code == 404
    assert viewer.get("http://localhost:8000/media/posts/pst_nope-1234/480p.mp4").status_code == 404
    assert [p["id"] for p in creator.browser.get("/api/creator/posts").json()] == [post["id"]]


def test_a_rejected_upload_fails_with_a_reason_and_serves_nothing(client, platform, creator, clips, tmp_path):
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"not really a video" * 500)
    wide = creator.post(clips["landscape"], caption="wide").json()
    broken = creator.post(corrupt, caption="broken").json()
    platform.worker().drain()
    mine = {p["id"]: p for p in creator.browser.get("/api/creator/posts").json()}
    assert (mine[wide["id"]]["status"], mine[wide["id"]]["error"].split(":")[0]) == ("failed", "WRONG_SHAPE")
    assert (mine[broken["id"]]["status"], mine[broken["id"]]["error"].split(":")[0]) == ("failed", "CORRUPT_MEDIA")
    assert all(p["video_url"] is None for p in mine.values())
    assert browser(client).get(f"/api/posts/{wide['id']}").status_code == 404
    media = platform.settings.data_dir / "media" / "posts"
    assert not [p for p in media.iterdir() if p.name != "uploads"] and not list((media / "uploads").iterdir())


def test_a_post_without_an_anchor_is_general_and_its_caption_is_checked(platform, creator, clips):
    plain = creator.post(clips["post"], caption="  just vibes  ").json()
    assert (plain["caption"], plain["category"], plain["anchor"]) == ("just vibes", "general", None)
    for caption in (
        "x" * 301,
        "bell\x07",
        "tab\tbed",
        "sneaky \u202e",
        "mark \u200f",
        "line \u2028 two",
        "c1 \x85 two",
    ):
        refused = creator.post(clips["post"], caption=caption)
        assert refused.status_code == 422 and refused.json()["field"] == "caption", caption
    assert _count(platform, Post) == 1


def test_an_anchor_must_lead_to_a_published_app_series_or_episode_or_nothing_is_written(
    platform, creator, clips, game, drama
):
    refusals = [
        ({"anchor_kind": "app", "anchor_app_id": "no-such-game"}, "anchor_app_id"),
        ({"anchor_kind": "app"}, "anchor_app_id"),
        ({"anchor_kind": "series", "anchor_series_id": drama["draft_id"]}, "anchor_series_id"),
        ({"anchor_kind": "series", "anchor_series_id": "ser_missing"}, "anchor_series_id"),
        ({"anchor_kind": "episode", "anchor_series_id": drama["series_id"], "anchor_episode": 3}, "anchor_episode"),
        ({"anchor_kind": "episode", "anchor_series_id": drama["series_id"]}, "anchor_episode"),
        ({"anchor_kind": "series", "anchor_series_id": drama["series_id"], "anchor_app_id": game}, "anchor_app_id"),
        ({"anchor_kind": "poll"}, "anchor_kind"),
        ({"anchor_app_id": game}, "anchor_kind"),
    ]
    jobs_before = _count(platform, Job)
    for params, field in refusals:
        refused = creator.post(clips["post"], caption="linked", **params)
        assert refused.status_code == 422 and refused.json()["field"] == field, (params, refused.text)
    assert _count(platform, Post) == 0 and _count(platform, Job) == jobs_before
    assert not (platform.settings.data_dir / "media" / "posts").exists()  # refused before the upload was read


def test_drama_anchors_open_the_series_or_one_episode_of_it(creator, clips, drama):
    series = creator.post(
        clips["post"], caption="binge this", anchor_kind="series", anchor_series_id=drama["series_id"]
    ).json()
    episode = creator.post(
        clips["post"], caption="ep 2!", anchor_kind="episode", anchor_series_id=drama["series_id"], anchor_episode=2
    ).json()
    assert series["anchor"]["title"] == "Night Shift" and series["anchor"]["episode"] is None
    assert (episode["anchor"]["title"], episode["anchor"]["episode"], episode["anchor"]["series_id"]) == (
        "Ep 2 · Night Shift",
        2,
        drama["series_id"],
    )
    for post in (series, episode):
        assert post["anchor"]["app_id"] == drama["app_id"] and post["category"] == "drama"
        # A drama app without a package of its own: the host opens the series, the card shows its cover.
        card = post["anchor"]["card"]
        assert (
            card["app_id"] == drama["app_id"]
            and card["entry_url"] == ""
            and card["icon_url"].endswith("/poster.jpg?cover=1")
        )


def test_only_creators_post_and_only_videos_are_taken(client, clips, csrf):
    refused = client.post(
        "/api/creator/posts", content=clips["post"].read_bytes(), headers={**csrf, "Content-Type": "video/mp4"}
    )
    assert refused.status_code == 404 and refused.json()["code"] == "NOT_A_CREATOR"
    creator = make_creator(client, "typed")
    wrong = creator.browser.post(
        "/api/creator/posts", content=b"<svg/>", headers={**creator.headers, "Content-Type": "image/svg+xml"}
    )
    assert wrong.status_code == 422 and wrong.json()["field"] == "content-type"
    empty = creator.browser.post(
        "/api/creator/posts", content=b"", headers={**creator.headers, "Content-Type": "video/mp4"}
    )
    assert empty.status_code == 422
    no_csrf = creator.browser.post(
        "/api/creator/posts", content=clips["post"].read_bytes(), headers={"Content-Type": "video/mp4"}
    )
    assert no_csrf.status_code == 403


def test_a_creator_deletes_a_post_and_its_media_with_it(client, platform, creator, clips):
    post = creator.post(clips["post"], caption="gone soon").json()
    platform.worker().drain()
    video_url = creator.browser.get(f"/api/posts/{post['id']}").json()["video_url"]
    someone = make_creator(client, "someone")
    assert someone.browser.delete(f"/api/creator/posts/{post['id']}", headers=someone.headers).status_code == 404
    assert creator.browser.delete(f"/api/creator/posts/{post['id']}", headers=creator.headers).json() == {"ok": True}
    assert creator.browser.get(f"/api/posts/{post['id']}").status_code == 404
    assert client.get(video_url).status_code == 404 and creator.browser.get("/api/creator/posts").json() == []
    assert [p.name for p in (platform.settings.data_dir / "media" / "posts").iterdir()] == ["uploads"]


def test_a_post_deleted_before_its_transcode_leaves_nothing_behind(platform, creator, clips):
    post = creator.post(clips["post"], caption="never mind").json()
    assert creator.browser.delete(f"/api/creator/posts/{post['id']}", headers=creator.headers).status_code == 200
    platform.worker().drain()
    media = platform.settings.data_dir / "media" / "posts"
    assert [p.name for p in media.iterdir()] == ["uploads"] and not list((media / "uploads").iterdir())


def test_a_page_of_posts_is_shown_in_the_same_number_of_queries_whatever_its_length(
    client, platform, creator, clips, game, drama
):
    other = make_creator(client, "other_one")
    for round in (1, 2):
        creator.post(clips["post"], caption=f"{round} app", anchor_kind="app", anchor_app_id=game)
        creator.post(
            clips["post"], caption=f"{round} series", anchor_kind="series", anchor_series_id=drama["series_id"]
        )
        other.post(
            clips["post"],
            caption=f"{round} episode",
            anchor_kind="episode",
            anchor_series_id=drama["series_id"],
            anchor_episode=1,
        )
        other.post(clips["post"], caption=f"{round} plain")
    with platform.db.session() as session:
        posts = list(session.scalars(select(Post).order_by(Post.caption)))
        queries = []
        listener = lambda *args: queries.append(args[2])  # noqa: E731
        event.listen(platform.db.engine, "before_cursor_execute", listener)
        try:
            service.post_outs(session, platform.settings, posts[:4])
            half = len(queries)
            queries.clear()
            outs = service.post_outs(session, platform.settings, posts)
        finally:
            event.remove(platform.db.engine, "before_cursor_execute", listener)
    assert len(queries) == half
    assert [o.caption for o in outs] == [
        "1 app",
        "1 episode",
        "1 plain",
        "1 series",
        "2 app",
        "2 episode",
        "2 plain",
        "2 series",
    ]
    assert [o.creator.handle for o in outs[:4]] == ["tester", "other_one", "other_one", "tester"]


def test_a_post_whose_upload_is_not_in_this_nodes_storage_fails_its_job_rather_than_end_it(
    client, platform, creator, clips
):
    """Two nodes sharing a database but not their files: a node without the upload ended the
    post's transcode "done", and the post stayed uploaded for good (attack56b). The job fails, to
    be tried again (by a node that has it), and says why."""
    post = creator.post(clips["post"], caption="elsewhere").json()
    for file in (platform.settings.data_dir / "media" / "posts" / "uploads").iterdir():
        file.unlink()  # as if it were on another node's disk
    platform.worker().drain()
    with platform.db.session() as session:
        job = session.scalars(select(Job).where(Job.kind == "creators.transcode")).one()
    assert job.status != "done" and "not in this node's storage" in (job.last_error or ""), (job.status, job.last_error)
    mine = creator.browser.get("/api/creator/posts", headers=creator.headers).json()
    assert [p["status"] for p in mine if p["id"] == post["id"]] == ["uploaded"]
