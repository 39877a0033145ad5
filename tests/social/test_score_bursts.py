"""200 score submissions at once against a real ``minis serve``: exactly one row per person, holding
the best score each person got accepted, and the per-person rate limit holds under the burst."""

from __future__ import annotations

import asyncio
from collections import defaultdict

import httpx
import pytest

from bench.burst import UNLIMITED
from bench.load import write_package
from openminis.liveserver import LiveServer, run_apart
from tests.test_bursts import _emptied

pytestmark = pytest.mark.slow  # a real server and a burst of 200 requests

APP_ID = "burst-board"
PEOPLE = 20
EACH = 10  # submissions per person, all at once
PER_MINUTE = 4  # the rate limit per person and board


def guest(server: LiveServer) -> dict:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        csrf = client.get("/api/me").json()["csrf_token"]
        return {"cookies": dict(client.cookies), "csrf": csrf}


async def submit_all(server: LiveServer, people: list[dict]) -> list[tuple[int, int, int]]:
    """Every person's EACH scores, all 200 requests released at once: (person, score, status)."""
    start = asyncio.Event()
    clients = [
        httpx.AsyncClient(
            base_url=server.url,
            cookies=p["cookies"],
            headers={"X-CSRF-Token": p["csrf"]},
            timeout=60,
            limits=httpx.Limits(max_connections=EACH),
        )
        for p in people
    ]

    async def one(who: int, score: int) -> tuple[int, int, int]:
        await start.wait()
        for _ in range(5):
            answer = await clients[who].post(f"/api/apps/{APP_ID}/leaderboards/stars/scores", json={"score": score})
            if answer.status_code != 503:
                break
            # Overloaded (a loaded machine, SQLite's one writer): answered 503 with Retry-After, and
            # a client may send it again then, as this one does. Nothing of it was kept (the count below).
            await asyncio.sleep(float(answer.headers["Retry-After"]))
        return who, score, answer.status_code

    # Scores differ per person and per submission, so "the best accepted" is one number.
    tasks = [asyncio.create_task(one(who, who * 1000 + n * 7 % EACH)) for who in range(PEOPLE) for n in range(EACH)]
    await asyncio.sleep(0.1)
    start.set()
    try:
        return await asyncio.gather(*tasks)
    finally:
        for client in clients:
            await client.aclose()


def test_200_concurrent_submissions_keep_one_best_per_person_within_the_rate_limit(tmp_path, database_url):
    package = write_package(
        tmp_path / "pkg",
        id=APP_ID,
        name="Burst Board",
        category="benchmark",
        leaderboards=[{"id": "stars", "client_scores": True, "max_score": 100_000}],
    )
    data = tmp_path / "data"
    data.mkdir()
    _emptied(database_url)
    env = {**UNLIMITED, "MINIS_DATABASE_URL": database_url, "MINIS_RATE_SCORES_PER_PERSON": f"{PER_MINUTE}/minute"}
    with LiveServer(data, packages=[package], env=env) as server:
        people = [guest(server) for _ in range(PEOPLE)]
        results = run_apart(submit_all(server, people))  # apart from a loop the worker may run
        statuses = sorted({status for _, _, status in results})
        assert statuses == [200, 429], statuses
        accepted: dict[int, list[int]] = defaultdict(list)
        for who, score, status in results:
            if status == 200:
                accepted[who].append(score)
        assert {who: len(scores) for who, scores in accepted.items()} == dict.fromkeys(range(PEOPLE), PER_MINUTE)

        with httpx.Client(base_url=server.url, cookies=people[0]["cookies"], timeout=30) as reader:
            board = reader.get(f"/api/apps/{APP_ID}/leaderboards/stars/entries?limit=100").json()
        assert board["players"] == PEOPLE
        assert sorted(e["score"] for e in board["items"]) == sorted(max(s) for s in accepted.values())
