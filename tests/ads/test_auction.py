"""The auction: second price above the floor, house ads behind paid demand, targeting that holds."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from openminis.ads.auction import LiveCampaign, LiveCreative, LiveIndex, run
from openminis.ads.models import Campaign, Impression
from tests.ads.conftest import PNG
from tests.studio import browser, register_app


def live(
    id: str, bid: int, *, house: bool = False, categories=(), markets=(), remaining: int | None = 10**9
) -> LiveCampaign:
    video = LiveCreative(
        id=f"cr_{id}",
        kind="video",
        file="f.mp4",
        duration_ms=30_000,
        width=1,
        height=1,
        click_url="https://e.com",
        title=id,
    )
    return LiveCampaign(
        id=id,
        advertiser="a",
        house=house,
        bid_cpm=bid,
        categories=frozenset(categories),
        markets=frozenset(markets),
        frequency=None,
        videos=(video,),
        images=(),
        remaining=None if house else remaining,
    )


def everyone(_campaign) -> bool:
    return True


def test_the_highest_eligible_bid_wins_and_pays_the_second_highest():
    outcome = run([live("c", 9_000_000), live("b", 5_000_000), live("a", 2_000_000)], [], 0, everyone)
    assert (outcome.campaign.id, outcome.price_cpm, outcome.price) == ("c", 5_000_000, 5_000)


def test_the_winner_pays_the_floor_when_the_second_bid_is_below_it_and_bids_below_the_floor_never_win():
    assert run([live("c", 9_000_000), live("b", 2_000_000)], [], 4_000_000, everyone).price_cpm == 4_000_000
    assert run([live("b", 3_000_000)], [], 4_000_000, everyone).campaign is None
    assert (
        run([live("c", 9_000_000)], [], 0, everyone).price_cpm == 1_000
    )  # alone above no floor: the platform's reserve


def test_an_ineligible_campaign_neither_wins_nor_sets_the_price():
    capped = {"c"}
    outcome = run(
        [live("c", 9_000_000), live("b", 5_000_000), live("a", 2_000_000)], [], 0, lambda c: c.id not in capped
    )
    assert (outcome.campaign.id, outcome.price_cpm) == ("b", 2_000_000)


def test_a_campaign_that_cannot_afford_its_own_bid_is_left_out_of_the_index():
    index = LiveIndex([live("rich", 5_000_000), live("broke", 9_000_000, remaining=8_999)], generation=0, built_at=0)
    assert index.auction("rewarded", "arcade", None, 0, everyone).campaign.id == "rich"


def test_house_ads_fill_only_what_paid_demand_leaves():
    house = [live("house", 0, house=True)]
    assert run([live("paid", 5_000_000)], house, 0, everyone).campaign.id == "paid"
    outcome = run([live("paid", 5_000_000)], house, 6_000_000, everyone)
    assert (outcome.campaign.id, outcome.price_cpm) == ("house", 0)


def test_targeting_by_category_and_market_in_the_index():
    index = LiveIndex(
        [
            live("puzzles", 9_000_000, categories=["puzzle"]),
            live("japan", 8_000_000, markets=["JP"]),
            live("anyone", 1_000_000),
        ],
        generation=0,
        built_at=0,
    )
    assert index.auction("rewarded", "puzzle", "US", 0, everyone).campaign.id == "puzzles"
    assert index.auction("rewarded", "arcade", "JP", 0, everyone).campaign.id == "japan"
    assert index.auction("rewarded", "arcade", "US", 0, everyone).campaign.id == "anyone"
    assert (
        index.auction("rewarded", "arcade", None, 0, everyone).campaign.id == "anyone"
    )  # an unknown market meets only untargeted campaigns


def test_an_auction_over_1000_campaigns_asks_about_caps_only_for_the_few_it_needs():
    index = LiveIndex([live(f"c{n:04}", 1_000_000 + n * 1_000) for n in range(1000)], generation=0, built_at=0)
    asked = []
    outcome = index.auction("rewarded", "arcade", "US", 0, lambda c: asked.append(c.id) or True)
    assert (outcome.campaign.id, outcome.price_cpm) == ("c0999", 1_000_000 + 998 * 1_000)
    assert asked == ["c0999", "c0998"]


# Over HTTP: what the host sees and what gets billed --------------------------------------------


def price_of(platform, ad_id: str) -> tuple[str, int]:
    with platform.db.session() as session:
        impression = session.get(Impression, ad_id)
        return impression.campaign_id, impression.price_cpm


def test_second_price_and_floor_over_http(ads, player, platform):
    advertiser = ads.advertiser()
    high = ads.campaign(advertiser, bid_cpm=9_000_000, title="High")
    ads.campaign(advertiser, bid_cpm=5_000_000, title="Mid")
    ads.campaign(advertiser, bid_cpm=2_000_000, title="Low")
    assert price_of(platform, ads.decide(player, ads.unit())["ad_id"]) == (high, 5_000_000)
    assert price_of(platform, ads.decide(player, ads.unit(floor_cpm=7_000_000))["ad_id"]) == (high, 7_000_000)
    nothing = ads.request(player, ads.unit(floor_cpm=10_000_000))
    assert nothing.status_code == 404 and nothing.json()["code"] == "NO_FILL"


def test_a_house_ad_fills_when_no_paid_demand_is_eligible_and_bills_nothing(ads, player, platform):
    advertiser = ads.advertiser()
    ads.campaign(advertiser, bid_cpm=2_000_000)
    house = ads.campaign(advertiser, house=True, title="Play our other game")
    unit = ads.unit(floor_cpm=3_000_000)
    decision = ads.show(player, unit)
    assert decision["creative"]["title"] == "Play our other game"
    with platform.db.session() as session:
        impression = session.get(Impression, decision["ad_id"])
        assert (impression.campaign_id, impression.house, impression.price, impression.status) == (
            house,
            True,
            0,
            "shown",
        )


def test_campaigns_target_app_categories_and_markets(ads, player, client):
    advertiser = ads.advertiser()
    ads.campaign(advertiser, bid_cpm=9_000_000, title="Puzzle fans", categories=["puzzle"])
    ads.campaign(advertiser, bid_cpm=8_000_000, title="Japan", markets=["JP"])
    ads.campaign(advertiser, bid_cpm=1_000_000, title="Everyone")
    unit = ads.unit()  # the studio's app is an arcade game
    assert ads.decide(player, unit, market="US")["creative"]["title"] == "Everyone"
    assert ads.decide(player, unit, market="JP")["creative"]["title"] == "Japan"
    japanese = browser(client)
    japanese.headers["Accept-Language"] = "ja-JP,ja;q=0.9"
    assert ads.decide(japanese, unit)["creative"]["title"] == "Japan"


def test_rewarded_units_show_videos_and_interstitials_images_too(ads, player):
    ads.campaign(ads.advertiser(), file=PNG, duration_ms=5_000, title="Banner")
    assert ads.request(player, ads.unit("rewarded")).json()["code"] == "NO_FILL"
    decision = ads.decide(player, ads.unit("interstitial"))
    assert (decision["creative"]["kind"], decision["reward"], decision["min_watch_ms"]) == ("image", None, 5_000)


@pytest.mark.parametrize("body", [{"unit_id": "au_nope"}, {"launch_id": "not-a-launch"}, {"market": "usa"}])
def test_a_malformed_request_is_an_invalid_argument(ads, player, body):
    ads.campaign(ads.advertiser())
    unit = ads.unit()
    response = ads.request(player, **({"unit_id": unit} | body))
    assert response.status_code == 422 and response.json()["code"] == "INVALID_ARGUMENT"


def test_a_unit_serves_only_its_own_app(ads, player, client, studio):
    other = register_app(studio.developer, studio.headers, "other-game")
    ads.campaign(ads.advertiser())
    unit = ads.unit()
    response = player.post(
        "/api/ads/requests",
        json={"app_id": other.app_id, "unit_id": unit},
        headers={"X-CSRF-Token": player.get("/api/me").json()["csrf_token"]},
    )
    assert response.status_code == 422 and response.json()["field"] == "unit_id"


def test_a_change_made_by_another_process_is_seen_once_the_index_refreshes(ads, player, platform):
    campaign = ads.campaign(ads.advertiser())
    unit = ads.unit()
    ads.decide(player, unit)
    with platform.db.session() as session:  # as another web process would: no in-process notice
        session.execute(update(Campaign).where(Campaign.id == campaign).values(status="paused"))
        session.commit()
    platform.settings.ads_index_refresh_seconds = 3600
    assert ads.request(player, unit).status_code == 200  # the snapshot still has it
    platform.settings.ads_index_refresh_seconds = 0
    assert ads.request(player, unit).json()["code"] == "NO_FILL"
