"""The report's completions are the ads the server judged watched: for a rewarded unit exactly
the rewarded ones, for an interstitial one seen, visible, for its minimum by both clocks."""

from __future__ import annotations

from collections import Counter
from datetime import date


def completions(ads, client, start: date, end: date) -> Counter[str]:
    """Each unit's completions over these days, from the developer's report."""
    report = client.get(f"/openapi/v1/ads/report?start={start}&end={end}", headers=ads.bearer())
    assert report.status_code == 200, report.text
    counted: Counter[str] = Counter()
    for line in report.json()["lines"]:
        counted[line["unit_id"]] += line["completions"]
    return counted


def test_a_completion_the_server_did_not_judge_watched_is_not_a_completion(ads, player, client, clock):
    """A probe completed two billed rewarded ads with visible false and with watched_ms 10: the
    server answered not_visible and watched_too_little, and the report's completions still went up
    by 2 (every /complete wrote an ad_complete event, whatever the verdict)."""
    today = clock.now.date()
    ads.campaign(ads.advertiser())
    rewarded = ads.unit(min_watch_seconds=5)
    interstitial = ads.unit("interstitial", min_interval_seconds=0)
    early, hidden, glimpsed, watched, late = (ads.show(player, rewarded)["ad_id"] for _ in range(5))
    seen, covered = (ads.show(player, interstitial)["ad_id"] for _ in range(2))

    def complete(ad_id: str, watched_ms: int, visible: bool = True) -> dict:
        answer = ads.step(player, ad_id, "complete", watched_ms=watched_ms, visible=visible)
        assert answer.status_code == 200, answer.text
        return answer.json()

    assert complete(early, 6_000)["reason"] == "too_soon"  # the server's clock: no time passed
    clock.advance(seconds=10)
    assert complete(hidden, 6_000, visible=False)["reason"] == "not_visible"
    assert complete(glimpsed, 10)["reason"] == "watched_too_little"
    assert complete(watched, 6_000)["rewarded"] is True
    assert complete(seen, 5_000)["reason"] == "not_rewarded"
    assert complete(covered, 5_000, visible=False)["reason"] == "not_rewarded"
    clock.advance(hours=2)
    assert complete(late, 6_000)["reason"] == "too_late"

    assert completions(ads, client, today, clock.now.date()) == {rewarded: 1, interstitial: 1}
