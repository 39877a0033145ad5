"""Bursts against a real ``minis serve``: every request answered, fast, with the right status;
overload answered 503 with Retry-After, never a hang; nobody charged for an error.

Issue 12, item 7: 200 purchases at once against a wallet for 100 gave 155 500s after up to 181 s on
SQLite, and 21-38 500s from pool timeouts on PostgreSQL. These tests run the same burst over HTTP
against a server process on each database.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from bench.burst import APP_ID, PRODUCT, UNLIMITED, burst, funded_person, purchase_body, shop_package
from openminis.liveserver import LiveServer
from openminis.models import Base
from tests.concurrency import answered

pytestmark = pytest.mark.slow  # a real server and a burst of 200 requests each

# How fast is bench/burst.py's to measure (the target is 2 s for every answer), not these
# tests': a timed assertion failed here on a machine three times slower than usual (10.1-11.0 s).
# What they hold is that nothing hangs: a request unanswered within the client's minute comes back
# as status 0, which no assertion on the statuses lets through.


def _emptied(database_url: str) -> None:
    """The session's shared PostgreSQL database, emptied: the server process starts from nothing."""
    if not database_url.startswith("postgresql"):
        return
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("TRUNCATE " + ", ".join(t.name for t in Base.metadata.sorted_tables) + " CASCADE"))
    engine.dispose()


def serve(tmp_path: Path, database_url: str, **env: str) -> LiveServer:
    """A real ``minis serve`` on ``database_url`` selling pebbles, with the host's own rate limits
    out of the way (the whole burst comes from one address and one person; bench/burst.py)."""
    data = tmp_path / "data"
    data.mkdir()
    _emptied(database_url)
    return LiveServer(
        data, packages=[shop_package(tmp_path / "pkg")], env={**UNLIMITED, "MINIS_DATABASE_URL": database_url, **env}
    )


def purchases(server: LiveServer, person: dict, keys: list[str]) -> list[tuple[int, float, dict, dict]]:
    return burst(server, person, "POST", f"/api/apps/{APP_ID}/purchases", [purchase_body(key) for key in keys])


def one_by_one(server: LiveServer, person: dict, keys: list[str]) -> dict[str, httpx.Response]:
    """The person's purchases with these keys, one after another, as a client retrying them does:
    a 503 is sent again after its Retry-After (at a tiny gate, the server's own jobs can hold the
    one turn when a request comes)."""
    with httpx.Client(
        base_url=server.url, cookies=person["cookies"], headers={"X-CSRF-Token": person["csrf"]}, timeout=30
    ) as client:
        return {
            key: answered(lambda key=key: client.post(f"/api/apps/{APP_ID}/purchases", json=purchase_body(key)))
            for key in keys
        }


def balance(server: LiveServer, person: dict) -> int:
    return httpx.get(f"{server.url}/api/wallet", cookies=person["cookies"], timeout=30).json()["balance"]


def ledger_verifies(server: LiveServer) -> bool:
    return server.commands.run(["ledger", "verify", "--data-dir", str(server.data_dir)], env=server.env).returncode == 0


@pytest.fixture
def shop(tmp_path, database_url) -> Iterator[LiveServer]:
    with serve(tmp_path, database_url) as server:
        yield server


def test_a_burst_of_200_purchases_against_a_wallet_for_100_pays_exactly_100_and_refuses_100_and_none_hangs(shop):
    person = funded_person(shop)
    run = secrets.token_hex(3)
    keys = [f"{run}-{n}" for n in range(200)]
    answers = purchases(shop, person, keys)

    statuses = Counter(status for status, *_ in answers)
    slowest = max(seconds for _, seconds, *_ in answers)
    print(f"\n200 purchases at once: {dict(statuses)}, slowest answer {slowest:.2f} s")
    assert set(statuses) <= {200, 402, 503}, [body for status, _, body, _ in answers if status not in (200, 402)][:3]
    # On a machine too busy to serve all 200 within the database wait (5 s), some are "not now":
    # 503 with Retry-After, nothing charged. Retried with the same keys, as a client does, every
    # purchase is then either paid or refused for want of coins, and exactly 100 are paid.
    busy = [
        (key, body, headers) for key, (status, _, body, headers) in zip(keys, answers, strict=True) if status == 503
    ]
    assert all(body["code"] == "OVERLOADED" and "retry-after" in headers for _, body, headers in busy), busy[:3]
    retried = list(one_by_one(shop, person, [key for key, _, _ in busy]).values())
    finals = [(status, body) for status, _, body, _ in answers if status != 503]
    finals += [(answer.status_code, answer.json()) for answer in retried]
    assert Counter(status for status, _ in finals) == {200: 100, 402: 100}
    assert {body["code"] for status, body in finals if status == 402} == {"INSUFFICIENT_FUNDS"}
    assert balance(shop, person) == 0
    assert ledger_verifies(shop)


def test_50_concurrent_purchases_with_one_idempotency_key_make_one_order_and_one_charge(shop):
    person = funded_person(shop)
    answers = purchases(shop, person, ["the-one-tap"] * 50)

    assert {status for status, *_ in answers} == {200}, [body for status, _, body, _ in answers if status != 200][:3]
    assert len({body["id"] for _, _, body, _ in answers}) == 1
    assert balance(shop, person) == 100 - PRODUCT["price"]
    assert ledger_verifies(shop)


