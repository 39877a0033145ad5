"""What a purchase retried with its idempotency key answers, and what an Open API refund of an
impossible amount answers, against a real ``minis serve`` (SQLite and PostgreSQL), as a probe found
them: a retry confirming another currency, a purchase reusing the key of an order the app's backend
made and nobody paid (answered 200 "created": a payment reported that never happened), a retry
after the product was retired or the app taken down (answered 404 and 403 to a person who was
charged), a refund of 2**63 coins (a 500), and a pass's first subscribe tapped many times at once
(some 500s on PostgreSQL)."""

from __future__ import annotations

import secrets
from collections import Counter

import httpx

from bench.burst import APP_ID, funded_person
from openminis.liveserver import run_apart
from tests.attacks.test_coupon_attacks import (  # noqa: F401  (shop: the fixture)
    ADMIN,
    as_person,
    at_once,
    person_client,
    products,
    shop,
)
from tests.test_bursts import balance, ledger_verifies

PURCHASES = f"/api/apps/{APP_ID}/purchases"


def moderate(server, action: str, body: dict) -> None:
    """A moderator takes the shop down, or restores it."""
    answer = httpx.post(
        f"{server.url}/api/admin/moderation/items/app/{APP_ID}/{action}",
        json=body,
        headers={"Authorization": f"Bearer {ADMIN}"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text


def test_a_retry_answers_its_order_only_for_the_same_confirmation_and_never_an_unpaid_order(shop):  # noqa: F811
    server, headers = shop.server, shop.headers
    products(server, headers, gem=10)
    person = funded_person(server)
    gem = {"product_id": "gem", "amount": 10, "currency": "COIN"}
    with person_client(server, person) as client:
        first = client.post(PURCHASES, json=gem | {"idempotency_key": "k1"})
        assert first.status_code == 200, first.text
        assert (
            client.post(PURCHASES, json=gem | {"idempotency_key": "k1", "currency": "coin"}).json()["id"]
            == (first.json()["id"])
        )
        other = client.post(PURCHASES, json=gem | {"idempotency_key": "k1", "currency": "USD"})
        assert (other.status_code, other.json()["code"]) == (409, "IDEMPOTENCY_CONFLICT")

        # The app's backend makes an order for this person with a key; a purchase with that key is
        # not its payment (that is POST .../orders/{id}/pay, at the order's price).
        code = client.post(f"/api/apps/{APP_ID}/login-code").json()["code"]
        openid = httpx.post(
            f"{server.url}/openapi/v1/auth/code2session", json={"code": code}, headers=headers, timeout=30
        ).json()["openid"]
        made = httpx.post(
            f"{server.url}/openapi/v1/orders",
            json={"openid": openid, "product_id": "gem", "idempotency_key": "srv-1"},
            headers=headers,
            timeout=30,
        )
        assert made.status_code in (200, 201), made.text
        reused = client.post(PURCHASES, json=gem | {"idempotency_key": "srv-1"})
        assert (reused.status_code, reused.json()["code"]) == (409, "IDEMPOTENCY_CONFLICT"), reused.text
        assert balance(server, person) == 100 - 10
    assert ledger_verifies(server)


def test_a_paid_purchase_retried_after_its_product_is_retired_or_the_app_taken_down_gets_its_order(shop):  # noqa: F811
    server, headers = shop.server, shop.headers
    product = "relic" + secrets.token_hex(2)
    products(server, headers, **{product: 7}, gem=10)  # gem: a product still sold, to be refused below
    person = funded_person(server)
    body = {"product_id": product, "amount": 7, "currency": "COIN", "idempotency_key": "k1"}
    with person_client(server, person) as client:
        paid = client.post(PURCHASES, json=body)
        assert paid.status_code == 200, paid.text
        retired = httpx.delete(f"{server.url}/openapi/v1/products/{product}", headers=headers, timeout=30)
        assert retired.status_code in (200, 204), retired.text
        again = client.post(PURCHASES, json=body)
        assert (again.status_code, again.json()["id"]) == (200, paid.json()["id"]), again.text
        # A new purchase of it is refused, as before.
        assert client.post(PURCHASES, json=body | {"idempotency_key": "k2"}).status_code == 404

        moderate(server, "takedown", {"reason": "spam", "note": "Sells items it never delivers."})
        try:
            again = client.post(PURCHASES, json=body)
            assert (again.status_code, again.json()["id"]) == (200, paid.json()["id"]), again.text
            refused = client.post(PURCHASES, json=body | {"product_id": "gem", "amount": 10, "idempotency_key": "k3"})
            assert refused.status_code == 403, refused.text
        finally:
            moderate(server, "restore", {"note": "probe test"})
        assert balance(server, person) == 100 - 7
    assert ledger_verifies(server)


def test_a_refund_of_more_coins_than_any_order_holds_is_a_clear_4xx_and_changes_nothing(shop):  # noqa: F811
    server, headers = shop.server, shop.headers
    products(server, headers, gem=10)
    person = funded_person(server)
    with person_client(server, person) as client:
        order = client.post(
            PURCHASES, json={"product_id": "gem", "amount": 10, "currency": "COIN", "idempotency_key": "k"}
        )
    refund = f"{server.url}/openapi/v1/orders/{order.json()['id']}/refund"
    first = httpx.post(refund, json={"amount": 1, "idempotency_key": "r0"}, headers=headers, timeout=30)
    assert first.status_code == 200, first.text
    for n, amount in enumerate((2**31, 2**63 - 1, 2**63, 10**30)):
        answer = httpx.post(
            refund, json={"amount": amount, "idempotency_key": f"r{n + 1}"}, headers=headers, timeout=30
        )
        assert answer.status_code == 422, (amount, answer.text)
    assert balance(server, person) == 100 - 10 + 1
    assert ledger_verifies(server)


def test_a_pass_subscribed_to_25_times_at_once_over_http_starts_once_and_charges_once(shop):  # noqa: F811
    """The probe's own conditions (a real server, one person's 25 taps at once): 4 × 25 gave 4 × 500
    on PostgreSQL, the subscription's unique row made by each."""
    server, headers = shop.server, shop.headers
    created = httpx.post(
        f"{server.url}/openapi/v1/passes", json={"title": "Weekly", "period_days": 7, "price": 50}, headers=headers
    )
    assert created.status_code in (200, 201), created.text
    person = funded_person(server)
    path = f"/api/passes/{created.json()['id']}/subscribe"

    tap = ("POST", path, {"amount": 50, "currency": "COIN"}, as_person(person))
    answers = run_apart(at_once(server, [tap] * 25, again_after_503=False))

    assert Counter(status for status, _ in answers) == {200: 25}, answers[:3]
    assert len({(answer["id"], answer["period"]) for _, answer in answers}) == 1
    assert balance(server, person) == 100 - 50
    assert ledger_verifies(server)
