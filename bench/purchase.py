"""Paid orders per second over HTTP with many concurrent clients, on SQLite and on PostgreSQL.

Each run starts a real ``minis serve``, funds a few dozen players through the sandbox checkout,
then, with the same concurrent clients and the same duration, measures:

- bare: ``GET /api/me``, an authenticated endpoint doing no work beyond the session lookup;
- purchases: ``POST /api/apps/{app}/purchases``, each one an order, a ledger transfer, an
  entitlement check and a queued notification, committed together.

It prints both rates and their ratio (target >= 0.35), then runs ``minis ledger verify``.
Run: ``python -m bench.purchase [--clients 32] [--seconds 8] [--backend sqlite|postgresql|both]``.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from bench.load import bracketed, guest, hammer, run_options
from openminis.liveserver import LiveServer, scratch_postgres

APP_ID = "bench-shop"
MANIFEST = {
    "id": APP_ID, "name": "Bench Shop", "kind": "game", "version": "1.0.0", "entry": "index.html", "orientation": "portrait",
    "category": "benchmark", "icon": "icon.svg", "description": "Sells one-coin items, fast.", "allowed_domains": [],
    "products": [{"id": "pebble", "type": "consumable", "price": 1, "title": {"en": "Pebble"}}],
}


def write_package(root: Path) -> Path:
    import json

    root.mkdir(parents=True)
    (root / "minis.json").write_text(json.dumps(MANIFEST))
    (root / "index.html").write_text('<!doctype html><script src="/minis-sdk.js"></script>')
    (root / "icon.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>')
    return root


async def fund_player(server: LiveServer) -> httpx.AsyncClient:
    client = await guest(server)
    topup = (await client.post("/api/wallet/topups", json={"pack_id": "coins-6500"})).json()
    paid = (await client.post(f"/api/wallet/topups/{topup['id']}/sandbox/pay", json={"card_number": "4242424242424242"})).json()
    assert paid["status"] == "succeeded", paid
    return client


async def measure(server: LiveServer, clients_count: int, seconds: float) -> dict:
    clients = [await fund_player(server) for _ in range(clients_count)]
    run = os.urandom(3).hex()

    async def bare(client, n):
        return await client.get("/api/me")

    async def purchase(client, n):
        return await client.post(f"/api/apps/{APP_ID}/purchases", json={"product_id": "pebble", "idempotency_key": f"{run}-{n}"})

    await hammer(clients, 1.0, bare)  # warm-up: connections, caches
    rates = await bracketed(clients, seconds, bare, purchase, "purchases")
    for client in clients:
        await client.aclose()
    return rates


def main() -> None:
    args, backends = run_options(__doc__.splitlines()[0], backend="both")
    console = Console()
    table = Table(title=f"paid orders per second, {args.clients} concurrent clients, {args.seconds:.0f} s per phase")
    for column in ("database", "bare req/s", "purchases/s", "ratio", "target", "failed", "ledger"):
        table.add_column(column)
    for backend in backends:
        with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
            tmp = Path(tmp)
            env = {"MINIS_RATE_PER_IP": "1000000/minute"}
            if backend == "postgresql":
                env["MINIS_DATABASE_URL"] = stack.enter_context(scratch_postgres())
            (tmp / "data").mkdir()
            console.print(f"[bold]{backend}[/bold]: starting the server and funding {args.clients} players")
            server = stack.enter_context(LiveServer(tmp / "data", packages=[write_package(tmp / "pkg")], env=env))
            rates = asyncio.run(measure(server, args.clients, args.seconds))
            verify = subprocess.run(
                [sys.executable, "-m", "openminis.cli", "ledger", "verify", "--data-dir", str(tmp / "data")],
                env={**os.environ, **env}, capture_output=True, text=True,
            )
            ratio = rates["purchases"] / rates["bare"]
            table.add_row(
                backend, f"{rates['bare']:.0f}", f"{rates['purchases']:.0f}", f"{ratio:.2f}", f">= 0.35 {'met' if ratio >= 0.35 else 'MISSED'}",
                str(rates["bare_failed"] + rates["purchases_failed"]), "verifies" if verify.returncode == 0 else "BROKEN",
            )
    console.print(table)


if __name__ == "__main__":
    main()
