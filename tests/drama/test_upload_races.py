"""A producer's uploads sent several at once, against a real ``minis serve`` on SQLite and PostgreSQL.

A probe found on PostgreSQL: 20 uploads of one new episode at once answered 500 to some (two rows
for one episode number); ten languages of subtitles uploaded at once all answered 200, and only two
to five of them stayed on the episode; thirty replacements of one language at once left 14 to 16
files in the store that nothing names or deletes. A backend that retries, or uploads a season's
files in parallel, sends exactly that.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import httpx
import pytest

from openminis.drama.synth import make_clip
from openminis.liveserver import run_apart
from tests.browser.drama_studio import DramaStudio
from tests.concurrency import one_connection_each
from tests.test_bursts import serve

pytestmark = pytest.mark.slow  # a real server and requests at once

VTT = b"WEBVTT\n\n00:00.000 --> 00:01.000\nHello\n"


async def at_once(studio: DramaStudio, requests: list[tuple[str, bytes, str]]) -> list[httpx.Response]:
    """PUT each (path, body, content type) at the same moment, each on a connection of its own."""
    limits = one_connection_each(len(requests))
    async with httpx.AsyncClient(base_url=studio.server_url, headers=studio.headers, limits=limits, timeout=60) as api:
        start = asyncio.Event()

        async def put(path: str, body: bytes, content_type: str) -> httpx.Response:
            await start.wait()
            return await api.put(path, content=body, headers={"Content-Type": content_type})

        tasks = [asyncio.create_task(put(*request)) for request in requests]
        await asyncio.sleep(0.2)
        start.set()
        return await asyncio.gather(*tasks)


def episodes(studio: DramaStudio) -> list[dict]:
    series = httpx.get(f"{studio.server_url}/openapi/v1/series/{studio.series_id}", headers=studio.headers, timeout=30)
    return series.json()["episodes"]


def test_uploads_of_one_new_episode_at_once_make_it_once_and_refuse_the_rest(tmp_path: Path, database_url: str):
    clip = make_clip(tmp_path / "one.mp4", seconds=1, lines=["Once"], width=360, height=640).read_bytes()
    with serve(tmp_path, database_url) as server:
        studio = DramaStudio.open(server)
        path = f"/openapi/v1/series/{studio.series_id}/episodes/1"
        answers = run_apart(at_once(studio, [(path, clip, "video/mp4")] * 20))
        codes = Counter((answer.status_code, answer.json().get("code")) for answer in answers)
        assert codes == {(202, None): 1, (409, "EPISODE_PROCESSING"): 19}, codes
        assert [episode["number"] for episode in episodes(studio)] == [1]


def test_subtitles_uploaded_at_once_are_all_kept_and_replacements_leave_one_file(tmp_path: Path, database_url: str):
    clip = make_clip(tmp_path / "one.mp4", seconds=1, lines=["Subtitled"], width=360, height=640).read_bytes()
    with serve(tmp_path, database_url) as server:
        studio = DramaStudio.open(server)
        base = f"/openapi/v1/series/{studio.series_id}/episodes/1"
        assert httpx.put(
            f"{server.url}{base}", content=clip, headers={**studio.headers, "Content-Type": "video/mp4"}, timeout=30
        ).is_success
        languages = ["en", "es", "fr", "de", "it", "pt", "ja", "ko", "zh", "ar"]
        answers = run_apart(at_once(studio, [(f"{base}/subtitles/{tag}", VTT, "text/vtt") for tag in languages]))
        assert [answer.status_code for answer in answers] == [200] * 10
        assert episodes(studio)[0]["subtitles"] == sorted(languages)

        answers = run_apart(at_once(studio, [(f"{base}/subtitles/en", VTT, "text/vtt")] * 30))
        assert [answer.status_code for answer in answers] == [200] * 30
        kept = sorted((server.data_dir / "media" / "drama" / "subtitles").glob("*/en-*.vtt"))
        assert len(kept) == 1, kept  # the one the episode names; each replaced file was deleted
