"""Rows made by the first of several requests (an app's payment settings and ad settings, made on
first use; a product, a leaderboard or an ad unit declared by id): requests arriving at once,
against a real ``minis serve`` on SQLite and PostgreSQL, each get the one row, or a clear refusal.

On PostgreSQL each such request read "no row", inserted one, and all but the first failed on the
key at commit: a 500 (attack57: 3 to 7 of 10 reads of a new app's payment settings, about one run
in three; console57: 9 to 14 of 50 puts of a new product, 3 to 6 of a leaderboard, 8 of an ad unit).
"""

from __future__ import annotations

import asyncio
import io
import json
import secrets
import time
import zipfile
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


def test_a_coin_pack_put_at_once_is_made_once(tmp_path, database_url):
    """A pack put by the operator's automation and a retry of it at once: each made it on
    PostgreSQL, and all but the first failed on the key, a 500 (attack57b: 28 of 100)."""
    token = secrets.token_hex(12)
    with serve(tmp_path, database_url, MINIS_ADMIN_TOKEN=token) as server:
        bearer = {"Authorization": f"Bearer {token}"}
        pack = {"coins": 100, "prices": {"US": {"currency": "USD", "amount": 99999}}, "active": False, "reason": "new"}
        for n in range(3):
            path = f"/api/admin/money/packs/race-{n}"
            assert run_apart(at_once(server, path, bearer, httpx.Cookies(), "PUT", pack)) == [200] * READS


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


def package(app_id: str, n: int) -> bytes:
    """Version 1.0.n of the app, declaring product r{n}, leaderboard lb{n} and message template m{n}."""
    manifest = {
        "id": app_id,
        "name": "Release Race",
        "category": "puzzle",
        "description": "A release raced by its backend.",
        "version": f"1.0.{n}",
        "entry": "index.html",
        "orientation": "portrait",
        "icon": "icon.svg",
        "kind": "game",
        "allowed_domains": [],
        "products": [{"id": f"r{n}", "type": "consumable", "price": 2, "title": {"en": "Rock"}}],
        "leaderboards": [{"id": f"lb{n}"}],
        "messages": [{"id": f"m{n}", "title": "Hello there", "fields": [], "kind": "one-time"}],
    }
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("minis.json", json.dumps(manifest))
        archive.writestr("index.html", '<!doctype html><script src="/minis-sdk.js"></script>')
        archive.writestr("icon.svg", '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>')
    return packed.getvalue()


async def release_and_puts(server: LiveServer, app_id: str, version: str, n: int, admin: str, bearer: dict) -> list:
    """A reviewer's approval (released to everyone) and, around it, the backend's puts of the same
    product, board and template the version declares."""
    async with httpx.AsyncClient(base_url=server.url, limits=one_connection_each(31), timeout=90) as client:
        start = asyncio.Event()

        async def send(delay: float, method: str, path: str, body: dict, headers: dict) -> httpx.Response:
            await start.wait()
            await asyncio.sleep(delay)
            return await client.request(method, path, json=body, headers=headers)

        approve = f"/api/admin/review/{app_id}/{version}/approve"
        product = {"type": "consumable", "price": 3, "title": {"en": "Rock"}}
        template = {"id": f"m{n}", "title": "Hello there", "fields": [], "kind": "one-time"}
        sends = [send(0.01, "POST", approve, {"percent": 100}, {"Authorization": f"Bearer {admin}"})]
        for i in range(10):
            sends += [
                send(0.002 * i, "PUT", f"/openapi/v1/products/r{n}", product, bearer),
                send(0.002 * i, "PUT", f"/openapi/v1/leaderboards/lb{n}", {}, bearer),
                send(0.002 * i, "POST", "/openapi/v1/message-templates", template, bearer),
            ]
        tasks = [asyncio.create_task(one) for one in sends]
        await asyncio.sleep(0.3)
        start.set()
        return list(await asyncio.gather(*tasks))


def test_a_release_and_puts_of_what_it_declares_at_once_all_go_through(tmp_path, database_url):
    """A release holds its app's row, then the rows its manifest declares; a put of one of them held
    the row's turn, then the app's (its foreign key): on PostgreSQL the two waited for each other,
    and one was refused 503 DATABASE_BUSY, most often the reviewer's approval (attack57b)."""
    admin = secrets.token_hex(12)
    with (
        serve(tmp_path, database_url, MINIS_ADMIN_TOKEN=admin, MINIS_BROWSER_CHECKS="false") as server,
        closing(developer(server)) as client,
    ):
        app_id, bearer = app_backend(server, client)
        for n in range(4):
            uploaded = client.post(
                f"/api/developer/apps/{app_id}/versions",
                content=package(app_id, n),
                headers={"Content-Type": "application/zip"},
            )
            assert uploaded.status_code == 201, uploaded.text
            version = uploaded.json()["version"]
            for _ in range(120):  # the package's checks run in the background first
                submitted = client.post(f"/api/developer/apps/{app_id}/versions/{version}/submit")
                if submitted.status_code == 200 or submitted.json().get("code") != "NOT_CHECKED":
                    break
                time.sleep(0.5)
            assert submitted.status_code == 200, submitted.text
            answers = run_apart(release_and_puts(server, app_id, version, n, admin, bearer))
            refused = [(a.request.url.path, a.status_code, a.text[:120]) for a in answers if a.status_code >= 300]
            assert refused == []
