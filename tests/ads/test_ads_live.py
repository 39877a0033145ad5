"""Ads against a real ``minis serve`` over HTTP, on both databases: the caps on billed impressions
count billed impressions only, and hold exactly under a burst of 200 at once; a campaign whose
advertiser spent its funds stops winning once the index is read anew."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bench.burst import UNLIMITED
from bench.load import write_package
from openminis.ads import inventory
from openminis.db import Database
from openminis.liveserver import LiveServer, run_apart
from openminis.unit_of_work import unit_of_work
from tests.ads.conftest import MP4
from tests.concurrency import honouring_retry_after
from tests.test_bursts import _emptied

pytestmark = pytest.mark.slow  # a real server, and bursts of 200 requests

ADMIN_TOKEN = "ads-live-admin-token"
APP_ID = "ad-burst"
UNIT = "au_burst_continue"
PRICE = 9_000  # micros: every impression clears at the unit's $9 CPM floor
PEOPLE, EACH = 20, 10  # 200 impressions at once


def ads_server(tmp_path: Path, database_url: str, **env: str) -> LiveServer:
    package = write_package(
        tmp_path / "pkg", id=APP_ID, name="Ad Burst", category="arcade", description="Shows rewarded ads."
    )
    data = tmp_path / "data"
    data.mkdir()
    _emptied(database_url)
    env = {
        **UNLIMITED,
        "MINIS_DATABASE_URL": database_url,
        "MINIS_ADMIN_TOKEN": ADMIN_TOKEN,
        "MINIS_BROWSER_CHECKS": "false",
        **env,
    }
    return LiveServer(data, packages=[package], env=env)


def add_unit(database_url: str, floor_cpm: int) -> None:
    """The app's rewarded unit, as its developer's backend makes it (the app is the operator's)."""
    db = Database(database_url, pool_size=1)
    try:
        with unit_of_work(db) as session:
            fields = inventory.UnitFields(
                name="Continue", kind="rewarded", reward_type="continue", reward_amount=1, floor_cpm=floor_cpm
            )
            inventory.create_unit(session, APP_ID, fields, unit_id=UNIT)
    finally:
        db.engine.dispose()


class Operator:
    """The operator's ad admin over HTTP."""

    def __init__(self, server: LiveServer, opened: list[httpx.Client]):
        self.http = httpx.Client(
            base_url=f"{server.url}/api/admin/ads", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=30
        )
        opened.append(self.http)
        uploaded = self.http.post("/media", content=MP4, headers={"Content-Type": "application/octet-stream"})
        assert uploaded.status_code == 201, uploaded.text
        self.file = uploaded.json()["file"]

    def advertiser(self, name: str, funds: int) -> str:
        created = self.http.post("/advertisers", json={"name": name})
        assert created.status_code == 201, created.text
        deposited = self.http.post(
            f"/advertisers/{created.json()['id']}/deposits", json={"amount": funds, "idempotency_key": "first"}
        )
        assert deposited.status_code == 200, deposited.text
        return created.json()["id"]

    def campaign(self, advertiser: str, title: str, *, bid_cpm: int, total_budget: int) -> str:
        body = {"advertiser_id": advertiser, "name": title, "bid_cpm": bid_cpm, "total_budget": total_budget}
        created = self.http.post("/campaigns", json=body)
        assert created.status_code == 201, created.text
        campaign = created.json()["id"]
        creative = self.http.post(
            f"/campaigns/{campaign}/creatives",
            json={
                "file": self.file,
                "click_url": "https://example.com/",
                "title": title,
                "width": 540,
                "height": 960,
                "duration_ms": 15_000,
            },
        )
        assert creative.status_code == 201, creative.text
        return campaign

    def spent(self, campaign: str) -> int:
        return self.http.get(f"/campaigns/{campaign}").json()["spent"]


@pytest.fixture
def opened() -> Iterator[list[httpx.Client]]:
    """The test's HTTP clients, closed after it."""
    clients: list[httpx.Client] = []
    yield clients
    for client in clients:
        client.close()


def guest(server: LiveServer, opened: list[httpx.Client]) -> httpx.Client:
    person = httpx.Client(base_url=server.url, timeout=60)
    opened.append(person)
    person.headers["X-CSRF-Token"] = person.get("/api/me").json()["csrf_token"]
    return person


def request(person: httpx.Client) -> httpx.Response:
    return person.post("/api/ads/requests", json={"app_id": APP_ID, "unit_id": UNIT})


def shown(person: httpx.Client) -> tuple[str, str, str]:
    """(ad id, show token, the ad's title) of a new decision whose creative is on screen."""
    decided = request(person)
    assert decided.status_code == 200, decided.text
    ad_id = decided.json()["ad_id"]
    token = person.post(f"/api/ads/{ad_id}/shown")
    assert token.status_code == 200, token.text
    return ad_id, token.json()["show_token"], decided.json()["creative"]["title"]


def impression(person: httpx.Client, ad_id: str, token: str) -> httpx.Response:
    return person.post(f"/api/ads/{ad_id}/impression", json={"show_token": token})


async def all_at_once(server: LiveServer, people: list[httpx.Client], ads: list[list[tuple[str, str, str]]]):
    """Every person's impressions, all released at once: (person, status, code) of each."""
    start = asyncio.Event()
    clients = [
        httpx.AsyncClient(
            base_url=server.url,
            cookies=dict(person.cookies),
            headers={"X-CSRF-Token": person.headers["X-CSRF-Token"]},
            timeout=60,
            limits=httpx.Limits(max_connections=EACH),
        )
        for person in people
    ]

    async def one(who: int, ad_id: str, token: str) -> tuple[int, int, str]:
        await start.wait()
        answer = await honouring_retry_after(
            lambda: clients[who].post(f"/api/ads/{ad_id}/impression", json={"show_token": token})
        )
        body = answer.json()
        return who, answer.status_code, body.get("code") or body.get("status")

    tasks = [asyncio.create_task(one(who, ad_id, token)) for who, mine in enumerate(ads) for ad_id, token, _ in mine]
    await asyncio.sleep(0.1)
    start.set()
    try:
        return await asyncio.gather(*tasks)
    finally:
        for client in clients:
            await client.aclose()


def burst(server: LiveServer, opened: list[httpx.Client]) -> tuple[list[httpx.Client], list[tuple[int, int, str]]]:
    """PEOPLE guests decide EACH ads each, then all their impressions go at once."""
    people = [guest(server, opened) for _ in range(PEOPLE)]
    ads = [[shown(person) for _ in range(EACH)] for person in people]
    return people, run_apart(all_at_once(server, people, ads))


def test_refused_impressions_do_not_use_up_the_person_and_address_caps(tmp_path, database_url, opened):
    """A probe: 200 impressions at once against a budget for 10 billed exactly 10, but all 200 were
    counted against the address's cap (600/hour), and each person's 10 against theirs: the caps were
    counted before the budget was, and a refusal gave nothing back. docs/ads.md: the caps count
    billed impressions."""
    caps = {"MINIS_RATE_AD_IMPRESSIONS_PER_PERSON": "10/day", "MINIS_RATE_AD_IMPRESSIONS_PER_IP": "50/day"}
    with ads_server(tmp_path, database_url, **caps) as server:
        add_unit(database_url, floor_cpm=PRICE * 1000)
        operator = Operator(server, opened)
        advertiser = operator.advertiser("Acme", funds=100_000_000)
        small = operator.campaign(advertiser, "Small", bid_cpm=PRICE * 1000, total_budget=10 * PRICE)
        people, answers = burst(server, opened)

        assert Counter((status, code) for _, status, code in answers) == {(200, "shown"): 10, (404, "NO_FILL"): 190}
        assert operator.spent(small) == 10 * PRICE
        billed = Counter(who for who, status, _ in answers if status == 200)

        # The address was billed 10 of its 50, each person at most what they were billed.
        operator.campaign(advertiser, "More", bid_cpm=PRICE * 1000, total_budget=1_000 * PRICE)
        unbilled = [person for who, person in enumerate(people) if not billed[who]]
        first, *others = unbilled[:4]
        for _ in range(10):
            ad_id, token, title = shown(first)
            assert (title, impression(first, ad_id, token).status_code) == ("More", 200)
        over = request(first)
        assert over.status_code == 429 and over.json()["code"] == "FREQUENCY_CAPPED"  # the person's 10 billed
        for person in others:  # 20 billed so far: 30 more for the address
            for _ in range(10):
                ad_id, token, _ = shown(person)
                assert impression(person, ad_id, token).status_code == 200
        over = request(unbilled[4])
        assert over.status_code == 429 and over.json()["code"] == "FREQUENCY_CAPPED"  # the address's 50 billed


def test_the_person_and_address_caps_hold_exactly_under_200_impressions_at_once(tmp_path, database_url, opened):
    caps = {"MINIS_RATE_AD_IMPRESSIONS_PER_PERSON": "3/day", "MINIS_RATE_AD_IMPRESSIONS_PER_IP": "50/day"}
    with ads_server(tmp_path, database_url, **caps) as server:
        add_unit(database_url, floor_cpm=PRICE * 1000)
        operator = Operator(server, opened)
        campaign = operator.campaign(
            operator.advertiser("Acme", funds=100_000_000), "Plenty", bid_cpm=PRICE * 1000, total_budget=1_000 * PRICE
        )
        _, answers = burst(server, opened)

        assert Counter((status, code) for _, status, code in answers) == {
            (200, "shown"): 50,
            (429, "FREQUENCY_CAPPED"): 150,
        }
        assert max(Counter(who for who, status, _ in answers if status == 200).values()) <= 3
        assert operator.spent(campaign) == 50 * PRICE


def test_a_campaign_whose_advertiser_spent_its_funds_stops_winning_once_the_index_is_read_anew(
    tmp_path, database_url, opened
):
    """A probe: minutes after campaign funds-y had spent its advertiser's funds, it won 5 of 12
    decisions, each of which failed at the impression with NO_FILL while a funded campaign was
    there; and it set the price other campaigns paid."""
    with ads_server(tmp_path, database_url, MINIS_ADS_INDEX_REFRESH_SECONDS="1") as server:
        add_unit(database_url, floor_cpm=5_000_000)
        operator = Operator(server, opened)
        broke = operator.campaign(
            operator.advertiser("Broke", funds=24_000), "Broke", bid_cpm=12_000_000, total_budget=10_000_000
        )
        funded = operator.campaign(
            operator.advertiser("Funded", funds=100_000_000), "Funded", bid_cpm=9_000_000, total_budget=10_000_000
        )
        spender = guest(server, opened)
        for _ in range(2):  # $9 CPM each: 6,000 micros left, less than the broke campaign's bid
            ad_id, token, title = shown(spender)
            assert (title, impression(spender, ad_id, token).status_code) == ("Broke", 200)
        time.sleep(1.5)  # the index's refresh period passes
        outcomes: Counter[tuple[str, int]] = Counter()
        for _ in range(12):
            person = guest(server, opened)
            ad_id, token, title = shown(person)
            outcomes[title, impression(person, ad_id, token).status_code] += 1
        assert outcomes == {("Funded", 200): 12}
        assert (operator.spent(broke), operator.spent(funded)) == (18_000, 12 * 5_000)  # at the floor
