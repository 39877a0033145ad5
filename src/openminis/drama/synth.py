"""Synthetic episodes, made on this machine: title cards drawn with Pillow over a moving gradient,
and a short melody. The demo's series and the tests' uploads come from here, offline."""

from __future__ import annotations

import math
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFont

RATE = 44_100
# A pentatonic scale: any sequence of these sounds like a tune.
NOTES = [261.63, 293.66, 329.63, 392.00, 440.00, 523.25, 587.33]


def _card(width: int, height: int, hue: int, lines: list[str], font_sizes: tuple[int, int]) -> Image.Image:
    top = tuple(int(60 + 50 * math.sin(hue / 40 + k)) for k in range(3))
    bottom = tuple(int(20 + 30 * math.cos(hue / 30 + k)) for k in range(3))
    gradient = np.linspace(0, 1, height)[:, None, None]
    pixels = (np.array(top) * (1 - gradient) + np.array(bottom) * gradient).astype(np.uint8)
    image = Image.fromarray(np.repeat(pixels, width, axis=1), "RGB")
    draw = ImageDraw.Draw(image)
    title_font = ImageFont.load_default(size=font_sizes[0])
    body_font = ImageFont.load_default(size=font_sizes[1])
    y = height * 0.38
    for index, line in enumerate(lines):
        font = title_font if index == 0 else body_font
        box = draw.textbbox((0, 0), line, font=font)
        draw.text(((width - (box[2] - box[0])) / 2, y), line, font=font, fill=(255, 255, 255))
        y += (box[3] - box[1]) + height * 0.03
    return image


def _melody(seconds: float, seed: int, volume: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    beat = 0.25
    out = np.zeros(int(seconds * RATE), dtype=np.float32)
    for start in np.arange(0, seconds, beat):
        freq = NOTES[rng.integers(len(NOTES))]
        n = int(beat * RATE)
        t = np.arange(n) / RATE
        note = np.sin(2 * np.pi * freq * t) * np.exp(-3 * t) * volume
        begin = int(start * RATE)
        out[begin : begin + n] += note[: len(out) - begin]
    return out


def make_clip(
    path: Path,
    *,
    seconds: float,
    lines: list[str],
    width: int = 540,
    height: int = 960,
    fps: int = 24,
    seed: int = 1,
    silent: bool = False,
) -> Path:
    """Write an H.264/AAC MP4 of ``seconds`` with the given text lines; ``silent`` writes a mute track."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"preset": "ultrafast", "crf": "28"}
        audio = container.add_stream("aac", rate=RATE)
        audio.layout = "mono"
        card = _card(width, height, seed * 37, lines, (max(16, width // 11), max(12, width // 18)))
        for index in range(int(seconds * fps)):
            # The card is drawn once; a moving bar makes every frame differ, so there is motion to code.
            image = card.copy()
            x = int((index / fps * 120) % width)
            ImageDraw.Draw(image).rectangle([x, height * 0.8, x + width // 6, height * 0.8 + 8], fill=(255, 200, 80))
            frame = av.VideoFrame.from_image(image)  # type: ignore[no-untyped-call]  # PyAV's stub gap
            for packet in video.encode(frame):
                container.mux(packet)
        samples = np.zeros(int(seconds * RATE), dtype=np.float32) if silent else _melody(seconds, seed, 0.2)
        for start in range(0, len(samples), 1024):
            chunk = av.AudioFrame.from_ndarray(samples[None, start : start + 1024], format="fltp", layout="mono")
            chunk.sample_rate = RATE
            for packet in audio.encode(chunk):
                container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
        for packet in audio.encode():
            container.mux(packet)
    return path


def make_subtitles(*, seconds: float, lines: list[str]) -> str:
    """A WebVTT file that shows ``lines`` one after another, evenly over ``seconds``."""

    def stamp(at: float) -> str:
        millis = round(at * 1000)
        return f"{millis // 3_600_000:02d}:{millis // 60_000 % 60:02d}:{millis // 1000 % 60:02d}.{millis % 1000:03d}"

    share = seconds / max(1, len(lines))
    cues = [
        f"{index + 1}\n{stamp(index * share)} --> {stamp((index + 1) * share - 0.1)}\n{line}"
        for index, line in enumerate(lines)
    ]
    return "WEBVTT\n\n" + "\n\n".join(cues) + "\n"
