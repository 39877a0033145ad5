"""Uploaded episodes are transcoded into what the player streams; bad files are refused clearly."""

from __future__ import annotations

import av
from PIL import Image
from sqlalchemy import select

from openminis.drama import catalog as drama_catalog
from openminis.drama import media
from openminis.drama.catalog import TRANSCODE_JOB
from openminis.drama.models import Episode
from openminis.jobs.models import Job
from openminis.unit_of_work import unit_of_work
from tests.drama.conftest import transcode_once, upload
from tests.studio import browser, csrf_of


def test_an_uploaded_episode_becomes_vertical_renditions_hls_and_a_poster(client, studio, clips, platform):
    series = client.post("/openapi/v1/series", json={"title": "Pipeline"}, headers=studio.headers).json()
    accepted = upload(client, studio, series["id"], 1, clips["episode"])
    assert accepted.status_code == 202 and accepted.json()["status"] == "processing"
    platform.worker().drain()
    [episode] = client.get(f"/openapi/v1/series/{series['id']}", headers=studio.headers).json()["episodes"]
    assert (episode["status"], episode["progress"], episode["duration_ms"]) == ("ready", 100, 3000)
    folder = next((platform.settings.data_dir / "media" / "drama").glob("ep_*"))
    for name, size in (("720p", (720, 1280)), ("480p", (480, 854))):
        with av.open(str(folder / f"{name}.mp4")) as media:
            video = media.streams.video[0]
            assert (video.codec_context.name, video.codec_context.width, video.codec_context.height) == ("h264", *size)
            assert media.streams.audio[0].codec_context.name == "aac"
        # The index (moov) comes before the media data (mdat): playback starts before the download ends.
        head = (folder / f"{name}.mp4").read_bytes()[:200_000]
        assert head.index(b"moov") < head.index(b"mdat")
        assert (folder / name / "index.m3u8").read_text().count("#EXTINF") >= 1
    assert "720p/index.m3u8" in (folder / "master.m3u8").read_text()
    assert (folder / "poster.jpg").read_bytes()[:2] == b"\xff\xd8"
    # The scrubber's preview: one sprite of a frame a second (3 s: 3 tiles in one row), laid out as
    # the episode records it.
    with Image.open(folder / "preview.jpg") as sprite:
        assert sprite.size == (3 * 90, 160)
    with platform.db.session() as session:
        stored = session.query(Episode).filter_by(series_id=series["id"], number=1).one()
        assert stored.preview == {"every_ms": 1000, "count": 3, "columns": 10, "width": 90, "height": 160}


def test_corrupt_silent_landscape_and_over_long_files_fail_with_a_reason_and_publish_nothing(
    client, studio, clips, platform, tmp_path
):
    series = client.post("/openapi/v1/series", json={"title": "Bad uploads"}, headers=studio.headers).json()
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"not really a video" * 500)
    platform.settings.max_episode_seconds = 2.5
    for number, clip in enumerate([corrupt, clips["silent"], clips["landscape"], clips["episode"]], start=1):
        upload(client, studio, series["id"], number, clip)
    platform.worker().drain()
    errors = {
        e["number"]: (e["status"], e["error"].split(":")[0])
        for e in client.get(f"/openapi/v1/series/{series['id']}", headers=studio.headers).json()["episodes"]
    }
    assert errors == {
        1: ("failed", "CORRUPT_MEDIA"),
        2: ("failed", "SILENT"),
        3: ("failed", "WRONG_SHAPE"),
        4: ("failed", "TOO_LONG"),
    }
    assert not list((platform.settings.data_dir / "media" / "drama").glob("ep_*"))
    refused = client.post(f"/openapi/v1/series/{series['id']}/publish", headers=studio.headers)
    assert refused.status_code == 409 and refused.json()["code"] == "NOTHING_READY"


