"""The developer's ad report: per unit per day, the funnel from the analytics store and the revenue
the database billed."""

from __future__ import annotations

from datetime import timedelta

from tests.studio import browser


def test_the_report_counts_the_funnel_and_the_revenue_per_unit_per_day(ads, player, client, clock):
    advertiser = ads.advertiser()
    once = {"count": 1, "period_seconds": 86_400}
    for bid in (10_000_000, 8_000_000, 2_000_000):
        ads.campaign(advertiser, bid_cpm=bid, frequency_cap=once)
    rewarded, interstitial = ads.unit(), ads.unit("interstitial", min_interval_seconds=0)
    shown = [ads.show(player, rewarded), ads.show(player, rewarded)]  # $10 pays $8, then $8 pays $2
    ads.decide(player, rewarded)  # a fill never shown
    shown.append(ads.show(player, rewarded))  # $2 alone: the platform's reserve, one micro
    capped = ads.request(player, rewarded)  # every campaign capped: a request without a fill
    assert capped.json()["code"] == "FREQUENCY_CAPPED"
    ads.step(player, shown[0]["ad_id"], "click")
    ads.step(player, shown[0]["ad_id"], "click")  # a second tap on the same ad is not a second click
    clock.advance(seconds=20)
    for decision in shown[:2]:
        ads.step(player, decision["ad_id"], "complete", watched_ms=20_000, visible=True)
    ads.show(browser(client), interstitial)
    today = clock.now.date()
    report = client.get(
        f"/openapi/v1/ads/report?start={today - timedelta(days=1)}&end={today}", headers=ads.bearer()
    ).json()
    assert report["currency"] == "USD_MICROS"
    lines = {line["unit_id"]: line for line in report["lines"]}
    assert set(lines) == {rewarded, interstitial}
    line = lines[rewarded]
    # 8,000 + 2,000 + 1 micros billed; the app keeps 70 %, rounded down per impression.
    revenue = 5_600 + 1_400 + 0
    assert {
        k: line[k] for k in ("day", "requests", "fills", "impressions", "completions", "clicks", "revenue", "ecpm")
    } == {
        "day": today.isoformat(),
        "requests": 5,
        "fills": 4,
        "impressions": 3,
        "completions": 2,
        "clicks": 1,
        "revenue": revenue,
        "ecpm": revenue * 1000 // 3,
    }
    assert line["fill_rate"] == 0.8
    assert (lines[interstitial]["impressions"], lines[interstitial]["revenue"]) == (1, 5_600)


def test_a_report_of_days_without_ads_is_empty_and_its_period_is_checked(ads, client, clock):
    today = clock.now.date()
    empty = client.get(f"/openapi/v1/ads/report?start={today}&end={today}", headers=ads.bearer())
    assert empty.status_code == 200 and empty.json()["lines"] == []
    backwards = client.get(
        f"/openapi/v1/ads/report?start={today}&end={today - timedelta(days=1)}", headers=ads.bearer()
    )
    assert backwards.status_code == 422 and backwards.json()["field"] == "end"
    too_long = client.get(
        f"/openapi/v1/ads/report?start={today - timedelta(days=400)}&end={today}", headers=ads.bearer()
    )
    assert too_long.status_code == 422
    # The last day there is has no end to count to: refused, not a server error (a probe found a 500).
    last_day = client.get("/openapi/v1/ads/report?start=9999-12-31&end=9999-12-31", headers=ads.bearer())
    assert last_day.status_code == 422 and last_day.json()["field"] == "end"
