"""The episode media pipeline: check an upload, then transcode it into what the player streams.

Each episode becomes two vertical H.264/AAC MP4 renditions (720x1280 and 480x854) with the index
at the front (``+faststart``, so playback starts before the download ends), an HLS rendition of
each with a master playlist, a poster, thumbnails every ten seconds, and the scrubber's preview:
one JPEG sprite of small frames at a fixed interval (``preview.jpg``, laid out as ``Preview`` says),
so dragging the scrubber shows where it lands with one download and no seeking. Built on PyAV, whose
wheels carry FFmpeg with libx264: no system FFmpeg is needed.

What is refused, before anything is published, with an error naming the problem: files FFmpeg
cannot read (corrupt, not a video), no video stream, a landscape or square frame, a frame larger
than portrait 4K, a clip over the length limit (by its header, then by what is decoded, whatever
the header claimed), more frames than 240 a second over that limit, and no sound or only silence
(a drama episode without audio is an upload mistake).
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

from openminis import scratch
from openminis.errors import InvalidArgument
from openminis.storage import ObjectStore

RENDITIONS = {"720p": (720, 1280, "2200k"), "480p": (480, 854, "1000k")}
AUDIO_RATE = 44_100
FPS = 24
THUMBNAIL_EVERY_S = 10
PREVIEW_TILE = (90, 160)
PREVIEW_COLUMNS = 10
PREVIEW_MAX_TILES = 100  # a 10-minute episode gets a frame every 6 s; a short one every second
# Vertical only: 9:16 is 0.5625; accept 9:19.5 phones down to 0.45 and 3:5 up to 0.6.
ASPECT_RANGE = (0.45, 0.6)
SILENCE_RMS = 1e-3  # below about -60 dBFS over the whole clip is silence
# The largest frame decoded: every frame is decoded full size (and the poster's, thumbnails' and
# preview's into RGB images), so a small file of huge frames would take gigabytes. Portrait 4K
# (2160x3840) fits; so does 9:16 at 4096 px tall, the longest side taken.
MAX_FRAME_SIDE = 4096
MAX_FRAME_PIXELS = 2304 * 4096
# The most frames decoded per second of the length limit: the fastest a phone films (slow motion).
# Frames above the output's 24 a second are dropped, but each is decoded first.
MAX_SOURCE_FPS = 240
# How much longer the sound may run than the picture: an encoder's padding, not a second clip. The
# episode's length is its picture's; sound past it would play over a frozen last frame in the MP4
# and give the HLS playlist a segment longer than it says.
SOUND_PAST_PICTURE_S = 1.0


class MediaRejected(InvalidArgument):
    code = "MEDIA_REJECTED"


@dataclass(frozen=True)
class Probe:
    duration_s: float
    width: int
    height: int
    has_audio: bool


def probe(path: Path, *, max_seconds: float) -> Probe:
    """Read the container's facts and refuse what cannot become an episode."""
    try:
        with av.open(str(path)) as container:
            video = next(iter(container.streams.video), None)
            audio = next(iter(container.streams.audio), None)
            if video is None:
                raise MediaRejected("the file has no video stream", code="NO_VIDEO")
            duration = _duration(container, video)
            width, height = video.codec_context.width, video.codec_context.height
            frames = video.frames  # 0 when the container does not count them (Matroska)
    except av.error.FFmpegError as exc:
        raise MediaRejected(
            f"the file cannot be read as a video ({exc.strerror or type(exc).__name__})", code="CORRUPT_MEDIA"
        ) from None
    if not width or not height:
        raise MediaRejected("the video has no frame size", code="CORRUPT_MEDIA")
    if max(width, height) > MAX_FRAME_SIDE or width * height > MAX_FRAME_PIXELS:
        raise MediaRejected(
            f"the frame is {width}x{height}; the largest is {MAX_FRAME_SIDE} px on its longer side and"
            f" {MAX_FRAME_PIXELS} pixels (portrait 4K, 2160x3840, fits)",
            code="FRAME_TOO_LARGE",
        )
    if not ASPECT_RANGE[0] <= width / height <= ASPECT_RANGE[1]:
        raise MediaRejected(f"episodes are vertical (about 9:16); this one is {width}x{height}", code="WRONG_SHAPE")
    if duration <= 0:
        raise MediaRejected("the video has no duration", code="CORRUPT_MEDIA")
    if duration > max_seconds:
        raise MediaRejected(f"the episode is {duration:.0f} s long; the limit is {max_seconds:.0f} s", code="TOO_LONG")
    if frames > _max_frames(max_seconds):
        raise _too_many_frames(max_seconds)
    if audio is None:
        raise MediaRejected("the episode has no sound track", code="SILENT")
    return Probe(duration_s=duration, width=width, height=height, has_audio=True)


