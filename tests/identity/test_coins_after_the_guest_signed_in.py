"""Coins that reach a guest after it signed in to an account end on the account, against real
``minis serve`` processes on SQLite and PostgreSQL: two of them on one database, each with its own
memory of account ids, the guest shopping on one and signing in on the other.

What it reproduces: a guest topped up, bought pebbles in an app, then signed in to its account
(its coins moved there); the developer's backend then refunded the guest's order through the Open
API, and the coins landed on the guest, which no cookie reaches any more. Staff's refund of the
guest's top-up was refused as "spent", although the account held its coins. And the guest's
session stayed alive after the sign-in."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, closing, contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, select

from bench.burst import APP_ID, UNLIMITED, buy_pack, purchase_body
from openminis.liveserver import LiveServer
from openminis.payments.models import TopUp
from openminis.payments.providers.sandbox import SIGNATURE_HEADER, SandboxProvider
from tests.catalog.test_staged_release import PASSWORD, browser, csrf, full_account
from tests.payments.test_refund_storm import app_secret
from tests.test_bursts import ledger_verifies, serve

pytestmark = pytest.mark.slow  # two real servers per database

SECRET = "coins-follow-the-guest-secret"  # both servers': a cookie and its CSRF token work on either
ADMIN_TOKEN = "coins-follow-the-guest-admin"
DECLINED = "4000000000000002"


@contextmanager
def two_servers(tmp_path: Path, database_url: str) -> Iterator[tuple[LiveServer, LiveServer]]:
    """Two ``minis serve`` processes on one database: the first sells pebbles (its data folder holds
    the shop's package), the second serves the same people from a folder of its own."""
    env = {"MINIS_SECRET_KEY": SECRET, "MINIS_ADMIN_TOKEN": ADMIN_TOKEN, "MINIS_BROWSER_CHECKS": "false"}
    other_data = tmp_path / "other-data"
    other_data.mkdir()
    servers = [
        serve(tmp_path, database_url, **env),
        LiveServer(other_data, env={**UNLIMITED, "MINIS_DATABASE_URL": database_url, **env}),
    ]
    with ExitStack() as stack, ThreadPoolExecutor(2) as starting:
        # Started together (each takes seconds); the one that started stops when the other did not.
        started = [starting.submit(server.__enter__) for server in servers]
        failed = [start.exception() for start in started]
        for server, error in zip(servers, failed, strict=True):
            if error is None:
                stack.callback(server.__exit__, None, None, None)
        for error in failed:
            if error is not None:
                raise error
        yield servers[0], servers[1]


def operator(server: LiveServer) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=60, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})


def money_of(server: LiveServer, user_id: str) -> dict:
    with operator(server) as staff:
        found = staff.get(f"/api/admin/money/people/{user_id}")
        assert found.status_code == 200, found.text
        return found.json()


def top_up_declined(guest: httpx.Client) -> dict:
    """A top-up whose card was declined: failed."""
    shown = next(p for p in guest.get("/api/wallet/packs").json()["items"] if p["id"] == "coins-100")
    body = {"pack_id": "coins-100", "amount": shown["amount"], "currency": shown["currency"]}
    topup = guest.post("/api/wallet/topups", json=body | {"coins": shown["coins"] + shown["bonus_coins"]})
    assert topup.status_code in (200, 201), topup.text
    paid = guest.post(f"/api/wallet/topups/{topup.json()['id']}/sandbox/pay", json={"card_number": DECLINED})
    assert paid.status_code == 402, paid.text
    return topup.json()