def test_50_concurrent_purchases_of_one_permanent_item_with_different_keys_grant_it_once_and_charge_once(
    shop, database_url
):
    """Fifty taps on "Buy" for an item owned forever, each its own purchase: one is granted and
    charged; the others wait for its entitlement row and are refused ALREADY_OWNED, charged nothing."""
    from tests.payments.test_coupon_storm import backend_token

    crown = {"type": "permanent", "price": 5, "title": {"en": "Crown"}}
    put = httpx.put(f"{shop.url}/openapi/v1/products/crown", json=crown, headers=backend_token(shop, database_url))
    assert put.status_code == 200, put.text
    person = funded_person(shop)
    run = secrets.token_hex(3)
    bodies = [
        {"product_id": "crown", "idempotency_key": f"{run}-{n}", "amount": 5, "currency": "COIN"} for n in range(50)
    ]
    first = burst(shop, person, "POST", f"/api/apps/{APP_ID}/purchases", bodies)
    answers = []
    with httpx.Client(
        base_url=shop.url, cookies=person["cookies"], headers={"X-CSRF-Token": person["csrf"]}, timeout=30
    ) as client:
        for (status, _, body, _), sent in zip(first, bodies, strict=True):
            if status == 503:  # "not now" on a busy machine: sent again, as a client does
                again = client.post(f"/api/apps/{APP_ID}/purchases", json=sent)
                status, body = again.status_code, again.json()
            answers.append((status, body))
        owned = client.get(f"/api/apps/{APP_ID}/purchases").json()

    assert Counter(status for status, _ in answers) == {200: 1, 409: 49}, [b for s, b in answers if s >= 500][:3]
    assert {body["code"] for status, body in answers if status == 409} == {"ALREADY_OWNED"}
    assert [item["product_id"] for item in owned["items"]] == ["crown"]
    assert balance(shop, person) == 100 - 5
    assert ledger_verifies(shop)


def test_an_overloaded_server_answers_503_with_retry_after_and_charges_only_what_it_confirmed(tmp_path, database_url):
    # One request at a time at the database, and a wait of 50 ms for a turn: most of a burst of 200
    # cannot be served in time.
    tiny = {"MINIS_DB_REQUESTS": "1", "MINIS_DB_SQLITE_WRITERS": "1", "MINIS_DB_WAIT_SECONDS": "0.05"}
    with serve(tmp_path, database_url, **tiny) as server:
        person = funded_person(server)
        keys = [f"k-{n}" for n in range(200)]
        answers = purchases(server, person, keys)

        statuses = Counter(status for status, *_ in answers)
        refused = [
            (key, body, headers) for key, (status, _, body, headers) in zip(keys, answers, strict=True) if status == 503
        ]
        print(
            f"\n200 purchases at a tiny gate: {dict(statuses)}, slowest answer {max(s for _, s, *_ in answers):.2f} s"
        )
        assert set(statuses) <= {200, 402, 503} and refused, dict(statuses)
        # Refused at the gate (OVERLOADED), or admitted and then not given SQLite's write lock in
        # time, held by the server's own job worker (DATABASE_BUSY, seen with 8 workers on 2 cores):
        # either is "not now", with Retry-After, and charges nothing.
        assert {body["code"] for _, body, _ in refused} <= {"OVERLOADED", "DATABASE_BUSY"}
        assert all(int(headers["retry-after"]) >= 1 for _, _, headers in refused)
        # Nothing was charged for a 503: the wallet lost exactly what the 200s confirmed.
        confirmed = {key: body["id"] for key, (status, _, body, _) in zip(keys, answers, strict=True) if status == 200}
        assert balance(server, person) == 100 - len(confirmed) * PRODUCT["price"]

        # Retried one by one with the same keys, as Retry-After says: each paid key gets its order
        # back, each refused one is paid now while coins last, and no key is charged twice.
        retried = one_by_one(server, person, keys)
        assert all(
            retried[key].status_code == 200 and retried[key].json()["id"] == order for key, order in confirmed.items()
        )
        assert Counter(r.status_code for r in retried.values()) == {200: 100, 402: 100}
        assert balance(server, person) == 0
        assert ledger_verifies(server)


@pytest.mark.postgres
def test_a_burst_that_finds_no_free_connection_for_its_sign_in_look_up_is_answered_503_not_500(tmp_path, postgres_url):
    # On PostgreSQL the person behind a session token is read on the event loop through a pool of
    # its own (loop_reads.py), opened one connection at a time as a burst needs them. With 20 ms to
    # wait for one, most of a burst of 200 waits in vain: that was a 500 each, before (found by
    # the two-process purchases on a slow machine).
    with serve(tmp_path, postgres_url, MINIS_DB_WAIT_SECONDS="0.02") as server:
        person = funded_person(server)
        answers = burst(server, person, "GET", "/api/me", [None] * 200)

    statuses = Counter(status for status, *_ in answers)
    assert set(statuses) <= {200, 503} and statuses[503], dict(statuses)
    refused = [(body, headers) for status, _, body, headers in answers if status == 503]
    assert {body["code"] for body, _ in refused} <= {"DATABASE_BUSY", "OVERLOADED"}, refused[:3]
    assert all("retry-after" in headers for _, headers in refused)
