"""Stripe: Checkout Sessions are requested as Stripe's API expects; only signed, fresh webhooks are believed.

Nothing here reaches Stripe: the API is an ``httpx.MockTransport`` answering with recorded-style
payloads from ``stripe_payloads/``, and every webhook is signed in the test with Stripe's scheme.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from urllib.parse import parse_qsl

import httpx
import pytest

from openminis.payments.providers import CheckoutRequest, ProviderError, WebhookRejected
from openminis.payments.providers.stripe import STRIPE_API_VERSION, StripeProvider
from openminis.web.errors import status_for

PAYLOADS = Path(__file__).parent / "stripe_payloads"
API_KEY = "sk_test_51PcR2sK8vWq3LmZtOpenMinisTestKeyDoNotUseZq9T"
SECRET = "whsec_8d3f0c5a7b2e4f6a9c1d3e5f7a9b0c2d4e6f8a1b3c5d7e9f0a2b4c6d8e0f1a3"
NOW = 1_721_390_460  # a little after the recorded events were created


def payload(name: str) -> bytes:
    return (PAYLOADS / name).read_bytes()


def sign(body: bytes, secret: str = SECRET, *, t: int = NOW) -> str:
    """Stripe's v1 scheme: hex HMAC-SHA256 over ``f"{t}.{body}"``, keyed with the endpoint secret."""
    return hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(body: bytes, secret: str = SECRET, *, t: int = NOW) -> dict[str, str]:
    return {"Stripe-Signature": f"t={t},v1={sign(body, secret, t=t)}"}


def provider(handler=None, *, now: float = NOW) -> StripeProvider:
    http = httpx.Client(transport=httpx.MockTransport(handler or unreachable))
    return StripeProvider(API_KEY, SECRET, http=http, clock=lambda: now)


