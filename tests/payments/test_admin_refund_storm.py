"""A storm of finance refunds of one top-up against a real ``minis serve``, on SQLite and PostgreSQL.

100 refund requests arrive at once over HTTP, on 100 connections: 30 retries of one key asking one
cent, and 70 refunds with keys of their own asking two cents each, far more than the 99 cents paid.
The one key refunds once; the others refund until the top-up is used up, and the rest are refused;
the top-up's refunded total, the wallet and ``minis ledger verify`` agree.
"""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter

import httpx
import pytest

from bench.burst import APP_ID, funded_person, purchase_body
from openminis.liveserver import run_apart
from tests.concurrency import honouring_retry_after, one_connection_each
from tests.test_bursts import balance, ledger_verifies, serve

pytestmark = pytest.mark.slow  # a real server and 100 requests at once


async def storm(server, token: str, item: str, asks: list[tuple[str, int]]) -> list[tuple[int, str, dict]]:
    limits = one_connection_each(len(asks))
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=server.url, headers=headers, limits=limits, timeout=60) as client:
        start = asyncio.Event()

        async def one(key: str, amount: int) -> tuple[int, str, dict]:
            await start.wait()
            answer = await honouring_retry_after(
                lambda: client.post(
                    "/api/admin/money/refunds",
                    json={"item": item, "amount": amount, "reason": "storm", "idempotency_key": key},
                )
            )
            return answer.status_code, key, answer.json()

        tasks = [asyncio.create_task(one(key, amount)) for key, amount in asks]
        await asyncio.sleep(0.2)
        start.set()
        return await asyncio.gather(*tasks)


def test_100_concurrent_finance_refunds_of_one_top_up_never_give_back_more_than_was_paid(tmp_path, database_url):
    token = secrets.token_urlsafe(24)
    with serve(tmp_path, database_url, MINIS_ADMIN_TOKEN=token) as server:
        person = funded_person(server)  # 100 coins for 99 cents
        user_id = httpx.get(f"{server.url}/api/me", cookies=person["cookies"], timeout=30).json()["user"]["id"]
        operator = {"Authorization": f"Bearer {token}"}
        records = httpx.get(f"{server.url}/api/admin/money/people/{user_id}", headers=operator, timeout=30).json()
        (topup,) = records["topups"]
        assert (topup["paid"], topup["currency"]) == (99, "USD")

        asks = [("one-key", 1)] * 30 + [(f"own-{n}", 2) for n in range(70)]
        answers = run_apart(storm(server, token, topup["item"], asks))

        assert not [status for status, _, _ in answers if status >= 500], [b for s, _, b in answers if s >= 500][:3]
        one_key = Counter(status for status, key, _ in answers if key == "one-key")
        own_keys = Counter(status for status, key, _ in answers if key != "one-key")
        print(f"\n100 finance refunds at once: one key {dict(one_key)}, own keys {dict(own_keys)}")
        assert one_key == {200: 30}  # every retry of the one key answers the same refund
        assert own_keys[200] == (99 - 1) // 2  # the rest of the 99 cents, two at a time, and no more
        assert set(own_keys) <= {200, 422}
        after = httpx.get(f"{server.url}/api/admin/money/people/{user_id}", headers=operator, timeout=30).json()
        assert after["topups"][0]["refunded"] == 99
        assert balance(server, person) == 0  # all 100 coins went back with the money
        assert ledger_verifies(server)


def test_concurrent_finance_refunds_of_one_order_each_audit_what_the_order_had_refunded_before_them(
    tmp_path, database_url
):
    """On PostgreSQL, 70 of 71 audit entries of refunds made at once said the order had been
    refunded less, or more, before them than it had: "before" was read before the order's lock
    (ops56). Each entry's before and amount make its after, and the entries chain from 0 to all."""
    token = secrets.token_hex(12)
    with serve(tmp_path, database_url, MINIS_ADMIN_TOKEN=token) as server:
        person = funded_person(server)  # 100 coins
        with httpx.Client(
            base_url=server.url, cookies=person["cookies"], headers={"X-CSRF-Token": person["csrf"]}, timeout=30
        ) as client:
            bought = client.post(
                f"/api/apps/{APP_ID}/purchases", json=purchase_body("forty") | {"quantity": 40, "amount": 40}
            )
            assert bought.status_code == 200, bought.text
        item = f"order:{bought.json()['id']}"
        answers = run_apart(storm(server, token, item, [(f"own-{n}", 1) for n in range(60)]))
        assert Counter(status for status, _, _ in answers)[200] == 40

        audit = httpx.get(
            f"{server.url}/api/admin/audit",
            params={"target_id": item, "action": "refund", "limit": 200},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        ).json()["items"]
        steps = sorted((entry["before"]["refunded"], entry["after"]["refunded"]) for entry in audit)
        assert len(steps) == 40
        assert [before for before, _ in steps] == list(range(40)), steps
        assert all(after == before + 1 for before, after in steps), steps
