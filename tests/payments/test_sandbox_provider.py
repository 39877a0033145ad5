"""Providers by configuration only (issue 12, item 2): with Stripe configured, a top-up naming
provider "sandbox" and test card 4242 minted 6,500 coins.

The sandbox exists only when MINIS_SANDBOX_PAYMENTS is on (the demo and the tests turn it on);
otherwise the platform is in production and the sandbox, its test cards and its webhook do not
exist. A client can only use the provider the platform offers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from starlette.testclient import TestClient

from openminis.app import create_app
from openminis.platform import Platform
from openminis.settings import Settings
from tests.conftest import empty_postgres
from tests.studio import balance, csrf_of, shown_pack

TEST_CARD = {"card_number": "4242424242424242"}


def serve(settings: Settings, **changes) -> Iterator[TestClient]:
    platform = Platform(settings.model_copy(update=changes))
    if platform.db.engine.dialect.name == "postgresql":
        empty_postgres(platform)

    def stripe_api(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json={
                "id": "cs_test_1",
                "object": "checkout.session",
                "url": "https://checkout.stripe.test/c/pay/cs_test_1",
            },
        )

    platform.__dict__["http"] = httpx.Client(
        transport=httpx.MockTransport(stripe_api)
    )  # no network: Stripe answers here
    try:
        with TestClient(create_app(platform=platform), base_url="http://localhost:8000") as client:
            yield client
    finally:
        platform.close()


@pytest.fixture
def production(settings) -> Iterator[TestClient]:
    """No sandbox setting, no Stripe keys: what a server started without the demo is."""
    yield from serve(settings, sandbox_payments=False)


@pytest.fixture
def with_stripe(settings) -> Iterator[TestClient]:
    yield from serve(settings, sandbox_payments=False, stripe_api_key="sk_test_key", stripe_webhook_secret="whsec_test")


def test_the_sandbox_is_off_unless_a_setting_turns_it_on(monkeypatch):
    monkeypatch.delenv("MINIS_SANDBOX_PAYMENTS", raising=False)
    assert Settings().sandbox_payments is False
    monkeypatch.setenv("MINIS_SANDBOX_PAYMENTS", "true")
    assert Settings().sandbox_payments is True


def test_without_the_sandbox_setting_test_cards_mint_no_coins(production):
    headers = csrf_of(production)
    assert production.get("/api/wallet/packs").json()["provider"] is None
    for body in (shown_pack(production, "coins-6500"), shown_pack(production, "coins-6500") | {"provider": "sandbox"}):
        refused = production.post("/api/wallet/topups", json=body, headers=headers)
        assert refused.status_code == 404 and refused.json()["code"] == "PROVIDER_UNAVAILABLE"
    card = production.post("/api/wallet/topups/top_anything/sandbox/pay", json=TEST_CARD, headers=headers)
    assert card.status_code == 404 and card.json()["code"] == "PROVIDER_UNAVAILABLE"
    assert production.post("/api/payments/webhooks/sandbox", content=b"{}").status_code == 404
    assert balance(production) == 0


def test_with_stripe_configured_a_top_up_naming_the_sandbox_is_refused_and_mints_nothing(with_stripe):
    headers = csrf_of(with_stripe)
    assert with_stripe.get("/api/wallet/packs").json()["provider"] == "stripe"
    # The attack of the issue: name the sandbox, pay with 4242.
    named = with_stripe.post(
        "/api/wallet/topups", json=shown_pack(with_stripe, "coins-6500") | {"provider": "sandbox"}, headers=headers
    )
    assert (
        named.status_code == 404
        and named.json()["code"] == "PROVIDER_UNAVAILABLE"
        and named.json()["field"] == "provider"
    )
    # Through Stripe, the offered provider, the top-up waits for Stripe; a test card cannot settle it.
    real = with_stripe.post("/api/wallet/topups", json=shown_pack(with_stripe, "coins-6500"), headers=headers)
    assert (
        real.status_code == 201
        and real.json()["provider"] == "stripe"
        and real.json()["redirect_url"].startswith("https://checkout.stripe.test/")
    )
    card = with_stripe.post(f"/api/wallet/topups/{real.json()['id']}/sandbox/pay", json=TEST_CARD, headers=headers)
    assert card.status_code == 404 and card.json()["code"] == "PROVIDER_UNAVAILABLE"
    assert with_stripe.post("/api/payments/webhooks/sandbox", content=b"{}").status_code == 404
    assert with_stripe.get(f"/api/wallet/topups/{real.json()['id']}").json()["status"] == "created"
    assert balance(with_stripe) == 0


def test_with_the_sandbox_on_and_stripe_configured_only_stripe_is_offered(settings):
    for client in serve(
        settings, sandbox_payments=True, stripe_api_key="sk_test_key", stripe_webhook_secret="whsec_test"
    ):
        named = client.post(
            "/api/wallet/topups",
            json=shown_pack(client, "coins-100") | {"provider": "sandbox"},
            headers=csrf_of(client),
        )
        assert named.status_code == 404 and named.json()["code"] == "PROVIDER_UNAVAILABLE"
        assert balance(client) == 0


def test_minis_serve_demo_turns_the_sandbox_on_and_plain_serve_does_not(tmp_path, monkeypatch):
    import uvicorn
    from typer.testing import CliRunner

    from openminis import cli

    served = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.append(app.platform.settings.sandbox_payments))
    monkeypatch.setattr(cli, "EXAMPLES", tmp_path / "no-examples")  # nothing to publish
    monkeypatch.setattr(cli, "seed_demo_content", lambda platform: None)
    monkeypatch.setenv("MINIS_EMBEDDED_WORKER", "false")
    monkeypatch.delenv("MINIS_SANDBOX_PAYMENTS", raising=False)
    runner = CliRunner()
    demo = runner.invoke(cli.app, ["serve", "--demo", "--data-dir", str(tmp_path / "demo")])
    plain = runner.invoke(cli.app, ["serve", "--data-dir", str(tmp_path / "plain")])
    assert (demo.exit_code, plain.exit_code) == (0, 0), demo.output + plain.output
    assert served == [True, False]
    assert "sandbox payments are on" in demo.output and "sandbox payments are on" not in plain.output


def test_a_signed_sandbox_webhook_that_is_no_event_is_refused_not_a_500(client, platform):
    """A probe (money49): signed with the sandbox's key, the bodies {}, [], "x" and an event with a
    number for its id answered 500 with a traceback; an amount of 99.0 and a list for topup_id were
    taken. Each is 400 WEBHOOK_REJECTED."""
    event = {"id": "sbxevt_1", "kind": "payment_succeeded", "provider_ref": "sbx_1", "topup_id": "top_1"}
    event |= {"amount": 499, "currency": "USD"}
    for body in ({}, [], "x", {**event, "id": 1}, {**event, "amount": 99.0}, {**event, "topup_id": ["x"]}):
        raw = json.dumps(body).encode()
        answer = client.post("/api/payments/webhooks/sandbox", content=raw, headers=platform.sandbox.signed(raw))
        assert (answer.status_code, answer.json()["code"]) == (400, "WEBHOOK_REJECTED"), (body, answer.text)
