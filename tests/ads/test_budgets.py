"""Budgets and funds are never overspent, frequency caps and intervals hold, also under concurrency."""

from __future__ import annotations

import os
import secrets
import threading

import pytest
import redis
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from openminis.ads import serving
from openminis.ads.models import Campaign, CampaignDay, Impression
from openminis.db import busy as database_busy
from openminis.errors import PlatformError
from openminis.identity.service import new_user
from openminis.ratelimit import RedisRateLimiter
from openminis.unit_of_work import unit_of_work
from openminis.wallet import service as ledger
from tests.concurrency import race
from tests.conftest import unavailable
from tests.studio import browser

PRICE = 5_000  # micros: two bidders at $5 and $9 CPM, the winner pays $5 CPM


def people(platform, count: int) -> list[str]:
    with platform.db.session() as session:
        ids = [new_user(session).id for _ in range(count)]
        session.commit()
    return ids


def decisions(platform, studio, unit: str, user_ids: list[str]) -> list[str]:
    ad_ids = []
    for user_id in user_ids:
        with unit_of_work(platform.db) as session:
            ad_ids.append(
                serving.request_ad(session, platform.ads, user_id=user_id, app_id=studio.app_id, unit_id=unit).ad_id
            )
    return ad_ids


def show_all_at_once(platform, pairs: list[tuple[str, str]]) -> list[str]:
    """Start every impression at the same moment, each in its own thread and unit of work, which
    keeps what a refusal recorded, as the route does."""
    outcomes: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(pairs))

    def show(user_id: str, ad_id: str) -> None:
        barrier.wait()
        while True:
            try:
                with unit_of_work(platform.db) as session:
                    try:
                        token = serving.show(session, platform.ads, user_id=user_id, ad_id=ad_id)
                        serving.start_impression(session, platform.ads, user_id=user_id, ad_id=ad_id, show_token=token)
                        result = "shown"
                    except PlatformError as exc:
                        result = exc.code
                break
            except SQLAlchemyError as exc:
                # No connection free within the pool's wait (100 threads, 20 connections, a loaded
                # machine): the route answers that 503 and the person's client sends it again.
                if database_busy(exc) is None:
                    raise
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=show, args=pair) for pair in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def spent(platform, campaign_id: str) -> tuple[int, int, int]:
    """(campaign.spent, today's spent, billed impressions)."""
    with platform.db.session() as session:
        total = session.get(Campaign, campaign_id).spent
        today = session.scalar(
            select(func.coalesce(func.sum(CampaignDay.spent), 0)).where(CampaignDay.campaign_id == campaign_id)
        )
        billed = session.scalar(
            select(func.count())
            .select_from(Impression)
            .where(Impression.campaign_id == campaign_id, Impression.shown_at.is_not(None))
        )
        return total, today, billed


def verified(platform) -> None:
    with platform.db.session() as session:
        check = ledger.verify(session)
    assert check.ok, check.problems


@pytest.mark.slow
def test_a_budget_is_never_overspent_under_100_concurrent_impressions(ads, platform, studio):
    advertiser = ads.advertiser(funds=10_000_000)
    campaign = ads.campaign(
        advertiser, bid_cpm=9_000_000, total_budget=37 * PRICE + PRICE - 1, daily_budget=1_000 * PRICE
    )
    ads.campaign(advertiser, bid_cpm=5_000_000, total_budget=1_000 * PRICE, title="Runner-up")
    unit = ads.unit()
    users = people(platform, 100)
    ad_ids = decisions(platform, studio, unit, users)
    outcomes = show_all_at_once(platform, list(zip(users, ad_ids, strict=True)))
    assert outcomes.count("shown") == 37 and outcomes.count("NO_FILL") == 63
    assert spent(platform, campaign) == (37 * PRICE, 37 * PRICE, 37)
    with platform.db.session() as session:
        assert ledger.account(session, "advertiser_funds", advertiser, "USD_MICROS").balance == 10_000_000 - 37 * PRICE
        refused = session.scalar(select(func.count()).select_from(Impression).where(Impression.status == "refused"))
        assert refused == 63
        session.commit()
    verified(platform)


