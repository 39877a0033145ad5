"""A rewarded ad watched to the end after a launch from a creator's post: the creator gets their
commission on the app's share of the ad's price, in USD micros, in a transfer of its own."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from openminis.attribution.models import Conversion
from openminis.wallet import service as ledger
from tests.ads.conftest import Ads, Clock
from tests.creators.conftest import launch, make_creator, ready_post, verifies


@pytest.fixture
def ads(client, studio) -> Ads:
    return Ads(client, studio)


@pytest.fixture
def clock(platform) -> Clock:
    clock = Clock()
    platform.ads.clock = clock
    return clock


def test_a_rewarded_ad_after_a_post_launch_pays_the_creator_in_usd_micros(client, platform, ads, player, clock):
    creator = make_creator(client, "adcreator")
    launch_id = launch(
        player, ads.studio.app_id, "post", post_id=ready_post(platform, creator.user_id, ads.studio.app_id)
    )
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