def pay_late(server: LiveServer, database_url: str, topup: dict) -> None:
    """The sandbox says, late, that the declined top-up was paid after all (events out of order)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            provider_ref = connection.scalar(select(TopUp.provider_ref).where(TopUp.id == topup["id"]))
    finally:
        engine.dispose()
    body, headers = SandboxProvider(SECRET).event(
        kind="payment_succeeded",
        provider_ref=provider_ref,
        topup_id=topup["id"],
        amount=topup["amount"],
        currency=topup["currency"],
    )
    answer = httpx.post(
        f"{server.url}/api/payments/webhooks/sandbox",
        content=body,
        headers={SIGNATURE_HEADER: headers[SIGNATURE_HEADER], "Content-Type": "application/json"},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text


def developer_token(server: LiveServer, database_url: str) -> str:
    secret = app_secret(server, database_url)
    answer = httpx.post(
        f"{server.url}/openapi/v1/auth/token",
        json={"grant_type": "client_credentials", "client_id": APP_ID, "client_secret": secret},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def test_coins_that_reach_a_guest_after_it_signed_in_end_on_the_account(tmp_path, database_url):
    email = f"follow-{secrets.token_hex(4)}@example.com"
    with two_servers(tmp_path, database_url) as (shop, other):
        owner, owner_headers = full_account(other, email)
        with closing(owner):
            account_id = owner.get("/api/me").json()["user"]["id"]
            owner.post("/api/account/sign-out", headers=owner_headers)

        # The guest shops on the first server: 100 coins, 40 of them spent on pebbles, a declined top-up.
        with browser(shop) as guest:
            guest.headers.update(csrf(guest))
            guest_id = guest.get("/api/me").json()["user"]["id"]
            buy_pack(guest, "coins-100")
            bought = guest.post(
                f"/api/apps/{APP_ID}/purchases", json=purchase_body("pebbles") | {"quantity": 40, "amount": 40}
            )
            assert bought.status_code == 200, bought.text
            order = bought.json()
            assert guest.get("/api/wallet").json()["balance"] == 60
            declined = top_up_declined(guest)
            guest_cookies = dict(guest.cookies)
            guest_csrf = guest.headers["X-CSRF-Token"]

        # It signs in to its account on the second server, which has not met it: 60 coins move.
        with httpx.Client(base_url=other.url, timeout=60, cookies=guest_cookies) as tab:
            signed_in = tab.post(
                "/api/account/sign-in",
                json={"email": email, "password": PASSWORD},
                headers={"X-CSRF-Token": guest_csrf, "Origin": other.url},
            )
        assert signed_in.status_code == 200, signed_in.text
        assert (signed_in.json()["user"]["id"], signed_in.json()["guest_coins_added"]) == (account_id, 60)
        assert money_of(other, account_id)["balance"] == 60

        # The developer refunds the guest's order through the Open API, on the server the guest
        # shopped on: the 40 coins go to the account, where the browser is now.
        token = developer_token(shop, database_url)
        refunded = httpx.post(
            f"{shop.url}/openapi/v1/orders/{order['id']}/refund",
            json={"amount": 40, "reason": "sorry", "idempotency_key": "late-refund"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        assert refunded.status_code == 200, refunded.text
        assert money_of(shop, guest_id)["balance"] == 0
        assert money_of(shop, account_id)["balance"] == 100

        # The declined top-up is paid after all: its 100 coins go to the account too.
        pay_late(shop, database_url, declined)
        assert money_of(other, guest_id)["balance"] == 0
        assert money_of(other, account_id)["balance"] == 200

        # Staff refund the guest's first top-up: its 100 coins come back from the account, which
        # holds them (not refused as spent); the account keeps the late top-up's 100.
        # (The guest's top-ups are the account's since the sign-in.)
        [paid] = [t for t in money_of(shop, account_id)["topups"] if t["item"] != f"topup:{declined['id']}"]
        with operator(other) as staff:
            staff_refund = staff.post(
                "/api/admin/money/refunds",
                json={"item": paid["item"], "reason": "asked for it", "idempotency_key": "staff-refund"},
            )
        assert staff_refund.status_code == 200, staff_refund.text
        assert money_of(shop, account_id)["balance"] == 100
        assert money_of(shop, guest_id)["balance"] == 0
        assert ledger_verifies(shop)

        # And the guest's old cookie (a request of it still in flight) is the guest, with nothing to spend.
        with httpx.Client(base_url=shop.url, timeout=60, cookies=guest_cookies) as old_tab:
            assert old_tab.get("/api/me").json()["user"]["id"] == guest_id
            assert old_tab.get("/api/wallet").json()["balance"] == 0
