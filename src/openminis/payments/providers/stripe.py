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

The verified event is reduced to a ``ProviderEvent``: the Checkout Session events (a top-up paid,
pending, failed, expired), and money given back after the payment without the platform asking
(``charge.refunded``, ``charge.dispute.funds_withdrawn`` and ``funds_reinstated``, named by the
payment intent the top-up keeps); everything else comes back ``ignored`` with its type.

``refund`` gives back (part of) a top-up with the Refunds API. The top-up knows its Checkout
Session, so the session is read first (``GET /v1/checkout/sessions/<id>``) for its
``payment_intent``; a session without one charged nothing, and its refund is refused. A refund is
made once per ``key`` (the platform's refund transfer key), even when asked again days later:

* every Refund carries ``metadata[refund_key]=<key>``, and the payment intent's refunds are listed
  first (``GET /v1/refunds?payment_intent=<pi>&limit=100``); one with this key means an earlier
  attempt refunded, and it is the answer. A lookup that fails in any way raises
  ``RefundUnavailable``: without it nobody can say whether an earlier attempt refunded.
* the create (``POST /v1/refunds`` with ``payment_intent``, ``amount``, ``metadata[topup_id]``)
  carries ``Idempotency-Key: <key>``, which covers two attempts that both looked before either
  created (Stripe keeps a key's result for at least 24 hours).

What the answer means: a Refund whose status is ``succeeded`` is refunded. So is one that is
``pending`` or ``requires_action``: Stripe finishes those later (a bank's refund takes days), and a
later failure comes as a ``charge.refund.updated`` (or ``refund.failed``) webhook, which undoes the
refund (reversals.refund_failed).
``failed`` or ``canceled``: refused. A 4xx in which Stripe says why about the charge or the amount
(``charge_already_refunded``, ``charge_disputed``, an amount beyond what is left, no such payment):
refused for good, with Stripe's message as the reason. Everything else leaves the outcome unknown
(``RefundUnavailable``, asked again later with the same key): no answer, a 5xx, a 4xx without
Stripe's error body, 401/403 (the operator's key), 409 and ``idempotency_error`` (a request with
this key in flight), 429, and the codes in ``_PLATFORM_SIDE``. The API key never appears in a
reason or an exception.

Stripe docs: Checkout Sessions (create; retrieve; the Session object); Refunds (create; list,
its ``payment_intent`` filter; the Refund object, ``status`` and ``failure_reason``); webhooks,
verifying signatures manually; idempotent requests; errors and error codes.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import httpx

from openminis import text
from openminis.payments.providers import (
    Checkout,
    CheckoutRequest,
    EventKind,
    ProviderError,
    ProviderEvent,
    RefundAnswer,
    RefundRequest,
    RefundUnavailable,
    WebhookRejected,
)
from openminis.payments.providers.stripe_api import STRIPE_API_VERSION, TIMEOUT, StripeApi

__all__ = ["STRIPE_API_VERSION", "TIMEOUT", "StripeProvider"]

SIGNATURE_HEADER = "Stripe-Signature"

# payment_status of a completed session -> what it means for the top-up. "no_payment_required"
# (a 100% discount) is deliberately absent: coins are never granted for nothing.
_COMPLETED: dict[str, EventKind] = {"paid": "payment_succeeded", "unpaid": "payment_pending"}
_SESSION_EVENTS: dict[str, EventKind] = {
    "checkout.session.async_payment_succeeded": "payment_succeeded",
    "checkout.session.async_payment_failed": "payment_failed",
    "checkout.session.expired": "checkout_expired",
}
# Money given back after the payment, without the platform asking (a refund made in Stripe's
# dashboard, a dispute): followed by reversals.py. A dispute's funds_withdrawn comes when the bank
# takes the money, funds_reinstated when the platform wins it back.
_AFTER_PAYMENT: dict[str, EventKind] = {
    "charge.refunded": "payment_refunded",
    "charge.dispute.funds_withdrawn": "payment_disputed",
    "charge.dispute.funds_reinstated": "dispute_reinstated",
    # A Refund's status changed; acted on only when it failed or was canceled after being accepted
    # (a closed card: days later). This API version sends charge.refund.updated; later ones also
    # refund.updated and refund.failed.
    "charge.refund.updated": "refund_failed",
    "refund.updated": "refund_failed",
    "refund.failed": "refund_failed",
}
# A Refund in these statuses did not and will not give the money back; any other is (or will be) done.
_REFUND_FAILED = frozenset({"failed", "canceled"})


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
        self._api = StripeApi(api_key, http=http, api_base=api_base)
        self._secret = webhook_secret.encode()
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
        response = self._api.call(
            "POST",
            "/v1/checkout/sessions",
            unreachable=ProviderError,
            data=form,
            idempotency_key=f"topup-{request.topup_id}",
        )
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
        return self._api.redact(message)

    # -- refunds -------------------------------------------------------------------------------

    def refund(self, request: RefundRequest) -> RefundAnswer:
        intent = self._payment_intent(request)
        if isinstance(intent, RefundAnswer):
            return intent
        return self._find_refund(intent, request.key) or self._create_refund(intent, request)

    def _payment_intent(self, request: RefundRequest) -> str | RefundAnswer:
        """The payment the top-up's Checkout Session made, or the refusal when there is none."""
        ref = request.provider_ref
        if not ref:
            return RefundAnswer("refused", reason=f"top-up {request.topup_id} has no Stripe Checkout Session")
        response = self._call("GET", f"/v1/checkout/sessions/{quote(ref, safe='')}")
        if not response.is_success:
            return self._refusal(response, f"Stripe could not read Checkout Session {ref}")
        try:
            session = response.json()
        except ValueError:
            session = None
        if not isinstance(session, dict) or session.get("id") != ref:
            raise RefundUnavailable(f"Stripe answered HTTP {response.status_code} without Checkout Session {ref}")
        intent = session.get("payment_intent")
        if isinstance(intent, dict):  # expanded
            intent = intent.get("id")
        if not isinstance(intent, str) or not intent:
            return RefundAnswer("refused", reason=f"Checkout Session {ref} has no payment: nothing was charged")
        return intent

    def _find_refund(self, intent: str, key: str) -> RefundAnswer | None:
        """What an earlier attempt with this key did, if Stripe has a Refund for it."""
        listed = self._api.listed(
            "/v1/refunds",
            {"payment_intent": intent, "limit": "100"},
            unreachable=RefundUnavailable,
            what=f"refunds of {intent}",
        )
        for found in listed:
            metadata = found.get("metadata") if isinstance(found, dict) else None
            if isinstance(metadata, dict) and metadata.get("refund_key") == key:
                return _refund_answer(found, 200)
        return None

    def _create_refund(self, intent: str, request: RefundRequest) -> RefundAnswer:
        form = {
            "payment_intent": intent,
            "amount": str(request.amount),
            "metadata[topup_id]": request.topup_id,
            "metadata[refund_key]": request.key,
        }
        response = self._call("POST", "/v1/refunds", data=form, idempotency_key=request.key)
        if not response.is_success:
            return self._refusal(response, f"Stripe did not refund top-up {request.topup_id}")
        try:
            found = response.json()
        except ValueError:
            found = None
        return _refund_answer(found, response.status_code)

    def _refusal(self, response: httpx.Response, doing: str) -> RefundAnswer:
        """Refused, when Stripe says why the charge cannot be refunded; RefundUnavailable otherwise."""
        reason = self._api.refusal(response, what="refund", doing=doing, unreachable=RefundUnavailable)
        return RefundAnswer("refused", reason=reason[:500])

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> httpx.Response:
        return self._api.call(
            method, path, unreachable=RefundUnavailable, params=params, data=data, idempotency_key=idempotency_key
        )

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
            event = text.json_value(body)
        except ValueError:
            raise WebhookRejected("body is not JSON") from None
        if not isinstance(event, dict) or _text(event.get("id")) is None or not isinstance(event.get("type"), str):
            raise WebhookRejected("body is not a Stripe event (no id of at most 128 characters, or no type)")
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


def _refund_answer(found: Any, status_code: int) -> RefundAnswer:
    refund_id = found.get("id") if isinstance(found, dict) and found.get("object") == "refund" else None
    if not isinstance(refund_id, str) or not refund_id:
        raise RefundUnavailable(f"Stripe answered HTTP {status_code} without a Refund: whether it refunded is unknown")
    status = _text(found.get("status"))
    if status in _REFUND_FAILED:
        why = found.get("failure_reason")
        return RefundAnswer(
            "refused",
            provider_ref=refund_id,
            reason=f"Stripe's refund {refund_id} {status}" + (f": {why}" if why else ""),
        )
    return RefundAnswer("refunded", provider_ref=refund_id)


def _reduce(event: dict[str, Any]) -> ProviderEvent:
    raw_type = event["type"]
    if raw_type in _AFTER_PAYMENT:
        return _reduce_after_payment(event, _AFTER_PAYMENT[raw_type])
    if raw_type == "checkout.session.completed":
        payment_status = _object(event).get("payment_status", "")
        kind: EventKind = _COMPLETED.get(payment_status, "ignored")
    else:
        kind = _SESSION_EVENTS.get(raw_type, "ignored")
    if kind == "ignored" and not raw_type.startswith("checkout.session."):
        return ProviderEvent(event_id=event["id"], kind="ignored", raw_type=raw_type)

    session = _object(event)
    found = session.get("metadata")
    metadata: dict[str, Any] = found if isinstance(found, dict) else {}
    return ProviderEvent(
        event_id=event["id"],
        kind=kind,
        provider_ref=_text(session.get("id")),
        payment_ref=_id(session.get("payment_intent")),
        topup_id=_text(session.get("client_reference_id")) or _text(metadata.get("topup_id")),
        amount=_amount(session.get("amount_total")),
        currency=_currency(session.get("currency")),
        raw_type=raw_type,
        extra={"payment_status": session.get("payment_status"), "livemode": event.get("livemode")},
    )


def _reduce_after_payment(event: dict[str, Any], kind: EventKind) -> ProviderEvent:
    """A Charge (``charge.refunded``: ``amount_refunded`` is all refunded so far, by the platform
    or in Stripe's dashboard), a Dispute (``amount`` is what it took back) or a Refund that failed,
    named by its payment intent: the top-up's ``payment_ref``."""
    found = _object(event)
    if kind == "refund_failed" and _text(found.get("status")) not in _REFUND_FAILED:
        return ProviderEvent(event_id=event["id"], kind="ignored", raw_type=event["type"])
    return ProviderEvent(
        event_id=event["id"],
        kind=kind,
        payment_ref=_id(found.get("payment_intent")),
        claim_ref=_text(found.get("id")) if kind != "payment_refunded" else None,
        amount=_amount(found.get("amount_refunded" if kind == "payment_refunded" else "amount")),
        currency=_currency(found.get("currency")),
        created=_amount(event.get("created")),
        raw_type=event["type"],
        extra={"livemode": event.get("livemode"), "reason": _text(found.get("reason") or found.get("failure_reason"))},
    )


def _amount(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _currency(value: Any) -> str | None:
    return value.upper() if isinstance(value, str) else None


def _id(value: Any) -> str | None:
    """An id, or the id of an expanded object."""
    return _text(value.get("id")) if isinstance(value, dict) else _text(value)


def _text(value: Any) -> str | None:
    """An id from the event, when it is one: a signed event is Stripe's, but its shape is checked
    (Stripe's ids are far shorter than the 128 characters the platform keeps of one)."""
    return value if isinstance(value, str) and 0 < len(value) <= 128 else None


def _object(event: dict[str, Any]) -> dict[str, Any]:
    data = event.get("data")
    found = data.get("object") if isinstance(data, dict) else None
    return found if isinstance(found, dict) else {}