def unreachable(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no HTTP expected, got {request.method} {request.url}")


def topup(**changes) -> CheckoutRequest:
    fields = dict(
        topup_id="tu_7f3a2c",
        user_id="usr_41b9",
        pack_id="pack_600",
        title="600 coins",
        amount=499,
        currency="USD",
        success_url="https://minis.example/wallet/topup/tu_7f3a2c/done",
        cancel_url="https://minis.example/wallet/topup/tu_7f3a2c/cancelled",
    )
    return CheckoutRequest(**(fields | changes))


# -- start_checkout ----------------------------------------------------------------------------


def test_checkout_session_is_created_form_encoded_with_key_version_and_idempotency_key():
    seen: list[httpx.Request] = []

    def stripe_api(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200, content=payload("checkout_session_created.json"), headers={"Content-Type": "application/json"}
        )

    checkout = provider(stripe_api).start_checkout(topup())

    [request] = seen
    assert request.method == "POST"
    assert str(request.url) == "https://api.stripe.com/v1/checkout/sessions"
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    assert request.headers["Stripe-Version"] == STRIPE_API_VERSION == "2024-06-20"
    assert request.headers["Idempotency-Key"] == "topup-tu_7f3a2c"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    # Brackets travel percent-encoded, as any form encoder (and Stripe's own libraries) sends them.
    assert b"line_items%5B0%5D%5Bprice_data%5D%5Bunit_amount%5D=499" in request.content
    assert dict(parse_qsl(request.content.decode(), strict_parsing=True)) == {
        "mode": "payment",
        "line_items[0][price_data][currency]": "usd",
        "line_items[0][price_data][unit_amount]": "499",
        "line_items[0][price_data][product_data][name]": "600 coins",
        "line_items[0][quantity]": "1",
        "success_url": "https://minis.example/wallet/topup/tu_7f3a2c/done",
        "cancel_url": "https://minis.example/wallet/topup/tu_7f3a2c/cancelled",
        "client_reference_id": "tu_7f3a2c",
        "metadata[topup_id]": "tu_7f3a2c",
        "metadata[user_id]": "usr_41b9",
        "metadata[pack_id]": "pack_600",
    }
    assert request.extensions["timeout"]["read"] is not None  # never waits forever on Stripe

    assert checkout.provider_ref == "cs_test_a1Qm7RvT3kLpX9cWn2YbZe4HsJd8FgUoNiV6tKrA0yMxCwPq5lBe3zS1hT"
    assert checkout.redirect_url.startswith(
        "https://checkout.stripe.com/c/pay/cs_test_a1Qm7RvT3kLpX9cWn2YbZe4HsJd8FgUoNiV6tKrA0yMxCwPq5lBe3zS1hT#"
    )


def test_a_retried_start_sends_the_same_idempotency_key():
    keys: list[str] = []

    def stripe_api(request: httpx.Request) -> httpx.Response:
        keys.append(request.headers["Idempotency-Key"])
        return httpx.Response(200, content=payload("checkout_session_created.json"))

    stripe = provider(stripe_api)
    first, second = stripe.start_checkout(topup()), stripe.start_checkout(topup())
    assert keys == ["topup-tu_7f3a2c", "topup-tu_7f3a2c"]
    assert first == second


def test_the_api_base_can_point_at_a_local_stand_in():
    urls: list[str] = []

    def stand_in(request: httpx.Request) -> httpx.Response:
        urls.append(str(request.url))
        return httpx.Response(200, content=payload("checkout_session_created.json"))

    http = httpx.Client(transport=httpx.MockTransport(stand_in))
    StripeProvider(API_KEY, SECRET, http=http, api_base="http://127.0.0.1:12111/").start_checkout(topup())
    assert urls == ["http://127.0.0.1:12111/v1/checkout/sessions"]


def test_a_stripe_error_response_raises_provider_error_naming_the_error():
    stripe = provider(lambda request: httpx.Response(400, content=payload("error_invalid_request.json")))
    with pytest.raises(ProviderError) as caught:
        stripe.start_checkout(topup())
    assert "HTTP 400" in caught.value.message
    assert "invalid_request_error/parameter_invalid_integer" in caught.value.message
    assert "Invalid integer: 4.99" in caught.value.message
    assert API_KEY not in caught.value.message


def test_a_rejected_api_key_never_appears_in_the_error():
    stripe = provider(lambda request: httpx.Response(401, content=payload("error_authentication.json")))
    with pytest.raises(ProviderError) as caught:
        stripe.start_checkout(topup())
    assert "HTTP 401" in caught.value.message
    assert API_KEY not in caught.value.message and API_KEY not in str(caught.value)


def test_an_error_message_echoing_the_key_is_redacted():
    def echoing(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            401, json={"error": {"type": "invalid_request_error", "message": f"Invalid API Key provided: {API_KEY}"}}
        )

    with pytest.raises(ProviderError) as caught:
        provider(echoing).start_checkout(topup())
    assert API_KEY not in caught.value.message
    assert "[redacted]" in caught.value.message


def test_a_server_error_without_a_json_body_raises_provider_error():
    stripe = provider(lambda request: httpx.Response(502, text="<html>Bad Gateway</html>"))
    with pytest.raises(ProviderError, match="HTTP 502"):
        stripe.start_checkout(topup())


@pytest.mark.parametrize("error", [httpx.ConnectError("connection refused"), httpx.ReadTimeout("timed out")])
def test_a_transport_error_raises_provider_error_without_the_key(error):
    def failing(request: httpx.Request) -> httpx.Response:
        raise error

    with pytest.raises(ProviderError) as caught:
        provider(failing).start_checkout(topup())
    assert "could not be reached" in caught.value.message
    assert API_KEY not in caught.value.message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_a_success_status_without_a_session_raises_provider_error():
    stripe = provider(lambda request: httpx.Response(200, json={"object": "checkout.session"}))
    with pytest.raises(ProviderError, match="without a Checkout Session"):
        stripe.start_checkout(topup())


# -- parse_webhook: reduction ------------------------------------------------------------------


def test_a_signed_paid_completed_session_is_a_payment_success_for_the_topup():
    body = payload("event_checkout_session_completed_paid.json")
    event = provider().parse_webhook(body, signature_header(body))
    assert event.kind == "payment_succeeded"
    assert event.event_id == "evt_1PeH8mK8vWq3LmZtQ2xA7nVc"
    assert event.provider_ref == "cs_test_a1Qm7RvT3kLpX9cWn2YbZe4HsJd8FgUoNiV6tKrA0yMxCwPq5lBe3zS1hT"
    assert event.topup_id == "tu_7f3a2c"
    assert event.amount == 499
    assert event.currency == "USD"
    assert event.raw_type == "checkout.session.completed"
    assert event.extra["livemode"] is False


def test_an_unpaid_completed_session_is_pending_until_the_async_payment_settles():
    body = payload("event_checkout_session_completed_unpaid.json")
    event = provider().parse_webhook(body, signature_header(body))
    assert (event.kind, event.topup_id, event.amount, event.currency) == ("payment_pending", "tu_9e1d44", 1999, "USD")


def test_an_async_payment_success_is_a_payment_success():
    body = payload("event_checkout_session_async_payment_succeeded.json")
    event = provider().parse_webhook(body, signature_header(body))
    assert (event.kind, event.event_id, event.topup_id, event.amount) == (
        "payment_succeeded",
        "evt_1PfK2aK8vWq3LmZtW8cN4pHe",
        "tu_9e1d44",
        1999,
    )
    assert event.provider_ref == "cs_test_b1Hn4WxK8pQe2ZrLv7TdYc3MsFa9GjUoBiX6uNtR0wEyPq5lKe3zD1hJ"


def test_an_async_payment_failure_is_a_payment_failure():
    body = payload("event_checkout_session_async_payment_failed.json")
    event = provider().parse_webhook(body, signature_header(body))
    assert (event.kind, event.topup_id, event.raw_type) == (
        "payment_failed",
        "tu_9e1d44",
        "checkout.session.async_payment_failed",
    )


def test_an_expired_session_expires_the_checkout():
    body = payload("event_checkout_session_expired.json")
    event = provider().parse_webhook(body, signature_header(body))
    assert (event.kind, event.topup_id) == ("checkout_expired", "tu_2b8c90")
    assert event.provider_ref == "cs_test_c1Lp6YtR2mWq8XsKv4NdZe7HbGa3FjUoCiT9uVrE0yAxDwPq5nMe3zQ1kS"


def test_any_other_event_type_is_ignored_but_keeps_its_id_and_type():
    body = payload("event_payment_intent_succeeded.json")
    event = provider().parse_webhook(body, signature_header(body))
    assert (event.kind, event.event_id, event.raw_type) == (
        "ignored",
        "evt_3PeH8kK8vWq3LmZt0aB1cD2E",
        "payment_intent.succeeded",
    )
    assert event.topup_id is None and event.amount is None


def test_a_completed_session_needing_no_payment_grants_nothing():
    event = json.loads(payload("event_checkout_session_completed_paid.json"))
    event["data"]["object"].update(payment_status="no_payment_required", amount_total=0)
    body = json.dumps(event, indent=2).encode()
    assert provider().parse_webhook(body, signature_header(body)).kind == "ignored"


def test_the_topup_id_falls_back_to_metadata_without_a_client_reference_id():
    event = json.loads(payload("event_checkout_session_completed_paid.json"))
    event["data"]["object"]["client_reference_id"] = None
    body = json.dumps(event, indent=2).encode()
    assert provider().parse_webhook(body, signature_header(body)).topup_id == "tu_7f3a2c"


def test_the_signature_header_is_found_whatever_its_case():
    body = payload("event_checkout_session_completed_paid.json")
    [(name, value)] = signature_header(body).items()
    assert provider().parse_webhook(body, {name.lower(): value}).kind == "payment_succeeded"


# -- parse_webhook: what is rejected -----------------------------------------------------------


def rejected(body: bytes, headers: dict[str, str], *, now: float = NOW) -> str:
    with pytest.raises(WebhookRejected) as caught:
        provider(now=now).parse_webhook(body, headers)
    assert status_for(caught.value) == 400
    return caught.value.message


def test_a_tampered_body_is_rejected():
    body = payload("event_checkout_session_completed_paid.json")
    tampered = body.replace(b'"amount_total": 499', b'"amount_total": 49900')
    assert tampered != body
    assert "no v1 signature" in rejected(tampered, signature_header(body))


def test_a_body_signed_with_another_secret_is_rejected():
    body = payload("event_checkout_session_completed_paid.json")
    assert "no v1 signature" in rejected(body, signature_header(body, "whsec_someone_elses_endpoint"))


def test_a_missing_signature_header_is_rejected():
    body = payload("event_checkout_session_completed_paid.json")
    assert "missing Stripe-Signature" in rejected(body, {"Content-Type": "application/json"})


@pytest.mark.parametrize(
    "header",
    [
        "",
        "garbage",
        f"v1={'0' * 64}",  # no timestamp
        f"t=,v1={'0' * 64}",
        f"t=soon,v1={'0' * 64}",
        f"t=-{NOW},v1={'0' * 64}",
        f"t={NOW},t={NOW},v1={'0' * 64}",
        f"t={'9' * 5000},v1={'0' * 64}",
        f"t={NOW}",  # no signature at all
        f"t={NOW},v0={'0' * 64}",  # only the unverifiable test-mode scheme
        f"t={NOW},v1=",
        f"t={NOW},v1={'é' * 64}",
    ],
)
def test_a_garbled_signature_header_is_rejected(header):
    body = payload("event_checkout_session_completed_paid.json")
    assert "garbled Stripe-Signature" in rejected(body, {"Stripe-Signature": header})


def test_a_stale_timestamp_is_rejected_even_when_correctly_signed():
    body = payload("event_checkout_session_completed_paid.json")
    headers = signature_header(body, t=NOW)
    assert provider(now=NOW + 300).parse_webhook(body, headers).kind == "payment_succeeded"  # at the edge: accepted
    assert "old, beyond the 300s tolerance" in rejected(body, headers, now=NOW + 301)


def test_a_future_timestamp_is_rejected_even_when_correctly_signed():
    body = payload("event_checkout_session_completed_paid.json")
    headers = signature_header(body, t=NOW + 301)
    assert "in the future" in rejected(body, headers, now=NOW)


def test_a_body_that_is_not_json_is_rejected_after_its_signature_checks_out():
    for body in (b"this is not json", b"\xff\xfe{}"):
        assert rejected(body, signature_header(body)) == "body is not JSON"


def test_json_that_is_not_an_event_is_rejected():
    body = b'["evt_1PeH8mK8vWq3LmZtQ2xA7nVc"]'
    assert "not a Stripe event" in rejected(body, signature_header(body))


def test_during_a_secret_roll_any_matching_v1_signature_is_accepted():
    body = payload("event_checkout_session_completed_paid.json")
    old, new = sign(body, "whsec_the_secret_being_rolled_out"), sign(body)
    fake_v0 = "6f" * 32
    header = f"t={NOW},v1={old},v1={new},v0={fake_v0}"
    assert provider().parse_webhook(body, {"Stripe-Signature": header}).kind == "payment_succeeded"


def test_the_signature_covers_the_timestamp():
    body = payload("event_checkout_session_completed_paid.json")
    replayed = f"t={NOW + 60},v1={sign(body, t=NOW)}"  # fresh timestamp pasted onto an old signature
    assert "no v1 signature" in rejected(body, {"Stripe-Signature": replayed}, now=NOW + 60)


def test_the_provider_needs_its_credentials():
    with pytest.raises(ValueError):
        StripeProvider("", SECRET)
    with pytest.raises(ValueError):
        StripeProvider(API_KEY, "")


# -- parse_webhook: money given back after the payment ------------------------------------------


def test_a_completed_session_names_its_payment_intent_which_the_top_up_keeps():
    body = payload("event_checkout_session_completed_paid.json")
    assert provider().parse_webhook(body, signature_header(body)).payment_ref == "pi_3PeH8kK8vWq3LmZt0Rj2cX5A"


def test_a_refunded_charge_says_all_refunded_of_its_payment_so_far():
    body = payload("event_charge_refunded.json")
    event = provider().parse_webhook(body, signature_header(body))
    assert (event.kind, event.payment_ref, event.amount, event.currency) == (
        "payment_refunded",
        "pi_3PeH8kK8vWq3LmZt0Rj2cX5A",
        200,
        "USD",
    )
    assert event.topup_id is None and event.provider_ref is None and event.claim_ref is None


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("event_charge_dispute_funds_withdrawn.json", "payment_disputed"),
        ("event_charge_dispute_funds_reinstated.json", "dispute_reinstated"),
    ],
)
def test_a_dispute_names_its_payment_its_id_and_the_amount_it_took(name, kind):
    body = payload(name)
    event = provider().parse_webhook(body, signature_header(body))
    assert (event.kind, event.payment_ref, event.claim_ref, event.amount, event.currency) == (
        kind,
        "pi_3PeH8kK8vWq3LmZt0Rj2cX5A",
        "dp_1PhT7vK8vWq3LmZtX2c9QmRa",
        499,
        "USD",
    )


