"""Coupon limits under a storm of purchases against a real ``minis serve`` (issue 18, item 5).

200 purchases at once over HTTP, on SQLite and PostgreSQL: 200 people holding one coupon with a
total limit of 50 make exactly 50 discounted orders (the rest are refused COUPON_EXHAUSTED and
charged nothing), and one person making 200 purchases at once with a coupon of one use per person
makes exactly one. A use is reserved by a conditional update in the purchase's own transaction,
so the limits hold in the database, and ``minis ledger verify`` checks every coupon order after.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bench.burst import APP_ID, funded_person
from openminis.liveserver import run_apart
from tests.concurrency import honouring_retry_after, one_connection_each
from tests.payments.test_refund_storm import app_secret
from tests.test_bursts import balance, ledger_verifies, serve

pytestmark = pytest.mark.slow  # a real server and 200 requests at once

PRICE, OFF = 10, 2


def backend_token(server, database_url: str) -> dict[str, str]:
    secret = app_secret(server, database_url)
    token = httpx.post(
        f"{server.url}/openapi/v1/auth/token",
        json={"grant_type": "client_credentials", "client_id": APP_ID, "client_secret": secret},
        timeout=30,
    ).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def shop_with_coupon(server, database_url: str, code: str, **limits: int) -> tuple[dict, dict]:
    """A 10-coin gem and a developer's coupon for 2 off it: the coupon and the backend's headers."""
    headers = backend_token(server, database_url)
    gem = {"type": "consumable", "price": PRICE, "title": {"en": "Gem"}}
    assert httpx.put(f"{server.url}/openapi/v1/products/gem", json=gem, headers=headers, timeout=30).status_code == 200
    body = {
        "title": "Storm",
        "code": code,
        "amount_off": OFF,
        "product_ids": ["gem"],
        "ends_at": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
        **limits,
    }
    coupon = httpx.post(f"{server.url}/openapi/v1/coupons", json=body, headers=headers, timeout=30)
    assert coupon.status_code == 201, coupon.text
    return coupon.json(), headers


def claimed(server, person: dict, code: str) -> dict:
    answer = httpx.post(
        f"{server.url}/api/coupons/claim",
        json={"code": code},
        cookies=person["cookies"],
        headers={"X-CSRF-Token": person["csrf"]},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return person


async def storm(server, buyers: list[tuple[dict, str]], coupon_id: str) -> list[tuple[int, dict]]:
    limits = one_connection_each(len(buyers))
    async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=60) as client:
        start = asyncio.Event()

        async def one(person: dict, key: str) -> tuple[int, dict]:
            headers = {
                "X-CSRF-Token": person["csrf"],
                "Cookie": "; ".join(f"{name}={value}" for name, value in person["cookies"].items()),
            }
            body = {
                "product_id": "gem",
                "idempotency_key": key,
                "amount": PRICE - OFF,
                "currency": "COIN",
                "coupon_id": coupon_id,
            }
            await start.wait()
            answer = await honouring_retry_after(
                lambda: client.post(f"/api/apps/{APP_ID}/purchases", json=body, headers=headers)
            )
            return answer.status_code, answer.json()

        tasks = [asyncio.create_task(one(person, key)) for person, key in buyers]
        await asyncio.sleep(0.2)
        start.set()
        return await asyncio.gather(*tasks)


def no_5xx(answers: list[tuple[int, dict]]) -> None:
    assert not [body for status, body in answers if status >= 500][:3]


def test_200_people_buying_at_once_with_a_coupon_limited_to_50_uses_get_exactly_50_discounts(tmp_path, database_url):
    with serve(tmp_path, database_url) as server:
        coupon, headers = shop_with_coupon(server, database_url, "FIFTY", total_limit=50, per_person_limit=1)
        with ThreadPoolExecutor(4) as pool:
            people = list(pool.map(lambda _: claimed(server, funded_person(server), "FIFTY"), range(200)))

        answers = run_apart(storm(server, [(person, "buy") for person in people], coupon["id"]))

        no_5xx(answers)
        statuses = Counter((status, body.get("code")) for status, body in answers)
        print(f"\n200 people, one coupon for 50: {dict(statuses)}")
        assert statuses == {(200, None): 50, (409, "COUPON_EXHAUSTED"): 150}
        assert {(body["amount"], body["discount"]) for status, body in answers if status == 200} == {(PRICE - OFF, OFF)}
        spent = sorted(100 - balance(server, person) for person in people)
        assert spent == [0] * 150 + [PRICE - OFF] * 50  # the refused were charged nothing
        shown = httpx.get(f"{server.url}/openapi/v1/coupons/{coupon['id']}", headers=headers, timeout=30).json()
        assert shown["used"] == 50
        assert ledger_verifies(server)  # transfers balanced; every coupon order, use and count agree


def test_one_person_buying_200_times_at_once_with_a_coupon_of_one_use_gets_exactly_one_discount(tmp_path, database_url):
    with serve(tmp_path, database_url) as server:
        coupon, headers = shop_with_coupon(server, database_url, "ONCEONLY", per_person_limit=1)
        person = claimed(server, funded_person(server), "ONCEONLY")

        answers = run_apart(storm(server, [(person, f"tap-{n}") for n in range(200)], coupon["id"]))

        no_5xx(answers)
        statuses = Counter((status, body.get("code")) for status, body in answers)
        print(f"\none person, 200 purchases with a one-use coupon: {dict(statuses)}")
        assert statuses == {(200, None): 1, (409, "COUPON_USED_UP"): 199}
        assert balance(server, person) == 100 - (PRICE - OFF)
        shown = httpx.get(f"{server.url}/openapi/v1/coupons/{coupon['id']}", headers=headers, timeout=30).json()
        assert shown["used"] == 1
        assert ledger_verifies(server)
