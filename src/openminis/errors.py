"""One error shape for every API: ``{"code", "message", "request_id"}`` (plus ``field`` when one is to blame).

A domain error says what went wrong with a stable ``code`` (what clients branch on) and what kind
of refusal it is, by the class it derives from: the kinds below. It says nothing about HTTP: the
web edge maps each kind to its status in one table (web/errors.py).
"""

from __future__ import annotations


class PlatformError(Exception):
    """An error the caller can act on. Services raise it; the app turns it into a response.
    Raised as such (no kind below), it is a request the platform cannot take as it is."""

    code = "BAD_REQUEST"
    # Seconds after which a retry may succeed: sent as Retry-After (every TooMany and Unavailable carries one).
    retry_after: float | None = None

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field = field

    def body(self) -> dict[str, object]:
        """The error's JSON body, less the request id (a subclass may add what the client needs)."""
        body: dict[str, object] = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        return body


class BadRequest(PlatformError):
    """The request cannot be taken as it is (a code or a webhook that does not hold up)."""


class Unauthenticated(PlatformError):
    """No credentials, or ones that prove nothing (a wrong password, an expired token)."""

    code = "UNAUTHENTICATED"


class PaymentRequired(PlatformError):
    """It costs what the person has not paid: locked, declined, too few coins."""

    code = "PAYMENT_REQUIRED"


class Forbidden(PlatformError):
    code = "FORBIDDEN"


class NotFound(PlatformError):
    code = "NOT_FOUND"


class Conflict(PlatformError):
    """Not in the state it needs to be (already done, already taken, changed meanwhile)."""

    code = "CONFLICT"


class Gone(PlatformError):
    """It was there and is no more (a used link, a deleted account): asking again will not help."""

    code = "GONE"


class TooLarge(PlatformError):
    code = "TOO_LARGE"


class InvalidArgument(PlatformError):
    code = "INVALID_ARGUMENT"


class TooMany(PlatformError):
    """Too many, too often: ``retry_after`` says when to come back."""

    code = "TOO_MANY"


class UpstreamFailed(PlatformError):
    """A service the platform depends on (a payment provider) refused or could not be reached."""

    code = "UPSTREAM_FAILED"


class Unavailable(PlatformError):
    """Not now (busy, overloaded, a dependency down): nothing was done, a retry may succeed."""

    code = "UNAVAILABLE"
