"""Bursts against a real ``minis serve``: every request answered, fast, with the right status;
overload answered 503 with Retry-After, never a hang; nobody charged for an error.

Issue 12, item 7: 200 purchases at once against a wallet for 100 gave 155 500s after up to 181 s on
SQLite, and 21-38 500s from pool timeouts on PostgreSQL. These tests run the same burst over HTTP
against a server process on each database.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from bench.load import write_package
from openminis.liveserver import LiveServer
from openminis.models import Base

# The whole burst comes from one address and one person: the per-IP and per-person limits would
# answer 429 to most of it, and this test is about what the database side does with a burst.
UNLIMITED = {
    "MINIS_RATE_PER_IP": "1000000/minute",
    "MINIS_RATE_PER_APP": "1000000/minute",
    "MINIS_RATE_CHANGES_PER_IP": "1000000/minute",
    "MINIS_RATE_CHANGES_PER_PERSON": "1000000/minute",
    "MINIS_RATE_GUESTS_PER_IP": "1000000/minute",
    "MINIS_SANDBOX_PAYMENTS": "true",
}
# Generous: the target is 2 s for every answer; bench/burst.py measures the real figure.
SLOWEST_ALLOWED = 10.0
PRODUCT = {"id": "pebble", "type": "consumable", "price": 1, "title": {"en": "Pebble"}}


def _emptied(database_url: str) -> None:
    """The session's shared PostgreSQL database, emptied: the server process starts from nothing."""
    if not database_url.startswith("postgresql"):
        return
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("TRUNCATE " + ", ".join(t.name for t in Base.metadata.sorted_tables) + " CASCADE"))
    engine.dispose()


def serve(tmp_path: Path, database_url: str, app_id: str, **env: str) -> LiveServer:
    data = tmp_path / "data"
    data.mkdir()
    _emptied(database_url)
    package = write_package(tmp_path / "pkg", id=app_id, name="Burst Shop", category="benchmark", description="Sells pebbles.", products=[PRODUCT])
    env = {**UNLIMITED, "MINIS_DATABASE_URL": database_url, **env}
    return LiveServer(data, packages=[package], env=env)


def funded_person(server: LiveServer, pack: str = "coins-100") -> dict[str, str]:
    """A new guest with one coin pack bought in the sandbox: the cookies and CSRF header to act as them."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        csrf = client.get("/api/me").json()["csrf_token"]
        client.headers["X-CSRF-Token"] = csrf
        topup = client.post("/api/wallet/topups", json=topup_body(client, pack))
        assert topup.status_code in (200, 201), topup.text
        paid = client.post(f"/api/wallet/topups/{topup.json()['id']}/sandbox/pay", json={"card_number": "4242424242424242"})
        assert paid.json()["status"] == "succeeded", paid.text
        return {"cookies": dict(client.cookies), "csrf": csrf}


def topup_body(client: httpx.Client, pack: str) -> dict:
    """A top-up of ``pack`` at the price the host shows for it (what the person confirmed)."""
    shown = next(p for p in client.get("/api/wallet/packs").json()["items"] if p["id"] == pack)
    body = {"pack_id": pack}
    for field in ("amount", "currency"):
        if field in shown and field in purchase_fields():
            body[field] = shown[field]
    return body


def purchase_fields() -> set[str]:
    from openminis.payments.schemas import PurchaseIn, TopUpIn

    return set(PurchaseIn.model_fields) | set(TopUpIn.model_fields)


def purchase_body(key: str) -> dict:
    """A purchase of one pebble as the pay sheet sends it, with the price shown when the schema asks for it."""
    from openminis.payments.schemas import PurchaseIn

    body = {"product_id": PRODUCT["id"], "idempotency_key": key}
    if "amount" in PurchaseIn.model_fields:
        body["amount"] = PRODUCT["price"]
    if "currency" in PurchaseIn.model_fields:
        body["currency"] = "COIN"
    return body


async def _burst(server: LiveServer, person: dict[str, str], path: str, bodies: list[dict]) -> list[tuple[int, float, dict, dict]]:
    """Every body posted at once, each on its own connection: (status, seconds, json, headers) for each."""
    limits = httpx.Limits(max_connections=len(bodies), max_keepalive_connections=len(bodies))
    headers = {"X-CSRF-Token": person["csrf"]}
    async with httpx.AsyncClient(base_url=server.url, cookies=person["cookies"], headers=headers, limits=limits, timeout=60) as client:
        # Open every connection first, so that the burst is the requests, not the TCP handshakes.
        await asyncio.gather(*(client.get("/api/wallet") for _ in bodies))
        start = asyncio.Event()

        async def one(body: dict) -> tuple[int, float, dict, dict]:
            await start.wait()
            began = time.perf_counter()
            try:
                response = await client.post(path, json=body)
            except httpx.TimeoutException:
                return 0, time.perf_counter() - began, {"code": "CLIENT_TIMEOUT"}, {}  # a hang: no answer in a minute
            return response.status_code, time.perf_counter() - began, response.json(), dict(response.headers)

        tasks = [asyncio.create_task(one(body)) for body in bodies]
        await asyncio.sleep(0.1)
        start.set()
        return await asyncio.gather(*tasks)


def burst(server: LiveServer, person: dict[str, str], path: str, bodies: list[dict]) -> list[tuple[int, float, dict, dict]]:
    return asyncio.run(_burst(server, person, path, bodies))


def balance(server: LiveServer, person: dict[str, str]) -> int:
    return httpx.get(f"{server.url}/api/wallet", cookies=person["cookies"], timeout=30).json()["balance"]


def ledger_verifies(server: LiveServer) -> bool:
    result = subprocess.run(
        [sys.executable, "-m", "openminis.cli", "ledger", "verify", "--data-dir", str(server.data_dir)], env=server.env, capture_output=True, text=True
    )
    return result.returncode == 0


@pytest.fixture
def shop(tmp_path, database_url) -> Iterator[tuple[LiveServer, str]]:
    app_id = "burst-shop"
    with serve(tmp_path, database_url, app_id) as server:
        yield server, app_id


def test_a_burst_of_200_purchases_against_a_wallet_for_100_pays_exactly_100_and_refuses_100_quickly(shop):
    server, app_id = shop
    person = funded_person(server)
    run = secrets.token_hex(3)
    answers = burst(server, person, f"/api/apps/{app_id}/purchases", [purchase_body(f"{run}-{n}") for n in range(200)])

    statuses = Counter(status for status, *_ in answers)
    slowest = max(seconds for _, seconds, *_ in answers)
    print(f"\n200 purchases at once: {dict(statuses)}, slowest answer {slowest:.2f} s")
    assert statuses == {200: 100, 402: 100}, [body for status, _, body, _ in answers if status not in (200, 402)][:3]
    assert {body["code"] for status, _, body, _ in answers if status == 402} == {"INSUFFICIENT_FUNDS"}
    assert slowest < SLOWEST_ALLOWED
    assert balance(server, person) == 0
    assert ledger_verifies(server)


def test_50_concurrent_purchases_with_one_idempotency_key_make_one_order_and_one_charge(shop):
    server, app_id = shop
    person = funded_person(server)
    answers = burst(server, person, f"/api/apps/{app_id}/purchases", [purchase_body("the-one-tap")] * 50)

    assert {status for status, *_ in answers} == {200}, [body for status, _, body, _ in answers if status != 200][:3]
    assert len({body["id"] for _, _, body, _ in answers}) == 1
    assert balance(server, person) == 100 - PRODUCT["price"]
    assert ledger_verifies(server)
