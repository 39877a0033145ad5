"""Refuse NUL bytes at the edge, for every route.

A NUL is never part of a valid id, key, cursor or text here, and PostgreSQL refuses it in text
columns: without this guard such input would surface as a server error deep in some route. It is
refused in the path, the query string and JSON bodies (as the escape ``\\u0000``); JSON bodies are
buffered to be checked, which is cheap for the small bodies JSON carries here (uploads are not JSON).
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ESCAPED_NUL = b"\\u0000"
BODY = json.dumps({"code": "INVALID_ARGUMENT", "message": "the request contains a NUL byte", "request_id": ""}).encode()


class RefuseNul:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if b"%00" in scope.get("query_string", b"") or "\x00" in scope.get("path", ""):
            await _refuse(send)
            return
        content_type = next((value for name, value in scope["headers"] if name == b"content-type"), b"")
        if b"json" not in content_type:
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        body = bytearray()
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            body.extend(message.get("body", b""))
            if not message.get("more_body"):
                break
        if ESCAPED_NUL in body or b"\x00" in body:
            await _refuse(send)
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


async def _refuse(send: Send) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]
    await send({"type": "http.response.start", "status": 400, "headers": headers})
    await send({"type": "http.response.body", "body": BODY})
