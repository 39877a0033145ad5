"""A campaign whose advertiser cannot pay its bid takes no part in the auction: it neither wins nor
sets the price, from the next snapshot of the index on, and in this process at once once an
impression was refused for want of the advertiser's funds. A deposit brings it back."""

from __future__ import annotations

from openminis.ads.models import Impression

FLOOR = 5_000_000


def cleared(platform, ad_id: str) -> tuple[str, int]:
    """(the campaign that won, the CPM it cleared at)."""
    with platform.db.session() as session:
        impression = session.get(Impression, ad_id)
        return impression.campaign_id, impression.price_cpm


def test_a_campaign_whose_advertiser_spent_its_funds_no_longer_wins(ads, player, platform):
    """A probe: minutes after campaign funds-y had spent its advertiser's funds, it won 5 of 12
    decisions, each of which then failed at the impression with NO_FILL, while a funded campaign
    was there to fill them. The index counted only the campaign's own budgets."""
    broke = ads.campaign(ads.advertiser("Broke", funds=24_000), bid_cpm=12_000_000, title="Broke")
    funded = ads.campaign(ads.advertiser("Funded"), bid_cpm=9_000_000, title="Funded")
    unit = ads.unit(floor_cpm=FLOOR)
    for _ in range(2):  # it pays the runner-up's $9 CPM twice: 6,000 micros left, less than its bid
        assert cleared(platform, ads.show(player, unit)["ad_id"]) == (broke, 9_000_000)
    platform.settings.ads_index_refresh_seconds = 0  # minutes later: the index has been read anew
    for _ in range(5):
        decision = ads.decide(player, unit)
        assert cleared(platform, decision["ad_id"]) == (funded, FLOOR)  # alone above the floor
        assert ads.step(player, decision["ad_id"], "impression").status_code == 200


def test_a_campaign_whose_advertiser_has_no_funds_does_not_set_the_price(ads, player, platform):
    """A probe: freq-z cleared at 10,000 micros, the bid of a campaign whose advertiser could not
    pay it, instead of at the unit's 9,000 floor."""
    funded = ads.campaign(ads.advertiser("Funded"), bid_cpm=12_000_000, title="Funded")
    ads.campaign(ads.advertiser("Broke", funds=0), bid_cpm=10_000_000, title="Broke")
    unit = ads.unit(floor_cpm=FLOOR)
    assert cleared(platform, ads.show(player, unit)["ad_id"]) == (funded, FLOOR)


def test_a_deposit_brings_a_broke_advertisers_campaign_back(ads, player, platform):
    advertiser = ads.advertiser("Broke", funds=0)
    broke = ads.campaign(advertiser, bid_cpm=12_000_000, title="Broke")
    funded = ads.campaign(ads.advertiser("Funded"), bid_cpm=9_000_000, title="Funded")
    unit = ads.unit(floor_cpm=FLOOR)
    assert cleared(platform, ads.show(player, unit)["ad_id"]) == (funded, FLOOR)
    deposited = ads.admin(
        "POST", f"/advertisers/{advertiser}/deposits", json={"amount": 1_000_000, "idempotency_key": "back"}
    )
    assert deposited.status_code == 200, deposited.text
    platform.settings.ads_index_refresh_seconds = 0  # the next snapshot reads the funds
    assert cleared(platform, ads.show(player, unit)["ad_id"]) == (broke, 9_000_000)


def test_once_an_impression_finds_the_funds_gone_the_advertisers_dearer_campaigns_stop_at_once(ads, player, platform):
    """Within the snapshot's life: one NO_FILL for want of funds, and this process's auctions leave
    out every campaign of that advertiser whose bid costs as much, not only the one refused."""
    platform.settings.ads_index_refresh_seconds = 3600  # no new snapshot during this test
    advertiser = ads.advertiser("Spender", funds=24_000)
    first = ads.campaign(advertiser, bid_cpm=12_000_000, title="First")
    ads.campaign(advertiser, bid_cpm=11_000_000, title="Second")
    funded = ads.campaign(ads.advertiser("Funded"), bid_cpm=5_000_000, title="Funded")
    unit = ads.unit(floor_cpm=1_000_000)
    for _ in range(2):  # 11,000 micros each: 2,000 left, the snapshot still has both campaigns
        assert cleared(platform, ads.show(player, unit)["ad_id"]) == (first, 11_000_000)
    late = ads.decide(player, unit)
    assert cleared(platform, late["ad_id"])[0] == first
    refused = ads.step(player, late["ad_id"], "impression")
    assert refused.status_code == 404 and refused.json()["code"] == "NO_FILL"
    decision = ads.decide(player, unit)
    assert cleared(platform, decision["ad_id"]) == (funded, 1_000_000)
    assert ads.step(player, decision["ad_id"], "impression").status_code == 200


def test_when_the_only_campaign_cannot_be_paid_for_the_answer_is_no_fill_not_frequency_capped(ads, player, platform):
    platform.settings.ads_index_refresh_seconds = 3600  # no new snapshot during this test
    ads.campaign(ads.advertiser("Spender", funds=10_000), bid_cpm=10_000_000)
    unit = ads.unit(floor_cpm=10_000_000)
    ads.show(player, unit)  # its one impression: the funds are spent
    late = ads.decide(player, unit)
    assert ads.step(player, late["ad_id"], "impression").json()["code"] == "NO_FILL"
    nothing = ads.request(player, unit)
    assert (nothing.status_code, nothing.json()["code"]) == (404, "NO_FILL")
