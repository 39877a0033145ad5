"""``minis backup`` while a real server sells, on SQLite and on PostgreSQL: how long the backup
takes, and what it costs the purchases going on meanwhile.

Each run starts a real ``minis serve`` (a shop, four funded people buying one after another over
HTTP), measures purchases/s and their p99 latency for a few seconds alone, then while ``minis
backup`` runs in its own process, then restores the backup into a fresh data dir and database and
runs ``minis ledger verify`` on it. It prints, per database: the backup's seconds, purchases/s
and p99 alone and during the backup (their ratio is what the backup costs), the purchases made
during it, and whether the restored ledger verified.

Run: ``python -m bench.backup [--backend sqlite|postgresql|both] [--seconds 5]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
from rich.console import Console

from bench.load import SERVER_ENV, write_package
from bench.report import results_table
from openminis.liveserver import LiveServer, scratch_postgres

PRODUCT = {"id": "marble", "type": "consumable", "price": 1, "title": {"en": "Marble"}}
OPEN = {
    **SERVER_ENV,
    "MINIS_RATE_PER_APP": "1000000/minute",
    "MINIS_RATE_CHANGES_PER_IP": "1000000/minute",
    "MINIS_RATE_CHANGES_PER_PERSON": "1000000/minute",
    "MINIS_RATE_GUESTS_PER_IP": "1000000/minute",
    "MINIS_SANDBOX_PAYMENTS": "true",
}


def minis(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return LiveServer.commands.run(args, env={**os.environ, **env})


def shopper(server: LiveServer) -> httpx.Client:
    client = httpx.Client(base_url=server.url, timeout=30)
    client.headers["X-CSRF-Token"] = client.get("/api/me").json()["csrf_token"]
    pack = next(p for p in client.get("/api/wallet/packs").json()["items"] if p["id"] == "coins-6500")
    topup = client.post(
        "/api/wallet/topups",
        json={
            "pack_id": pack["id"],
            "amount": pack["amount"],
            "currency": pack["currency"],
            "coins": pack["coins"] + pack["bonus_coins"],
        },
    ).json()
    client.post(f"/api/wallet/topups/{topup['id']}/sandbox/pay", json={"card_number": "4242424242424242"})
    return client


class Shoppers:
    """Four people buying one marble after another; each answer's time, with when it came."""

    def __init__(self, clients: list[httpx.Client]):
        self.clients, self.answers, self.stop = clients, [], threading.Event()
        self.threads = [threading.Thread(target=self.shop, args=(client, n)) for n, client in enumerate(clients)]

    def shop(self, client: httpx.Client, n: int) -> None:
        key = 0
        while not self.stop.is_set():
            began = time.perf_counter()
            body = {
                "product_id": PRODUCT["id"],
                "idempotency_key": f"p{n}-{key}",
                "amount": PRODUCT["price"],
                "currency": "COIN",
            }
            status = client.post("/api/apps/marble-shop/purchases", json=body).status_code
            self.answers.append((time.perf_counter(), time.perf_counter() - began, status))
            key += 1

    def between(self, start: float, end: float) -> tuple[float, float, int]:
        """Purchases/s, p99 seconds and failures of the answers that came between ``start`` and ``end``."""
        window = [(seconds, status) for at, seconds, status in self.answers if start <= at < end]
        latencies = sorted(seconds for seconds, _ in window)
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else float("nan")
        return len(window) / (end - start), p99, sum(status != 200 for _, status in window)


def run(backend: str, seconds: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        env, target = dict(OPEN), dict(OPEN)
        if backend == "postgresql":
            env["MINIS_DATABASE_URL"] = stack.enter_context(scratch_postgres())
            target["MINIS_DATABASE_URL"] = stack.enter_context(scratch_postgres())
        root = Path(tmp)
        (root / "data").mkdir()
        package = write_package(
            root / "pkg",
            id="marble-shop",
            name="Marble Shop",
            category="benchmark",
            description="Sells marbles.",
            products=[PRODUCT],
        )
        server = stack.enter_context(LiveServer(root / "data", packages=[package], env=env))
        shoppers = Shoppers([shopper(server) for _ in range(4)])
        for thread in shoppers.threads:
            thread.start()
        try:
            time.sleep(1)  # warm
            alone_start = time.perf_counter()
            time.sleep(seconds)
            alone_end = backup_start = time.perf_counter()
            taken = minis({**env, "MINIS_DATA_DIR": str(root / "data")}, "backup", str(root / "backup"))
            backup_end = time.perf_counter()
        finally:
            shoppers.stop.set()
            for thread in shoppers.threads:
                thread.join()
        assert taken.returncode == 0, taken.stdout + taken.stderr
        restored = minis({**target, "MINIS_DATA_DIR": str(root / "fresh")}, "restore", str(root / "backup"))
        assert restored.returncode == 0, restored.stdout + restored.stderr
        verified = minis(target, "ledger", "verify", "--data-dir", str(root / "fresh")).returncode == 0
        alone = shoppers.between(alone_start, alone_end)
        during = shoppers.between(backup_start, backup_end)
        return {
            "backup_s": backup_end - backup_start,
            "alone": alone,
            "during": during,
            "verified": verified,
            "made_during": round(during[0] * (backup_end - backup_start)),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seconds", type=float, default=5.0, help="how long purchases are measured alone")
    options = parser.parse_args()
    backends = ["sqlite", "postgresql"] if options.backend == "both" else [options.backend]
    table = results_table(
        "minis backup while serving purchases",
        (
            "database",
            "backup s",
            "purchases/s alone",
            "during backup",
            "ratio",
            "p99 alone",
            "p99 during",
            "failed",
            "made during",
            "restored ledger",
        ),
    )
    for backend in backends:
        result = run(backend, options.seconds)
        (rate, p99, failed), (rate_during, p99_during, failed_during) = result["alone"], result["during"]
        table.add_row(
            backend,
            f"{result['backup_s']:.2f}",
            f"{rate:.0f}",
            f"{rate_during:.0f}",
            f"{rate_during / rate:.2f}",
            f"{p99 * 1000:.0f} ms",
            f"{p99_during * 1000:.0f} ms",
            str(failed + failed_during),
            str(result["made_during"]),
            "verifies" if result["verified"] else "FAILS",
        )
    Console(width=200).print(table)  # every digit, whatever the terminal


if __name__ == "__main__":
    main()
