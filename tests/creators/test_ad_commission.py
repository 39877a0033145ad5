"""A rewarded ad watched to the end after a launch from a creator's post: the creator gets their
commission on the app's share of the ad's price, in USD micros, in a transfer of its own."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from openminis.attribution.models import Conversion
from openminis.wallet import service as ledger
from tests.ads.conftest import Ads, Clock
from tests.creators.conftest import Creator, launch, make_creator, ready_post, verifies
from tests.payments.test_money_admin import staff_member
from tests.payouts import terms
from tests.payouts.test_payouts import DEV, account, ask, books_hold, days_pass, request_all


def usd(overview: dict) -> dict:
    return next(e for e in overview["earnings"] if e["currency"] == "USD_MICROS")


@pytest.fixture
def ads(client, studio) -> Ads:
    return Ads(client, studio)


@pytest.fixture
def clock(platform) -> Clock:
    clock = Clock()
    platform.ads.clock = clock
    return clock


def launched_from_a_post(client, platform, ads: Ads, player, handle: str) -> tuple[Creator, str]:
    """A creator, and the player's launch of the ads' app from the creator's post."""
    creator = make_creator(client, handle)
    post_id = ready_post(platform, creator.user_id, ads.studio.app_id)
    return creator, launch(player, ads.studio.app_id, "post", post_id=post_id)


def test_a_rewarded_ad_after_a_post_launch_pays_the_creator_in_usd_micros(client, platform, ads, player, clock):
    creator, launch_id = launched_from_a_post(client, platform, ads, player, "adcreator")
    # Two bidders, so the second price is a real price (a lone bidder pays the floor).
    ads.campaign(ads.advertiser("Acme"), bid_cpm=5_000_000)
    ads.campaign(ads.advertiser("Brightside"), bid_cpm=4_000_000)
    decision = ads.show(player, ads.unit(), launch_id=launch_id)
    clock.advance(seconds=30)
    done = ads.step(player, decision["ad_id"], "complete", watched_ms=30_000, visible=True).json()
    assert done["rewarded"] is True

    with platform.db.session() as session:
        conversion = session.scalars(select(Conversion).where(Conversion.kind == "ad_reward")).one()
        earned = ledger.balances(session, "creator_earnings", creator.user_id, ["USD_MICROS"])["USD_MICROS"]
    assert conversion.developer_net > 0 and (conversion.source, conversion.creator_id, conversion.currency) == (
        "post",
        creator.user_id,
        "USD_MICROS",
    )
    assert earned == conversion.commission == conversion.developer_net * 1000 // 10_000
    # Reporting the completion again changes nothing: one reward, one commission.
    ads.step(player, decision["ad_id"], "complete", watched_ms=30_000, visible=True)
    with platform.db.session() as session:
        assert ledger.balances(session, "creator_earnings", creator.user_id, ["USD_MICROS"])["USD_MICROS"] == earned
    assert verifies(platform)
    platform.conversions.flush()
    assert platform.events.query("SELECT type, source, creator_id, currency FROM events WHERE type = 'rewarded'") == [
        ("rewarded", "post", creator.user_id, "USD_MICROS")
    ]


def test_a_payout_leaves_the_commission_of_an_ad_still_playing(client, platform, ads, player, clock, studio):
    """An ad's price reaches the app when it is shown; the creator's commission is taken when it
    is watched to the end, up to an hour later. A developer who took every ad micro out in
    between (a hold of 0 days) left nothing to take it from: the person's completion was refused
    (402) and their reward lost. The app's ad earnings of the last hour stay in the hold."""
    finance, finance_headers = staff_member(client, "finance")
    policy = finance.get("/api/admin/payouts/policy").json()
    # A shorter hold and a lower minimum loosen the terms: a second member of finance approves them.
    published = terms.published(
        client, finance, finance_headers, {**policy, "hold_days": 0, "minimums": {"USD": 1}, "reason": "pay at once"}
    )
    assert published.status_code == 200, published.text
    creator, launch_id = launched_from_a_post(client, platform, ads, player, "holdcreator")
    # $100 and $200 CPMs: the impression costs 100,000 micros, the app's 70 % is 7 cents exactly.
    ads.campaign(ads.advertiser("Acme"), bid_cpm=200_000_000)
    ads.campaign(ads.advertiser("Brightside"), bid_cpm=100_000_000)
    decision = ads.show(player, ads.unit(), launch_id=launch_id)
    dev, headers = studio.developer, studio.headers
    account(dev, headers, DEV)
    ad_money = usd(dev.get(DEV).json())
    assert (ad_money["balance"], ad_money["withdrawable"]) == (70_000, 0)
    refused = ask(dev, headers, f"{DEV}/quote", source="USD_MICROS")
    assert refused.status_code == 422 and refused.json()["code"] == "PAYOUT_BELOW_MINIMUM", refused.text

    clock.advance(seconds=30)
    done = ads.step(player, decision["ad_id"], "complete", watched_ms=30_000, visible=True)
    assert done.status_code == 200 and done.json()["rewarded"] is True, done.text
    with platform.db.session() as session:
        earned = ledger.balances(session, "creator_earnings", creator.user_id, ["USD_MICROS"])["USD_MICROS"]
    assert earned == 7_000
    # The commission counts with the ad it came from: the app's 63,000 wait out the hour with it.
    assert usd(dev.get(DEV).json())["withdrawable"] == 0
    days_pass(platform, 1)
    assert usd(dev.get(DEV).json())["withdrawable"] == 63_000
    payout = request_all(dev, headers, DEV, source="USD_MICROS")
    assert payout.status_code == 201 and payout.json()["amount"] == 6, payout.text  # 6 cents; 3,000 micros stay
    books_hold(platform)


def test_an_ad_completed_more_than_an_hour_after_it_was_shown_earns_nothing(client, platform, ads, player, clock):
    creator, launch_id = launched_from_a_post(client, platform, ads, player, "latecreator")
    ads.campaign(ads.advertiser("Acme"), bid_cpm=5_000_000)
    decision = ads.show(player, ads.unit(), launch_id=launch_id)
    clock.advance(hours=1, seconds=1)
    done = ads.step(player, decision["ad_id"], "complete", watched_ms=30_000, visible=True).json()
    assert (done["rewarded"], done["reason"]) == (False, "too_late")
    with platform.db.session() as session:
        assert ledger.balances(session, "creator_earnings", creator.user_id, ["USD_MICROS"])["USD_MICROS"] == 0
        assert session.scalars(select(Conversion)).all() == []
    assert verifies(platform)