def _duration(container: av.container.InputContainer, video: av.VideoStream) -> float:
    if container.duration:
        return container.duration / 1_000_000
    if video.duration and video.time_base:
        return float(video.duration * video.time_base)
    return 0.0


def _max_frames(max_seconds: float) -> int:
    return math.ceil(max_seconds * MAX_SOURCE_FPS)


def _too_many_frames(max_seconds: float) -> MediaRejected:
    return MediaRejected(
        f"the video has more than {_max_frames(max_seconds)} frames ({MAX_SOURCE_FPS} a second over the"
        f" {max_seconds:.0f} s limit)",
        code="TOO_LONG",
    )


class _Clock:
    """The output's 24 ticks a second, on which each decoded frame is placed by its own timestamp.

    Each frame takes the tick of its moment in the source (counted from the first frame's); one
    whose tick is already taken is dropped. So a 60 fps phone clip keeps its real length, and a
    1000 fps file costs the encoders what a 24 fps one does (each frame used to take the next tick,
    stretching 10 s of 1000 fps into 416 s of video). Refusing high frame rates instead would refuse
    real slow-motion clips, and would trust a header's rate. What bounds the work whatever the
    headers say is checked here as frames come: the output's length against the limit, and the
    frames decoded against ``MAX_SOURCE_FPS`` a second of it."""

    def __init__(self, max_seconds: float) -> None:
        self.max_seconds = max_seconds
        self.decoded = 0
        self.last = -1  # the last tick taken
        self.origin: Fraction | None = None

    def place(self, frame: av.VideoFrame) -> int | None:
        """The tick ``frame`` shows at, or None when it is to be dropped. Raises MediaRejected."""
        self.decoded += 1
        if self.decoded > _max_frames(self.max_seconds):
            raise _too_many_frames(self.max_seconds)
        if frame.pts is None or frame.time_base is None:
            tick = self.last + 1  # no timestamp: the next tick, as a constant-rate stream would have
        else:
            moment = frame.pts * frame.time_base
            if self.origin is None:
                self.origin = moment
            tick = math.floor((moment - self.origin) * FPS)
        if tick <= self.last:
            return None
        self.last = tick
        if self.ticks / FPS > self.max_seconds:
            raise MediaRejected(f"the episode runs past the {self.max_seconds:.0f} s limit", code="TOO_LONG")
        return tick

    @property
    def ticks(self) -> int:
        """The output's length so far, in ticks: up to the end of the last one taken."""
        return self.last + 1


@dataclass(frozen=True)
class Preview:
    """The sprite's layout: tile ``k`` (row ``k // columns``, column ``k % columns``) shows the
    frame at ``k * every_ms``."""

    every_ms: int
    count: int
    columns: int
    width: int
    height: int


@dataclass(frozen=True)
class Output:
    duration_ms: int
    files: list[str]
    preview: Preview | None = None


