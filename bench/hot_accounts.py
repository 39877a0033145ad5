"""Sales of one app against sales spread over 32 apps, from the same concurrent clients, on SQLite
and on PostgreSQL (issue 16: one app's sales must not be more than 20 % slower).

Every sale credits its app's earnings and the platform's revenue. Were those credits updates of
the two accounts' rows, one app's sales would queue on its earnings row (and every sale on the
platform's revenue row); they are pending entries, folded in batches by the posting lane
(wallet/service.py), so that one app selling alone should go as fast as 32 apps selling at once.

Each run starts a real ``minis serve`` (its posting lane running) with 32 published apps, funds
one player per client, then measures, with the same clients and the same duration per phase: a
bare FastAPI endpoint (bench/load.py's bracketed, for scale), purchases all of one app, and
purchases of 32 apps (client i buys from app i). It prints both rates, their ratio, and runs
``minis ledger verify``.
Run: ``python -m bench.hot_accounts [--clients 32] [--seconds 8] [--backend sqlite|postgresql|both]``.
"""

from __future__ import annotations

import asyncio
import os

import httpx
from rich.console import Console

from bench.load import bracketed, hammer, run_options, scratch, write_package
from bench.purchase import fund_player
from bench.report import results_table
from openminis.liveserver import LiveServer

APPS = 32
TARGET = 0.8  # one app's sales against 32 apps' (issue 16)


def manifest(n: int) -> dict:
    return {
        "id": f"bench-shop-{n:02d}",
        "name": f"Bench Shop {n}",
        "category": "benchmark",
        "description": "Sells one-coin items, fast.",
        "products": [{"id": "pebble", "type": "consumable", "price": 1, "title": {"en": "Pebble"}}],
    }


async def measure(server: LiveServer, bare_url: str, clients_count: int, seconds: float) -> dict:
    clients = [await fund_player(server) for _ in range(clients_count)]
    run = os.urandom(3).hex()
    shop_of = {id(client): manifest(n % APPS)["id"] for n, client in enumerate(clients)}

    async def fastapi(client: httpx.AsyncClient, n: int) -> httpx.Response:
        return await client.get(bare_url)

    def buying(app_for) -> object:
        async def purchase(client: httpx.AsyncClient, n: int) -> httpx.Response:
            return await client.post(
                f"/api/apps/{app_for(client)}/purchases",
                json={"product_id": "pebble", "idempotency_key": f"{run}-{n}", "amount": 1, "currency": "COIN"},
            )

        return purchase

    one_app = buying(lambda client: manifest(0)["id"])
    many_apps = buying(lambda client: shop_of[id(client)])
    await hammer(clients, 1.0, many_apps)  # warm-up: connections, every app's caches
    rates = await bracketed(clients, seconds, fastapi, {"one": one_app, "spread": many_apps})
    for client in clients:
        await client.aclose()
    return rates


def main() -> None:
    args, backends = run_options(__doc__.splitlines()[0], backend="both")
    console = Console(width=160)
    table = results_table(
        f"{args.clients} concurrent clients, {args.seconds:.0f} s per phase, purchases per second",
        ("database", "FastAPI", "one app", f"{APPS} apps", "one/spread", "failed", "ledger"),
    )
    for backend in backends:
        with scratch(backend) as run:
            console.print(f"[bold]{backend}[/bold]: publishing {APPS} apps, funding {args.clients} players")
            packages = [write_package(run.data.parent / f"pkg-{n}", **manifest(n)) for n in range(APPS)]
            server = run.serve(packages=packages)
            rates = asyncio.run(measure(server, run.bare_fastapi(), args.clients, args.seconds))
            verify = LiveServer.commands.run(
                ["ledger", "verify", "--data-dir", str(run.data)], env={**os.environ, **run.env}
            )
        ratio = rates["one"] / rates["spread"]
        table.add_row(
            backend,
            f"{rates['bare']:.0f}",
            f"{rates['one']:.0f}",
            f"{rates['spread']:.0f}",
            f"{ratio:.2f} ({'met' if ratio >= TARGET else 'MISSED'} >= {TARGET})",
            str(sum(rates[f"{phase}_failed"] for phase in ("bare", "one", "spread"))),
            "verifies" if verify.returncode == 0 else "BROKEN",
        )
    console.print(table)


if __name__ == "__main__":
    main()
