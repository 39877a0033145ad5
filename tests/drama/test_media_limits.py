"""What bounds the media pipeline's work: an episode is as long as its frames' timestamps say,
never longer than the limit whatever its header claims, and its frames are no larger than
portrait 4K. Found by a probe: a 268 KB clip at 1000 frames a second came out 416 s long (over the
300 s limit) after 333 s of transcoding, and two 8000x16000 MJPEG frames took the server from
0.43 to 2.49 GB."""

from __future__ import annotations

import struct
import subprocess
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from openminis.drama import media
from openminis.drama.synth import make_clip
from tests.drama.conftest import upload


def ffmpeg(*arguments: str | Path) -> None:
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *map(str, arguments)], check=True)


def thousand_fps_clip(path: Path, seconds: float) -> Path:
    """A tiny 16x32 clip at 1000 frames a second with a tone, as the probe made it."""
    ffmpeg(
        *("-f", "lavfi", "-i", "testsrc=s=16x32:r=1000", "-f", "lavfi", "-i", "sine", "-t", seconds),
        *("-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest", path),
    )
    return path


def huge_frames_clip(path: Path, width: int, height: int) -> Path:
    """Two MJPEG frames of ``width``x``height`` with a tone: small on disk, huge once decoded."""
    ffmpeg(
        *("-f", "lavfi", "-i", f"color=c=red:s={width}x{height}:r=24", "-f", "lavfi", "-i", "sine"),
        *("-frames:v", 2, "-t", 0.1, "-c:v", "mjpeg", "-c:a", "aac", path),
    )
    return path


def understated(clip: Path, path: Path, seconds: int) -> Path:
    """``clip`` with its tracks' headers (``mdhd``) claiming ``seconds``: every frame is still there."""
    data = bytearray(clip.read_bytes())
    at = data.find(b"mdhd")
    while at >= 0:
        # version 0 mdhd: type, version and flags, creation, modification, timescale, duration
        scale = struct.unpack(">I", data[at + 16 : at + 20])[0]
        data[at + 20 : at + 24] = struct.pack(">I", scale * seconds)
        at = data.find(b"mdhd", at + 4)
    path.write_bytes(data)
    with av.open(str(path)) as container:
        assert container.duration == seconds * 1_000_000  # FFmpeg believes it
    return path


def growing_frames_clip(path: Path) -> Path:
    """A second of 360x640 MJPEG, as its header says, then two frames of 4000x8000."""
    encoders = {}
    for size in ((360, 640), (4000, 8000)):
        encoder = av.CodecContext.create("mjpeg", "w")
        encoder.width, encoder.height, encoder.pix_fmt, encoder.time_base = *size, "yuvj420p", Fraction(1, 24)
        encoders[size] = encoder
    with av.open(str(path), "w") as container:
        video = container.add_stream("mjpeg", rate=24)
        video.width, video.height, video.pix_fmt = 360, 640, "yuvj420p"
        audio = container.add_stream("aac", rate=44_100)  # every stream before the first packet
        for index in range(26):
            size = (360, 640) if index < 24 else (4000, 8000)
            frame = av.VideoFrame(*size, "yuvj420p")
            for plane in frame.planes:
                plane.update(bytes(plane.buffer_size))
            frame.pts, frame.time_base = index, Fraction(1, 24)
            for packet in encoders[size].encode(frame):
                packet.stream = video
                container.mux(packet)
        tone = (0.2 * np.sin(2 * np.pi * 440 * np.arange(2 * 44_100) / 44_100)).astype(np.float32)
        for start in range(0, len(tone), 1024):
            chunk = av.AudioFrame.from_ndarray(tone[None, start : start + 1024], format="fltp", layout="mono")
            chunk.sample_rate = 44_100
            for packet in audio.encode(chunk):
                container.mux(packet)
        for packet in audio.encode():
            container.mux(packet)
    return path


def outcome(client, studio, platform, clip: Path) -> dict:
    series = client.post("/openapi/v1/series", json={"title": "Limits"}, headers=studio.headers).json()
    assert upload(client, studio, series["id"], 1, clip).status_code == 202
    platform.worker().drain()
    [episode] = client.get(f"/openapi/v1/series/{series['id']}", headers=studio.headers).json()["episodes"]
    return episode


def published(platform) -> list[Path]:
    return list((platform.settings.data_dir / "media" / "drama").glob("ep_*"))


def video_frames(platform) -> int:
    [folder] = published(platform)
    with av.open(str(folder / "720p.mp4")) as container:
        return sum(1 for packet in container.demux(video=0) if packet.size)


