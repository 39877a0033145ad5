"""The demo's ads are made offline, once, with units under the stable ids the demo games carry."""

from __future__ import annotations

from sqlalchemy import func, select

from openminis.ads import demo
from openminis.ads.models import AdUnit, Campaign, Creative
from tests.factories import publish


def test_the_demo_seeds_advertisers_creatives_and_stable_units_once(platform):
    publish(platform, id="sky-runner")
    publish(platform, id="merge-2048")
    for _ in range(2):
        demo.seed(platform, seconds=1, report=lambda line: None)
    with platform.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Campaign)) == 3
        kinds = sorted(c.content_type for c in session.scalars(select(Creative)))
        assert kinds == ["image/png"] * 3 + ["video/mp4"] * 3
        assert sorted(u.id for u in session.scalars(select(AdUnit))) == ["au_merge_between_rounds", "au_sky_continue"]


def test_a_developer_may_choose_a_units_id_once(ads):
    first = ads.client.post(
        "/openapi/v1/ad-units",
        json={"id": "au_my_continue", "name": "Continue", "kind": "interstitial"},
        headers=ads.bearer(),
    )
    assert first.status_code == 201 and first.json()["id"] == "au_my_continue"
    again = ads.client.post(
        "/openapi/v1/ad-units",
        json={"id": "au_my_continue", "name": "Again", "kind": "interstitial"},
        headers=ads.bearer(),
    )
    assert again.status_code == 409 and again.json()["code"] == "UNIT_ID_TAKEN"
    bad = ads.client.post(
        "/openapi/v1/ad-units", json={"id": "NotAnId", "name": "Bad", "kind": "interstitial"}, headers=ads.bearer()
    )
    assert bad.status_code == 422
