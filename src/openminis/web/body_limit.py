"""Request bodies are limited by size before they are read, on every origin.

Every request may carry ``MINIS_MAX_BODY_BYTES`` (1 MB: JSON, webhooks); a route that takes an
upload raises its own request's limit with ``allow()`` before it reads (the package limit, the
media limit). The declared Content-Length is checked before the first byte is read, and the bytes
are counted as they stream in too, since a chunked body declares nothing and a lying length must
not get past the limit either. Over the limit the request is answered 413 ``BODY_TOO_LARGE`` and
the rest of the body is never read, so a 100 MB body costs the server a megabyte at most.
"""

from __future__ import annotations

import json

from fastapi import Request
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openminis.errors import PlatformError, TooLarge

SCOPE_KEY = "minis.body_limit"


class BodyTooLarge(TooLarge, HTTPException):
    """Raised from ``receive`` while a route reads its body. It is an HTTPException too only so that
    FastAPI, which turns any other error met while reading a JSON body into a 400, lets it through;
    the app's handlers find the PlatformError first and answer with its code."""

    code = "BODY_TOO_LARGE"

    def __init__(self, limit: int, code: str | None = None):
        message = f"the request body is over this route's {limit}-byte limit"
        PlatformError.__init__(self, message, code=code)
        self.status_code, self.detail, self.headers = 413, message, None


class Budget:
    """One request's limit, the code its refusal carries, and the bytes read so far."""

    def __init__(self, limit: int, declared: int | None):
        self.limit, self.declared, self.received = limit, declared, 0
        self.code: str | None = None

    def check(self) -> None:
        if (self.declared or 0) > self.limit or self.received > self.limit:
            raise BodyTooLarge(self.limit, self.code)


def allow(request: Request, limit: int, *, code: str | None = None) -> None:
    """Let this request's body reach ``limit`` bytes (an upload route, before it reads the body;
    ``code`` names the refusal, e.g. ``PACKAGE_TOO_LARGE``); a declared length over it is refused
    at once."""
    budget: Budget | None = request.scope.get(SCOPE_KEY)
    if budget is not None:
        budget.limit, budget.code = limit, code
        budget.check()


class LimitBody:
    def __init__(self, app: ASGIApp, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        budget = Budget(self.limit, _declared_length(scope))
        scope[SCOPE_KEY] = budget
        started = False

        async def counted() -> Message:
            budget.check()
            message = await receive()
            if message["type"] == "http.request":
                budget.received += len(message.get("body", b""))
                budget.check()
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge as exc:
            # Raised where no error handler answers it (an edge guard reading the body first).
            if started:
                raise
            request_id = scope.get("state", {}).get("request_id", "")
            body = json.dumps({**exc.body(), "request_id": request_id}).encode()
            headers = [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ]
            await send({"type": "http.response.start", "status": 413, "headers": headers})
            await send({"type": "http.response.body", "body": body})


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None
