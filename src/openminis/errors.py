"""One error shape for every API: ``{"code", "message", "request_id"}`` (plus ``field`` when one is to blame)."""

from __future__ import annotations


class PlatformError(Exception):
    """An error the caller can act on. Services raise it; the app turns it into a response."""

    status = 400
    code = "BAD_REQUEST"
    # Seconds after which a retry may succeed: sent as Retry-After (every 429 and 503 carries one).
    retry_after: float | None = None

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.field = field

    def body(self) -> dict[str, str]:
        body = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        return body


class NotFound(PlatformError):
    status = 404
    code = "NOT_FOUND"


class Conflict(PlatformError):
    status = 409
    code = "CONFLICT"


class InvalidArgument(PlatformError):
    status = 422
    code = "INVALID_ARGUMENT"


class Forbidden(PlatformError):
    status = 403
    code = "FORBIDDEN"
