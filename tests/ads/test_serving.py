"""The serving flow as the host drives it: decide, show (billed once), click, close; every step recorded."""

from __future__ import annotations

from openminis.ads.models import Campaign, Impression
from openminis.wallet import service as ledger


def verified(platform) -> None:
    with platform.db.session() as session:
        check = ledger.verify(session)
    assert check.ok, check.problems


def test_a_decision_names_the_creative_the_minimum_watch_and_the_reward(ads, player):
    advertiser = ads.advertiser()
    ads.campaign(advertiser, title="Space Jam", duration_ms=30_000)
    unit = ads.unit("rewarded", reward={"type": "coins_ingame", "amount": 25})
    decision = ads.decide(player, unit)
    assert decision["ad_id"].startswith("ad_") and decision["format"] == "rewarded"
    assert decision["min_watch_ms"] == 15_000
    assert decision["reward"] == {"type": "coins_ingame", "amount": 25}
    creative = decision["creative"]
    assert (creative["kind"], creative["title"], creative["advertiser"], creative["duration_ms"]) == (
        "video",
        "Space Jam",
        "Acme",
        30_000,
    )
    media = player.get(creative["url"].removeprefix("http://localhost:8000"))
    assert media.status_code == 200 and media.headers["content-type"] == "video/mp4"


def test_an_impression_bills_the_advertiser_once_split_between_the_app_and_the_platform(ads, player, platform, studio):
    advertiser = ads.advertiser(funds=1_000_000)
    campaign = ads.campaign(advertiser, bid_cpm=4_000_000)
    unit = ads.unit()
    decision = ads.decide(player, unit)
    token = ads.show_token(player, decision["ad_id"])
    for _ in range(3):  # a retried impression (the player retries with its token) bills nothing more
        shown = ads.step(player, decision["ad_id"], "impression", show_token=token)
        assert shown.status_code == 200 and shown.json()["status"] == "shown"
    with platform.db.session() as session:
        # The only bidder pays the platform's reserve ($0.001 CPM): a micro an impression.
        price = session.get(Impression, decision["ad_id"]).price
        assert session.get(Campaign, campaign).spent == price == 1
        assert ledger.account(session, "advertiser_funds", advertiser, "USD_MICROS").balance == 1_000_000 - price
        session.commit()
    verified(platform)


def test_the_app_earns_its_share_of_each_impression(ads, player, platform, studio):
    advertiser = ads.advertiser()
    ads.campaign(advertiser, bid_cpm=10_000_000)
    ads.campaign(advertiser, bid_cpm=8_000_000)
    unit = ads.unit()
    assert ads.admin("PUT", f"/apps/{studio.app_id}/share", json={"developer_share_bps": 6000}).status_code == 200
    ads.show(player, unit)
    with platform.db.session() as session:
        # Second price: $8 CPM is 8,000 micros an impression; 60 % of it to the app.
        assert (
            ledger.balance(session, ledger.account_id(session, "app_ad_earnings", studio.app_id, "USD_MICROS")) == 4_800
        )
        assert ledger.balance(session, ledger.account_id(session, "platform_ad_revenue", "", "USD_MICROS")) == 3_200
        session.commit()
    verified(platform)


def test_a_decision_not_shown_in_time_expires(ads, player, platform, clock):
    ads.campaign(ads.advertiser())
    decision = ads.decide(player, ads.unit())
    clock.advance(minutes=11)
    expired = ads.step(player, decision["ad_id"], "impression")
    assert expired.status_code == 404 and expired.json()["code"] == "NO_FILL"
    with platform.db.session() as session:
        assert session.get(Impression, decision["ad_id"]).status == "refused"  # kept, though answered 404


def test_another_person_cannot_act_on_someone_elses_ad(ads, player, client):
    ads.campaign(ads.advertiser())
    decision = ads.decide(player, ads.unit())
    stranger = type(player)(client.app, base_url="http://localhost:8000")
    response = ads.step(stranger, decision["ad_id"], "impression")
    assert response.status_code == 404


