"""Stripe refunds of top-ups: the Checkout Session's payment intent is refunded once per key (looked
up by its metadata before it is created); Stripe's reasons about the charge refuse it, and
everything that may have refunded or is the platform's to fix leaves it to be asked again.

Nothing here reaches Stripe: the API is an ``httpx.MockTransport`` answering with recorded-style
payloads from ``stripe_payloads/refund_*.json`` (Stripe's shapes for API version 2024-06-20).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qsl

import httpx
import pytest

from openminis.payments.providers import RefundAnswer, RefundRequest, RefundUnavailable
from openminis.payments.providers.stripe import STRIPE_API_VERSION, StripeProvider

PAYLOADS = Path(__file__).parent / "stripe_payloads"
API_KEY = "sk_test_51PcR2sK8vWq3LmZtOpenMinisTestKeyDoNotUseZq9T"
SESSION = "cs_test_a1Qm7RvT3kLpX9cWn2YbZe4HsJd8FgUoNiV6tKrA0yMxCwPq5lBe3zS1hT"
INTENT = "pi_3PfR8tK8vWq3LmZt1aB2cD3e"
KEY = "refund:topup:tu_7f3a2c:half"
CREATED = "re_3PfR8tK8vWq3LmZt1Xy7Qw2E"  # refund_created.json
EARLIER = "re_3PfQ1aK8vWq3LmZt0Mn4Bv8R"  # refund_list_earlier.json, metadata refund_key == KEY

Handler = Callable[[httpx.Request], httpx.Response]


def answer(http_status: int, name: str, **changes) -> httpx.Response:
    body = json.loads((PAYLOADS / name).read_bytes()) | changes
    return httpx.Response(http_status, json=body)


def request(**changes) -> RefundRequest:
    fields = dict(key=KEY, topup_id="tu_7f3a2c", provider_ref=SESSION, amount=250, currency="USD")
    return RefundRequest(**(fields | changes))


def paid_session(request: httpx.Request) -> httpx.Response:
    return answer(200, "refund_checkout_session_paid.json")


def nothing_listed(request: httpx.Request) -> httpx.Response:
    return answer(200, "refund_list_empty.json")


def stripe(
    create: Handler | None = None,
    *,
    session: Handler = paid_session,
    lookup: Handler = nothing_listed,
    seen: list[httpx.Request] | None = None,
) -> StripeProvider:
    def api(call: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(call)
        if call.method == "GET" and call.url.path == f"/v1/checkout/sessions/{SESSION}":
            return session(call)
        if call.method == "GET" and call.url.path == "/v1/refunds":
            return lookup(call)
        if call.method == "POST" and call.url.path == "/v1/refunds" and create is not None:
            return create(call)
        raise AssertionError(f"unexpected {call.method} {call.url}")

    return StripeProvider(API_KEY, "whsec_test", http=httpx.Client(transport=httpx.MockTransport(api)))


def unavailable(provider: StripeProvider) -> str:
    with pytest.raises(RefundUnavailable) as caught:
        provider.refund(request())
    assert API_KEY not in caught.value.message and API_KEY not in str(caught.value)
    return caught.value.message


def test_the_sessions_payment_intent_is_looked_up_then_refunded_once_with_the_key_as_idempotency_key():
    seen: list[httpx.Request] = []
    provider = stripe(lambda call: answer(200, "refund_created.json"), seen=seen)

    assert provider.refund(request()) == RefundAnswer("refunded", provider_ref=CREATED)
    session, lookup, create = seen
    assert all(call.headers["Authorization"] == f"Bearer {API_KEY}" for call in seen)
    assert all(call.headers["Stripe-Version"] == STRIPE_API_VERSION for call in seen)
    assert "Idempotency-Key" not in session.headers and "Idempotency-Key" not in lookup.headers
    assert dict(lookup.url.params) == {"payment_intent": INTENT, "limit": "100"}
    assert create.headers["Idempotency-Key"] == KEY
    assert dict(parse_qsl(create.content.decode())) == {
        "payment_intent": INTENT,
        "amount": "250",
        "metadata[topup_id]": "tu_7f3a2c",
        "metadata[refund_key]": KEY,
    }


def test_a_refund_an_earlier_attempt_made_is_the_answer_and_none_is_made_again():
    provider = stripe(lookup=lambda call: answer(200, "refund_list_earlier.json"))  # no create handler

    assert provider.refund(request()) == RefundAnswer("refunded", provider_ref=EARLIER)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [("succeeded", "refunded"), ("pending", "refunded"), ("failed", "refused"), ("canceled", "refused")],
)
def test_a_pending_refund_counts_as_made_a_failed_or_canceled_one_is_refused(status, outcome):
    provider = stripe(
        lambda call: answer(200, "refund_created.json", status=status, failure_reason="expired_or_canceled_card")
    )

    found = provider.refund(request())
    assert (found.outcome, found.provider_ref) == (outcome, CREATED)
    assert (found.reason is not None) == (outcome == "refused")


def test_a_session_that_charged_nothing_or_does_not_exist_is_refused_without_a_refund():
    unpaid = stripe(session=lambda call: answer(200, "checkout_session_created.json"))  # payment_intent: null
    assert "nothing was charged" in (unpaid.refund(request()).reason or "")

    missing = stripe(session=lambda call: answer(404, "refund_error_no_such_session.json"))
    assert missing.refund(request()).outcome == "refused"
    assert stripe().refund(request(provider_ref=None)).outcome == "refused"


@pytest.mark.parametrize(
    ("status", "payload", "reason"),
    [
        (400, "refund_error_charge_already_refunded.json", "has already been refunded"),
        (400, "refund_error_charge_disputed.json", "charged back"),
        (400, "refund_error_amount_too_large.json", "greater than unrefunded amount"),
    ],
)
def test_stripes_reasons_about_the_charge_refuse_the_refund_for_good(status, payload, reason):
    found = stripe(lambda call: answer(status, payload)).refund(request())

    assert found.outcome == "refused" and reason in (found.reason or "")


def api_key_echoed(call: httpx.Request) -> httpx.Response:
    return httpx.Response(500, json={"error": {"type": "api_error", "message": f"bad key {API_KEY}"}})


def timed_out(call: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("read timed out", request=call)


@pytest.mark.parametrize(
    "create",
    [
        lambda call: answer(401, "error_authentication.json"),
        lambda call: answer(409, "refund_error_idempotency_key_in_use.json"),
        lambda call: answer(429, "refund_error_rate_limit.json"),
        lambda call: httpx.Response(502, text="<html>Bad gateway</html>"),
        lambda call: httpx.Response(200, json={"object": "refund"}),  # no id: whether it refunded is unknown
        api_key_echoed,
        timed_out,
    ],
    ids=["auth", "idempotency", "rate-limit", "proxy-5xx", "no-id", "api-error", "timeout"],
)
def test_what_may_have_refunded_or_is_the_platforms_to_fix_is_asked_again_later(create):
    assert unavailable(stripe(create))


def test_a_lookup_that_fails_is_never_taken_for_nothing_refunded():
    failing = stripe(lookup=lambda call: answer(400, "refund_error_charge_disputed.json"))  # no create handler
    assert "could not list the refunds" in unavailable(failing)
    assert unavailable(stripe(session=timed_out))
