"""What follows an ad's step happens only once the step committed: its analytics events, its
conversion, the ad index's new generation. A request that fails after the service ran leaves no
row and records nothing; a refused impression is kept, though the answer is an error."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import Depends
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from openminis.ads import auction, campaigns, serving
from openminis.ads.models import Impression, RewardGrant
from openminis.app import create_host_app
from openminis.errors import Conflict
from openminis.platform import Platform
from openminis.unit_of_work import unit_of_work
from openminis.web.dependencies import get_platform, get_session


class Failed(Conflict):
    code = "FAILED_AFTER_THE_SERVICE"


@pytest.fixture
def steps(platform):
    """The platform's app with two routes that run a serving step through the request's unit of
    work: one returns, the other raises after the step (as a route failing late would)."""
    app = create_host_app(platform)

    def run(step: str, body: dict, session: Session, platform: Platform):
        if step == "request":
            return serving.request_ad(session, platform.ads, **body).ad_id
        done = serving.complete(session, platform.ads, **body)
        return done.grant.id if done.grant else None

    def returns(
        step: str,
        body: dict,
        session: Annotated[Session, Depends(get_session)],
        platform: Annotated[Platform, Depends(get_platform)],
    ) -> dict:
        return {"result": run(step, body, session, platform)}

    def raises(
        step: str,
        body: dict,
        session: Annotated[Session, Depends(get_session)],
        platform: Annotated[Platform, Depends(get_platform)],
    ) -> dict:
        run(step, body, session, platform)
        raise Failed("the route failed after the step")

    app.add_api_route("/test/returns", returns, methods=["POST"])
    app.add_api_route("/test/raises", raises, methods=["POST"])
    with TestClient(app, base_url="http://localhost:8000") as client:
        yield client


def events(platform, unit: str) -> list[str]:
    platform.ads.events.flush()
    return sorted(row[0] for row in platform.events.query("SELECT type FROM events WHERE unit_id = ?", [unit]))


def rows(platform, table) -> int:
    with platform.db.session() as session:
        return session.scalar(select(func.count()).select_from(table))


def test_a_decision_that_does_not_commit_leaves_no_impression_and_no_fill_event(ads, player, platform, studio, steps):
    ads.campaign(ads.advertiser())
    unit = ads.unit()
    user_id = player.get("/api/me").json()["user"]["id"]
    body = {"user_id": user_id, "app_id": studio.app_id, "unit_id": unit}

    failed = steps.post("/test/raises", params={"step": "request"}, json=body)
    assert (failed.status_code, failed.json()["code"]) == (409, "FAILED_AFTER_THE_SERVICE")
    assert rows(platform, Impression) == 0
    # The request itself was made (recorded before anything was written); no fill, since none was kept.
    assert events(platform, unit) == ["ad_request"]

    kept = steps.post("/test/returns", params={"step": "request"}, json=body)
    assert kept.status_code == 200 and kept.json()["result"].startswith("ad_")
    assert rows(platform, Impression) == 1
    assert events(platform, unit) == ["ad_fill", "ad_request", "ad_request"]


def test_a_completion_that_does_not_commit_grants_nothing_and_records_nothing(ads, player, platform, clock, steps):
    ads.campaign(ads.advertiser())
    unit = ads.unit()
    decision = ads.show(player, unit)
    clock.advance(seconds=15)
    user_id = player.get("/api/me").json()["user"]["id"]
    body = {"user_id": user_id, "ad_id": decision["ad_id"], "watched_ms": 15_000, "visible": True}

    failed = steps.post("/test/raises", params={"step": "complete"}, json=body)
    assert failed.status_code == 409
    assert rows(platform, RewardGrant) == 0
    with platform.db.session() as session:
        assert session.get(Impression, decision["ad_id"]).status == "shown"
    assert "ad_complete" not in events(platform, unit)
    platform.conversions.flush()
    assert platform.events.query("SELECT count(*) FROM events WHERE type = 'rewarded'") == [(0,)]

    # Reported again, it commits: granted once, and only now recorded, the conversion too.
    done = ads.step(player, decision["ad_id"], "complete", watched_ms=15_000, visible=True).json()
    assert done["rewarded"] is True
    assert rows(platform, RewardGrant) == 1
    assert events(platform, unit).count("ad_complete") == 1
    platform.conversions.flush()
    assert platform.events.query("SELECT count(*) FROM events WHERE type = 'rewarded'") == [(1,)]


def test_the_ad_index_generation_goes_out_only_after_the_commit(platform):
    before = auction.generation()
    with unit_of_work(platform.db) as session:
        advertiser = campaigns.create_advertiser(session, name="Acme")
        campaign = campaigns.create_campaign(
            session,
            advertiser_id=advertiser.id,
            house=True,
            name="House",
            status="active",
            bid_cpm=0,
            total_budget=None,
            daily_budget=None,
            categories=None,
            markets=None,
            frequency_count=None,
            frequency_seconds=None,
        )
        # Not yet: an index rebuilt now would read the campaign's old rows under the new generation.
        assert auction.generation() == before
    assert auction.generation() == before + 1

    with pytest.raises(RuntimeError), unit_of_work(platform.db) as session:
        campaigns.update_campaign(
            session,
            campaign.id,
            name="Paused",
            status="paused",
            bid_cpm=0,
            total_budget=None,
            daily_budget=None,
            categories=None,
            markets=None,
            frequency_count=None,
            frequency_seconds=None,
        )
        raise RuntimeError("the command failed after the change")
    assert auction.generation() == before + 1  # rolled back: no signal
    with platform.db.session() as session:
        assert campaigns.get_campaign(session, campaign.id).status == "active"


def test_a_refused_impression_is_kept_though_its_answer_is_an_error(ads, player, platform, clock):
    ads.campaign(ads.advertiser())
    decision = ads.decide(player, ads.unit())
    clock.advance(minutes=11)
    expired = ads.step(player, decision["ad_id"], "impression")
    assert (expired.status_code, expired.json()["code"]) == (404, "NO_FILL")
    assert expired.json()["request_id"]  # the one error envelope, as when an error is raised
    with platform.db.session() as session:
        assert session.get(Impression, decision["ad_id"]).status == "refused"
