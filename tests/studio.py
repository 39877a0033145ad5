"""A developer with a published app, a player, and the developer's backend, all on one test server."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from starlette.testclient import TestClient

from openminis.client import MinisClient
from tests.factories import package_files, zip_bytes

ADMIN_TOKEN = "test-admin-token"  # tests/conftest.py's settings


def browser(client: TestClient) -> TestClient:
    """Another browser on the same server: its own cookies."""
    return TestClient(client.app, base_url="http://localhost:8000")


def csrf_of(browser: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": browser.get("/api/me").json()["csrf_token"]}


def mailed_code(browser: TestClient, email: str) -> str:
    """The verification code last mailed to ``email`` (the log mailbox keeps its messages)."""
    for message in reversed(browser.app.platform.mailbox.outbox):
        if message["To"] == email.lower() and (
            found := re.search(r"verification code is (\d{6})", message.get_content())
        ):
            return found.group(1)
    raise AssertionError(f"no verification code was mailed to {email}")


def sign_up(browser: TestClient, email: str, password: str = "correct horse battery") -> dict[str, str]:
    """A full account: register, then the code from the mailbox proves the email."""
    headers = csrf_of(browser)
    response = browser.post("/api/account/register", json={"email": email, "password": password}, headers=headers)
    assert response.status_code == 200, response.text
    verified = browser.post("/api/account/verify", json={"code": mailed_code(browser, email)}, headers=headers)
    assert verified.status_code == 200, verified.text
    return headers


@dataclass
class DevApp:
    app_id: str
    secret: str
    developer: TestClient
    headers: dict[str, str]

    def backend(self, client: TestClient) -> MinisClient:
        return MinisClient(self.app_id, self.secret, http=client)


def register_app(developer: TestClient, headers: dict[str, str], app_id: str) -> DevApp:
    created = developer.post(
        "/api/developer/apps", json={"app_id": app_id, "name": app_id.title(), "kind": "game"}, headers=headers
    )
    assert created.status_code == 201, created.text
    upload = developer.post(
        f"/api/developer/apps/{app_id}/versions",
        content=zip_bytes(package_files(id=app_id)),
        headers={**headers, "Content-Type": "application/zip"},
    )
    assert upload.status_code == 201, upload.text
    release_upload(developer, headers, app_id, upload.json()["version"])
    return DevApp(app_id=app_id, secret=created.json()["app_secret"], developer=developer, headers=headers)


def release_upload(
    developer: TestClient, headers: dict[str, str], app_id: str, version: str, percent: int = 100
) -> None:
    """The developer submits the checked upload; a reviewer (the operator's token) approves it and
    releases it to ``percent`` % of people."""
    submitted = developer.post(f"/api/developer/apps/{app_id}/versions/{version}/submit", headers=headers)
    assert submitted.status_code == 200, submitted.text
    approved = developer.post(
        f"/api/admin/review/{app_id}/{version}/approve",
        json={"percent": percent},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    assert approved.status_code == 200, approved.text


@pytest.fixture
def studio(client) -> DevApp:
    developer = browser(client)
    headers = sign_up(developer, "studio@example.com")
    assert developer.post("/api/developer", json={"name": "Studio One"}, headers=headers).status_code == 200
    return register_app(developer, headers, "dev-game")


@pytest.fixture
def player(client) -> TestClient:
    return browser(client)


def login_code(player: TestClient, app_id: str) -> str:
    response = player.post(f"/api/apps/{app_id}/login-code", headers=csrf_of(player))
    assert response.status_code == 200, response.text
    return response.json()["code"]


# Payments ---------------------------------------------------------------------------------------

TEST_CARD = "4242 4242 4242 4242"


def shown_pack(player: TestClient, pack_id: str, market: str = "US") -> dict:
    """The top-up the host's sheet sends for a pack: at the price and for the coins it shows."""
    pack = next(p for p in player.get(f"/api/wallet/packs?market={market}").json()["items"] if p["id"] == pack_id)
    return {
        "pack_id": pack_id,
        "market": market,
        "amount": pack["amount"],
        "currency": pack["currency"],
        "coins": pack["coins"] + pack["bonus_coins"],
    }


def top_up(player: TestClient, pack_id: str = "coins-1200", card: str = TEST_CARD) -> dict:
    """Buy a coin pack through the sandbox checkout, as the host's sheet does."""
    headers = csrf_of(player)
    topup = player.post("/api/wallet/topups", json=shown_pack(player, pack_id), headers=headers)
    assert topup.status_code == 201, topup.text
    return player.post(
        f"/api/wallet/topups/{topup.json()['id']}/sandbox/pay", json={"card_number": card}, headers=headers
    ).json()


def balance(player: TestClient) -> int:
    return player.get("/api/wallet").json()["balance"]


def put_product(
    client: TestClient, app: DevApp, product_id: str, *, type: str = "consumable", price: int = 100
) -> None:
    token = app.backend(client).access_token()
    response = client.put(
        f"/openapi/v1/products/{product_id}",
        json={"type": type, "price": price, "title": {"en": product_id.replace("-", " ").title()}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text


def shown_price(player: TestClient, app_id: str, product_id: str) -> int:
    """A product's price as the host's pay sheet shows it."""
    return next(p["price"] for p in player.get(f"/api/apps/{app_id}/products").json()["items"] if p["id"] == product_id)


def buy(player: TestClient, app_id: str, product_id: str, key: str, quantity: int = 1, amount: int | None = None):
    """A purchase confirmed on the pay sheet at ``amount`` (by default the price it shows now)."""
    if amount is None:
        amount = shown_price(player, app_id, product_id) * quantity
    body = {
        "product_id": product_id,
        "quantity": quantity,
        "payload": f"for {key}",
        "idempotency_key": key,
        "amount": amount,
        "currency": "COIN",
    }
    return player.post(f"/api/apps/{app_id}/purchases", json=body, headers=csrf_of(player))