def test_a_series_whose_failed_episode_comes_before_a_ready_one_is_not_published_until_it_is_mended_or_deleted(
    client, studio, clips, platform, tmp_path, transcoded, monkeypatch
):
    """Published with episode 2 failed, a series went from episode 1 to 3 for its viewers (a probe).
    It is refused, saying which and why; a failed episode after the last ready one is left out, as
    one still being transcoded is, so it never holds the rest back."""
    monkeypatch.setattr(media, "transcode", transcode_once(transcoded))
    series = client.post("/openapi/v1/series", json={"title": "Gap"}, headers=studio.headers).json()
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"not really a video" * 500)
    for number, clip in enumerate([clips["episode"], corrupt, clips["episode"], corrupt], start=1):
        upload(client, studio, series["id"], number, clip)
    platform.worker().drain()
    refused = client.post(f"/openapi/v1/series/{series['id']}/publish", headers=studio.headers)
    assert (refused.status_code, refused.json()["code"]) == (409, "EPISODES_FAILED"), refused.text
    assert "episode 2: CORRUPT_MEDIA" in refused.json()["message"]
    assert "episode 4" not in refused.json()["message"]  # after the last ready one: left out, not a gap

    upload(client, studio, series["id"], 2, clips["episode"])
    # Nor while it is being transcoded: published then, the series would skip it if it failed (attack54b).
    waiting = client.post(f"/openapi/v1/series/{series['id']}/publish", headers=studio.headers)
    assert (waiting.status_code, waiting.json()["code"]) == (409, "EPISODE_PROCESSING"), waiting.text
    platform.worker().drain()
    published = client.post(f"/openapi/v1/series/{series['id']}/publish", headers=studio.headers)
    assert published.status_code == 200 and published.json()["status"] == "published", published.text
    shown = client.get(f"/api/dramas/{series['id']}").json()
    assert [e["number"] for e in shown["episodes"]] == [1, 2, 3]

    # A failed episode is deleted (it stayed in the series and its reports for good: dev54); a ready
    # one is not, people may have paid for it: a new file replaces its media.
    base = f"/openapi/v1/series/{series['id']}/episodes"
    assert client.delete(f"{base}/4", headers=studio.headers).status_code == 200
    listed = client.get(f"/openapi/v1/series/{series['id']}", headers=studio.headers).json()["episodes"]
    assert [e["number"] for e in listed] == [1, 2, 3]
    kept = client.delete(f"{base}/3", headers=studio.headers)
    assert (kept.status_code, kept.json()["code"]) == (409, "EPISODE_STATE"), kept.text
    assert client.delete(f"{base}/4", headers=studio.headers).status_code == 404


def test_a_series_is_published_and_grown_in_order_with_no_episode_number_missing(
    client, studio, clips, platform, transcoded, monkeypatch, tmp_path
):
    """Episode 12 of a series of four was shown at once as its fifth (a probe, dev54). A draft is
    not published with numbers missing before its last episode; a published series takes its next
    episode, not one further on."""
    monkeypatch.setattr(media, "transcode", transcode_once(transcoded))
    series = client.post("/openapi/v1/series", json={"title": "Holes"}, headers=studio.headers).json()
    for number in (1, 2, 5):
        assert upload(client, studio, series["id"], number, clips["episode"]).status_code == 202
    platform.worker().drain()
    refused = client.post(f"/openapi/v1/series/{series['id']}/publish", headers=studio.headers)
    assert (refused.status_code, refused.json()["code"]) == (409, "EPISODES_MISSING"), refused.text
    assert "episode 3, 4" in refused.json()["message"], refused.text
    for number in (3, 4):
        assert upload(client, studio, series["id"], number, clips["episode"]).status_code == 202
    platform.worker().drain()
    published = client.post(f"/openapi/v1/series/{series['id']}/publish", headers=studio.headers)
    assert published.status_code == 200, published.text

    ahead = upload(client, studio, series["id"], 12, clips["episode"])
    assert (ahead.status_code, ahead.json()["code"], ahead.json()["field"]) == (409, "EPISODE_GAP", "number")
    assert "upload episodes 6 to 11 first" in ahead.json()["message"], ahead.text
    assert upload(client, studio, series["id"], 6, clips["episode"]).status_code == 202  # the next one is taken
    assert upload(client, studio, series["id"], 3, clips["episode"]).status_code == 202  # and a new file for one
    platform.worker().drain()
    shown = client.get(f"/api/dramas/{series['id']}").json()
    assert [e["number"] for e in shown["episodes"]] == [1, 2, 3, 4, 5, 6]

    # A failed episode holds no place, and one with a later episode is not deleted (attack55b: a
    # failed 8 let 9 in, then 8 was deleted, and viewers read 9 as the eighth).
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"not really a video" * 500)
    base = f"/openapi/v1/series/{series['id']}/episodes"
    assert upload(client, studio, series["id"], 7, corrupt).status_code == 202
    assert upload(client, studio, series["id"], 8, clips["episode"]).status_code == 202  # 7 is being transcoded
    platform.worker().drain()
    kept = client.delete(f"{base}/7", headers=studio.headers)
    assert (kept.status_code, kept.json()["code"]) == (409, "EPISODE_GAP"), kept.text
    assert "episode 8 comes after it" in kept.json()["message"]
    assert upload(client, studio, series["id"], 9, corrupt).status_code == 202
    platform.worker().drain()
    past_failed = upload(client, studio, series["id"], 10, clips["episode"])
    assert (past_failed.status_code, past_failed.json()["code"]) == (409, "EPISODE_GAP"), past_failed.text
    assert "upload episode 9 first" in past_failed.json()["message"]
    assert client.delete(f"{base}/9", headers=studio.headers).status_code == 200  # the last: no gap


