"""The sandbox provider: a real implementation of the provider interface that moves no money.

The host draws its checkout (a card form) and the platform decides the outcome from test card
numbers, as Stripe's test mode does. Outcomes reach the platform the way a real provider's do: as
signed webhook events, verified by ``parse_webhook``; "delayed" ones arrive later, from a job.

A refund always succeeds (a top-up paid with the declined card never existed to be refunded); its
id is derived from the refund's key, so asking twice with one key answers the same refund.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping

from pydantic import ConfigDict, Field

from openminis import text
from openminis.inputs import Input
from openminis.payments.providers import (
    Checkout,
    CheckoutRequest,
    EventKind,
    ProviderEvent,
    RefundAnswer,
    RefundRequest,
    WebhookRejected,
)

TEST_CARDS = {
    "4242424242424242": "succeeds",
    "4000000000000002": "declined",
    "4000000000003220": "challenge",  # asks the person to approve, like 3-D Secure
    "4000000000000077": "delayed",  # confirmed later, like a bank transfer
}
SIGNATURE_HEADER = "minis-sandbox-signature"


class SandboxProvider:
    name = "sandbox"

    def __init__(self, secret: str, *, tolerance: int = 300):
        self._key = hmac.new(secret.encode(), b"minis-sandbox-webhooks", hashlib.sha256).digest()
        self.tolerance = tolerance

    def start_checkout(self, request: CheckoutRequest) -> Checkout:
        return Checkout(provider_ref="sbx_" + secrets.token_hex(12), redirect_url=None)

    def refund(self, request: RefundRequest) -> RefundAnswer:
        if request.amount <= 0:
            return RefundAnswer("refused", reason="a refund gives back at least 1")
        return RefundAnswer("refunded", provider_ref="sbxre_" + hashlib.sha256(request.key.encode()).hexdigest()[:24])

    @staticmethod
    def outcome(card_number: str) -> str:
        digits = "".join(ch for ch in card_number if ch.isdigit())
        return TEST_CARDS.get(digits, "declined")

    def event(
        self, *, kind: str, provider_ref: str | None, topup_id: str, amount: int, currency: str
    ) -> tuple[bytes, dict[str, str]]:
        """A signed webhook body and headers, as the sandbox 'sends' it."""
        body = json.dumps(
            {
                "id": "sbxevt_" + secrets.token_hex(10),
                "kind": kind,
                "provider_ref": provider_ref,
                "topup_id": topup_id,
                "amount": amount,
                "currency": currency,
            }
        ).encode()
        return body, self.signed(body)

    def signed(self, body: bytes) -> dict[str, str]:
        """The headers that sign ``body`` as the sandbox's webhook, now."""
        stamp = str(int(time.time()))
        signature = hmac.new(self._key, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        return {SIGNATURE_HEADER: f"t={stamp},v1={signature}"}

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        header = {k.lower(): v for k, v in headers.items()}.get(SIGNATURE_HEADER, "")
        parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
        stamp, signature = parts.get("t", ""), parts.get("v1", "")
        if not stamp.isdigit() or not signature:
            raise WebhookRejected("missing or malformed sandbox signature")
        expected = hmac.new(self._key, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode(), signature.encode()):  # bytes: a header may hold non-ASCII
            raise WebhookRejected("sandbox signature does not match")
        if abs(time.time() - int(stamp)) > self.tolerance:
            raise WebhookRejected("sandbox event is too old")
        try:
            event = SandboxEvent.model_validate(text.json_value(body))
        except ValueError:  # not JSON, or not an event (pydantic's ValidationError is a ValueError)
            # Signed, so the sandbox's own key made it; still 400, not a 500 (a probe: {} and [] were).
            raise WebhookRejected("sandbox event is not JSON of an event's fields and types") from None
        return ProviderEvent(
            event_id=event.id,
            kind=event.kind,
            provider_ref=event.provider_ref,
            topup_id=event.topup_id,
            amount=event.amount,
            currency=event.currency,
            raw_type=f"sandbox.{event.kind}",
        )


class SandboxEvent(Input):
    """The fields of a sandbox webhook's body, each of its own JSON type (an amount of 99.0 is no
    amount)."""

    model_config = ConfigDict(strict=True)

    id: str = Field(min_length=1, max_length=100)
    kind: EventKind
    provider_ref: str | None = Field(max_length=200)
    topup_id: str = Field(min_length=1, max_length=64)
    amount: int = Field(ge=0)
    currency: str = Field(min_length=3, max_length=3)