def test_a_clip_at_1000_frames_a_second_becomes_an_episode_of_its_real_length_at_24_frames_a_second(
    client, studio, platform, tmp_path
):
    """The probe's clip became 416 s of 24 fps video from 10 s of 1000 fps: every frame got the next tick."""
    platform.settings.max_episode_seconds = 30  # the 2000 frames stretched would last 83 s
    episode = outcome(client, studio, platform, thousand_fps_clip(tmp_path / "fast.mp4", seconds=2))
    assert (episode["status"], episode["duration_ms"], episode["error"]) == ("ready", 2000, None)
    assert video_frames(platform) == 48  # frames on a tick already taken are dropped, not encoded


def test_a_60_fps_phone_clip_keeps_its_real_length(client, studio, platform, tmp_path):
    clip = make_clip(tmp_path / "phone.mp4", seconds=2, lines=["60 fps"], width=360, height=640, fps=60)
    episode = outcome(client, studio, platform, clip)
    assert (episode["status"], episode["duration_ms"]) == ("ready", 2000)
    assert video_frames(platform) == 48


def test_a_clip_whose_header_understates_its_length_is_refused_once_the_transcode_passes_the_limit(
    client, studio, platform, tmp_path
):
    platform.settings.max_episode_seconds = 2.5
    three_seconds = make_clip(tmp_path / "three.mp4", seconds=3, lines=["Three"], width=360, height=640)
    episode = outcome(client, studio, platform, understated(three_seconds, tmp_path / "lying.mp4", seconds=1))
    assert (episode["status"], episode["error"].split(":")[0]) == ("failed", "TOO_LONG")
    assert not published(platform)


@pytest.mark.parametrize("suffix", ["mp4", "mkv"])  # an MP4 counts its frames in its header, a Matroska file does not
def test_more_than_240_frames_a_second_over_the_length_limit_is_refused(client, studio, platform, tmp_path, suffix):
    """Decoding is work too, for frames dropped as for frames kept: at most 240 a second of the limit
    (the fastest a phone films, in slow motion) are decoded."""
    platform.settings.max_episode_seconds = 1
    half_second = thousand_fps_clip(tmp_path / "fast.mp4", seconds=0.5)  # 500 frames
    clip = tmp_path / f"fast.{suffix}"
    if suffix != "mp4":
        ffmpeg("-i", half_second, "-c", "copy", clip)
    episode = outcome(client, studio, platform, clip)
    assert (episode["status"], episode["error"].split(":")[0]) == ("failed", "TOO_LONG")
    assert "240 a second" in episode["error"]
    assert not published(platform)


def test_frames_larger_than_portrait_4k_are_refused_before_any_is_decoded(client, studio, platform, tmp_path):
    episode = outcome(client, studio, platform, huge_frames_clip(tmp_path / "big.mkv", 8000, 16000))
    assert (episode["status"], episode["error"]) == (
        "failed",
        "FRAME_TOO_LARGE: the frame is 8000x16000; the largest is 4096 px on its longer side and"
        " 9437184 pixels (portrait 4K, 2160x3840, fits)",
    )
    assert not published(platform)


def test_a_frame_larger_than_its_header_said_is_refused_instead_of_decoded(client, studio, platform, tmp_path):
    """The header, all ``probe`` reads, says 360x640; the pipeline decoded the two 4000x8000 frames
    after it (670 MB for one small file) and published the episode."""
    episode = outcome(client, studio, platform, growing_frames_clip(tmp_path / "growing.mkv"))
    assert (episode["status"], episode["error"].split(":")[0]) == ("failed", "CORRUPT_MEDIA")
    assert not published(platform)


def test_portrait_4k_passes_the_size_check_and_a_longer_side_or_more_pixels_do_not(tmp_path):
    for width, height in ((2160, 3840), (2304, 4096)):
        facts = media.probe(huge_frames_clip(tmp_path / f"{height}.mkv", width, height), max_seconds=300)
        assert (facts.width, facts.height) == (width, height)
    for width, height in ((2000, 4112), (2400, 4096)):  # a side too long; too many pixels
        with pytest.raises(media.MediaRejected) as refused:
            media.probe(huge_frames_clip(tmp_path / f"{width}.mkv", width, height), max_seconds=300)
        assert refused.value.code == "FRAME_TOO_LARGE"


def test_sound_that_runs_past_the_picture_is_refused(client, studio, platform, tmp_path):
    """The attack on the limits above: 5 s of picture with 20 s of sound was published as a 5 s
    episode whose MP4 held 20 s of sound and whose HLS segment held 16 s where its playlist said 1."""
    clip = tmp_path / "long-sound.mp4"
    ffmpeg(
        *("-f", "lavfi", "-i", "testsrc=s=360x640:r=24:d=2", "-f", "lavfi", "-i", "sine=d=6"),
        *("-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", clip),
    )
    episode = outcome(client, studio, platform, clip)
    assert (episode["status"], episode["error"].split(":")[0]) == ("failed", "SOUND_PAST_PICTURE")
    assert "the sound runs 6.0 s and the picture 2.0 s" in episode["error"]
    assert not published(platform)
