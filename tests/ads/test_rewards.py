"""Rewards: earned only by watching, visible, as long as the server's clock agrees; granted once;
verified with the developer's backend, which gets every one however long it was down."""

from __future__ import annotations

import threading

import pytest
from fastapi import FastAPI, Request, Response
from sqlalchemy import func, select
from starlette.testclient import TestClient

from openminis.ads.models import RewardGrant
from openminis.client import InvalidReward, SeenEvents, verify_reward
from tests.ads.conftest import Clock

VERIFY_URL = "http://127.0.0.1:9/minis/rewards"


def grants(platform) -> int:
    with platform.db.session() as session:
        return session.scalar(select(func.count()).select_from(RewardGrant))


def test_watching_to_the_minimum_while_visible_earns_the_reward(ads, player, platform, clock):
    ads.campaign(ads.advertiser())
    decision = ads.show(player, ads.unit(reward={"type": "coins_ingame", "amount": 10}))
    clock.advance(seconds=15)
    done = ads.step(player, decision["ad_id"], "complete", watched_ms=15_000, visible=True).json()
    assert done["rewarded"] is True and done["reward"] == {"type": "coins_ingame", "amount": 10}
    assert done["transaction_id"].startswith("rwd_")
    assert grants(platform) == 1


def test_no_reward_when_the_ad_is_closed_early(ads, player, platform, clock):
    ads.campaign(ads.advertiser())
    decision = ads.show(player, ads.unit())
    clock.advance(seconds=6)
    assert ads.step(player, decision["ad_id"], "close", watched_ms=6_000).status_code == 200
    clock.advance(seconds=20)
    done = ads.step(player, decision["ad_id"], "complete", watched_ms=30_000, visible=True).json()
    assert done == {"rewarded": False, "transaction_id": None, "reward": None, "reason": "closed"}
    assert grants(platform) == 0


def test_no_reward_when_the_host_reports_the_ad_was_not_visible(ads, player, platform, clock):
    ads.campaign(ads.advertiser())
    decision = ads.show(player, ads.unit())
    clock.advance(seconds=30)
    done = ads.step(player, decision["ad_id"], "complete", watched_ms=30_000, visible=False).json()
    assert (done["rewarded"], done["reason"]) == (False, "not_visible")
    assert grants(platform) == 0


def test_no_reward_when_the_host_reports_less_than_the_minimum(ads, player, platform, clock):
    ads.campaign(ads.advertiser())
    decision = ads.show(player, ads.unit())
    clock.advance(seconds=30)
    done = ads.step(player, decision["ad_id"], "complete", watched_ms=9_000, visible=True).json()
    assert (done["rewarded"], done["reason"]) == (False, "watched_too_little")


def test_no_reward_when_the_servers_clock_says_too_little_time_passed(ads, player, platform, clock):
    ads.campaign(ads.advertiser())
    decision = ads.show(player, ads.unit())
    clock.advance(seconds=5)  # the host claims 15 s after 5
    done = ads.step(player, decision["ad_id"], "complete", watched_ms=15_000, visible=True).json()
    assert (done["rewarded"], done["reason"]) == (False, "too_soon")
    clock.advance(seconds=20)  # the verdict is final: a later retry does not turn it into a reward
    assert ads.step(player, decision["ad_id"], "complete", watched_ms=30_000, visible=True).json()["rewarded"] is False
    assert grants(platform) == 0


def test_a_creative_shorter_than_the_minimum_counts_when_watched_to_its_end(ads, player, clock):
    ads.campaign(ads.advertiser(), duration_ms=8_000)
    decision = ads.show(player, ads.unit(min_watch_seconds=15))
    assert decision["min_watch_ms"] == 8_000
    clock.advance(seconds=8)
    assert ads.step(player, decision["ad_id"], "complete", watched_ms=8_000, visible=True).json()["rewarded"] is True


def test_an_ad_not_shown_cannot_be_completed(ads, player):
    ads.campaign(ads.advertiser())
    decision = ads.decide(player, ads.unit())
    response = ads.step(player, decision["ad_id"], "complete", watched_ms=30_000, visible=True)
    assert response.status_code == 409 and response.json()["code"] == "AD_NOT_SHOWN"


def test_an_interstitial_completes_without_a_reward(ads, player, clock):
    ads.campaign(ads.advertiser())
    decision = ads.show(player, ads.unit("interstitial"))
    clock.advance(seconds=30)
    done = ads.step(player, decision["ad_id"], "complete", watched_ms=30_000, visible=True).json()
    assert (done["rewarded"], done["reason"]) == (False, "not_rewarded")


