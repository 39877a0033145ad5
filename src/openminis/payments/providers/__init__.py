"""Payment providers: one interface, a sandbox that is a real implementation of it, and Stripe.

A provider takes a top-up's money (``start_checkout``, then its webhooks) and gives it back
(``refund``). A refund is named by the platform's ``key`` (the refund's ledger transfer key);
asking again with the same key must never refund twice. It answers with a ``RefundAnswer``:
refunded, with the provider's refund id, or refused for good (the platform undoes its refund).
A call that may or may not have reached the provider (a timeout, a 5xx, a 429) raises
``RefundUnavailable``: the platform asks again later with the same key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from openminis.errors import BadRequest, UpstreamFailed


class ProviderError(UpstreamFailed):
    """The provider refused or could not be reached; nothing was charged."""

    code = "PROVIDER_ERROR"


class RefundUnavailable(UpstreamFailed):
    """The provider could not say whether it refunded: ask again later, with the same key."""

    code = "REFUND_PROVIDER_UNAVAILABLE"


class WebhookRejected(BadRequest):
    """A webhook whose signature, timestamp or body does not hold up: answered 400, never acted on."""

    code = "WEBHOOK_REJECTED"


@dataclass(frozen=True)
class CheckoutRequest:
    """What the platform asks a provider to charge: one coin top-up."""

    topup_id: str  # our id; providers echo it back (Stripe: client_reference_id and metadata)
    user_id: str
    pack_id: str
    title: str  # e.g. "600 coins"
    amount: int  # in the currency's minor units
    currency: str  # ISO 4217, lower or upper case
    success_url: str
    cancel_url: str


@dataclass(frozen=True)
class Checkout:
    provider_ref: str  # the provider's id for this payment (Stripe: the Checkout Session id)
    redirect_url: str | None  # where the person pays (None: the host draws the sandbox checkout)


EventKind = Literal[
    "payment_succeeded",
    "payment_pending",
    "payment_failed",
    "checkout_expired",
    # After the payment, money the provider gave back without the platform asking (reversals.py):
    "payment_refunded",  # ``amount``: all that has been refunded of the payment so far, by anyone
    "payment_disputed",  # ``amount``: what the dispute ``claim_ref`` took back
    "dispute_reinstated",  # the dispute ``claim_ref`` was decided for the platform: its money is back
    "refund_failed",  # the refund ``claim_ref``, accepted before, failed at the bank: the money stayed
    "ignored",
]


@dataclass(frozen=True)
class ProviderEvent:
    """A provider's webhook, reduced to what the platform acts on. ``event_id`` makes it idempotent."""

    event_id: str
    kind: EventKind
    provider_ref: str | None = None  # the checkout (Stripe: the Checkout Session id)
    payment_ref: str | None = None  # the payment it made (Stripe: the payment intent id)
    claim_ref: str | None = None  # a dispute's id, or a refund's
    topup_id: str | None = None
    amount: int | None = None
    currency: str | None = None
    created: int | None = None  # when the provider made the event (unix seconds): what it says is as of then
    raw_type: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RefundRequest:
    """What the platform asks a provider to give back of one top-up."""

    key: str  # the refund's idempotency key: its money transfer's key ("refund:topup:<id>:<key>")
    topup_id: str
    provider_ref: str | None  # the top-up's id at the provider (Stripe: the Checkout Session id)
    amount: int  # minor units of ``currency``
    currency: str  # ISO 4217


@dataclass(frozen=True)
class RefundAnswer:
    outcome: Literal["refunded", "refused"]
    provider_ref: str | None = None  # the provider's id of the refund (refunded)
    reason: str | None = None  # why it was refused, in words finance can read (refused)


class PaymentProvider(Protocol):
    name: str

    def start_checkout(self, request: CheckoutRequest) -> Checkout: ...

    def refund(self, request: RefundRequest) -> RefundAnswer:
        """Give the money back once per key. Raises RefundUnavailable when the outcome is unknown."""

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        """Verify the webhook's signature and freshness, then reduce it. Raises WebhookRejected."""
