"""Tournaments that anyone can start must not hold up an app's payment notifications: against a
real ``minis serve`` and a developer's backend on loopback that takes its time to answer.

A probe: one guest who never opened Sky Runner made 240 tournaments in 15 s. When they ended, each
sent a signed ``tournament.ended`` through the app's delivery lane (2 calls at a time, oldest
first), and an ``order.paid`` made afterwards reached the backend, answering each call in 0.5 s,
57.3 s after the purchase (0.01 s before the flood)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, update

from bench.burst import APP_ID, PRODUCT, UNLIMITED, funded_person, purchase_body
from bench.load import write_package
from openminis.jobs.models import Job
from openminis.liveserver import LiveServer
from openminis.platform import Platform
from openminis.settings import Settings
from openminis.social import service as social
from tests.payments.test_slow_backends import add_backend
from tests.receiver import Receiver
from tests.test_bursts import _emptied

pytestmark = pytest.mark.slow  # a real server, and a backend that takes its time

TOURNAMENTS = 40
PLAYERS = 4  # each starts TOURNAMENTS / PLAYERS: within the per-person limit on tournaments
ANSWERS_IN = 0.5  # seconds the developer's backend takes to answer each call
# The order's notification waits for at most one call already in flight; behind the backlog it
# would wait TOURNAMENTS * ANSWERS_IN / 2 = 10 s.
PROMPTLY = 3.0


def start_tournaments(server: LiveServer, count: int, ends_at: str) -> None:
    """A new guest, who never opened the app, starts ``count`` tournaments."""
    with httpx.Client(base_url=server.url, timeout=30) as player:
        player.headers["X-CSRF-Token"] = player.get("/api/me").json()["csrf_token"]
        for _ in range(count):
            made = player.post(f"/api/apps/{APP_ID}/tournaments", json={"board": "best", "ends_at": ends_at})
            assert made.status_code == 201, made.text


def events(hits) -> list[dict]:
    return [json.loads(hit.body) for hit in hits]


def ended(hits) -> int:
    return sum(1 for event in events(hits) if event["type"] == "tournament.ended")


def the_minute_passes(platform: Platform) -> None:
    """The tournaments' end comes now rather than in a minute (the shortest a tournament lasts)."""
    with platform.db.session() as session:
        session.execute(
            update(Job)
            .where(Job.kind == social.TOURNAMENT_END_JOB, Job.status == "queued")
            .values(run_at=datetime.now(UTC))
        )
        session.commit()


def every_tournament_ended(platform: Platform, timeout: float = 30) -> bool:
    """Whether every tournament's end ran (each queued its notification) within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with platform.db.session() as session:
            statuses = set(session.scalars(select(Job.status).where(Job.kind == social.TOURNAMENT_END_JOB)))
        if statuses == {"done"}:
            return True
        time.sleep(0.1)
    return False


def test_an_order_notification_does_not_wait_behind_the_notifications_of_tournaments_anyone_started(
    tmp_path, database_url
):
    package = write_package(
        tmp_path / "pkg",
        id=APP_ID,
        name="Burst Shop",
        category="benchmark",
        products=[PRODUCT],
        leaderboards=[{"id": "best", "client_scores": True}],
    )
    data = tmp_path / "data"
    data.mkdir()
    _emptied(database_url)
    env = {**UNLIMITED, "MINIS_DATABASE_URL": database_url, "MINIS_EGRESS_ALLOW_LOOPBACK": "true"}
    with Receiver(hang_seconds=ANSWERS_IN) as backend, LiveServer(data, packages=[package], env=env) as server:
        platform = Platform(Settings(data_dir=data, database_url=database_url))
        try:
            add_backend(platform, APP_ID, backend.url("/hang/notify"))  # "/hang" answers after ANSWERS_IN
            buyer = funded_person(server)
            ends_at = (datetime.now(UTC) + timedelta(seconds=90)).isoformat()
            for _ in range(PLAYERS):
                start_tournaments(server, TOURNAMENTS // PLAYERS, ends_at)
            the_minute_passes(platform)
            assert every_tournament_ended(platform), "the tournaments did not end"

            with httpx.Client(base_url=server.url, cookies=buyer["cookies"], timeout=30) as client:
                paid = client.post(
                    f"/api/apps/{APP_ID}/purchases",
                    json=purchase_body("after-the-flood"),
                    headers={"X-CSRF-Token": buyer["csrf"]},
                )
            bought_at = time.monotonic()
            assert paid.status_code == 200, paid.text
            order_id = paid.json()["id"]

            def order_paid(hits) -> bool:
                return any(e["type"] == "order.paid" and e["data"]["order"]["id"] == order_id for e in events(hits))

            arrived = backend.wait_for(order_paid, timeout=60)
            waited = time.monotonic() - bought_at
            backlog = TOURNAMENTS - ended(backend.hits)
            assert arrived, "the order's notification never reached the backend"
            assert waited < PROMPTLY, f"order.paid arrived {waited:.1f} s after the purchase"
            assert backlog > 0, "the tournaments' notifications were all sent before the order's: nothing was tested"
            # Behind, not lost: every tournament's end reaches the backend too.
            assert backend.wait_for(lambda hits: ended(hits) == TOURNAMENTS, timeout=60)
            assert backend.most_in_flight["hang"] <= 2  # the app's share of the delivery threads still holds
        finally:
            platform.close()