@pytest.mark.slow
def test_a_daily_budget_is_never_overspent_under_100_concurrent_impressions(ads, platform, studio, clock):
    advertiser = ads.advertiser(funds=10_000_000)
    campaign = ads.campaign(advertiser, bid_cpm=9_000_000, total_budget=1_000 * PRICE, daily_budget=20 * PRICE)
    ads.campaign(advertiser, bid_cpm=5_000_000, total_budget=1_000 * PRICE, title="Runner-up")
    unit = ads.unit()
    users = people(platform, 100)
    outcomes = show_all_at_once(platform, list(zip(users, decisions(platform, studio, unit, users), strict=True)))
    assert outcomes.count("shown") == 20
    assert spent(platform, campaign) == (20 * PRICE, 20 * PRICE, 20)
    clock.advance(days=1)  # a new day, a new daily budget
    with unit_of_work(platform.db) as session:
        fresh = serving.request_ad(session, platform.ads, user_id=users[0], app_id=studio.app_id, unit_id=unit).ad_id
        token = serving.show(session, platform.ads, user_id=users[0], ad_id=fresh)
        assert (
            serving.start_impression(session, platform.ads, user_id=users[0], ad_id=fresh, show_token=token).campaign_id
            == campaign
        )
    assert spent(platform, campaign)[0] == 21 * PRICE
    verified(platform)


@pytest.mark.slow
def test_an_advertiser_never_spends_more_than_its_funds_under_100_concurrent_impressions(ads, platform, studio):
    advertiser = ads.advertiser(funds=25 * PRICE)
    campaign = ads.campaign(advertiser, bid_cpm=9_000_000, total_budget=1_000 * PRICE)
    ads.campaign(
        ads.advertiser("Other", funds=10_000_000), bid_cpm=5_000_000, total_budget=1_000 * PRICE, title="Runner-up"
    )
    unit = ads.unit()
    users = people(platform, 100)
    outcomes = show_all_at_once(platform, list(zip(users, decisions(platform, studio, unit, users), strict=True)))
    assert outcomes.count("shown") == 25
    assert spent(platform, campaign) == (25 * PRICE, 25 * PRICE, 25)
    with platform.db.session() as session:
        assert ledger.account(session, "advertiser_funds", advertiser, "USD_MICROS").balance == 0
        session.commit()
    verified(platform)


def test_when_the_budget_ran_out_after_the_decision_nothing_is_billed(ads, player, platform):
    advertiser = ads.advertiser(funds=10_000_000)
    # Enough for one impression at its own bid ($9 CPM), so it is served; it pays $5 CPM, twice too much.
    campaign = ads.campaign(advertiser, bid_cpm=9_000_000, total_budget=9_000)
    ads.campaign(advertiser, bid_cpm=5_000_000, total_budget=1_000 * PRICE, title="Runner-up")
    unit = ads.unit()
    first, second = ads.decide(player, unit), ads.decide(player, unit)
    assert first["creative"]["title"] == second["creative"]["title"] == "Ad"
    assert ads.step(player, first["ad_id"], "impression").status_code == 200
    late = ads.step(player, second["ad_id"], "impression")
    assert late.status_code == 404 and late.json()["code"] == "NO_FILL"
    assert spent(platform, campaign) == (PRICE, PRICE, 1)  # its claim and spending went back with the savepoint
    with platform.db.session() as session:
        assert session.get(Impression, second["ad_id"]).status == "refused"  # and its refusal stayed
    assert ads.decide(player, unit)["creative"]["title"] == "Runner-up"  # the spent campaign no longer wins
    verified(platform)


def test_a_frequency_cap_holds_per_person(ads, player, client):
    ads.campaign(ads.advertiser(), frequency_cap={"count": 2, "period_seconds": 86_400})
    unit = ads.unit()
    for _ in range(2):
        ads.show(player, unit)
    capped = ads.request(player, unit)
    assert capped.status_code == 409 and capped.json()["code"] == "FREQUENCY_CAPPED"
    assert ads.request(browser(client), unit).status_code == 200  # someone else still sees it


