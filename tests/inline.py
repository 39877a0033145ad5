"""In-process requests on the test's own thread: the ASGI app runs on an event loop of the calling
thread, instead of on the loop of Starlette's portal thread.

Starlette's TestClient hands each request to a loop on another thread through a blocking portal:
six or more cross-thread calls a request (events, a stream, a cancel scope, the task, each body
chunk), each a wake-up of the other thread, which on this machine's two virtual cores cost more CPU
than a small route itself. Here a request is one ``run_until_complete`` on the caller's thread; the
app's own thread-pool calls (sync routes and dependencies) are the same as under uvicorn. A request
from another thread than the main one (a test's racing threads), or a WebSocket, goes the portal
way, unchanged. The response is read whole before it returns, as every test reads it.
"""

from __future__ import annotations

import asyncio
import atexit
import threading
from typing import Any
from urllib.parse import unquote

import httpx
from starlette import testclient

# One loop, the main thread's, for the whole session: a loop of every thread that made a client
# would outlive its thread unclosed.
_main_loop: list[asyncio.AbstractEventLoop] = []


def _own_loop() -> asyncio.AbstractEventLoop:
    if not _main_loop:
        _main_loop.append(asyncio.new_event_loop())
        atexit.register(_main_loop[0].close)
    return _main_loop[0]


class InlineTransport(httpx.BaseTransport):
    def __init__(self, portal_way: Any) -> None:
        self.portal_way = portal_way  # starlette's _TestClientTransport, for what is not ours

    def close(self) -> None:
        self.portal_way.close()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        inline = (
            threading.current_thread() is threading.main_thread()
            and request.url.scheme in ("http", "https")
            and asyncio._get_running_loop() is None
        )
        if not inline:
            return self.portal_way.handle_request(request)
        return _own_loop().run_until_complete(self._call(request))

    async def _call(self, request: httpx.Request) -> httpx.Response:
        way = self.portal_way
        url = request.url
        port = url.port or {"http": 80, "https": 443}[url.scheme]
        headers = [] if "host" in request.headers else [(b"host", url.netloc)]
        headers += [(key.lower().encode(), value.encode()) for key, value in request.headers.multi_items()]
        scope = {
            "type": "http",
            "http_version": "1.1",
            "method": request.method,
            "path": unquote(url.path),
            "raw_path": url.raw_path.split(b"?", 1)[0],
            "root_path": way.root_path,
            "scheme": url.scheme,
            "query_string": url.query,
            "headers": headers,
            "client": way.client,
            "server": [url.raw_host.decode("ascii"), port],
            "extensions": {"http.response.debug": {}},
            "state": way.app_state.copy(),
        }
        body = request.read()
        sent_body = False
        done = asyncio.Event()
        started: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                started.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(bytes(message.get("body", b"")))
                if not message.get("more_body", False):
                    done.set()

        try:
            await way.app(scope, receive, send)
        except BaseException:
            if way.raise_server_exceptions:
                raise
            if not started:
                return httpx.Response(500, request=request)
        finally:
            done.set()
        if not started:
            raise AssertionError("TestClient did not receive any response.")
        return httpx.Response(
            started["status"],
            headers=[(key.decode(), value.decode()) for key, value in started.get("headers", [])],
            content=b"".join(chunks) if request.method != "HEAD" else b"",
            request=request,
        )


_starlette_init = testclient.TestClient.__init__


def _inline_init(self: testclient.TestClient, *args: Any, **kwargs: Any) -> None:
    _starlette_init(self, *args, **kwargs)
    self._transport = InlineTransport(self._transport)


def install() -> None:
    testclient.TestClient.__init__ = _inline_init  # type: ignore[method-assign]
