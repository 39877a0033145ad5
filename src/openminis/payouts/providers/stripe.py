"""Stripe Connect as a payout provider: earnings leave as Transfers to the payee's connected account.

This is Connect's "separate charges and transfers": top-ups land in the platform's own Stripe
balance, and a payout moves part of that balance to a connected account (``acct_...``) with
``POST /v1/transfers``. Stripe pays the account out to its bank on the account's own schedule;
for us the payout is done once the Transfer exists.

A payout must be paid exactly once per ``key``, even when the process dies after Stripe paid and
before the platform recorded it, and even when it is asked again days later. Two things together
make that hold:

* Every Transfer carries ``transfer_group=<key>``, and ``pay`` first lists the transfers of that
  group (``GET /v1/transfers?transfer_group=<key>&limit=1``). One listed means an earlier attempt
  paid: its id is the answer and nothing is created. This holds for as long as Stripe keeps the
  Transfer, well beyond the idempotency window below. A lookup that fails in any way (a 4xx
  included) raises ``PayoutUnavailable``: without it nobody can say whether an earlier attempt
  paid, so it is never refused.
* The create carries ``Idempotency-Key: <key>``, which covers the race the lookup cannot: two
  attempts that both looked before either created. Stripe keeps a key's first result for at least
  24 hours and answers every retry with it, errors included (a 500 or a ``balance_insufficient``
  comes back again until the key is pruned; the next attempt after that finds the Transfer by its
  group, or creates it). Results are saved only once the endpoint started executing: a request
  racing another with the same key gets a 409 and nothing is saved.

What an answer to the create means for the payout:

* 2xx with a Transfer id (``tr_...``): paid.
* A 4xx in which Stripe says why (its error body): refused for good (the money returns to the
  payee's balance), with Stripe's message as the reason: no such destination, an account that
  cannot receive transfers (``insufficient_capabilities_for_transfer``, ``account_invalid``), an
  amount Stripe will not move. Except where the fault is the platform's, not the payee's; then the
  payout stays in transit and is asked again later with the same key (``PayoutUnavailable``):
  401/403 (a wrong, expired or restricted key: the operator's configuration), 409 and
  ``idempotency_error`` (another request with this key is in flight, or the key was first used
  with other parameters, which may have paid), 429 (``rate_limit``, ``lock_timeout``), and the
  codes in ``stripe_api.PLATFORM_SIDE`` (above all ``balance_insufficient``: the platform's Stripe balance
  is short, which the payee cannot fix).
* A 5xx, a 4xx without Stripe's error body (a proxy's page), a 2xx without a Transfer id, or no
  answer at all (a timeout, a reset connection): the outcome is unknown, ``PayoutUnavailable``.

The API key never appears in a reason or an exception: every message goes through ``_redact``.

Stripe docs: Transfers (create a transfer; list all transfers, its ``transfer_group`` filter; the
Transfer object, ``reversed``); Connect, separate charges and transfers (transfer_group, transfer
availability, insufficient balance); idempotent requests; errors (HTTP status codes, error types)
and error codes.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from openminis.payments.providers.stripe_api import StripeApi
from openminis.payouts.providers import PayoutTransfer, PayoutUnavailable, Sent, refuse_destination

CONNECTED_ACCOUNT = re.compile(r"acct_[A-Za-z0-9]{8,64}")


class StripeConnectPayouts:
    name = "stripe"

    def __init__(self, api_key: str, *, http: httpx.Client | None = None, api_base: str = "https://api.stripe.com"):
        if not api_key:
            raise ValueError("Stripe payouts need an API key")
        self._api = StripeApi(api_key, http=http, api_base=api_base)

    def check_destination(self, destination: str) -> str:
        cleaned = destination.strip()
        if not CONNECTED_ACCOUNT.fullmatch(cleaned):
            raise refuse_destination(
                "a Stripe payout goes to a Stripe connected account id, acct_ followed by 8-64 letters or digits"
            )
        return cleaned

    def pay(self, transfer: PayoutTransfer) -> Sent:
        earlier = self._find(transfer.key)
        if earlier is not None:
            return earlier
        return self._create(transfer)

    # -- the two calls -------------------------------------------------------------------------

    def _find(self, key: str) -> Sent | None:
        """What an earlier attempt with this key did, if Stripe has a Transfer for it."""
        listed = self._api.listed(
            "/v1/transfers",
            {"transfer_group": key, "limit": "1"},
            unreachable=PayoutUnavailable,
            what=f"transfers of group {key!r}",
        )
        if not listed:
            return None
        found = listed[0]
        transfer_id = _transfer_id(found)
        if transfer_id is None or found.get("transfer_group") != key:
            # Never take another payout's transfer (or a stand-in that ignored the filter) for this one.
            raise PayoutUnavailable(f"Stripe listed something other than a transfer of group {key!r}")
        if found.get("reversed") is True:
            return Sent("refused", reason=f"the transfer to your Stripe account was reversed ({transfer_id})")
        return Sent("paid", provider_ref=transfer_id)

    def _create(self, transfer: PayoutTransfer) -> Sent:
        form = {
            "amount": str(transfer.amount),
            "currency": transfer.currency.lower(),
            "destination": transfer.destination,
            "transfer_group": transfer.key,
            "metadata[payout_id]": transfer.payout_id,
            "description": f"Payout {transfer.payout_id}",
        }
        response = self._request("POST", "/v1/transfers", data=form, idempotency_key=transfer.key)
        if response.is_success:
            try:
                transfer_id = _transfer_id(response.json())
            except ValueError:
                transfer_id = None
            if transfer_id is None:
                raise PayoutUnavailable(
                    f"Stripe answered HTTP {response.status_code} without a transfer id: whether it paid is unknown"
                )
            return Sent("paid", provider_ref=transfer_id)
        reason = self._api.refusal(
            response,
            what="transfer",
            doing=f"Stripe did not transfer payout {transfer.payout_id}",
            unreachable=PayoutUnavailable,
        )
        return Sent("refused", reason=reason)

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> httpx.Response:
        return self._api.call(
            method, path, unreachable=PayoutUnavailable, params=params, data=data, idempotency_key=idempotency_key
        )

    def _redact(self, message: str) -> str:
        return self._api.redact(message)


def _transfer_id(found: Any) -> str | None:
    transfer_id = found.get("id") if isinstance(found, dict) else None
    return transfer_id if isinstance(transfer_id, str) and transfer_id.startswith("tr_") else None
