"""Public GET latency while a developer's backend hangs, on SQLite and on PostgreSQL.

Issue 12, item 6: a notify URL answering in 9 s made an unrelated public GET take 8.5 s on SQLite.
Each run starts a real ``minis serve`` with two apps whose notify URLs point at a local server:
one app's endpoint hangs for 30 s, the other's answers at once. It measures ``GET /api/hub`` one
request after another (p50, p99, max), first with no delivery under way, then while six of the
hanging app's notifications are queued and two are hanging, and also how long the other app's
notification took to arrive meanwhile. Target: p99 rising by less than 50 ms.
Run: ``python -m bench.slow_backend [--requests 400] [--backend sqlite|postgresql|both]``.
"""

from __future__ import annotations

import argparse
import hashlib
import http.server
import secrets
import statistics
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
from rich.console import Console

from bench.load import SERVER_ENV, write_package
from bench.report import results_table
from openminis.developers import service as developers
from openminis.developers.models import AppSecret
from openminis.egress import EgressPolicy
from openminis.liveserver import LiveServer, scratch_postgres
from openminis.payments import notifications, settings_service
from openminis.platform import Platform
from openminis.settings import Settings

TARGET_MS = 50


class Backends:
    """``/hang`` holds each request until released (30 s at most); ``/ok`` answers 204 and notes when."""

    def __init__(self):
        self.release, self.quick_at, self.hanging = threading.Event(), [], threading.Event()
        backends = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path.startswith("/hang"):
                    backends.hanging.set()
                    backends.release.wait(30)
                else:
                    backends.quick_at.append(time.perf_counter())
                try:
                    self.send_response(204)
                    self.end_headers()
                except OSError:
                    pass

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def add_backend(platform: Platform, app_id: str, url: str) -> None:
    secret = "ms_" + secrets.token_urlsafe(32)
    with platform.db.session() as session:
        session.add(
            AppSecret(
                app_id=app_id,
                secret_hash=hashlib.sha256(secret.encode()).hexdigest(),
                init_key=developers.init_key_for(secret),
                notify_key=developers.notify_key_for(secret),
            )
        )
        session.flush()
        settings_service.set_notify_url(session, app_id, url, egress=EgressPolicy(allow_loopback=True))
        session.commit()


def notify(platform: Platform, app_id: str, n: int) -> None:
    with platform.db.session() as session:
        notifications.enqueue_event(session, app_id, "bench.ping", {"n": n}, unique_key=f"bench:{app_id}:{n}")
        session.commit()


def latencies(url: str, count: int) -> list[float]:
    seconds = []
    with httpx.Client(base_url=url, timeout=60) as client:
        for _ in range(count):
            started = time.perf_counter()
            client.get("/api/hub").raise_for_status()
            seconds.append(time.perf_counter() - started)
    return seconds


def summary(seconds: list[float]) -> tuple[float, float, float]:
    ms = [s * 1000 for s in seconds]
    return statistics.median(ms), statistics.quantiles(ms, n=100)[98], max(ms)


def run(backend: str, requests: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        env = {**SERVER_ENV, "MINIS_EGRESS_ALLOW_LOOPBACK": "true", "MINIS_DELIVERY_TIMEOUT_SECONDS": "30"}
        if backend == "postgresql":
            env["MINIS_DATABASE_URL"] = stack.enter_context(scratch_postgres())
        data = Path(tmp) / "data"
        data.mkdir()
        packages = [
            write_package(Path(tmp) / app, id=app, name=app.title(), category="benchmark", description="A game.")
            for app in ("hangs-game", "quick-game")
        ]
        backends = Backends()
        stack.callback(backends.close)
        server = stack.enter_context(LiveServer(data, packages=packages, env=env))
        platform = Platform(Settings(data_dir=data, database_url=env.get("MINIS_DATABASE_URL", "")))
        stack.callback(platform.close)
        add_backend(platform, "hangs-game", backends.url + "/hang/notify")
        add_backend(platform, "quick-game", backends.url + "/ok/notify")
        latencies(server.url, 50)  # warm-up
        before = latencies(server.url, requests)
        for n in range(6):
            notify(platform, "hangs-game", n)
        backends.hanging.wait(10)
        queued = time.perf_counter()
        notify(platform, "quick-game", 1)
        during = latencies(server.url, requests)
        other_ms = (backends.quick_at[0] - queued) * 1000 if backends.quick_at else float("inf")
        return {"before": summary(before), "during": summary(during), "other_ms": other_ms}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    table = results_table(
        "GET /api/hub while a developer's backend hangs (ms)",
        (
            "database",
            "p50 before",
            "p99 before",
            "max before",
            "p50 during",
            "p99 during",
            "max during",
            "p99 rise",
            "target",
            "other app notified after",
        ),
    )
    for backend in ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]:
        result = run(backend, args.requests)
        rise = result["during"][1] - result["before"][1]
        table.add_row(
            backend,
            *(f"{v:.1f}" for v in result["before"]),
            *(f"{v:.1f}" for v in result["during"]),
            f"{rise:+.1f}",
            f"< {TARGET_MS} {'met' if rise < TARGET_MS else 'MISSED'}",
            f"{result['other_ms']:.0f}",
        )
    Console().print(table)


if __name__ == "__main__":
    main()
