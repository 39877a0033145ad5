"""Request ids and the access log, for every origin: one id per request, in the log and the response."""

from __future__ import annotations

import logging
import os
import random
import re
import secrets
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("openminis.access")
CLIENT_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}\Z")
# Request ids tell log lines apart; they guard nothing. Drawn from a generator in the process, not
# from the system's (secrets: a system call, which on the event loop gave up the GIL and waited to
# get it back from the request threads: 5 % of the loop's busy samples under purchases). Seeded
# from the system's once per process, and again in a forked child, so processes draw apart.
_ids = random.Random(secrets.randbits(128))
os.register_at_fork(after_in_child=lambda: _ids.seed(secrets.randbits(128)))


class RequestLog:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        presented = next((value.decode("latin-1") for name, value in scope["headers"] if name == b"x-request-id"), "")
        request_id = presented if CLIENT_ID.match(presented) else f"{_ids.getrandbits(64):016x}"
        scope.setdefault("state", {})["request_id"] = request_id
        started, status = time.perf_counter(), 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            # The path only: query strings can carry tokens (sign-in links), and bodies carry secrets.
            log.info(
                "%s %s %s %d %.1fms",
                request_id,
                scope["method"],
                scope["path"],
                status,
                (time.perf_counter() - started) * 1000,
            )
