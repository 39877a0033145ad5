"""A storm of refunds against a real ``minis serve``, as a developer's retrying backend makes one.

Issue 12, item 5 saw 20 concurrent same-key retries mark an order refunded 100 while the wallet got
10 back. Here 200 refund requests of one order arrive at once over HTTP, on 200 connections, on
SQLite and PostgreSQL: 100 retries of one key and 100 refunds with keys of their own, more than the
order has left. The one key refunds once; the others refund until the order is used up, and the
rest are refused; the order, the wallet and ``minis ledger verify`` agree.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections import Counter

import httpx
import pytest

from bench.burst import APP_ID, funded_person
from openminis.developers import service as developers
from openminis.developers.models import AppSecret
from openminis.liveserver import run_apart
from openminis.platform import Platform
from openminis.settings import Settings
from tests.concurrency import honouring_retry_after, one_connection_each
from tests.test_bursts import balance, ledger_verifies, serve

pytestmark = pytest.mark.slow  # a real server and 200 requests at once

PEBBLES = 99  # one order of 99 one-coin pebbles, from a wallet of 100


def app_secret(server, database_url: str) -> str:
    """What registering the app leaves in the server's database: a secret its backend knows."""
    secret = "ms_" + secrets.token_urlsafe(32)
    platform = Platform(
        Settings(data_dir=server.data_dir, database_url=database_url)
    )  # the server's own database (serve())
    try:
        with platform.db.session() as session:
            session.add(
                AppSecret(
                    app_id=APP_ID,
                    secret_hash=hashlib.sha256(secret.encode()).hexdigest(),
                    init_key=developers.init_key_for(secret),
                    notify_key=developers.notify_key_for(secret),
                )
            )
            session.commit()
    finally:
        platform.close()
    return secret


def paid_order(server, person: dict) -> dict:
    body = {
        "product_id": "pebble",
        "quantity": PEBBLES,
        "amount": PEBBLES,
        "currency": "COIN",
        "idempotency_key": "the-order",
    }
    answer = httpx.post(
        f"{server.url}/api/apps/{APP_ID}/purchases",
        json=body,
        cookies=person["cookies"],
        headers={"X-CSRF-Token": person["csrf"]},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


async def storm(server, token: str, order_id: str, keys: list[str]) -> list[tuple[int, str, dict]]:
    limits = one_connection_each(len(keys))
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=server.url, headers=headers, limits=limits, timeout=60) as client:
        start = asyncio.Event()

        async def one(key: str) -> tuple[int, str, dict]:
            await start.wait()
            answer = await honouring_retry_after(
                lambda: client.post(
                    f"/openapi/v1/orders/{order_id}/refund",
                    json={"amount": 1, "reason": "storm", "idempotency_key": key},
                )
            )
            return answer.status_code, key, answer.json()

        tasks = [asyncio.create_task(one(key)) for key in keys]
        await asyncio.sleep(0.2)
        start.set()
        return await asyncio.gather(*tasks)


def test_200_concurrent_refunds_of_one_order_refund_exactly_what_was_paid_once_per_key(tmp_path, database_url):
    with serve(tmp_path, database_url) as server:
        person = funded_person(server)
        order = paid_order(server, person)
        assert balance(server, person) == 100 - PEBBLES
        secret = app_secret(server, database_url)
        token = httpx.post(
            f"{server.url}/openapi/v1/auth/token",
            json={"grant_type": "client_credentials", "client_id": APP_ID, "client_secret": secret},
            timeout=30,
        ).json()["access_token"]

        keys = ["one-key"] * 100 + [f"own-{n}" for n in range(100)]
        answers = run_apart(storm(server, token, order["id"], keys))

        assert not [status for status, _, _ in answers if status >= 500], [
            body for status, _, body in answers if status >= 500
        ][:3]
        one_key = Counter(status for status, key, _ in answers if key == "one-key")
        own_keys = Counter(status for status, key, _ in answers if key != "one-key")
        print(f"\n200 refunds at once: one key {dict(one_key)}, own keys {dict(own_keys)}")
        assert one_key == {200: 100}  # every retry of the one key answers the same refund
        assert own_keys[200] == PEBBLES - 1  # the rest of the order, a coin each, and no more
        assert set(own_keys) <= {200, 409, 422}

        final = httpx.get(
            f"{server.url}/openapi/v1/orders/{order['id']}", headers={"Authorization": f"Bearer {token}"}, timeout=30
        ).json()
        assert final["status"] == "refunded" and final["refunded"] == PEBBLES
        assert balance(server, person) == 100
        assert ledger_verifies(server)  # transfers balanced, and the order equal to its refund transfers
