"""Stripe as a payment provider for coin top-ups: Checkout Sessions out, signed webhooks in.

``start_checkout`` creates a Checkout Session (``POST /v1/checkout/sessions``, form-encoded with
Stripe's bracket notation for nested parameters) and returns the page the person pays on. The
request carries ``Idempotency-Key: topup-<topup_id>``, so retrying a start that timed out gets the
same session back instead of a second one.

``parse_webhook`` verifies a webhook before anything reads it. Stripe sends
``Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...]`` (plus a ``v0`` on test-mode events,
which is not verifiable and is ignored). The signed payload is the header's ``t``, a ``.``, and
the raw request body, byte for byte; each ``v1`` is the hex HMAC-SHA256 of it, keyed with the
endpoint's signing secret (``whsec_...``, used as-is). While a secret is being rolled Stripe signs
with the old and the new one, so any matching ``v1`` is enough. ``t`` is covered by the signature,
which is what makes the freshness check (``tolerance`` seconds either way) a replay defence.

The verified event is reduced to a ``ProviderEvent``: only the Checkout Session events move money
for us; everything else comes back ``ignored`` with its type.

Stripe docs: Checkout Sessions (create; the Session object); webhooks, verifying signatures
manually; idempotent requests; errors.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from openminis.payments.providers import (
    Checkout,
    CheckoutRequest,
    EventKind,
    ProviderError,
    ProviderEvent,
    WebhookRejected,
)

# Pinned so a change of the account's default version never changes what we send or parse.
STRIPE_API_VERSION = "2024-06-20"
SIGNATURE_HEADER = "Stripe-Signature"
TIMEOUT = httpx.Timeout(20.0, connect=5.0)

# payment_status of a completed session -> what it means for the top-up. "no_payment_required"
# (a 100% discount) is deliberately absent: coins are never granted for nothing.
_COMPLETED: dict[str, EventKind] = {"paid": "payment_succeeded", "unpaid": "payment_pending"}
_SESSION_EVENTS: dict[str, EventKind] = {
    "checkout.session.async_payment_succeeded": "payment_succeeded",
    "checkout.session.async_payment_failed": "payment_failed",
    "checkout.session.expired": "checkout_expired",
}


class StripeProvider:
    name = "stripe"

    def __init__(
        self,
        api_key: str,
        webhook_secret: str,
        *,
        http: httpx.Client | None = None,
        api_base: str = "https://api.stripe.com",
        tolerance: int = 300,
        clock: Callable[[], float] = time.time,
    ):
        if not api_key or not webhook_secret:
            raise ValueError("Stripe needs both an API key and a webhook signing secret")
        if tolerance <= 0:
            raise ValueError("tolerance must be a positive number of seconds")
        self._api_key = api_key
        self._secret = webhook_secret.encode()
        self._http = http or httpx.Client(timeout=TIMEOUT)
        self._api_base = api_base.rstrip("/")
        self._tolerance = tolerance
        self._clock = clock

    # -- checkout ------------------------------------------------------------------------------

    def start_checkout(self, request: CheckoutRequest) -> Checkout:
        form = {
            "mode": "payment",
            "line_items[0][price_data][currency]": request.currency.lower(),
            "line_items[0][price_data][unit_amount]": str(request.amount),
            "line_items[0][price_data][product_data][name]": request.title,
            "line_items[0][quantity]": "1",
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
            "client_reference_id": request.topup_id,
            "metadata[topup_id]": request.topup_id,
            "metadata[user_id]": request.user_id,
            "metadata[pack_id]": request.pack_id,
        }
        headers = {
            "Authorization": f"Bearer {self._api_key}",
            "Stripe-Version": STRIPE_API_VERSION,
            "Idempotency-Key": f"topup-{request.topup_id}",
        }
        try:
            response = self._http.post(
                f"{self._api_base}/v1/checkout/sessions", data=form, headers=headers, timeout=TIMEOUT
            )
        except httpx.HTTPError as exc:
            raise ProviderError(self._redact(f"Stripe could not be reached ({type(exc).__name__}: {exc})")) from None
        if response.is_error:
            raise ProviderError(self._redact(_describe_error(response)))
        try:
            session = response.json()
            return Checkout(provider_ref=session["id"], redirect_url=session["url"])
        except (ValueError, KeyError, TypeError):
            raise ProviderError(
                f"Stripe answered HTTP {response.status_code} without a Checkout Session id and url"
            ) from None

    def _redact(self, message: str) -> str:
        # Stripe masks keys in its own messages; this holds even if something upstream does not.
        return message.replace(self._api_key, "[redacted]")

    # -- webhooks ------------------------------------------------------------------------------

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        header = _header(headers, SIGNATURE_HEADER)
        if header is None:
            raise WebhookRejected(f"missing {SIGNATURE_HEADER} header")
        timestamp, signatures = _parse_signature_header(header)

        expected = hmac.new(self._secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest().encode()
        # No short-circuit: every candidate is compared, each in constant time.
        matches = [hmac.compare_digest(expected, candidate.encode()) for candidate in signatures]
        if not any(matches):
            raise WebhookRejected("no v1 signature in Stripe-Signature matches the body and signing secret")

        age = self._clock() - int(timestamp)
        if age > self._tolerance:
            raise WebhookRejected(f"signature timestamp is {int(age)}s old, beyond the {self._tolerance}s tolerance")
        if -age > self._tolerance:
            raise WebhookRejected(
                f"signature timestamp is {int(-age)}s in the future, beyond the {self._tolerance}s tolerance"
            )

        try:
            event = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise WebhookRejected("body is not JSON") from None
        if (
            not isinstance(event, dict)
            or not isinstance(event.get("id"), str)
            or not isinstance(event.get("type"), str)
        ):
            raise WebhookRejected("body is not a Stripe event (no id or type)")
        return _reduce(event)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        wanted = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == wanted), None)
    return value


def _parse_signature_header(header: str) -> tuple[str, list[str]]:
    """Return ``t`` (as sent: it is part of the signed payload) and every ``v1`` signature."""
    if not header.isascii():
        raise WebhookRejected("garbled Stripe-Signature header: not ASCII")
    timestamps: list[str] = []
    signatures: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep or not key or not value:
            raise WebhookRejected(f"garbled Stripe-Signature header: element {item.strip()!r} is not key=value")
        if key == "t":
            timestamps.append(value)
        elif key == "v1":
            signatures.append(value)
        # Any other scheme (v0 on test-mode events, future ones) is not ours to check.
    if len(timestamps) != 1 or not timestamps[0].isdigit() or len(timestamps[0]) > 12:
        raise WebhookRejected("garbled Stripe-Signature header: needs exactly one t= of unix seconds")
    if not signatures:
        raise WebhookRejected("garbled Stripe-Signature header: no v1 signature")
    return timestamps[0], signatures


def _describe_error(response: httpx.Response) -> str:
    try:
        error = response.json()["error"]
        kind = "/".join(str(part) for part in (error.get("type"), error.get("code")) if part)
        return (
            f"Stripe refused the checkout (HTTP {response.status_code}, {kind}): {error.get('message') or 'no message'}"
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return f"Stripe refused the checkout (HTTP {response.status_code}, no error body)"


def _reduce(event: dict[str, Any]) -> ProviderEvent:
    raw_type = event["type"]
    if raw_type == "checkout.session.completed":
        payment_status = _session(event).get("payment_status", "")
        kind: EventKind = _COMPLETED.get(payment_status, "ignored")
    else:
        kind = _SESSION_EVENTS.get(raw_type, "ignored")
    if kind == "ignored" and not raw_type.startswith("checkout.session."):
        return ProviderEvent(event_id=event["id"], kind="ignored", raw_type=raw_type)

    session = _session(event)
    found = session.get("metadata")
    metadata: dict[str, Any] = found if isinstance(found, dict) else {}
    amount = session.get("amount_total")
    currency = session.get("currency")
    return ProviderEvent(
        event_id=event["id"],
        kind=kind,
        provider_ref=session.get("id"),
        topup_id=session.get("client_reference_id") or metadata.get("topup_id"),
        amount=amount if isinstance(amount, int) and not isinstance(amount, bool) else None,
        currency=currency.upper() if isinstance(currency, str) else None,
        raw_type=raw_type,
        extra={
            "payment_status": session.get("payment_status"),
            "payment_intent": session.get("payment_intent"),
            "livemode": event.get("livemode"),
        },
    )


def _session(event: dict[str, Any]) -> dict[str, Any]:
    data = event.get("data")
    session = data.get("object") if isinstance(data, dict) else None
    return session if isinstance(session, dict) else {}