def test_a_reward_is_granted_once_however_often_complete_is_retried(ads, player, platform, clock, client):
    ads.campaign(ads.advertiser())
    decision = ads.show(player, ads.unit())
    clock.advance(seconds=20)
    answers = [
        ads.step(player, decision["ad_id"], "complete", watched_ms=20_000, visible=True).json() for _ in range(3)
    ]
    # ... and at the same moment, from several connections
    results = []
    headers = {"X-CSRF-Token": player.get("/api/me").json()["csrf_token"]}

    def retry():
        twin = TestClient(client.app, base_url="http://localhost:8000", cookies=player.cookies)
        results.append(
            twin.post(
                f"/api/ads/{decision['ad_id']}/complete", json={"watched_ms": 20_000, "visible": True}, headers=headers
            ).json()
        )

    threads = [threading.Thread(target=retry) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {(a["rewarded"], a["transaction_id"]) for a in answers + results} == {(True, answers[0]["transaction_id"])}
    assert grants(platform) == 1


# Verification callbacks ------------------------------------------------------------------------


class Backend:
    """A developer backend that grants each reward once, after checking the platform's signature."""

    def __init__(self, keys: dict):
        self.keys, self.up, self.granted, self.raw = keys, True, [], []
        self.seen = SeenEvents()
        self.app = FastAPI()

        @self.app.post("/minis/rewards")
        async def reward(request: Request) -> Response:
            if not self.up:
                return Response("down for maintenance", status_code=503)
            body = await request.body()
            self.raw.append((body, request.headers["minis-reward-signature"]))
            try:
                self.granted.append(
                    verify_reward(body, request.headers["minis-reward-signature"], self.keys, seen=self.seen)
                )
            except InvalidReward:
                return Response(status_code=400)  # as docs/ads.md's handler answers
            return Response(status_code=204)


@pytest.fixture
def backend(client, studio, platform):
    backend = Backend(studio.backend(client).reward_keys())
    platform.__dict__["http"] = TestClient(backend.app)
    return backend


def test_the_verification_callback_reaches_the_backend_signed(ads, player, platform, backend, clock, client, studio):
    ads.campaign(ads.advertiser())
    unit = ads.unit(verify_url=VERIFY_URL, reward={"type": "gems", "amount": 3})
    decision = ads.show(player, unit)
    clock.advance(seconds=15)
    done = ads.step(player, decision["ad_id"], "complete", watched_ms=15_000, visible=True).json()
    platform.worker().drain()
    [reward] = backend.granted
    assert reward["transaction_id"] == done["transaction_id"]
    assert (reward["app_id"], reward["unit_id"], reward["ad_id"], reward["reward"]) == (
        studio.app_id,
        unit,
        decision["ad_id"],
        {"type": "gems", "amount": 3},
    )
    assert reward["openid"].startswith("o_")
    log = client.get("/openapi/v1/ads/verifications", headers=ads.bearer()).json()["items"]
    assert [(a["transaction_id"], a["status_code"]) for a in log] == [(done["transaction_id"], 204)]
    listed = client.get("/openapi/v1/ads/rewards", headers=ads.bearer()).json()["items"]
    assert [(g["transaction_id"], g["openid"], g["verified_at"] is not None) for g in listed] == [
        (done["transaction_id"], reward["openid"], True)
    ]


def test_the_verification_callback_is_retried_while_the_backend_is_down(ads, player, platform, backend, clock, client):
    ads.campaign(ads.advertiser())
    unit = ads.unit(verify_url=VERIFY_URL)
    ids = []
    for _ in range(3):
        decision = ads.show(player, unit)
        clock.advance(seconds=15)
        ids.append(
            ads.step(player, decision["ad_id"], "complete", watched_ms=15_000, visible=True).json()["transaction_id"]
        )
    backend.up = False
    jobs_clock = Clock()
    worker = platform.worker(clock=jobs_clock)
    for _ in range(60):  # an hour down, a minute at a time
        worker.drain()
        jobs_clock.advance(minutes=1)
    assert backend.granted == []
    backend.up = True
    for _ in range(90):  # backoff is capped at an hour: within the next one, every reward arrives
        worker.drain()
        jobs_clock.advance(minutes=1)
    assert sorted(r["transaction_id"] for r in backend.granted) == sorted(ids)
    log = client.get("/openapi/v1/ads/verifications", headers=ads.bearer()).json()["items"]
    failures = [a for a in log if a["status_code"] == 503]
    assert len(failures) >= 3 * 6 and all("503" in a["error"] for a in failures)


def test_a_unit_without_a_verify_url_queues_no_callback(ads, player, platform, backend, clock):
    ads.campaign(ads.advertiser())
    decision = ads.show(player, ads.unit())
    clock.advance(seconds=15)
    assert ads.step(player, decision["ad_id"], "complete", watched_ms=15_000, visible=True).json()["rewarded"] is True
    assert platform.worker().drain() == 0 and backend.raw == []