def test_viewers_see_no_episode_after_one_that_failed_before_it_was_ever_ready(
    client, studio, clips, platform, transcoded, monkeypatch, tmp_path
):
    """A published series' episode 4 was being transcoded when 5 was uploaded; 4's file then
    failed, and viewers were shown 5 after 3 (stop 55's left item). An episode never ready that
    holds its place keeps the ones after it from viewers (list, playback, media) until it is ready;
    a new file for a ready episode hides nothing after it."""
    monkeypatch.setattr(media, "transcode", transcode_once(transcoded))
    series = client.post(
        "/openapi/v1/series", json={"title": "Waits", "free_episodes": 10}, headers=studio.headers
    ).json()
    for number in (1, 2, 3):
        assert upload(client, studio, series["id"], number, clips["episode"]).status_code == 202
    platform.worker().drain()
    assert client.post(f"/openapi/v1/series/{series['id']}/publish", headers=studio.headers).status_code == 200
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"not really a video" * 500)
    assert upload(client, studio, series["id"], 4, corrupt).status_code == 202
    assert upload(client, studio, series["id"], 5, clips["episode"]).status_code == 202  # 4 is being transcoded
    platform.worker().drain()
    viewer = browser(client)

    def shown() -> list[int]:
        return [e["number"] for e in viewer.get(f"/api/dramas/{series['id']}").json()["episodes"]]

    assert shown() == [1, 2, 3]
    hidden = viewer.post(f"/api/dramas/{series['id']}/episodes/5/playback")
    assert hidden.status_code == 404, hidden.text
    with platform.db.session() as session:
        fifth = session.scalars(select(Episode).where(Episode.number == 5)).one()
        assert fifth.status == "ready"
        media_url = f"/media/drama/{fifth.id}/{fifth.media_key}/poster.jpg"
    assert viewer.get(media_url).status_code == 404
    # Nor a share link to it, nor progress saved at it (attack56: the hub showed "Episode 5 of 3").
    shared = viewer.post(
        "/api/share", json={"kind": "episode", "series_id": series["id"], "episode": 5}, headers=csrf_of(viewer)
    )
    assert shared.status_code == 404, shared.text
    at_five = {"episode_number": 5, "position_ms": 0}
    saved = viewer.put(f"/api/dramas/{series['id']}/progress", json=at_five, headers=csrf_of(viewer))
    assert saved.status_code == 404, saved.text

    assert upload(client, studio, series["id"], 4, clips["episode"]).status_code == 202
    platform.worker().drain()
    assert shown() == [1, 2, 3, 4, 5]
    assert viewer.post(f"/api/dramas/{series['id']}/episodes/5/playback").status_code == 200

    assert upload(client, studio, series["id"], 2, clips["episode"]).status_code == 202  # a new file for 2
    assert shown() == [1, 3, 4, 5]  # 2 is off while transcoded again, as before; the rest stay


