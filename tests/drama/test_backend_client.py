"""A producer's backend runs a series through ``openminis.client`` alone: the client covered logins,
orders and coupons, and a producer wrote every series, episode and pass call by hand (dev54)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from openminis.client import AsyncMinisClient, MinisAPIError
from openminis.drama import media
from tests.drama.conftest import transcode_once

VTT = b"WEBVTT\n\n00:00.500 --> 00:01.800\nWho's there?\n"


def test_a_producer_makes_uploads_publishes_and_sells_a_series_through_the_client(
    client, studio, clips, platform, transcoded, monkeypatch
):
    monkeypatch.setattr(media, "transcode", transcode_once(transcoded))
    backend = studio.app.backend(client)
    made = backend.create_series(title="Client Shift", free_episodes=1, episode_price=10, series_price=40)
    uploaded = backend.upload_episode(made["id"], 1, clips["episode"], title="Pilot")
    assert (uploaded["number"], uploaded["title"], uploaded["status"]) == (1, "Pilot", "processing")
    platform.worker().drain()
    assert backend.put_subtitles(made["id"], 1, "en", VTT)["subtitles"] == ["en"]
    changed = backend.update_series(made["id"], series_price=None, language="pt-BR")
    assert (changed["series_price"], changed["language"]) == (None, "pt-BR")
    assert backend.publish_series(made["id"])["status"] == "published"
    shown = backend.series(made["id"])
    assert [(e["number"], e["status"], e["subtitles"]) for e in shown["episodes"]] == [(1, "ready", ["en"])]
    assert [s["id"] for s in backend.series()["items"]] == [made["id"]]

    weekly = backend.create_pass(title="Week of drama", period_days=7, price=50)
    assert [p["id"] for p in backend.passes()["items"]] == [weekly["id"]]
    assert backend.retire_pass(weekly["id"])["id"] == weekly["id"]
    statement = backend.ledger_statement("2020-01-01T00:00:00Z", "2100-01-01T00:00:00Z")
    assert (statement["currency"], statement["start"][:4]) == ("COIN", "2020"), statement
    # Any other call, with the token the client keeps.
    report = backend.call("GET", "/reports/episodes", params={"series_id": made["id"]})
    assert report["series_id"] == made["id"], report

    with pytest.raises(MinisAPIError) as missing:
        backend.publish_series("ser_nope")
    assert missing.value.status == 404
    with pytest.raises(ValueError, match="mp4"):
        backend.upload_episode(made["id"], 2, clips["episode"].with_suffix(".txt"))
    for outside in ("https://elsewhere.example/x", "//elsewhere.example/x", "series", "/../x", "/%2e%2e/x", "/a/./b"):
        with pytest.raises(ValueError, match="Open API path"):
            backend.call("GET", outside)


def test_the_async_client_makes_the_same_series_calls(client, studio):
    async def scenario() -> tuple[dict, dict]:
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport) as http:
            backend = AsyncMinisClient(
                studio.app.app_id, studio.app.secret, base_url="http://localhost:8000", http=http
            )
            made = await backend.create_series(title="Async Shift")
            changed = await backend.update_series(made["id"], age_rating="16+")
            return changed, await backend.call("GET", f"/series/{made['id']}")

    # On its own thread: the browser tests' Playwright keeps an event loop running on this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        changed, read = pool.submit(asyncio.run, scenario()).result()
    assert changed["age_rating"] == read["age_rating"] == "16+"
