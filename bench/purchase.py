"""Paid orders per second over HTTP with many concurrent clients, on SQLite and on PostgreSQL.

Each run starts a real ``minis serve``, funds a few dozen players through the sandbox checkout,
then, with the same concurrent clients and the same duration, measures:

- bare: ``GET /api/me``, an authenticated endpoint doing no work beyond the session lookup;
- purchases: ``POST /api/apps/{app}/purchases``, each one an order with its events, the
  attribution lookup (launch source, creator touches), a conversion row and a ledger transfer,
  committed together, then a conversion event for analytics. (The bench app has no notify URL, so
  no notification job is queued: an app without a backend gets none.)

It prints both rates and their ratio (target >= 0.35), then runs ``minis ledger verify``.
Run: ``python -m bench.purchase [--clients 32] [--seconds 8] [--backend sqlite|postgresql|both]``.
"""

from __future__ import annotations

import asyncio
import os

import httpx
from rich.console import Console

from bench.load import Scratch, bracketed, compare, guest, hammer, run_options, write_package
from openminis.liveserver import LiveServer

APP_ID = "bench-shop"
TARGET = 0.35
MANIFEST = {
    "id": APP_ID,
    "name": "Bench Shop",
    "category": "benchmark",
    "description": "Sells one-coin items, fast.",
    "products": [{"id": "pebble", "type": "consumable", "price": 1, "title": {"en": "Pebble"}}],
}


async def fund_player(server: LiveServer) -> httpx.AsyncClient:
    client = await guest(server)
    topup = (
        await client.post(
            "/api/wallet/topups", json={"pack_id": "coins-6500", "amount": 4999, "currency": "USD", "coins": 6500}
        )
    ).json()
    paid = (
        await client.post(f"/api/wallet/topups/{topup['id']}/sandbox/pay", json={"card_number": "4242424242424242"})
    ).json()
    assert paid["status"] == "succeeded", paid
    return client


async def measure(server: LiveServer, clients_count: int, seconds: float) -> dict:
    clients = [await fund_player(server) for _ in range(clients_count)]
    run = os.urandom(3).hex()

    async def bare(client, n):
        return await client.get("/api/me")

    async def purchase(client, n):
        return await client.post(
            f"/api/apps/{APP_ID}/purchases",
            json={"product_id": "pebble", "idempotency_key": f"{run}-{n}", "amount": 1, "currency": "COIN"},
        )

    await hammer(clients, 1.0, bare)  # warm-up: connections, caches
    rates = await bracketed(clients, seconds, bare, purchase, "purchases")
    for client in clients:
        await client.aclose()
    return rates


def main() -> None:
    args, backends = run_options(__doc__.splitlines()[0], backend="both")
    console = Console()

    def run(scratch: Scratch) -> dict:
        console.print(f"[bold]{scratch.backend}[/bold]: starting the server and funding {args.clients} players")
        server = scratch.serve(packages=[write_package(scratch.data.parent / "pkg", **MANIFEST)])
        rates = asyncio.run(measure(server, args.clients, args.seconds))
        verify = LiveServer.commands.run(
            ["ledger", "verify", "--data-dir", str(scratch.data)], env={**os.environ, **scratch.env}
        )
        return rates | {"ledger": "verifies" if verify.returncode == 0 else "BROKEN"}

    title = f"paid orders per second, {args.clients} concurrent clients, {args.seconds:.0f} s per phase"
    compare(console, backends, title=title, work="purchases", target=TARGET, measure=run, extra=("ledger",))


if __name__ == "__main__":
    main()
