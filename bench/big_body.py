"""A 100 MB request body against a real ``minis serve``, on SQLite and on PostgreSQL.

Sent three ways to a JSON route with no session (Content-Length declared up front, chunked with
no length, chunked with a type no guard buffers), by a client that stops sending once the server
answers. Per way it prints the answer, how many MB went out before it, how long it took, and how
much the server's resident memory (/proc/PID/status VmRSS) grew over the whole run. The body limit
(web/body_limit.py) should answer 413 after about a megabyte, and the memory not grow by the body.
Run: ``python -m bench.big_body [--backend sqlite|postgresql|both]``.
"""

from __future__ import annotations

import argparse
import json
import select
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

from rich.console import Console

from bench.report import results_table
from openminis.liveserver import LiveServer, scratch_postgres

MB = 1024 * 1024
BODY = 100 * MB
CHUNK = 64 * 1024
WAYS = {
    "declared": {"Content-Type": "application/json", "Content-Length": str(BODY)},
    "chunked": {"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
    "chunked, untyped": {"Content-Type": "text/plain", "Transfer-Encoding": "chunked"},
}


def rss(server: LiveServer) -> int:
    line = next(
        line
        for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines()
        if line.startswith("VmRSS:")
    )
    return int(line.split()[1]) * 1024


def blocks(chunked: bool) -> Iterator[bytes]:
    block = b"0" * CHUNK
    for _ in range(BODY // CHUNK):
        yield b"%x\r\n%s\r\n" % (len(block), block) if chunked else block
    if chunked:
        yield b"0\r\n\r\n"


def offer(server: LiveServer, headers: dict[str, str]) -> tuple[int, str, int, float]:
    """Status, error code, bytes sent before the answer, seconds to the answer."""
    head = (
        f"POST /api/events HTTP/1.1\r\nHost: localhost:{server.port}\r\n"
        + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        + "\r\n"
    )
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(head.encode())
        sock.setblocking(False)
        sent = 0
        for block in blocks("Transfer-Encoding" in headers):
            readable, writable, _ = select.select([sock], [sock], [], 10)
            if readable or not writable:
                break
            try:
                sock.sendall(block)
            except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                break
            sent += len(block)
        sock.setblocking(True)
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536) or b"\r\n\r\n"
        head_text, body = data.split(b"\r\n\r\n", 1)
        length = next(
            (
                int(line.split(b":")[1])
                for line in head_text.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            ),
            0,
        )
        while len(body) < length and (piece := sock.recv(65536)):
            body += piece
    status = int(head_text.split()[1]) if head_text else 0
    code = json.loads(body[:length]).get("code", "") if length else ""
    return status, code, sent, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    table = results_table(
        "a 100 MB body to a JSON route, no session: the answer, MB sent before it, ms to it, "
        "server RSS growth over the run",
        ("database", "sent as", "answer", "MB sent", "ms", "RSS growth MB"),
    )
    for backend in ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]:
        with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
            env = {"MINIS_DATABASE_URL": stack.enter_context(scratch_postgres())} if backend == "postgresql" else {}
            data = Path(tmp) / "data"
            data.mkdir()
            server = stack.enter_context(LiveServer(data, env=env))
            baseline = rss(server)
            rows = [(way, offer(server, headers)) for way, headers in WAYS.items()]
            growth = (rss(server) - baseline) / MB
            for way, (status, code, sent, seconds) in rows:
                table.add_row(
                    backend, way, f"{status} {code}", f"{sent / MB:.1f}", f"{seconds * 1000:.0f}", f"{growth:.1f}"
                )
    Console().print(table)


if __name__ == "__main__":
    main()
