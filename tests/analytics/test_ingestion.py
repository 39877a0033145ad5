"""Events are checked one by one: bad ones are rejected with a reason, good ones in the batch kept."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from openminis.analytics import funnel
from tests.factories import publish
from tests.studio import browser, csrf_of

LAUNCH = "ab" * 16


def now_ms() -> int:
    return int(time.time() * 1000)


@pytest.fixture
def game(platform):
    publish(platform)


HOST = {"Origin": "http://localhost:8000"}  # what a browser on the host page sends


def launched(client, launch_id: str = LAUNCH, app_id: str = "test-game") -> str:
    """The launch recorded as the host records it when a person opens the app."""
    body = {"launch_id": launch_id, "app_id": app_id, "source": "feed"}
    answer = client.post("/api/launches", json=body, headers=csrf_of(client))
    assert answer.status_code == 200, answer.text
    return launch_id


def stored(platform) -> list[tuple]:
    return platform.events.query(
        "SELECT type, app_id, user_id, launch_id, load_ms, duration_ms, prewarmed FROM events ORDER BY type"
    )


def test_a_batch_keeps_its_good_events_and_names_why_each_bad_one_failed(client, game, platform):
    user_id = client.get("/api/me").json()["user"]["id"]
    launched(client)
    events = [
        {"type": "exposure", "app_id": "test-game", "ts": now_ms(), "source": "feed"},
        {
            "type": "ready",
            "app_id": "test-game",
            "ts": now_ms(),
            "launch_id": LAUNCH,
            "load_ms": 180,
            "prewarmed": True,
        },
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
    body = client.post("/api/events", json={"events": events}, headers=HOST).json()
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


def test_a_resume_names_the_launch_it_continues(client, game, platform):
    user_id = client.get("/api/me").json()["user"]["id"]
    launched(client)
    resume = {"type": "resume", "app_id": "test-game", "ts": now_ms(), "source": "hub"}
    body = client.post("/api/events", json={"events": [resume, {**resume, "launch_id": LAUNCH}]}, headers=HOST).json()
    assert body["accepted"] == 1
    assert [(item["index"], "launch_id" in item["reason"]) for item in body["rejected"]] == [(0, True)]
    assert [row[:4] for row in stored(platform)] == [("resume", "test-game", user_id, LAUNCH)]


def test_a_batch_over_the_limit_is_refused_whole(client, game, platform):
    client.get("/api/me")
    events = [{"type": "click", "app_id": "test-game", "ts": now_ms()}] * (platform.settings.events_batch_max + 1)
    response = client.post("/api/events", json={"events": events}, headers=HOST)
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


def test_events_without_a_session_are_refused(client, game, platform):
    response = client.post(
        "/api/events", json={"events": [{"type": "click", "app_id": "test-game", "ts": now_ms()}]}, headers=HOST
    )
    assert (response.status_code, response.json()["code"]) == (401, "SESSION_REQUIRED")
    assert stored(platform) == []


def test_events_without_an_origin_are_refused_even_with_a_session(client, game, platform):
    client.get("/api/me")
    response = client.post("/api/events", json={"events": [{"type": "click", "app_id": "test-game", "ts": now_ms()}]})
    assert (response.status_code, response.json()["code"]) == (403, "BAD_ORIGIN")
    assert stored(platform) == []


def test_a_persons_event_batches_are_rate_limited_with_retry_after(client, game, platform):
    platform.settings.rate_event_batches_per_person = "3/minute"
    client.get("/api/me")
    answers = [
        client.post(
            "/api/events", json={"events": [{"type": "click", "app_id": "test-game", "ts": now_ms()}]}, headers=HOST
        )
        for _ in range(5)
    ]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429, 429]
    assert answers[3].json()["code"] == "RATE_LIMITED"
    assert 1 <= int(answers[3].headers["Retry-After"]) <= 20
    assert len(stored(platform)) == 3


def test_an_apps_events_beyond_its_rate_are_rejected_and_other_apps_events_kept(client, platform):
    publish(platform)
    publish(platform, id="other-game", name="Other Game")
    platform.settings.rate_events_per_app = "4/minute"
    client.get("/api/me")
    game, other = (
        {"type": "exposure", "app_id": app_id, "ts": now_ms(), "source": "feed"}
        for app_id in ("test-game", "other-game")
    )
    first = client.post("/api/events", json={"events": [game, game, game, other]}, headers=HOST).json()
    assert first["accepted"] == 4 and first["rejected"] == []
    # test-game has 1 of its 4 left, other-game 3: test-game's two are rejected, other-game's kept.
    second = client.post("/api/events", json={"events": [game, other, game, other]}, headers=HOST).json()
    assert second["accepted"] == 2
    assert second["rejected"] == [
        {"index": i, "reason": "app_id: too many events for this app; retry later"} for i in (0, 2)
    ]
    assert sorted(row[1] for row in stored(platform)) == ["other-game"] * 3 + ["test-game"] * 3


def test_launch_events_are_kept_only_for_launches_the_platform_recorded_at_their_recorded_time(client, game, platform):
    """A probe's ten scripted guests, who never opened an app, each reported launches of it under one
    made-up launch id, dated 6 and 5 days back and now: the activity report showed ten new people
    of six days ago, all back the next day, and the console 700 % of launches per click."""
    user_id = client.get("/api/me").json()["user"]["id"]
    day = 86_400_000
    made_up = "cd" * 16
    forged = [
        {"type": "launch", "app_id": "test-game", "ts": now_ms() - back, "launch_id": made_up, "source": "feed"}
        for back in (6 * day, 5 * day, 0)
    ]
    body = client.post("/api/events", json={"events": forged}, headers=HOST).json()
    assert body["accepted"] == 0
    assert {item["reason"] for item in body["rejected"]} == {"launch_id: no launch of this app by this person"}

    # A launch the platform recorded, reported as dated six days back: kept at its recorded time.
    launched(client)
    before = datetime.now(UTC)
    real = {"type": "launch", "app_id": "test-game", "ts": now_ms() - 6 * day, "launch_id": LAUNCH, "source": "feed"}
    ready = {"type": "ready", "app_id": "test-game", "launch_id": LAUNCH, "load_ms": 90}
    events = [real, {**ready, "ts": now_ms() - 6 * day}, {**ready, "ts": now_ms()}]
    body = client.post("/api/events", json={"events": events}, headers=HOST).json()
    assert body["accepted"] == 2
    assert [(item["index"], item["reason"]) for item in body["rejected"]] == [(1, "ts: before its launch")]
    sql = "SELECT extract(epoch FROM ts) FROM events WHERE type = 'launch' AND user_id = ?"
    ((kept,),) = platform.events.query(sql, [user_id])
    assert abs(float(kept) - before.timestamp()) < 60

    # Another person's launch, or the launch of another app, is not this person's to report.
    other = browser(client)
    other.get("/api/me")
    stranger = other.post("/api/events", json={"events": [real]}, headers=HOST).json()
    assert stranger["accepted"] == 0
    elsewhere = {**real, "app_id": "other-game"}
    publish(platform, id="other-game")
    assert client.post("/api/events", json={"events": [elsewhere]}, headers=HOST).json()["accepted"] == 0


def test_one_recorded_launch_reported_many_times_counts_once_where_it_came_from(client, game, platform):
    """An attack: a script recorded one launch from the feed, then sent 200 launch and 200 ready events
    naming it, under other sources and a made-up creator: the funnel showed 200 launches from one
    person, a search line with a ready rate of 4.0, and 100 launches for "fakecreator"."""
    launched(client)
    lies = [
        {"type": kind, "app_id": "test-game", "ts": now_ms(), "launch_id": LAUNCH, "source": source}
        | ({"load_ms": 50} if kind == "ready" else {})
        | ({"creator_id": "fakecreator"} if n % 2 else {})
        for n, (kind, source) in enumerate([("launch", "search"), ("ready", "search"), ("launch", "post")] * 10)
    ]
    assert client.post("/api/events", json={"events": lies}, headers=HOST).json()["accepted"] == 30
    with platform.db.session() as session:
        by_source = funnel.report(session, platform.events, app_id="test-game", first=None, last=None, by="source")
        by_creator = funnel.report(session, platform.events, app_id="test-game", first=None, last=None, by="creator")
    assert [(line.key, line.launch, line.ready) for line in by_source.lines] == [("feed", 1, 1)]
    assert "fakecreator" not in {line.key for line in by_creator.lines}
