"""Coins are bought through a provider and credited exactly once, whatever the provider repeats."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import timedelta

import httpx
import pytest
from starlette.testclient import TestClient

from openminis.db import utcnow
from openminis.payments import topups
from openminis.payments.providers.stripe import StripeProvider
from openminis.unit_of_work import unit_of_work
from openminis.wallet import service as ledger
from tests.concurrency import race
from tests.studio import balance, csrf_of, shown_pack, top_up


def verified(platform) -> None:
    with platform.db.session() as session:
        check = ledger.verify(session)
    assert check.ok, check.problems


def test_coin_packs_are_priced_per_market(client):
    us = client.get("/api/wallet/packs?market=US").json()["items"]
    jp = client.get("/api/wallet/packs?market=JP").json()["items"]
    assert [(p["id"], p["coins"] + p["bonus_coins"], p["currency"], p["amount"]) for p in us][:2] == [
        ("coins-100", 100, "USD", 99),
        ("coins-550", 550, "USD", 499),
    ]
    assert jp[0]["currency"] == "JPY" and jp[0]["amount"] == 160


@pytest.mark.parametrize(
    "stated", [{"amount": "99"}, {"amount": 99.0}, {"amount": True}, {"coins": "100"}, {"coins": 100.0}]
)
def test_a_top_up_states_its_price_and_coins_as_whole_numbers_not_strings(client, player, stated):
    # Before, pydantic's lax mode read "99" and 99.0 as 99: a client's mistake went through unseen.
    answer = player.post("/api/wallet/topups", json=shown_pack(player, "coins-100") | stated, headers=csrf_of(player))
    assert answer.status_code == 422 and answer.json()["field"] == next(iter(stated))
    assert player.get("/api/wallet/topups").json()["items"] == []


def test_a_sandbox_card_that_succeeds_credits_the_coins_once(client, player, platform):
    result = top_up(player)
    assert result["status"] == "succeeded" and result["coins"] == 1200
    assert balance(player) == 1200
    again = player.post(
        f"/api/wallet/topups/{result['id']}/sandbox/pay",
        json={"card_number": "4242424242424242"},
        headers=csrf_of(player),
    )
    assert again.json()["status"] == "succeeded"
    assert balance(player) == 1200
    verified(platform)


def test_a_declined_card_credits_nothing(client, player, platform):
    headers = csrf_of(player)
    topup = player.post("/api/wallet/topups", json=shown_pack(player, "coins-100"), headers=headers).json()
    response = player.post(
        f"/api/wallet/topups/{topup['id']}/sandbox/pay", json={"card_number": "4000 0000 0000 0002"}, headers=headers
    )
    assert response.status_code == 402 and response.json()["code"] == "PAYMENT_DECLINED"
    assert player.get(f"/api/wallet/topups/{topup['id']}").json()["status"] == "failed"
    assert balance(player) == 0


@pytest.mark.parametrize(("approve", "status", "coins"), [(True, "succeeded", 100), (False, "failed", 0)])
def test_a_challenged_card_waits_for_the_person(client, player, approve, status, coins):
    headers = csrf_of(player)
    topup = player.post("/api/wallet/topups", json=shown_pack(player, "coins-100"), headers=headers).json()
    challenged = player.post(
        f"/api/wallet/topups/{topup['id']}/sandbox/pay", json={"card_number": "4000000000003220"}, headers=headers
    ).json()
    assert challenged["status"] == "requires_action" and balance(player) == 0
    answered = player.post(
        f"/api/wallet/topups/{topup['id']}/sandbox/challenge", json={"approve": approve}, headers=headers
    ).json()
    assert answered["status"] == status and balance(player) == coins


def test_a_delayed_confirmation_credits_when_it_arrives(client, player, platform):
    pending = top_up(player, "coins-100", card="4000000000000077")
    assert pending["status"] == "pending" and balance(player) == 0
    now = utcnow()
    platform.worker(clock=lambda: now).drain()
    assert balance(player) == 0  # not yet: it arrives five seconds later
    platform.worker(clock=lambda: now + timedelta(seconds=6)).drain()
    assert player.get(f"/api/wallet/topups/{pending['id']}").json()["status"] == "succeeded"
    assert balance(player) == 100
    verified(platform)


WEBHOOK_SECRET = "whsec_test_secret"


def stripe_signed(event: dict, secret: str = WEBHOOK_SECRET) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(event).encode()
    stamp = int(time.time())
    signature = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return body, {"Stripe-Signature": f"t={stamp},v1={signature}", "Content-Type": "application/json"}


@pytest.fixture
def stripe(platform):
    def api(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json={
                "id": "cs_test_abc123",
                "object": "checkout.session",
                "url": "https://checkout.stripe.test/c/pay/cs_test_abc123",
            },
        )

    provider = StripeProvider("sk_test_key", WEBHOOK_SECRET, http=httpx.Client(transport=httpx.MockTransport(api)))
    platform.providers["stripe"] = provider
    return provider


def completed_event(topup: dict, *, event_id: str = "evt_1", amount: int | None = None) -> dict:
    return {
        "id": event_id,
        "object": "event",
        "type": "checkout.session.completed",
        "api_version": "2024-06-20",
        "created": int(time.time()),
        "livemode": False,
        "data": {
            "object": {
                "id": "cs_test_abc123",
                "object": "checkout.session",
                "payment_status": "paid",
                "amount_total": amount or topup["amount"],
                "currency": topup["currency"].lower(),
                "client_reference_id": topup["id"],
                "metadata": {"topup_id": topup["id"]},
            }
        },
    }


def stripe_topup(player) -> dict:
    """A 550-coin top-up opened at Stripe (its checkout session is cs_test_abc123)."""
    return player.post(
        "/api/wallet/topups", json=shown_pack(player, "coins-550") | {"provider": "stripe"}, headers=csrf_of(player)
    ).json()


def test_a_stripe_webhook_delivered_twice_credits_once(client, player, platform, stripe):
    topup = stripe_topup(player)
    assert topup["redirect_url"].startswith("https://checkout.stripe.test/")
    body, headers = stripe_signed(completed_event(topup))
    for _ in range(2):
        assert client.post("/api/payments/webhooks/stripe", content=body, headers=headers).status_code == 200
    assert balance(player) == 550
    verified(platform)


def test_a_forged_or_mismatched_stripe_webhook_credits_nothing(client, player, platform, stripe):
    topup = stripe_topup(player)
    body, headers = stripe_signed(completed_event(topup), secret="whsec_attacker")
    forged = client.post("/api/payments/webhooks/stripe", content=body, headers=headers)
    assert forged.status_code == 400 and forged.json()["code"] == "WEBHOOK_REJECTED"
    body, headers = stripe_signed(completed_event(topup, event_id="evt_2", amount=1))
    assert client.post("/api/payments/webhooks/stripe", content=body, headers=headers).status_code == 400
    assert balance(player) == 0
    # The genuine event still works after the rejected ones.
    body, headers = stripe_signed(completed_event(topup, event_id="evt_3"))
    assert client.post("/api/payments/webhooks/stripe", content=body, headers=headers).status_code == 200
    assert balance(player) == 550


def test_an_unconfigured_provider_is_refused(client, player):
    response = player.post(
        "/api/wallet/topups", json=shown_pack(player, "coins-100") | {"provider": "stripe"}, headers=csrf_of(player)
    )
    assert response.status_code == 404 and response.json()["code"] == "PROVIDER_UNAVAILABLE"


def stripe_event(topup: dict, event_type: str, event_id: str, **session_fields) -> dict:
    """A Stripe event about the top-up's checkout session, with some of the session's fields changed."""
    event = completed_event(topup, event_id=event_id)
    event["type"] = event_type
    event["data"]["object"] |= session_fields
    return event


def deliver(client, event: dict) -> int:
    body, headers = stripe_signed(event)
    return client.post("/api/payments/webhooks/stripe", content=body, headers=headers).status_code


@pytest.mark.parametrize(
    ("closing", "status_fields"),
    [("checkout.session.expired", {"payment_status": "unpaid"}), ("checkout.session.async_payment_failed", {})],
)
def test_a_payment_stripe_reports_after_the_checkout_closed_unpaid_is_credited_once(
    client, player, platform, stripe, closing, status_fields
):
    """Stripe does not promise the order of its events: a person whose payment succeeded is
    credited even when the platform heard first that the checkout expired or its payment failed."""
    topup = stripe_topup(player)
    assert deliver(client, stripe_event(topup, closing, "evt_closed", **status_fields)) == 200
    assert player.get(f"/api/wallet/topups/{topup['id']}").json()["status"] in ("expired", "failed")
    assert deliver(client, completed_event(topup, event_id="evt_paid")) == 200
    assert deliver(client, stripe_event(topup, "checkout.session.async_payment_succeeded", "evt_paid_again")) == 200
    assert player.get(f"/api/wallet/topups/{topup['id']}").json()["status"] == "succeeded"
    assert balance(player) == 550
    verified(platform)


def test_a_stripe_event_about_another_checkout_or_without_its_amount_credits_nothing(client, player, platform, stripe):
    topup = stripe_topup(player)
    paid = "checkout.session.completed"
    assert deliver(client, stripe_event(topup, paid, "evt_a", id="cs_test_someone_elses")) == 400
    assert deliver(client, stripe_event(topup, paid, "evt_b", amount_total=None)) == 400
    for n, session_id in enumerate([None, 5, ""]):  # a payment that names no checkout
        assert deliver(client, stripe_event(topup, paid, f"evt_s{n}", id=session_id)) == 400
    for n, amount in enumerate(["550", 550.0, True]):
        assert deliver(client, stripe_event(topup, paid, f"evt_c{n}", amount_total=amount)) == 400
    # Ids of the wrong type name no top-up: refused, not an error of the server's.
    unknown = {"client_reference_id": "top_x", "metadata": {}}
    assert deliver(client, stripe_event(topup, paid, "evt_d", id=["cs"], **unknown)) == 400
    assert deliver(client, stripe_event(topup, paid, "evt_e", client_reference_id={"id": topup["id"]})) == 200
    assert balance(player) == 550  # the last one named the top-up by its metadata, with the right amount
    verified(platform)


def test_a_delayed_payment_once_accepted_is_credited_even_if_a_decline_closed_the_top_up_meanwhile(
    client, player, platform
):
    """A person pays one top-up from two tabs at once, a delayed card in one (accepted, pending)
    and a declined card in the other: the decline may close the top-up after the acceptance.
    The accepted payment still arrives, and is credited (a probe saw it dropped: paid, no coins)."""
    pending = top_up(player, "coins-100", card="4000000000000077")
    assert pending["status"] == "pending"
    with unit_of_work(platform.db) as session:
        declined = session.get_one(topups.TopUp, pending["id"])
        topups._deliver(session, platform.sandbox, declined, "payment_failed")
    assert player.get(f"/api/wallet/topups/{pending['id']}").json()["status"] == "failed"
    platform.worker(clock=lambda: utcnow() + timedelta(seconds=6)).drain()
    assert player.get(f"/api/wallet/topups/{pending['id']}").json()["status"] == "succeeded"
    assert balance(player) == 100
    verified(platform)


def test_cards_sent_for_one_top_up_from_many_tabs_at_once_are_decided_by_the_first(client, player, platform):
    """Five tabs pay one top-up with a declined card and five with a delayed one, at once. The
    first card decides and the others are told its outcome: at most one "declined", and coins
    exactly when nobody was told so (a probe saw 3 to 5 "declined" and the coins credited)."""
    headers = csrf_of(player)
    topup = player.post("/api/wallet/topups", json=shown_pack(player, "coins-100"), headers=headers).json()
    tabs = [TestClient(player.app, base_url=str(player.base_url), cookies=player.cookies) for _ in range(10)]
    cards = ["4000000000000002", "4000000000000077"]

    def pay(tab: int, _n: int) -> str:
        answer = tabs[tab].post(
            f"/api/wallet/topups/{topup['id']}/sandbox/pay", json={"card_number": cards[tab % 2]}, headers=headers
        )
        return answer.json()["code"] if answer.status_code == 402 else answer.json()["status"]

    outcomes = race(10, 1, pay)
    platform.worker(clock=lambda: utcnow() + timedelta(seconds=6)).drain()  # the delayed card's confirmation
    status = player.get(f"/api/wallet/topups/{topup['id']}").json()["status"]
    if outcomes["PAYMENT_DECLINED"]:
        assert outcomes == {"PAYMENT_DECLINED": 1, "failed": 9}
        assert (status, balance(player)) == ("failed", 0)
    else:
        assert outcomes == {"pending": 10}
        assert (status, balance(player)) == ("succeeded", 100)
    verified(platform)
