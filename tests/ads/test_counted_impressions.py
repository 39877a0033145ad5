"""Only an ad the host's player showed is billed: one impression per show token, caps per person and
per address, and every refusal in the advertisers' invalid-traffic report.

Issue 12, item 9: 60 scripted guests produced 60 billed ad impressions in 3 s.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from starlette.testclient import TestClient

from openminis.ads import serving
from openminis.ads.models import Campaign, Impression
from openminis.db import utcnow
from openminis.errors import PlatformError
from openminis.unit_of_work import unit_of_work
from tests.concurrency import race
from tests.studio import csrf_of


def billed(platform, campaign_id: str) -> tuple[int, int]:
    """(billed impressions, the campaign's spent) of a campaign."""
    with platform.db.session() as session:
        count = session.scalar(
            select(func.count())
            .select_from(Impression)
            .where(Impression.campaign_id == campaign_id, Impression.shown_at.is_not(None))
        )
        return count, session.get(Campaign, campaign_id).spent


def refused(ads, **params) -> dict:
    today = utcnow().date().isoformat()
    answer = ads.admin("GET", "/invalid-traffic", params={"start": today, "end": today, **params})
    assert answer.status_code == 200, answer.text
    return answer.json()


def guest(client: TestClient, address: str = "testclient") -> TestClient:
    """A new visitor with its own session, from ``address``."""
    visitor = TestClient(client.app, base_url="http://localhost:8000", client=(address, 50000))
    visitor.get("/api/me")
    return visitor


def test_scripted_guests_who_never_show_the_ad_bill_nothing(ads, client, platform):
    platform.settings.rate_guests_per_ip = "1000/minute"  # this test is about the ads, not guest creation
    advertiser = ads.advertiser()
    campaign = ads.campaign(advertiser)
    unit = ads.unit()
    answers = []
    for _ in range(60):
        script = guest(client)
        decision = ads.decide(script, unit)
        # The script reports the impression straight away, as the attack did: no player, no token.
        answers.append(script.post(f"/api/ads/{decision['ad_id']}/impression", headers=csrf_of(script)))
    assert {(a.status_code, a.json()["code"]) for a in answers} == {(403, "SHOW_TOKEN_INVALID")}
    assert billed(platform, campaign) == (0, 0)
    report = refused(ads, advertiser_id=advertiser)
    assert report["billed"] == 0
    assert report["refused"]["no_token"] == 60
    assert [(line["campaign_id"], line["reason"], line["count"]) for line in report["lines"]] == [
        (campaign, "no_token", 60)
    ]


def test_a_show_token_bills_its_ad_once_and_no_other(ads, client, player, platform, clock):
    advertiser = ads.advertiser()
    campaign = ads.campaign(advertiser)
    unit = ads.unit()
    first, second = ads.decide(player, unit), ads.decide(player, unit)
    token = ads.show_token(player, first["ad_id"])

    # Another ad's token, another person's token, a forged one: nothing billed.
    assert ads.step(player, second["ad_id"], "impression", show_token=token).json()["code"] == "SHOW_TOKEN_INVALID"
    stranger = guest(client)
    theirs = ads.decide(stranger, unit)
    assert (
        ads.step(
            player, second["ad_id"], "impression", show_token=ads.show_token(stranger, theirs["ad_id"])
        ).status_code
        == 403
    )
    assert (
        ads.step(
            player, second["ad_id"], "impression", show_token=token[:-1] + ("0" if token[-1] != "0" else "1")
        ).status_code
        == 403
    )
    assert billed(platform, campaign) == (0, 0)

    # Its own ad: billed once; the same token again (a retry, or a replay) bills nothing more.
    for _ in range(3):
        shown = ads.step(player, first["ad_id"], "impression", show_token=token)
        assert (shown.status_code, shown.json()["status"]) == (200, "shown")
    assert billed(platform, campaign)[0] == 1

    # A token kept too long: refused.
    late = ads.show_token(player, second["ad_id"])
    clock.advance(seconds=platform.settings.ads_show_token_ttl_seconds + 1)
    assert ads.step(player, second["ad_id"], "impression", show_token=late).status_code == 403
    assert billed(platform, campaign)[0] == 1

    report = refused(ads, campaign_id=campaign)
    assert report["billed"] == 1
    assert {reason: count for reason, count in report["refused"].items() if count} == {
        "bad_token": 3,
        "reused_token": 2,
        "expired_token": 1,
    }


def test_a_persons_billed_impressions_hold_to_their_cap_under_concurrent_reports(ads, player, platform):
    platform.settings.rate_ad_impressions_per_person = "3/hour"
    campaign = ads.campaign(ads.advertiser())
    unit = ads.unit()
    user_id = player.get("/api/me").json()["user"]["id"]
    decided = [ads.decide(player, unit)["ad_id"] for _ in range(8)]
    tokens = [ads.show_token(player, ad_id) for ad_id in decided]

    def report(worker: int, _n: int) -> str:
        # Each in its own thread and unit of work, as concurrent requests are; a refusal is kept.
        with unit_of_work(platform.db) as session:
            try:
                serving.start_impression(
                    session,
                    platform.ads,
                    user_id=user_id,
                    ad_id=decided[worker],
                    show_token=tokens[worker],
                    ip="testclient",
                )
            except PlatformError as exc:
                return exc.code
            return "shown"

    outcomes = race(8, 1, report)
    assert outcomes == {"shown": 3, "FREQUENCY_CAPPED": 5}
    assert billed(platform, campaign)[0] == 3
    # At the cap, no more decisions either; the answer says when to come back.
    capped = ads.request(player, unit)
    assert (capped.status_code, capped.json()["code"]) == (429, "FREQUENCY_CAPPED")
    assert 1 <= int(capped.headers["Retry-After"]) <= 3600
    assert refused(ads, campaign_id=campaign)["refused"]["person_cap"] == 5


def test_the_impressions_billed_from_one_address_hold_to_its_cap(ads, client, platform):
    platform.settings.rate_ad_impressions_per_ip = "4/hour"
    campaign = ads.campaign(ads.advertiser())
    unit = ads.unit()
    # Six people behind one address, each showing one ad properly; and one from elsewhere.
    farm = [guest(client, "203.0.113.7") for _ in range(6)]
    outcomes = []
    for person in farm:
        decision = ads.request(person, unit)
        if decision.status_code != 200:
            outcomes.append(decision.json()["code"])
            continue
        outcomes.append(ads.step(person, decision.json()["ad_id"], "impression").json().get("status"))
    assert outcomes == ["shown"] * 4 + ["FREQUENCY_CAPPED"] * 2
    elsewhere = guest(client, "198.51.100.9")
    assert ads.show(elsewhere, unit)
    assert billed(platform, campaign)[0] == 5


def test_refusals_are_reported_per_advertiser(ads, player, platform, clock):
    mine, theirs = ads.advertiser("Mine"), ads.advertiser("Theirs")
    ads.campaign(mine, bid_cpm=9_000_000)
    ads.campaign(theirs, bid_cpm=1_000_000)
    unit = ads.unit()
    decision = ads.decide(player, unit)
    player.post(f"/api/ads/{decision['ad_id']}/impression", headers=csrf_of(player))
    assert refused(ads, advertiser_id=mine)["refused"]["no_token"] == 1
    assert refused(ads, advertiser_id=theirs)["refused"]["no_token"] == 0
    yesterday = (clock.now - timedelta(days=1)).date().isoformat()
    assert ads.admin("GET", "/invalid-traffic", params={"start": yesterday, "end": yesterday}).json()["lines"] == []
    # The operator's report (advertisers are served through the operator): the admin token only.
    assert (
        ads.client.get("/api/admin/ads/invalid-traffic", params={"start": yesterday, "end": yesterday}).status_code
        == 401
    )
