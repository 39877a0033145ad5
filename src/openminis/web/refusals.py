"""Refusals whose writes stand.

A route that raises has its request's unit of work rolled back (web/admission.py). A few refusals
write what must outlast them: a wrong guess at an email code counts against the code, a spent
refresh token that comes back revokes its family. Such a route returns the refusal instead of
raising it: the unit commits what the service wrote (and nothing else was written before the
refusal), and the person or the app gets the answer the app's one error handler gives any
PlatformError. The answer is sent only once the commit succeeded.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from openminis.errors import PlatformError


async def refusal_kept(request: Request, refusal: PlatformError) -> Response:
    """The error answer to ``refusal``, returned by the route so that its writes are committed."""
    handler = request.app.exception_handlers[PlatformError]
    response: Response = await handler(request, refusal)
    return response