@pytest.mark.parametrize("amount", [None, "200", 2.5, True, [200]])
def test_a_refunded_charge_without_a_whole_amount_says_no_amount(amount):
    event = json.loads(payload("event_charge_refunded.json"))
    event["data"]["object"]["amount_refunded"] = amount
    body = json.dumps(event).encode()
    assert provider().parse_webhook(body, signature_header(body)).amount is None


def test_a_refund_that_failed_later_names_itself_its_payment_and_why():
    body = payload("event_charge_refund_updated_failed.json")
    event = provider().parse_webhook(body, signature_header(body))
    assert (event.kind, event.payment_ref, event.claim_ref, event.amount) == (
        "refund_failed",
        "pi_3PeH8kK8vWq3LmZt0Rj2cX5A",
        "re_3PeH8kK8vWq3LmZt0mV5sC7B",
        200,
    )
    assert event.extra["reason"] == "expired_or_canceled_card"


@pytest.mark.parametrize("status", ["succeeded", "pending", "requires_action", ["failed"], {"a": 1}, None])
def test_a_refund_updated_to_anything_but_failed_or_canceled_is_ignored(status):
    event = json.loads(payload("event_charge_refund_updated_failed.json"))
    event["data"]["object"]["status"] = status
    body = json.dumps(event).encode()
    assert provider().parse_webhook(body, signature_header(body)).kind == "ignored"


def test_an_event_id_longer_than_the_platform_keeps_is_refused_and_a_long_payment_id_is_no_id():
    # Kept whole or not at all: on PostgreSQL a 129th character was a 500 (the columns hold 128).
    event = json.loads(payload("event_checkout_session_completed_paid.json"))
    event["data"]["object"]["payment_intent"] = "pi_" + "x" * 126
    body = json.dumps(event).encode()
    assert provider().parse_webhook(body, signature_header(body)).payment_ref is None
    event["id"] = "evt_" + "x" * 125
    body = json.dumps(event).encode()
    with pytest.raises(WebhookRejected, match="128"):
        provider().parse_webhook(body, signature_header(body))
