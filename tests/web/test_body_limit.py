"""Request bodies are limited by size before they are read: a 100 MB body, however it is sent, is
answered 413 and costs the server no more than the route's limit (a real ``minis serve``, its
memory read from /proc), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import select
import socket
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from openminis.liveserver import LiveServer, run_apart
from openminis.web.body_limit import LimitBody
from tests.conftest import postgres_database, unavailable
from tests.factories import package_files, zip_bytes

MB = 1024 * 1024
HUNDRED_MB = 100 * MB
CHUNK = 64 * 1024
ADMIN_TOKEN = "body-limit-admin"
PACKAGE_LIMIT = 4 * MB


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def server(request, tmp_path) -> Iterator[LiveServer]:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    env = {"MINIS_ADMIN_TOKEN": ADMIN_TOKEN, "MINIS_MAX_PACKAGE_BYTES": str(PACKAGE_LIMIT)}
    with ExitStack() as stack:
        if request.param == "postgresql":  # a database of its own: the worker's shared one is not emptied for it
            url = stack.enter_context(postgres_database())
            env |= {"MINIS_DATABASE_URL": url, "MINIS_ANALYTICS_URL": url}
        try:
            live = stack.enter_context(LiveServer(data_dir, env=env))
        except RuntimeError as exc:
            unavailable(f"minis serve could not start: {exc}")
        yield live


def rss_bytes(server: LiveServer) -> int:
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def zeros(total: int) -> Iterator[bytes]:
    block = b"0" * CHUNK
    for _ in range(total // CHUNK):
        yield block


def chunked(blocks: Iterator[bytes]) -> Iterator[bytes]:
    for block in blocks:
        yield b"%x\r\n" % len(block) + block + b"\r\n"
    yield b"0\r\n\r\n"


def offer(server: LiveServer, path: str, headers: dict[str, str], blocks: Iterator[bytes]) -> tuple[int, dict, int]:
    """Send a request whose body is ``blocks``, as a client that stops sending as soon as the server
    answers (or stops reading). Returns the status, the JSON answer and how many body bytes went out."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: localhost:{server.port}\r\n"
        + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        + "\r\n"
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(head.encode())
        sock.setblocking(False)
        sent, pending = 0, b""
        for block in blocks:
            pending += block
            while pending:
                readable, writable, _ = select.select([sock], [sock], [], 10)
                if readable or not writable:
                    break  # answered, or the server stopped reading
                try:
                    count = sock.send(pending)
                except (BrokenPipeError, ConnectionResetError):
                    readable = [sock]
                    break
                sent, pending = sent + count, pending[count:]
            if pending:
                break
        sock.setblocking(True)
        sock.settimeout(30)
        return (*_read_response(sock), sent)


def _read_response(sock: socket.socket) -> tuple[int, dict]:
    data = b""
    while b"\r\n\r\n" not in data:
        piece = sock.recv(65536)
        assert piece, f"the server closed without answering: {data!r}"
        data += piece
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    length = next(int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:"))
    while len(body) < length:
        piece = sock.recv(65536)
        if not piece:
            break
        body += piece
    return int(lines[0].split()[1]), json.loads(body[:length])


JSON_ROUTE = "/api/events"


@pytest.mark.slow
def test_a_100_mb_body_is_refused_with_413_before_it_is_read_however_it_is_sent(server):
    baseline = rss_bytes(server)
    declared = offer(
        server, JSON_ROUTE, {"Content-Type": "application/json", "Content-Length": str(HUNDRED_MB)}, zeros(HUNDRED_MB)
    )
    streamed = offer(
        server,
        JSON_ROUTE,
        {"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        chunked(zeros(HUNDRED_MB)),
    )
    # Not JSON by its type, so not buffered by the text guard: the route reads it itself.
    plain = offer(
        server, JSON_ROUTE, {"Content-Type": "text/plain", "Transfer-Encoding": "chunked"}, chunked(zeros(HUNDRED_MB))
    )
    unrouted = offer(
        server,
        "/no/such/route",
        {"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        chunked(zeros(HUNDRED_MB)),
    )
    for status, body, sent in (declared, streamed, plain, unrouted):
        assert (status, body["code"]) == (413, "BODY_TOO_LARGE") or (status, body["code"]) == (404, "NOT_FOUND"), body
        assert sent < 20 * MB  # the answer came long before the body's end
    assert declared[0] == streamed[0] == plain[0] == 413
    assert rss_bytes(server) - baseline < 40 * MB


@pytest.mark.slow
def test_package_uploads_have_the_package_limit_and_an_unauthenticated_upload_is_not_read(server):
    zip_type = {"Content-Type": "application/zip", "Transfer-Encoding": "chunked"}
    baseline = rss_bytes(server)
    # Over the JSON limit, under the package limit: the package route reads it (then finds no zip).
    status, body, _ = offer(
        server, "/api/admin/packages", {**zip_type, "Authorization": f"Bearer {ADMIN_TOKEN}"}, chunked(zeros(2 * MB))
    )
    assert (status, body["code"]) == (422, "NOT_A_ZIP"), body
    status, body, _ = offer(
        server,
        "/api/admin/packages",
        {**zip_type, "Authorization": f"Bearer {ADMIN_TOKEN}"},
        chunked(zeros(HUNDRED_MB)),
    )
    assert (status, body["code"]) == (413, "PACKAGE_TOO_LARGE"), body
    status, body, sent = offer(server, "/api/admin/packages", zip_type, chunked(zeros(HUNDRED_MB)))
    assert (status, body["code"]) == (401, "UNAUTHORIZED") and sent < 20 * MB
    assert rss_bytes(server) - baseline < PACKAGE_LIMIT + 40 * MB
    # A real package under the limit still publishes.
    package = zip_bytes(package_files())
    status, body, _ = offer(
        server,
        "/api/admin/packages",
        {
            "Content-Type": "application/zip",
            "Content-Length": str(len(package)),
            "Authorization": f"Bearer {ADMIN_TOKEN}",
        },
        iter([package]),
    )
    assert status == 201, body


def test_a_body_longer_than_its_content_length_is_counted_and_refused_at_the_limit():
    # HTTP/1.1 servers frame a body by its Content-Length, but an ASGI server or proxy that does not
    # (HTTP/2, a buggy front) could hand the app more than was declared: the bytes are counted.
    pulled = 0

    async def receive():
        nonlocal pulled
        pulled += CHUNK
        return {"type": "http.request", "body": b"0" * CHUNK, "more_body": pulled < HUNDRED_MB}

    async def app(scope, receive, send):
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    sent = []

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/", "headers": [(b"content-length", b"1000")], "state": {}}
    run_apart(LimitBody(app, MB)(scope, receive, send))
    assert sent[0]["status"] == 413 and json.loads(sent[1]["body"])["code"] == "BODY_TOO_LARGE"
    assert pulled <= MB + CHUNK
