"""A developer's backend as a real HTTP server on 127.0.0.1, in a thread: it answers at once, hangs,
or answers with a body that must never reach the delivery log. Each path picks a behaviour."""

from __future__ import annotations

import http.server
import ssl
import threading
from dataclasses import dataclass, field


@dataclass
class Hit:
    path: str
    host: str
    event_id: str | None
    body: bytes


@dataclass
class Receiver:
    """``/ok/...`` answers 204; ``/hang/...`` holds the request until ``release`` is set (at most
    ``hang_seconds``), then 204; ``/leak/...`` answers 500 with an internal service's secret."""

    hang_seconds: float = 30.0
    tls: ssl.SSLContext | None = None  # serve https with this server context
    hits: list[Hit] = field(default_factory=list)
    in_flight: dict[str, int] = field(default_factory=dict)
    most_in_flight: dict[str, int] = field(default_factory=dict)
    release: threading.Event = field(default_factory=threading.Event)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    SECRET = b"db_password=hunter2-internal-only; redis=10.0.0.7:6379"

    def __enter__(self) -> Receiver:
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                kind = self.path.strip("/").split("/")[0]
                with receiver.arrived:
                    receiver.hits.append(
                        Hit(self.path, self.headers.get("Host", ""), self.headers.get("Minis-Event-Id"), body)
                    )
                    receiver.in_flight[kind] = receiver.in_flight.get(kind, 0) + 1
                    receiver.most_in_flight[kind] = max(receiver.most_in_flight.get(kind, 0), receiver.in_flight[kind])
                    receiver.arrived.notify_all()
                try:
                    if kind == "hang":
                        receiver.release.wait(receiver.hang_seconds)
                    if kind == "leak":
                        self.send_response(500)
                        self.send_header("Content-Type", "text/plain")
                        self.send_header("Content-Length", str(len(receiver.SECRET)))
                        self.end_headers()
                        self.wfile.write(receiver.SECRET)
                    else:
                        self.send_response(204)
                        self.end_headers()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the platform gave up waiting, as it should
                finally:
                    with receiver.arrived:
                        receiver.in_flight[kind] -= 1

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if self.tls is not None:
            self.server.socket = self.tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def wait_for(self, predicate, timeout: float) -> bool:
        """Wait until ``predicate(hits)`` is true; False if it was not within ``timeout`` seconds."""
        with self.arrived:
            return self.arrived.wait_for(lambda: predicate(self.hits), timeout=timeout)

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