def _preview_sprite(tiles: list[Image.Image], every_s: int, path: Path) -> Preview:
    width, height = PREVIEW_TILE
    rows = math.ceil(len(tiles) / PREVIEW_COLUMNS)
    sprite = Image.new("RGB", (width * min(len(tiles), PREVIEW_COLUMNS), height * rows))
    for index, tile in enumerate(tiles):
        sprite.paste(tile, ((index % PREVIEW_COLUMNS) * width, (index // PREVIEW_COLUMNS) * height))
    sprite.save(path, quality=70)
    return Preview(every_ms=every_s * 1000, count=len(tiles), columns=PREVIEW_COLUMNS, width=width, height=height)


class _Rendition:
    """One MP4 being written: a video and an audio encoder into one container."""

    def __init__(self, path: Path, width: int, height: int, bitrate: str, preset: str) -> None:
        self.container = av.open(str(path), "w", options={"movflags": "+faststart"})
        self.video = self.container.add_stream("libx264", rate=FPS)
        self.video.width, self.video.height, self.video.pix_fmt = width, height, "yuv420p"
        self.video.options = {
            "preset": preset,
            "maxrate": bitrate,
            "bufsize": bitrate,
            "crf": "25",
            "g": str(FPS * 2),
            "sc_threshold": "0",
        }
        self.audio = self.container.add_stream("aac", rate=AUDIO_RATE)
        self.audio.layout = "stereo"
        self.size = (width, height)

    def encode_video(self, frame: av.VideoFrame) -> None:
        scaled = frame.reformat(width=self.size[0], height=self.size[1], format="yuv420p")
        for packet in self.video.encode(scaled):
            self.container.mux(packet)

    def encode_audio(self, frame: av.AudioFrame) -> None:
        for packet in self.audio.encode(frame):
            self.container.mux(packet)

    def close(self) -> None:
        for packet in self.video.encode():
            self.container.mux(packet)
        for packet in self.audio.encode():
            self.container.mux(packet)
        self.container.close()


def transcode(
    source: Path,
    out_dir: Path,
    *,
    max_seconds: float,
    preset: str = "veryfast",
    progress: Callable[[int], None] = lambda pct: None,
) -> Output:
    """Transcode ``source`` into ``out_dir`` (written to a temporary folder, then renamed: a crash
    leaves no half episode). Raises MediaRejected for what ``probe`` refuses and for silence."""
    facts = probe(source, max_seconds=max_seconds)
    work = out_dir.with_name(out_dir.name + ".part")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        renditions = {
            name: _Rendition(work / f"{name}.mp4", w, h, rate, preset) for name, (w, h, rate) in RENDITIONS.items()
        }
        resampler = av.AudioResampler(format="fltp", layout="stereo", rate=AUDIO_RATE)
        energy, samples = 0.0, 0
        next_thumbnail, thumbnails, poster_done = 0.0, 0, False
        preview_every = max(1, math.ceil(facts.duration_s / PREVIEW_MAX_TILES))
        preview_tiles: list[Image.Image] = []
        last_pct = -1
        clock = _Clock(max_seconds)
        audio_samples = 0
        with av.open(str(source)) as container:
            streams = [s for s in (container.streams.video[0], container.streams.audio[0])]
            # The decoder refuses (an FFmpeg error) a frame over the size limit before allocating it:
            # a stream can grow past the size its header gave ``probe``.
            streams[0].codec_context.options = {"max_pixels": str(MAX_FRAME_PIXELS)}
            for frame in container.decode(*streams):
                if isinstance(frame, av.VideoFrame):
                    tick = clock.place(frame)
                    if tick is None:
                        continue
                    frame.pts, frame.time_base = tick, Fraction(1, FPS)
                    seconds = tick / FPS
                    for rendition in renditions.values():
                        rendition.encode_video(frame)
                    if not poster_done and seconds >= min(1.0, facts.duration_s / 2):
                        # PyAV's stub leaves to_image untyped (it returns a PIL image).
                        image = frame.to_image()  # type: ignore[no-untyped-call]
                        image.resize((720, 1280)).save(work / "poster.jpg", quality=85)
                        poster_done = True
                    if seconds >= next_thumbnail:
                        image = frame.to_image()  # type: ignore[no-untyped-call]  # as for the poster
                        image.resize((180, 320)).save(work / f"thumb-{thumbnails:03d}.jpg", quality=75)
                        thumbnails += 1
                        next_thumbnail += THUMBNAIL_EVERY_S
                    if seconds >= len(preview_tiles) * preview_every:
                        image = frame.to_image()  # type: ignore[no-untyped-call]  # as for the poster
                        preview_tiles.append(image.resize(PREVIEW_TILE))
                    pct = min(99, int(100 * seconds / facts.duration_s))
                    if pct >= last_pct + 5:
                        progress(pct)
                        last_pct = pct
                elif isinstance(frame, av.AudioFrame):  # always, as only video and audio are decoded
                    frame.pts = None
                    for converted in resampler.resample(frame):
                        audio_samples += converted.samples
                        if audio_samples / AUDIO_RATE > max_seconds:
                            raise MediaRejected(f"the sound runs past the {max_seconds:.0f} s limit", code="TOO_LONG")
                        data = converted.to_ndarray()
                        energy += float(np.square(data, dtype=np.float64).sum())
                        samples += data.size
                        for rendition in renditions.values():
                            rendition.encode_audio(converted)
        for rendition in renditions.values():
            rendition.close()
        if clock.last < 0:
            raise MediaRejected("the video has no frames that can be decoded", code="CORRUPT_MEDIA")
        sound_s, picture_s = audio_samples / AUDIO_RATE, clock.ticks / FPS
        if sound_s > picture_s + SOUND_PAST_PICTURE_S:
            raise MediaRejected(
                f"the sound runs {sound_s:.1f} s and the picture {picture_s:.1f} s; they end together",
                code="SOUND_PAST_PICTURE",
            )
        if samples == 0 or math.sqrt(energy / samples) < SILENCE_RMS:
            raise MediaRejected("the episode's sound track is silent", code="SILENT")
        if not poster_done:
            raise MediaRejected("the video is too short for a poster frame", code="CORRUPT_MEDIA")
        preview = _preview_sprite(preview_tiles, preview_every, work / "preview.jpg")
        for name in RENDITIONS:
            _hls(work / f"{name}.mp4", work / name)
        _master_playlist(work)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        work.rename(out_dir)
    except av.error.FFmpegError as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise MediaRejected(
            f"the file could not be decoded to the end ({exc.strerror or type(exc).__name__})", code="CORRUPT_MEDIA"
        ) from None
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    progress(100)
    return Output(
        duration_ms=int(clock.ticks * 1000 / FPS),
        files=sorted(p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*") if p.is_file()),
        preview=preview,
    )


def transcode_stored(
    store: ObjectStore,
    upload: str,
    folder: str,
    work_root: Path,
    *,
    max_seconds: float,
    preset: str,
    progress: Callable[[int], None],
) -> Output | None:
    """Transcode the stored object ``upload`` into the store's ``folder``; None when the upload is
    gone (another attempt of the job finished it). The transcoder reads and writes local files:
    the upload is downloaded when the store is remote, the outputs made in a scratch folder under
    ``work_root`` and stored as one folder, the scratch removed. Raises MediaRejected."""
    with store.fetched(upload) as source:
        if source is None:
            return None
        with scratch.folder(work_root, "transcode-") as work:
            made = work / "media"
            output = transcode(source, made, max_seconds=max_seconds, preset=preset, progress=progress)
            store.put_folder(folder, made)
    return output


def _hls(mp4: Path, folder: Path) -> None:
    """Cut an MP4 into 4-second HLS segments without re-encoding (keyframes every 2 s)."""
    folder.mkdir()
    with av.open(str(mp4)) as source:
        target = av.open(
            str(folder / "index.m3u8"),
            "w",
            format="hls",
            options={"hls_time": "4", "hls_playlist_type": "vod", "hls_segment_filename": str(folder / "seg-%03d.ts")},
        )
        mapping = {stream.index: target.add_stream_from_template(stream) for stream in source.streams}
        for packet in source.demux():
            if packet.dts is None:
                continue
            packet.stream = mapping[packet.stream.index]
            target.mux(packet)
        target.close()


def _master_playlist(work: Path) -> None:
    lines = ["#EXTM3U", "#EXT-X-VERSION:3"]
    for name, (width, height, rate) in RENDITIONS.items():
        bandwidth = int(rate.rstrip("k")) * 1000 + 128_000
        lines += [
            f'#EXT-X-STREAM-INF:BANDWIDTH={bandwidth},RESOLUTION={width}x{height},CODECS="avc1.640028,mp4a.40.2"',
            f"{name}/index.m3u8",
        ]
    (work / "master.m3u8").write_text("\n".join(lines) + "\n")
