"""Payouts against a real ``minis serve``, arranged as outsiders do it over HTTP: a developer who
registered and published an app that sold to a player, an operator (the admin token) who publishes
the payout terms and approves or rejects, and requests sent all at once, each on a connection of
its own. Shared by test_payout_storms.py and test_payout_crash.py."""

from __future__ import annotations

import asyncio
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from bench.burst import UNLIMITED, funded_person
from openminis.liveserver import LiveServer, run_apart
from openminis.payouts.models import Payout, SandboxPayoutTransfer
from openminis.platform import Platform
from openminis.settings import Settings
from tests.catalog.test_staged_release import full_account
from tests.concurrency import one_connection_each
from tests.conftest import postgres_database, unavailable
from tests.factories import package_files, zip_bytes
from tests.payouts.test_payouts import days_pass

ADMIN_TOKEN = "payout-storm-admin-token"
OPERATOR = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
PRICE = 6000  # coins, from a pack of 6500: the app keeps 70 %
EARNED = PRICE - PRICE * 3000 // 10_000  # 4200 coins, which pay 4200 US cents
DEV = "/api/developer/payouts"
FINAL = {"paid", "failed", "rejected", "canceled"}

# The host's limits out of the way (one address and one person send every storm), checks without a
# browser, the sandbox provider for payouts, and the operator's token for finance.
SERVER_ENV = {
    **UNLIMITED,
    "MINIS_BROWSER_CHECKS": "false",
    "MINIS_SECRET_KEY": "payout-storm-secret",
    "MINIS_ADMIN_TOKEN": ADMIN_TOKEN,
}


def migrated_sqlite(template: Path, data: Path) -> None:
    """The server's SQLite database, a copy of the session's migrated one (tests/conftest.py):
    starting, the server finds nothing to migrate."""
    data.mkdir(parents=True, exist_ok=True)
    shutil.copy(template, data / "minis.db")


def database_of(server_env: dict[str, str], data: Path) -> str:
    """The SQLAlchemy URL of the server's database: the PostgreSQL it was given, else its SQLite file."""
    return server_env.get("MINIS_DATABASE_URL") or f"sqlite:///{(data / 'minis.db').resolve()}"


@contextmanager
def platform_on(server_env: dict[str, str], data: Path) -> Iterator[Platform]:
    """A platform in this process on the server's own database: to let time pass and to read the books."""
    platform = Platform(Settings(data_dir=data, database_url=database_of(server_env, data)))
    try:
        yield platform
    finally:
        platform.close()


@dataclass
class Payee:
    """A developer whose app sold, signed in on a connection of their own."""

    server: LiveServer
    client: httpx.Client
    headers: dict[str, str]
    app_id: str

    def post(self, path: str, **body: Any) -> httpx.Response:
        return self.client.post(path, json=body, headers=self.headers)

    def coins(self) -> dict[str, Any]:
        overview = self.client.get(DEV)
        assert overview.status_code == 200, overview.text
        return next(e for e in overview.json()["earnings"] if e["currency"] == "COIN")

    def payout(self, payout_id: str) -> dict[str, Any]:
        shown = self.client.get(f"{DEV}/{payout_id}")
        assert shown.status_code == 200, shown.text
        return shown.json()

    def as_request(self) -> dict[str, Any]:
        """Keyword arguments of a request sent as this developer on a connection of its own."""
        cookie = "; ".join(f"{name}={value}" for name, value in self.client.cookies.items())
        return {"headers": {**self.headers, "Origin": self.server.url, "Cookie": cookie}}


def operator(server: LiveServer, method: str, path: str, **body: Any) -> httpx.Response:
    return httpx.request(method, f"{server.url}{path}", json=body or None, headers=OPERATOR, timeout=30)


def staff_person(server: LiveServer, role: str = "finance") -> tuple[httpx.Client, dict[str, str]]:
    """A person signed in over HTTP whom the operator made staff (``minis staff add``)."""
    email = f"{role}-{secrets.token_hex(4)}@example.com"
    client, headers = full_account(server, email)
    server.minis("staff", "add", email, "--role", role, "--data-dir", str(server.data_dir))
    return client, headers


