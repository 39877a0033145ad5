"""What every call to Stripe's API shares: the secret key, the pinned API version, timeouts, the
key kept out of every message, and the reading of Stripe's errors. Used by the top-ups' provider
(stripe.py: checkouts and refunds) and by payouts (payouts/providers/stripe.py: Connect transfers).

An error answer is *refused for good* only when Stripe says why (its error body) with a 4xx that is
about the thing asked for (no such account, a charge already refunded, an amount it will not move).
A 4xx that is the platform's to fix (a wrong or expired key, its balance, its pace, another request
with the same idempotency key) and anything without Stripe's error body leave the outcome unknown:
the caller asks again later with the same key.

Stripe docs: authentication, versioning, idempotent requests, errors (HTTP status codes, error
types) and error codes.
"""

from __future__ import annotations

from typing import Any

import httpx

# Pinned so a change of the account's default version never changes what we send or parse.
STRIPE_API_VERSION = "2024-06-20"
TIMEOUT = httpx.Timeout(20.0, connect=5.0)

# Statuses whose fault is never the thing asked for: the call waits instead of being refused.
RETRY_STATUSES = frozenset({401, 403, 409, 429})
# Error codes Stripe sends with a 4xx that describe the platform's own balance, key or account.
PLATFORM_SIDE = frozenset(
    {
        "balance_insufficient",  # the platform's available balance cannot cover it (yet)
        "idempotency_key_in_use",  # a concurrent request with the same key
        "lock_timeout",
        "rate_limit",
        "api_key_expired",
        "platform_api_key_expired",
        "secret_key_required",
        "platform_account_required",  # the key is not a Connect platform's
        "livemode_mismatch",
        "testmode_charges_only",  # the platform's account is not activated
    }
)


class StripeApi:
    """Calls to Stripe with the platform's secret key."""

    def __init__(self, api_key: str, *, http: httpx.Client | None = None, api_base: str = "https://api.stripe.com"):
        self._api_key = api_key
        self._http = http or httpx.Client(timeout=TIMEOUT)
        self._api_base = api_base.rstrip("/")

    def call(
        self,
        method: str,
        path: str,
        *,
        unreachable: type[Exception],
        params: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> httpx.Response:
        """Stripe's answer; ``unreachable`` raised (the key redacted) when there is none."""
        headers = {"Authorization": f"Bearer {self._api_key}", "Stripe-Version": STRIPE_API_VERSION}
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        try:
            return self._http.request(
                method, f"{self._api_base}{path}", params=params, data=data, headers=headers, timeout=TIMEOUT
            )
        except httpx.HTTPError as exc:
            raise unreachable(self.redact(f"Stripe could not be reached ({type(exc).__name__}: {exc})")) from None

    def listed(self, path: str, params: dict[str, str], *, unreachable: type[Exception], what: str) -> list[Any]:
        """The ``data`` of a list call; ``unreachable`` when Stripe did not answer with one (a
        lookup that fails says nothing about what an earlier attempt did)."""
        response = self.call("GET", path, unreachable=unreachable, params=params)
        if not response.is_success:
            raise unreachable(self.redact(f"Stripe could not list the {what} ({describe(response)})"))
        try:
            found = response.json()["data"]
        except (ValueError, KeyError, TypeError):
            found = None
        if not isinstance(found, list):
            raise unreachable(f"Stripe answered HTTP {response.status_code} to the lookup of the {what} without a list")
        return found

    def refusal(self, response: httpx.Response, *, what: str, doing: str, unreachable: type[Exception]) -> str:
        """Stripe's reason, the key redacted, when it refused ``what`` for good; ``unreachable``
        (the outcome unknown, ask again later) for any other error answer."""
        found = error(response)
        if found is None or not refused_for_good(response.status_code, found):
            raise unreachable(self.redact(f"{doing} ({describe(response)})"))
        return self.redact(reason(found, what))

    def redact(self, message: str) -> str:
        # Stripe masks keys in its own messages; this holds even if something upstream does not.
        return message.replace(self._api_key, "[redacted]")


def error(response: httpx.Response) -> dict[str, Any] | None:
    """Stripe's error object, if the body is one (a proxy's error page is not)."""
    try:
        found = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(found, dict) or not isinstance(found.get("type") or found.get("message"), str):
        return None
    return found


def refused_for_good(status: int, found: dict[str, Any]) -> bool:
    return (
        400 <= status < 500
        and status not in RETRY_STATUSES
        and found.get("type") not in ("idempotency_error", "api_error")
        and found.get("code") not in PLATFORM_SIDE
    )


def kind(found: dict[str, Any]) -> str:
    return "/".join(str(part) for part in (found.get("type"), found.get("code")) if part) or "no error type"


def reason(found: dict[str, Any], what: str) -> str:
    """Stripe's own words for a refusal, or what kind of error it was."""
    message = found.get("message")
    return message if isinstance(message, str) and message else f"Stripe refused the {what} ({kind(found)})"


def describe(response: httpx.Response) -> str:
    request_id = response.headers.get("Request-Id")
    where = f", request {request_id}" if request_id else ""
    found = error(response)
    if found is None:
        return f"HTTP {response.status_code}{where}, no error body"
    return f"HTTP {response.status_code}{where}, {kind(found)}: {found.get('message') or 'no message'}"