@pytest.fixture(params=["in-process", "redis"])
def limiter(request, platform):
    """Frequency caps count in the platform's limiter: in this process, or shared through Redis."""
    if request.param == "redis":
        url = os.environ.get("MINIS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
        client = redis.Redis.from_url(url, socket_connect_timeout=2)
        try:
            client.ping()
        except redis.exceptions.ConnectionError as exc:
            unavailable(f"Redis is not reachable at {url}: {exc}")
        prefix = f"minis:test:ads:{secrets.token_hex(4)}:"
        platform.__dict__["limiter"] = RedisRateLimiter(url, prefix)
        yield platform.limiter
        keys = list(client.scan_iter(match=prefix + "*"))
        if keys:
            client.delete(*keys)
        client.close()
    else:
        yield platform.limiter


def test_a_frequency_cap_holds_under_concurrent_impressions_of_one_person(ads, platform, studio, limiter):
    campaign = ads.campaign(ads.advertiser(), frequency_cap={"count": 3, "period_seconds": 86_400})
    unit = ads.unit()
    [user] = people(platform, 1)
    ad_ids = decisions(platform, studio, unit, [user] * 30)  # decided before any is shown: all pass the check
    outcomes = show_all_at_once(platform, [(user, ad_id) for ad_id in ad_ids])
    assert outcomes.count("shown") == 3 and outcomes.count("FREQUENCY_CAPPED") == 27
    assert spent(platform, campaign)[2] == 3


def test_a_capped_campaign_gives_way_to_the_next_one(ads, player):
    advertiser = ads.advertiser()
    ads.campaign(advertiser, bid_cpm=9_000_000, title="Capped", frequency_cap={"count": 1, "period_seconds": 3_600})
    ads.campaign(advertiser, bid_cpm=2_000_000, title="Next")
    unit = ads.unit()
    assert ads.show(player, unit)["creative"]["title"] == "Capped"
    assert ads.decide(player, unit)["creative"]["title"] == "Next"


def test_interstitials_keep_their_minimum_interval_per_person_per_app(ads, player):
    ads.campaign(ads.advertiser())
    unit = ads.unit("interstitial", min_interval_seconds=120)
    ads.show(player, unit)
    early = ads.request(player, unit)
    assert early.status_code == 409 and early.json()["code"] == "INTERVAL_NOT_ELAPSED"


def test_replays_of_one_impression_at_once_bill_it_once_and_count_once_toward_the_caps(ads, platform, studio, limiter):
    """A probe started one ad's impression 150 times at once with its one show token: billed once,
    but each replay took a slot of the person's frequency cap before losing the claim, so the
    advertiser lost the person after one real impression. Replays now count nothing."""
    campaign = ads.campaign(ads.advertiser(), frequency_cap={"count": 3, "period_seconds": 86_400})
    unit = ads.unit()
    [user] = people(platform, 1)
    [first, *later] = decisions(platform, studio, unit, [user] * 3)
    with unit_of_work(platform.db) as session:
        token = serving.show(session, platform.ads, user_id=user, ad_id=first)

    def replay(_worker: int, _n: int) -> str:
        with unit_of_work(platform.db) as session:
            try:
                serving.start_impression(session, platform.ads, user_id=user, ad_id=first, show_token=token)
                return "shown"
            except PlatformError as exc:
                return exc.code

    # The first bills it; the rest are answered as the retries they may be.
    assert race(30, 1, replay) == {"shown": 30}
    assert spent(platform, campaign)[2] == 1
    # Two more of the cap's three are left for this person.
    assert show_all_at_once(platform, [(user, ad_id) for ad_id in later]) == ["shown", "shown"]
    assert spent(platform, campaign)[2] == 3
    verified(platform)


def test_every_ads_amount_is_a_json_number_never_a_string_a_float_or_true(ads, platform):
    """A probe: a deposit of true added a micro, "1000000" and 1000000.0 were deposited, and a
    campaign took a bid and budgets as strings and floats. docs/ads.md: every amount is an integer
    number of micros."""
    advertiser = ads.advertiser(funds=0)
    for n, lax in enumerate(("1000000", True, 1000000.0)):
        deposit = ads.admin(
            "POST", f"/advertisers/{advertiser}/deposits", json={"amount": lax, "idempotency_key": f"lax-{n}"}
        )
        assert (deposit.status_code, deposit.json()["field"]) == (422, "amount"), deposit.text
    body = {"advertiser_id": advertiser, "name": "Lax", "bid_cpm": 5_000_000, "total_budget": 10_000_000}
    for field, lax in (("bid_cpm", "5000000"), ("total_budget", "10000000"), ("daily_budget", 2000000.0)):
        campaign = ads.admin("POST", "/campaigns", json={**body, field: lax})
        assert campaign.status_code == 422, (field, campaign.text)
    capped = ads.admin("POST", "/campaigns", json={**body, "frequency_cap": {"count": "3", "period_seconds": 3600}})
    assert capped.status_code == 422, capped.text
    unit = {"name": "Lax unit", "kind": "rewarded", "reward": {"type": "coins", "amount": "10"}}
    assert ads.client.post("/openapi/v1/ad-units", json=unit, headers=ads.bearer()).status_code == 422
    floor = {"name": "Lax floor", "kind": "interstitial", "floor_cpm": 1000.0}
    assert ads.client.post("/openapi/v1/ad-units", json=floor, headers=ads.bearer()).status_code == 422
    with platform.db.session() as session:
        assert ledger.account(session, "advertiser_funds", advertiser, "USD_MICROS").balance == 0
        session.commit()