def test_serving_calls_need_the_csrf_token(ads, player):
    ads.campaign(ads.advertiser())
    unit = ads.unit()
    player.get("/api/me")
    response = player.post("/api/ads/requests", json={"app_id": ads.studio.app_id, "unit_id": unit})
    assert response.status_code == 403 and response.json()["code"] == "CSRF_FAILED"


def test_a_click_returns_the_click_url_and_a_close_ends_the_ad(ads, player, platform):
    campaign = ads.campaign(ads.advertiser())
    unit = ads.unit()
    decision = ads.show(player, unit)
    clicked = ads.step(player, decision["ad_id"], "click")
    assert clicked.status_code == 200 and clicked.json()["click_url"] == f"https://example.com/{campaign}"
    assert ads.step(player, decision["ad_id"], "close", watched_ms=3_000).status_code == 200
    with platform.db.session() as session:
        impression = session.get(Impression, decision["ad_id"])
        assert (impression.status, impression.watched_ms, impression.clicked_at is not None) == ("closed", 3_000, True)


def test_every_step_is_an_analytics_event(ads, player, platform, clock):
    ads.campaign(ads.advertiser())
    unit = ads.unit()
    decision = ads.show(player, unit)
    ads.step(player, decision["ad_id"], "click")
    clock.advance(seconds=16)
    ads.step(player, decision["ad_id"], "complete", watched_ms=16_000, visible=True)
    platform.ads.events.flush()
    rows = platform.events.query(
        "SELECT type, unit_id, ad_id, duration_ms FROM events WHERE unit_id = ? ORDER BY ts, type", [unit]
    )
    assert sorted(row[0] for row in rows) == ["ad_click", "ad_complete", "ad_fill", "ad_impression", "ad_request"]
    assert all(row[1] == unit for row in rows)
    assert {row[2] for row in rows if row[0] != "ad_request"} == {decision["ad_id"]}
    assert [row[3] for row in rows if row[0] == "ad_complete"] == [16_000]


def test_an_app_taken_down_earns_nothing_from_ads_from_the_takedown_on(ads, player, platform, studio, client, clock):
    """A probe: a suspended app went on deciding, billing and crediting ads (three impressions
    after the takedown billed the advertiser and raised the app's earnings). An ad billed before
    the takedown is still completed and rewarded: the person watched it."""
    advertiser = ads.advertiser()
    ads.campaign(advertiser, bid_cpm=10_000_000)
    ads.campaign(advertiser, bid_cpm=8_000_000)
    unit = ads.unit()
    billed = ads.show(player, unit)
    decided = ads.decide(player, unit)  # decided before the takedown, shown after it

    def earnings() -> int:
        with platform.db.session() as session:
            account = ledger.account_id(session, "app_ad_earnings", studio.app_id, "USD_MICROS")
            return ledger.balance(session, account)

    before = earnings()
    taken = client.post(
        f"/api/admin/moderation/items/app/{studio.app_id}/takedown",
        json={"reason": "scam_or_fraud", "note": "Its ads lead to a fake prize page."},
        headers={"Authorization": "Bearer test-admin-token"},
    )
    assert taken.status_code == 200, taken.text

    refused = ads.request(player, unit)
    assert (refused.status_code, refused.json()["code"]) == (404, "NO_FILL")
    assert "taken it down" in refused.json()["message"]
    late = ads.step(player, decided["ad_id"], "impression")
    assert late.json()["code"] == "NO_FILL"
    with platform.db.session() as session:
        assert session.get(Impression, decided["ad_id"]).status == "refused"
    assert earnings() == before

    clock.advance(seconds=30)
    watched = ads.step(player, billed["ad_id"], "complete", watched_ms=30_000, visible=True)
    assert watched.status_code == 200 and watched.json()["rewarded"], watched.text
    verified(platform)
