"""Events are checked one by one: bad ones are rejected with a reason, good ones in the batch kept."""

from __future__ import annotations

import time

import pytest

from tests.factories import publish

LAUNCH = "ab" * 16


def now_ms() -> int:
    return int(time.time() * 1000)


@pytest.fixture
def game(platform):
    publish(platform)


def stored(platform) -> list[tuple]:
    return platform.events.query("SELECT type, app_id, user_id, launch_id, load_ms, duration_ms, prewarmed FROM events ORDER BY type")


def test_a_batch_keeps_its_good_events_and_names_why_each_bad_one_failed(client, game, platform):
    user_id = client.get("/api/me").json()["user"]["id"]
    events = [
        {"type": "exposure", "app_id": "test-game", "ts": now_ms(), "source": "feed"},
        {"type": "ready", "app_id": "test-game", "ts": now_ms(), "launch_id": LAUNCH, "load_ms": 180, "prewarmed": True},
        {"type": "ready", "app_id": "test-game", "ts": now_ms(), "launch_id": LAUNCH},
        {"type": "teleport", "app_id": "test-game", "ts": now_ms()},
        {"type": "click", "app_id": "no-such-app", "ts": now_ms()},
        {"type": "click", "app_id": "test-game", "ts": now_ms() + 3_600_000},
        {"type": "session_end", "app_id": "test-game", "ts": now_ms(), "launch_id": LAUNCH, "duration_ms": -5},
        {"type": "launch", "app_id": "test-game", "ts": now_ms()},
        "not an object",
        {"type": "click", "app_id": "test-game", "ts": now_ms(), "source": "radio"},
        {"type": "click", "app_id": "test-game", "ts": now_ms(), "extra": 1},
    ]
    body = client.post("/api/events", json={"events": events}).json()
    assert body["accepted"] == 2
    reasons = {item["index"]: item["reason"] for item in body["rejected"]}
    assert sorted(reasons) == [2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert "load_ms" in reasons[2]
    assert reasons[3].startswith("type")
    assert "no app" in reasons[4]
    assert "future" in reasons[5]
    assert reasons[6].startswith("duration_ms")
    assert "launch_id" in reasons[7]
    assert reasons[9].startswith("source")
    assert reasons[10].startswith("extra")
    assert stored(platform) == [
        ("exposure", "test-game", user_id, None, None, None, None),
        ("ready", "test-game", user_id, LAUNCH, 180, None, True),
    ]


def test_a_batch_over_the_limit_is_refused_whole(client, game, platform):
    events = [{"type": "click", "app_id": "test-game", "ts": now_ms()}] * (platform.settings.events_batch_max + 1)
    response = client.post("/api/events", json={"events": events})
    assert response.status_code == 422
    assert stored(platform) == []


def test_events_from_another_origin_are_refused(client, game, platform):
    response = client.post(
        "/api/events",
        json={"events": [{"type": "click", "app_id": "test-game", "ts": now_ms()}]},
        headers={"Origin": "http://test-game.apps.localhost:8000"},
    )
    assert response.status_code == 403
    assert stored(platform) == []


def test_events_without_a_session_are_kept_without_a_user(client, game, platform):
    client.post("/api/events", json={"events": [{"type": "click", "app_id": "test-game", "ts": now_ms()}]})
    assert stored(platform)[0][2] is None