def publish_terms(server: LiveServer, *, minimum: int, auto_approve_below: int = 0) -> None:
    """The operator's payout terms: a minimum and an approval limit in USD cents. The token tightens
    the terms; looser terms than before a person of finance proposes and another approves
    (docs/payouts.md)."""
    terms = operator(server, "GET", "/api/admin/payouts/policy").json()
    body = {
        **terms,
        "minimums": {**terms["minimums"], "USD": minimum},
        "auto_approve_below": {**terms["auto_approve_below"], "USD": auto_approve_below},
        "reason": "the tests' terms",
    }
    published = operator(server, "PUT", "/api/admin/payouts/policy", **body)
    if published.status_code == 403 and published.json()["code"] == "POLICY_PROPOSER_NOT_A_PERSON":
        (proposer, proposer_headers), (finance, headers) = staff_person(server), staff_person(server)
        with closing(proposer), closing(finance):
            proposed = proposer.put("/api/admin/payouts/policy", json=body, headers=proposer_headers)
            assert proposed.status_code == 202, proposed.text
            published = finance.post(
                f"/api/admin/payouts/policy/proposals/{proposed.json()['id']}/approve",
                json={"reason": "agreed"},
                headers=headers,
            )
    assert published.status_code == 200, published.text


@contextmanager
def server_per_database(request, tmp_path_factory, *, minimum: int) -> Iterator[LiveServer]:
    """A module's live server on ``request.param``'s database (a migrated SQLite copy, or a new
    PostgreSQL database), its embedded workers running, with the operator's payout terms published."""
    data = tmp_path_factory.mktemp(f"payouts-{request.param}") / "data"
    data.mkdir()
    env = dict(SERVER_ENV)
    with ExitStack() as stack:
        if request.param == "postgresql":
            env["MINIS_DATABASE_URL"] = stack.enter_context(postgres_database())
        else:
            migrated_sqlite(request.getfixturevalue("sqlite_template"), data)
        try:
            live = stack.enter_context(LiveServer(data, env=env))
        except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
            unavailable(f"minis serve could not start: {exc} {getattr(exc, 'stderr', '') or ''}".strip())
        publish_terms(live, minimum=minimum)
        yield live


