"""Refuse invalid text at the edge, for every route on every origin: one place, not per route.

Invalid text (bytes that are not UTF-8, an escape decoding to a lone surrogate, a NUL: see
openminis.text) is never part of a valid id, key, cursor or title here, and the databases refuse
it: without this guard such input would surface as a server error deep in some route, or be stored
silently altered. It is refused with 422 ``INVALID_TEXT`` in the path, the query string, JSON bodies
and form bodies. Those bodies are buffered to be checked, after the body limit (web/body_limit.py)
has bounded them; uploads are neither JSON nor forms and stream past untouched.
"""

from __future__ import annotations

import json
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openminis import text

FORM = b"application/x-www-form-urlencoded"


class RefuseInvalidText:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not _valid_path(scope) or not _valid_form(scope.get("query_string", b"")):
            await _refuse(scope, send, "the URL contains invalid text (not UTF-8, a lone surrogate or a NUL)")
            return
        content_type = next((value for name, value in scope["headers"] if name == b"content-type"), b"").lower()
        is_json, is_form = b"json" in content_type, content_type.startswith(FORM)
        if not (is_json or is_form):
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
        if not (text.is_valid_json_text(bytes(body)) if is_json else _valid_form(bytes(body))):
            # Said with what the body was sent as: a zip sent as application/json was told only
            # "invalid text", and its developer went looking for an encoding bug (a probe, dev54).
            sent_as = content_type.split(b";")[0].strip().decode("latin-1")
            await _refuse(
                scope,
                send,
                f"the body, sent as {sent_as}, contains invalid text (not UTF-8, a lone surrogate or a NUL);"
                " a file is sent with its own Content-Type (a package: application/zip)",
            )
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


def _valid_path(scope: Scope) -> bool:
    raw = scope.get("raw_path")
    if raw is None:
        return text.is_valid(scope.get("path", ""))
    return text.is_valid_utf8(unquote_to_bytes(raw.split(b"?", 1)[0]))


def _valid_form(encoded: bytes) -> bool:
    """A query string or an urlencoded form: every name and value, percent-decoded, is valid text."""
    return text.is_valid_utf8(unquote_to_bytes(encoded.replace(b"+", b" ")))


async def _refuse(scope: Scope, send: Send, message: str) -> None:
    request_id = scope.get("state", {}).get("request_id", "")
    body = json.dumps({"code": "INVALID_TEXT", "message": message, "request_id": request_id}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 422, "headers": headers})
    await send({"type": "http.response.body", "body": body})
