"""Stripe Connect payouts: one Transfer per payout key, looked up before it is created; only the
payee's own faults refuse a payout, everything else leaves it to be asked again with the same key.

Nothing here reaches Stripe: the API is an ``httpx.MockTransport`` answering with recorded-style
payloads from ``stripe_payloads/payout_*.json`` (Stripe's shapes for API version 2024-06-20).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qsl

import httpx
import pytest

from openminis.errors import InvalidArgument
from openminis.payments.providers.stripe import STRIPE_API_VERSION
from openminis.payouts.providers import PayoutTransfer, PayoutUnavailable, Sent
from openminis.payouts.providers.stripe import StripeConnectPayouts

PAYLOADS = Path(__file__).parent / "stripe_payloads"
API_KEY = "sk_test_51PcR2sK8vWq3LmZtOpenMinisTestKeyDoNotUseZq9T"
KEY = "payout-pyt_3a7c91e0d4b2f58a6c1e"
DESTINATION = "acct_1PdZ9xQ4rT7yUw2E"
CREATED = "tr_1PfQ3vK8vWq3LmZt0G7hJ2bD"  # payout_transfer_created.json
LISTED = "tr_1PeK7aK8vWq3LmZt2Lx9sF4c"  # payout_transfer_list_paid.json / _reversed.json

Handler = Callable[[httpx.Request], httpx.Response]


def payload(name: str) -> bytes:
    return (PAYLOADS / name).read_bytes()


def answer(status: int, name: str) -> httpx.Response:
    return httpx.Response(status, content=payload(name), headers={"Content-Type": "application/json"})


def payout(**changes) -> PayoutTransfer:
    fields = dict(key=KEY, payout_id="pyt_3a7c91e0d4b2f58a6c1e", destination=DESTINATION, amount=2500, currency="USD")
    return PayoutTransfer(**(fields | changes))


def stripe(lookup: Handler, create: Handler | None = None, *, seen: list[httpx.Request] | None = None):
    """A Stripe whose transfer list answers with ``lookup`` and whose create answers with ``create``."""

    def api(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        if request.method == "GET" and request.url.path == "/v1/transfers":
            return lookup(request)
        if request.method == "POST" and request.url.path == "/v1/transfers" and create is not None:
            return create(request)
        raise AssertionError(f"unexpected {request.method} {request.url}")

    return StripeConnectPayouts(API_KEY, http=httpx.Client(transport=httpx.MockTransport(api)))


def nothing_listed(request: httpx.Request) -> httpx.Response:
    return answer(200, "payout_transfer_list_empty.json")


def unavailable(provider: StripeConnectPayouts) -> str:
    with pytest.raises(PayoutUnavailable) as caught:
        provider.pay(payout())
    assert API_KEY not in caught.value.message and API_KEY not in str(caught.value)
    return caught.value.message


# -- paying ------------------------------------------------------------------------------------


def test_a_new_payout_is_looked_up_by_its_group_then_created_once_with_the_key_as_idempotency_key():
    seen: list[httpx.Request] = []
    provider = stripe(nothing_listed, lambda request: answer(200, "payout_transfer_created.json"), seen=seen)

    assert provider.name == "stripe"
    assert provider.pay(payout()) == Sent("paid", provider_ref=CREATED)

    lookup, create = seen
    assert lookup.method == "GET"
    assert lookup.url.path == "/v1/transfers"
    assert dict(lookup.url.params) == {"transfer_group": KEY, "limit": "1"}
    assert create.method == "POST"
    assert str(create.url) == "https://api.stripe.com/v1/transfers"
    for request in (lookup, create):
        assert request.headers["Authorization"] == f"Bearer {API_KEY}"
        assert request.headers["Stripe-Version"] == STRIPE_API_VERSION == "2024-06-20"
        assert request.extensions["timeout"]["read"] is not None  # never waits forever on Stripe
    assert "Idempotency-Key" not in lookup.headers
    assert create.headers["Idempotency-Key"] == KEY
    assert create.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert b"metadata%5Bpayout_id%5D=pyt_3a7c91e0d4b2f58a6c1e" in create.content
    assert dict(parse_qsl(create.content.decode(), strict_parsing=True)) == {
        "amount": "2500",
        "currency": "usd",
        "destination": DESTINATION,
        "transfer_group": KEY,
        "metadata[payout_id]": "pyt_3a7c91e0d4b2f58a6c1e",
        "description": "Payout pyt_3a7c91e0d4b2f58a6c1e",
    }


def test_a_transfer_already_in_the_group_is_the_answer_and_nothing_is_created():
    # The process died after Stripe paid, or the key's 24 hours are long gone: the group remembers.
    provider = stripe(lambda request: answer(200, "payout_transfer_list_paid.json"))  # a POST would fail the test
    assert provider.pay(payout()) == Sent("paid", provider_ref=LISTED)


def test_a_reversed_transfer_in_the_group_refuses_the_payout_without_creating_another():
    sent = stripe(lambda request: answer(200, "payout_transfer_list_reversed.json")).pay(payout())
    assert sent.outcome == "refused" and sent.provider_ref is None
    assert sent.reason is not None and "reversed" in sent.reason and LISTED in sent.reason


def test_a_listed_transfer_of_another_group_is_never_taken_for_this_payout():
    def ignoring_the_filter(request: httpx.Request) -> httpx.Response:
        return answer(200, "payout_transfer_list_paid.json")

    other = stripe(ignoring_the_filter)
    with pytest.raises(PayoutUnavailable, match="other than a transfer of group"):
        other.pay(payout(key="payout-pyt_0000000000000000000000"))


# -- refused for good: the payee's account ------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("payout_error_no_such_destination.json", "No such destination: 'acct_1PzQ8rX2mN5vKc7B'"),
        ("payout_error_insufficient_capabilities.json", "needs to have at least one of the following capabilities"),
        ("payout_error_account_invalid.json", "can no longer receive transfers"),
    ],
)
def test_a_destination_that_does_not_exist_or_cannot_receive_transfers_refuses_the_payout(name, reason):
    sent = stripe(nothing_listed, lambda request: answer(400, name)).pay(payout())
    assert sent.outcome == "refused" and sent.provider_ref is None
    assert sent.reason is not None and reason in sent.reason


def test_a_refusal_echoing_the_key_is_redacted():
    def echoing(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            400, json={"error": {"type": "invalid_request_error", "message": f"No such destination (key {API_KEY})"}}
        )

    sent = stripe(nothing_listed, echoing).pay(payout())
    assert sent.outcome == "refused"
    assert sent.reason == "No such destination (key [redacted])"


# -- unknown or the platform's fault: asked again later with the same key ----------------------


@pytest.mark.parametrize(
    ("status", "name", "said"),
    [
        (400, "payout_error_balance_insufficient.json", "balance_insufficient"),  # the platform's balance
        (409, "payout_error_idempotency_key_in_use.json", "idempotency_key_in_use"),  # a concurrent attempt
        (400, "payout_error_idempotency_mismatch.json", "idempotency_error"),  # the key's first use may have paid
        (429, "payout_error_rate_limit.json", "rate_limit"),
        (500, "payout_error_api.json", "api_error"),
        (401, "error_authentication.json", "Invalid API Key"),  # the operator's configuration
        (403, "payout_error_permission.json", "required permissions"),
    ],
    ids=["balance", "key-in-use", "key-mismatch", "429", "500", "401", "403"],
)
def test_a_create_failing_through_no_fault_of_the_payee_leaves_the_payout_to_be_asked_again(status, name, said):
    message = unavailable(stripe(nothing_listed, lambda request: answer(status, name)))
    assert f"HTTP {status}" in message and said in message


def test_an_error_page_without_stripes_error_body_is_never_taken_as_a_refusal():
    for status in (400, 404, 502):
        message = unavailable(stripe(nothing_listed, lambda request, s=status: httpx.Response(s, text="<html/>")))
        assert f"HTTP {status}" in message and "no error body" in message


def test_a_success_without_a_transfer_id_is_an_unknown_outcome():
    for body in ({"object": "transfer"}, {"id": "po_1PfQ3vK8vWq3LmZt", "object": "payout"}):
        provider = stripe(nothing_listed, lambda request, b=body: httpx.Response(200, json=b))
        assert "without a transfer id" in unavailable(provider)


@pytest.mark.parametrize("step", ["lookup", "create"])
@pytest.mark.parametrize("error", [httpx.ConnectError("connection refused"), httpx.ReadTimeout("timed out")])
def test_no_answer_from_stripe_is_an_unknown_outcome(step, error):
    def failing(request: httpx.Request) -> httpx.Response:
        raise error

    provider = stripe(failing, None) if step == "lookup" else stripe(nothing_listed, failing)
    with pytest.raises(PayoutUnavailable) as caught:
        provider.pay(payout())
    assert "could not be reached" in caught.value.message and API_KEY not in caught.value.message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


@pytest.mark.parametrize(
    ("status", "name"),
    [
        (400, "payout_error_no_such_destination.json"),
        (401, "error_authentication.json"),
        (500, "payout_error_api.json"),
    ],
)
def test_a_failed_lookup_never_refuses_and_never_creates(status, name):
    # Without the lookup nobody can say whether an earlier attempt paid.
    message = unavailable(stripe(lambda request: answer(status, name)))  # a POST would fail the test
    assert "could not list the transfers" in message


def test_a_lookup_answer_without_a_list_is_an_unknown_outcome():
    assert "without a list" in unavailable(stripe(lambda request: httpx.Response(200, json={"object": "list"})))


def test_an_unavailable_message_echoing_the_key_is_redacted():
    def echoing(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": {"type": "invalid_request_error", "message": f"Bad key {API_KEY}"}})

    assert "Bad key [redacted]" in unavailable(stripe(nothing_listed, echoing))


# -- destinations ------------------------------------------------------------------------------


def test_a_connected_account_id_is_a_destination():
    provider = stripe(nothing_listed)
    assert provider.check_destination(DESTINATION) == DESTINATION
    assert provider.check_destination(f"  {DESTINATION}\n") == DESTINATION
    assert provider.check_destination("acct_12345678") == "acct_12345678"


@pytest.mark.parametrize(
    "destination",
    [
        "",
        "acct_",
        "acct_1234567",  # too short
        "acct_" + "a" * 65,  # too long
        "acct_1PdZ9xQ4-rT7yUw2E",
        "ACCT_1PdZ9xQ4rT7yUw2E",
        "ba_1PdZ9xQ4rT7yUw2E",  # a bank account, not a connected account
        "cus_QWd3nV8sTzL2pA",
        "acct_1PdZ9xQ4rT7yUw2E acct_1PcR2sK8vWq3LmZt",
        "acct_1PdZ9xQ4rT7yUw１E",  # a fullwidth digit
    ],
)
def test_anything_else_is_refused_as_a_destination(destination):
    with pytest.raises(InvalidArgument) as caught:
        stripe(nothing_listed).check_destination(destination)
    assert caught.value.field == "destination"
    assert "a Stripe connected account id, acct_" in caught.value.message