def developer_selling(server: LiveServer, *, studio: str, product: str, price: int) -> Payee:
    """A developer registers, publishes an app through review whose backend prices ``product`` at
    ``price`` coins, and opens a payout account in USD."""
    client, headers = full_account(server, f"payee-{secrets.token_hex(4)}@example.com")
    app_id = f"payday-{secrets.token_hex(3)}"
    # A studio's name is its own (another's is STUDIO_NAME_TAKEN): each payee of a server has one.
    named = client.post("/api/developer", json={"name": f"{studio} {app_id}"}, headers=headers)
    assert named.status_code == 200, named.text
    created = client.post(
        "/api/developer/apps",
        json={"app_id": app_id, "name": studio, "kind": "game", "category": "arcade"},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    uploaded = client.post(
        f"/api/developer/apps/{app_id}/versions",
        content=zip_bytes(package_files(id=app_id, name=studio)),
        headers={**headers, "Content-Type": "application/zip"},
    )
    assert uploaded.status_code == 201, uploaded.text
    version = uploaded.json()["version"]
    submitted = client.post(f"/api/developer/apps/{app_id}/versions/{version}/submit", headers=headers)
    assert submitted.status_code == 200, submitted.text
    server.approve(app_id, version, percent=100)
    secret = created.json()["app_secret"]
    with httpx.Client(base_url=server.url, timeout=30) as backend:
        token = backend.post(
            "/openapi/v1/auth/token",
            json={"grant_type": "client_credentials", "client_id": app_id, "client_secret": secret},
        ).json()["access_token"]
        priced = backend.put(
            f"/openapi/v1/products/{product}",
            json={"type": "consumable", "price": price, "title": {"en": product.title()}},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert priced.status_code == 200, priced.text
    account = client.put(
        f"{DEV}/account",
        json={"destination": f"bank-{app_id}", "currency": "USD", "holder": studio},
        headers=headers,
    )
    assert account.status_code == 200, account.text
    return Payee(server, client, headers, app_id)


def developer_with_a_sale(server: LiveServer) -> Payee:
    """A developer's app (``developer_selling``) sold once, for PRICE coins, to a player who bought
    coins with a test card. The earnings are in the hold."""
    payee = developer_selling(server, studio="Payout Studio", product="chest", price=PRICE)
    app_id = payee.app_id
    player = funded_person(server, "coins-6500")
    with httpx.Client(base_url=server.url, cookies=player["cookies"], timeout=30) as browser:
        bought = browser.post(
            f"/api/apps/{app_id}/purchases",
            json={"product_id": "chest", "idempotency_key": "chest", "amount": PRICE, "currency": "COIN"},
            headers={"X-CSRF-Token": player["csrf"]},
        )
        assert bought.status_code == 200, bought.text
    return payee


def withdrawable_payee(server: LiveServer) -> Payee:
    """A developer whose sale is out of the hold: 15 days pass (tests/payouts/test_payouts.py)."""
    payee = developer_with_a_sale(server)
    with platform_on(server.env, server.data_dir) as platform:
        days_pass(platform, 15)
    return payee


async def _at_once(server: LiveServer, requests: list[dict[str, Any]], timeout: float) -> list[tuple[int, Any, dict]]:
    """Each request on a connection of its own, all released together: (status, json, headers) of
    each; status 0 when no answer came within ``timeout`` seconds (a hang)."""
    limits = one_connection_each(len(requests))
    async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=timeout) as client:
        start = asyncio.Event()

        async def one(request: dict[str, Any]) -> tuple[int, Any, dict]:
            await start.wait()
            try:
                answer = await client.request(**request)
            except httpx.TimeoutException:
                return 0, {"code": "CLIENT_TIMEOUT"}, {}
            try:
                body = answer.json()
            except ValueError:
                body = answer.text
            return answer.status_code, body, dict(answer.headers)

        tasks = [asyncio.create_task(one(request)) for request in requests]
        await asyncio.sleep(0.2)
        start.set()
        return list(await asyncio.gather(*tasks))


def at_once(server: LiveServer, requests: list[dict[str, Any]], timeout: float = 30) -> list[tuple[int, Any, dict]]:
    return run_apart(_at_once(server, requests, timeout))


def answered_properly(answers: list[tuple[int, Any, dict]], allowed: set[int]) -> None:
    """Every answer is one of ``allowed``, or "not now" (429/503 with Retry-After): never another
    5xx, never no answer at all."""
    wrong = [
        (status, body) for status, body, headers in answers if status not in allowed and not not_now(status, headers)
    ]
    assert not wrong, wrong[:3]


def not_now(status: int, headers: dict) -> bool:
    return status in (429, 503) and bool(headers.get("retry-after"))


def retried(
    server: LiveServer, requests: list[dict[str, Any]], answers: list[tuple[int, Any, dict]]
) -> list[tuple[int, Any, dict]]:
    """The answers, with each "not now" (429/503 with Retry-After) replaced by the answer to the
    same request sent again after the wait it asked for, one at a time, as a client does (up to
    five times: the server's own worker still works beside them)."""
    answers = list(answers)
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for _ in range(5):
            waits = [float(headers["retry-after"]) for status, _, headers in answers if not_now(status, headers)]
            if not waits:
                break
            time.sleep(max(waits))
            for n, (status, _, headers) in enumerate(answers):
                if not_now(status, headers):
                    answer = client.request(**requests[n])
                    answers[n] = (answer.status_code, answer.json(), dict(answer.headers))
    return answers


def sandbox_book(platform: Platform) -> dict[str, list[str]]:
    """What the sandbox provider paid, per key (``payout-<id>``): the ids of its transfers."""
    with platform.db.read_session() as session:
        book: dict[str, list[str]] = {}
        for key, transfer_id in session.execute(select(SandboxPayoutTransfer.key, SandboxPayoutTransfer.id)):
            book.setdefault(key, []).append(transfer_id)
        return book


def statuses(platform: Platform, payout_ids: list[str]) -> dict[str, Payout]:
    with platform.db.read_session() as session:
        return {p.id: p for p in session.scalars(select(Payout).where(Payout.id.in_(payout_ids)))}


def in_transit(platform: Platform) -> int:
    with platform.db.read_session() as session:
        return session.scalar(select(func.count()).select_from(Payout).where(Payout.status == "in_transit")) or 0


def settled(platform: Platform, *, deadline: float) -> None:
    """Waits, at most ``deadline`` seconds, until the server's worker has nothing in transit."""
    give_up = time.monotonic() + deadline
    while in_transit(platform):
        assert time.monotonic() < give_up, f"{in_transit(platform)} payouts still in transit after {deadline} s"
        time.sleep(0.1)


def paid_once_each(platform: Platform) -> dict[str, Payout]:
    """Every paid payout has exactly one sandbox transfer, the one it records; no other payout has
    any, and the sandbox paid nothing else. Returns every payout, by id."""
    book = sandbox_book(platform)
    with platform.db.read_session() as session:
        payouts = {p.id: p for p in session.scalars(select(Payout))}
    for payout in payouts.values():
        paid = book.pop(f"payout-{payout.id}", [])
        if payout.status == "paid":
            assert paid == [payout.provider_ref], (payout.id, paid, payout.provider_ref)
        else:
            assert paid == [], (payout.id, payout.status, paid)
    assert book == {}, f"sandbox transfers of no payout: {book}"
    return payouts
