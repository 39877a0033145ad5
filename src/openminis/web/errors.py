"""The HTTP status of each kind of domain error (openminis.errors): the one place they are mapped."""

from __future__ import annotations

from openminis.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    Gone,
    InvalidArgument,
    NotFound,
    PaymentRequired,
    PlatformError,
    TooLarge,
    TooMany,
    Unauthenticated,
    Unavailable,
    UpstreamFailed,
)

STATUS: dict[type[PlatformError], int] = {
    BadRequest: 400,
    Unauthenticated: 401,
    PaymentRequired: 402,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Gone: 410,
    TooLarge: 413,
    InvalidArgument: 422,
    TooMany: 429,
    UpstreamFailed: 502,
    Unavailable: 503,
    PlatformError: 400,
}


def status_for(error: PlatformError) -> int:
    """The status of the error's kind: the nearest of its classes the table names."""
    return next(STATUS[kind] for kind in type(error).__mro__ if kind in STATUS)
