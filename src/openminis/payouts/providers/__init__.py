"""Payout providers: how earnings leave the platform. One interface, a sandbox that is a real
implementation of it (sandbox.py), and Stripe Connect transfers (stripe.py).

A provider is asked to pay one payout, named by the platform's ``key``; asking again with the
same key must never pay twice (Stripe: the Idempotency-Key header and the transfer_group looked
up first; the sandbox: its own table, unique by key). It answers with a ``Sent``: paid, with the
provider's reference, or refused for good (the money returns to the payee's balance). A call
that may or may not have reached the provider (a timeout, a 5xx, a 429) raises
``PayoutUnavailable``: the platform asks again later with the same key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from openminis.errors import InvalidArgument, UpstreamFailed


class PayoutUnavailable(UpstreamFailed):
    """The provider could not say whether it paid: ask again later, with the same key."""

    code = "PAYOUT_PROVIDER_UNAVAILABLE"


@dataclass(frozen=True)
class PayoutTransfer:
    """What the platform asks a provider to pay."""

    key: str  # the platform's idempotency key for this payout ("payout-<id>")
    payout_id: str
    destination: str  # the payee's account at the provider (Stripe: a connected account "acct_...")
    amount: int  # minor units of ``currency``
    currency: str  # ISO 4217, upper case


@dataclass(frozen=True)
class Sent:
    outcome: Literal["paid", "refused"]
    provider_ref: str | None = None  # the provider's id of the transfer (paid)
    reason: str | None = None  # why it was refused, in words a payee can read (refused)


class PayoutProvider(Protocol):
    name: str

    def check_destination(self, destination: str) -> str:
        """The destination, cleaned, if it has this provider's shape; InvalidArgument otherwise."""

    def pay(self, transfer: PayoutTransfer) -> Sent:
        """Pay once per key. Raises PayoutUnavailable when the outcome is unknown."""


def refuse_destination(why: str) -> InvalidArgument:
    return InvalidArgument(why, field="destination")