def test_a_series_taken_down_and_put_back_takes_no_episode_past_its_next(
    client, studio, clips, platform, transcoded, monkeypatch
):
    """While a moderator had a series taken down, its producer uploaded episode 12 of 6; put back,
    the series showed and sold it as the seventh (attack56)."""
    monkeypatch.setattr(media, "transcode", transcode_once(transcoded))
    series = client.post("/openapi/v1/series", json={"title": "Back"}, headers=studio.headers).json()
    assert upload(client, studio, series["id"], 1, clips["episode"]).status_code == 202
    platform.worker().drain()
    assert client.post(f"/openapi/v1/series/{series['id']}/publish", headers=studio.headers).status_code == 200
    with unit_of_work(platform.db) as session:
        drama_catalog.set_series_removed(session, series["id"], True)
    ahead = upload(client, studio, series["id"], 12, clips["episode"])
    assert (ahead.status_code, ahead.json()["code"]) == (409, "EPISODE_GAP"), ahead.text
    assert upload(client, studio, series["id"], 2, clips["episode"]).status_code == 202
    platform.worker().drain()
    with unit_of_work(platform.db) as session:
        drama_catalog.set_series_removed(session, series["id"], False)
    shown = browser(client).get(f"/api/dramas/{series['id']}").json()
    assert [e["number"] for e in shown["episodes"]] == [1, 2]


def test_an_upload_that_is_not_in_this_nodes_storage_fails_its_job_rather_than_end_it(
    client, studio, clips, platform, transcoded, monkeypatch
):
    """Two nodes sharing a database but not their files: a node without the upload ended its
    transcode "done", and the episode stayed processing for good, every later one hidden (attack56).
    The job fails, to be tried again (by a node that has it), and says why."""
    monkeypatch.setattr(media, "transcode", transcode_once(transcoded))
    series = client.post("/openapi/v1/series", json={"title": "Elsewhere"}, headers=studio.headers).json()
    assert upload(client, studio, series["id"], 1, clips["episode"]).status_code == 202
    uploads = platform.settings.data_dir / "media" / "drama" / "uploads"
    for file in uploads.iterdir():
        file.unlink()  # as if it were on another node's disk
    platform.worker().drain()
    with platform.db.session() as session:
        episode = session.scalars(select(Episode).where(Episode.series_id == series["id"])).one()
        job = session.scalars(select(Job).where(Job.kind == TRANSCODE_JOB)).one()
    assert episode.status == "processing"
    assert job.status != "done" and "not in this node's storage" in (job.last_error or ""), (job.status, job.last_error)


def test_a_new_upload_refused_leaves_the_episode_as_it_was(client, studio, clips, platform, tmp_path):
    """A producer's new file for a published episode that fails its transcode left the episode
    failed: gone from the series and from playback, for the people who had paid for it too (a
    probe). The episode keeps its media, ready, and says why the new file was refused."""
    series = client.post("/openapi/v1/series", json={"title": "Kept"}, headers=studio.headers).json()
    upload(client, studio, series["id"], 1, clips["episode"])
    platform.worker().drain()
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"not really a video" * 500)
    assert upload(client, studio, series["id"], 1, corrupt).status_code == 202
    platform.worker().drain()
    [episode] = client.get(f"/openapi/v1/series/{series['id']}", headers=studio.headers).json()["episodes"]
    assert (episode["status"], episode["duration_ms"]) == ("ready", 3000)
    assert episode["error"].startswith("CORRUPT_MEDIA")
    assert len(list((platform.settings.data_dir / "media" / "drama").glob("ep_*"))) == 1


def test_uploads_of_the_wrong_type_or_for_a_game_app_are_refused(client, studio, clips):
    series = client.post("/openapi/v1/series", json={"title": "Types"}, headers=studio.headers).json()
    response = client.put(
        f"/openapi/v1/series/{series['id']}/episodes/1",
        content=b"x",
        headers={**studio.headers, "Content-Type": "image/png"},
    )
    assert response.status_code == 422 and response.json()["field"] == "content-type"


def test_a_job_cut_off_mid_transcode_runs_again_after_a_restart(client, studio, clips, platform):
    from datetime import timedelta

    from openminis.db import utcnow
    from openminis.jobs import service as jobs
    from openminis.unit_of_work import unit_of_work

    series = client.post("/openapi/v1/series", json={"title": "Restart"}, headers=studio.headers).json()
    upload(client, studio, series["id"], 1, clips["episode"])
    with unit_of_work(platform.db) as session:
        assert jobs.claim(session, utcnow()) is not None  # a worker took it, then the process died
    platform.worker().drain()
    assert (
        client.get(f"/openapi/v1/series/{series['id']}", headers=studio.headers).json()["episodes"][0]["status"]
        == "processing"
    )
    later = utcnow() + timedelta(minutes=3)
    platform.worker(clock=lambda: later).drain()
    assert (
        client.get(f"/openapi/v1/series/{series['id']}", headers=studio.headers).json()["episodes"][0]["status"]
        == "ready"
    )
