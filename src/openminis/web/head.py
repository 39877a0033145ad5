"""HEAD answered wherever GET is: the same status and headers, no body.

FastAPI's routes take only the methods they name, so HEAD was 405 on every page, API read, app
file and media URL (a probe, input52): health checks, link checkers and CDNs that ask with HEAD
all failed. RFC 9110 has HEAD wherever GET is. The request goes through as a GET, and its body
is dropped on the way out; Content-Length stays the GET's, as the RFC wants.
"""

from __future__ import annotations

from starlette.responses import FileResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return  # the server ends the answer at the last part, sent empty below
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET", "minis.head": True}, receive, headers_only)


class FileAnswer(FileResponse):
    """A file that a HEAD request, answered as a GET above, does not read: Starlette's own
    FileResponse sends a file's headers only when it sees HEAD, and saw GET, so a HEAD of an
    episode read the whole video to drop it."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("minis.head"):
            scope = {**scope, "method": "HEAD"}
        await super().__call__(scope, receive, send)
