"""A post goes through the episodes' media pipeline, and so under its bounds (tests/drama/
test_media_limits.py): found by a probe, a 1000 fps clip came out a post over its 180 s limit."""

from __future__ import annotations

from tests.drama.test_media_limits import huge_frames_clip, thousand_fps_clip


def test_a_post_at_1000_frames_a_second_is_published_at_its_real_length(platform, creator, tmp_path):
    clip = thousand_fps_clip(tmp_path / "fast.mp4", seconds=2)  # its 2000 frames stretched lasted 83 s
    posted = creator.post(clip, caption="fast").json()
    platform.worker().drain()
    mine = creator.browser.get(f"/api/posts/{posted['id']}").json()
    assert (mine["status"], mine["duration_ms"], mine["error"]) == ("ready", 2000, None)


def test_a_post_of_frames_larger_than_portrait_4k_fails_with_the_reason(platform, creator, tmp_path):
    posted = creator.post(huge_frames_clip(tmp_path / "big.mkv", 8000, 16000), caption="big").json()
    platform.worker().drain()
    mine = creator.browser.get(f"/api/posts/{posted['id']}").json()
    assert (mine["status"], mine["error"].split(":")[0], mine["video_url"]) == ("failed", "FRAME_TOO_LARGE", None)
