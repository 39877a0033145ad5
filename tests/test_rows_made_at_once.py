"""Rows made by the first of several requests (an app's payment settings and ad settings, made on
first use; a product, a leaderboard or an ad unit declared by id): requests arriving at once,
against a real ``minis serve`` on SQLite and PostgreSQL, each get the one row, or a clear refusal.

On PostgreSQL each such request read "no row", inserted one, and all but the first failed on the
key at commit: a 500 (attack57: 3 to 7 of 10 reads of a new app's payment settings, about one run
in three; console57: 9 to 14 of 50 puts of a new product, 3 to 6 of a leaderboard, 8 of an ad unit).
"""

from __future__ import annotations

import asyncio
import secrets
from contextlib import closing

import httpx
import pytest

from bench.burst import APP_ID
from openminis.liveserver import LiveServer, run_apart
from tests.concurrency import one_connection_each
from tests.test_bursts import serve

pytestmark = pytest.mark.slow  # a real server and reads at once

READS = 20


def developer(server: LiveServer) -> httpx.Client:
    """A person signed up and verified, with a developer account, on the live server."""
    email = f"settings-{secrets.token_hex(3)}@example.com"
    client = httpx.Client(base_url=server.url, headers={"Origin": server.url}, timeout=30)
    client.headers["X-CSRF-Token"] = client.get("/api/me").json()["csrf_token"]
    registered = client.post("/api/account/register", json={"email": email, "password": "correct horse battery"})
    assert registered.status_code == 200, registered.text
    code = server.mailed(email, r"verification code is (\d{6})")
    assert client.post("/api/account/verify", json={"code": code}).status_code == 200
    client.headers["X-CSRF-Token"] = client.get("/api/me").json()["csrf_token"]
    assert client.post("/api/developer", json={"name": "Settings Studio"}).status_code == 200
    return client


def new_app(client: httpx.Client) -> tuple[str, str]:
    """A new app of the developer's (no settings row yet) and its secret."""
    app_id = f"set{secrets.token_hex(4)}"
    created = client.post("/api/developer/apps", json={"app_id": app_id, "name": "Settings", "kind": "game"})
    assert created.status_code == 201, created.text
    return app_id, created.json()["app_secret"]


async def at_once(
    server: LiveServer,
    path: str,
    headers: dict[str, str],
    cookies: httpx.Cookies,
    method: str = "GET",
    body: dict | None = None,
) -> list[int]:
    async with httpx.AsyncClient(
        base_url=server.url, headers=headers, cookies=cookies, limits=one_connection_each(READS), timeout=60
    ) as client:
        start = asyncio.Event()

        async def one() -> int:
            await start.wait()
            return (await client.request(method, path, json=body)).status_code

        tasks = [asyncio.create_task(one()) for _ in range(READS)]
        await asyncio.sleep(0.2)
        start.set()
        return await asyncio.gather(*tasks)


def test_reads_at_once_of_a_new_apps_payment_settings_each_answer_the_one_row(tmp_path, database_url):
    with serve(tmp_path, database_url) as server, closing(developer(server)) as client:
        for _ in range(3):  # it raced about one run in three
            console_app, _ = new_app(client)
            path = f"/api/developer/apps/{console_app}/payment-settings"
            assert run_apart(at_once(server, path, {}, client.cookies)) == [200] * READS

            openapi_app, secret = new_app(client)
            credentials = {"grant_type": "client_credentials", "client_id": openapi_app, "client_secret": secret}
            token = httpx.post(f"{server.url}/openapi/v1/auth/token", json=credentials, timeout=30).json()
            bearer = {"Authorization": f"Bearer {token['access_token']}"}
            statuses = run_apart(at_once(server, "/openapi/v1/payment-settings", bearer, httpx.Cookies()))
            assert statuses == [200] * READS
            assert client.get(path).json()["notify_url"] is None


def test_an_operators_ad_shares_set_at_once_for_an_app_each_answer_and_one_stands(tmp_path, database_url):
    """The first share set for an app makes its ads settings row: 20 set at once (automation sent
    twice, two operators) each inserted it, and on PostgreSQL all but one answered 500."""
    token = secrets.token_hex(12)
    with serve(tmp_path, database_url, MINIS_ADMIN_TOKEN=token) as server:
        bearer = {"Authorization": f"Bearer {token}"}
        shares = [5000 + 100 * n for n in range(READS)]

        async def set_all() -> list[int]:
            async with httpx.AsyncClient(
                base_url=server.url, headers=bearer, limits=one_connection_each(READS), timeout=60
            ) as client:
                start = asyncio.Event()

                async def one(bps: int) -> int:
                    await start.wait()
                    path = f"/api/admin/ads/apps/{APP_ID}/share"
                    return (await client.put(path, json={"developer_share_bps": bps})).status_code

                tasks = [asyncio.create_task(one(bps)) for bps in shares]
                await asyncio.sleep(0.2)
                start.set()
                return await asyncio.gather(*tasks)

        assert run_apart(set_all()) == [200] * READS


def app_backend(server: LiveServer, client: httpx.Client) -> tuple[str, dict[str, str]]:
    """A new app of the developer's and its backend's Open API headers."""
    app_id, secret = new_app(client)
    credentials = {"grant_type": "client_credentials", "client_id": app_id, "client_secret": secret}
    token = httpx.post(f"{server.url}/openapi/v1/auth/token", json=credentials, timeout=30).json()
    return app_id, {"Authorization": f"Bearer {token['access_token']}"}


def test_a_product_leaderboard_or_ad_unit_declared_at_once_by_id_is_made_once(tmp_path, database_url):
    with serve(tmp_path, database_url) as server, closing(developer(server)) as client:
        app_id, bearer = app_backend(server, client)
        no_cookies = httpx.Cookies()
        for n in range(3):
            product = {"type": "consumable", "price": 3, "title": {"en": "Pebble"}}
            made = run_apart(at_once(server, f"/openapi/v1/products/p{n}", bearer, no_cookies, "PUT", product))
            assert made == [200] * READS
            console = f"/api/developer/apps/{app_id}/products/c{n}"
            made = run_apart(at_once(server, console, dict(client.headers), client.cookies, "PUT", product))
            assert made == [200] * READS
            boards = run_apart(at_once(server, f"/openapi/v1/leaderboards/b{n}", bearer, no_cookies, "PUT", {}))
            assert boards == [200] * READS
            unit = {"id": f"au_at_once_{n}", "name": "Unit", "kind": "interstitial"}
            units = run_apart(at_once(server, "/openapi/v1/ad-units", bearer, no_cookies, "POST", unit))
            assert sorted(units) == [201] + [409] * (READS - 1)  # the id is taken by the first
        products = client.get(f"/api/developer/apps/{app_id}/products").json()["items"]
        assert sorted(p["id"] for p in products) == ["c0", "c1", "c2", "p0", "p1", "p2"]
