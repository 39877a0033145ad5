"""What one machine serves with one ``minis serve`` process and with two (``--workers 2``), on
PostgreSQL and Redis, as a deployment runs: the capacity table of docs/deploy.md.

For each number of processes, a new scratch database, a real ``minis serve --workers N`` with Redis
for the limits and signals, and a bare FastAPI endpoint served by uvicorn with as many processes
(bench/baselines.py) measured in the same run; then, with the same concurrent clients: the bare
endpoint, ``GET /api/me`` (a signed-in person's cheapest request), ``GET /api/feed`` (a page of the
ranked feed) and purchases (an order and its ledger transfer). The load generator runs on the same
machine, so the figures are what is left of the cores beside it; the ratios to the bare endpoint
are the comparable part. ``minis ledger verify`` runs after each.
Run: ``python -m bench.capacity [--clients 32] [--seconds 8]``.
"""

from __future__ import annotations

import asyncio
import os

import httpx
from rich.console import Console

from bench.load import SERVER_ENV, bracketed, hammer, run_options, scratch, write_package
from bench.purchase import APP_ID, MANIFEST, fund_player
from bench.report import results_table
from openminis.liveserver import LiveServer

REDIS_URL = os.environ.get("MINIS_REDIS_URL", "redis://127.0.0.1:6379/0")


async def measure(server: LiveServer, bare_url: str, clients_count: int, seconds: float) -> dict:
    clients = [await fund_player(server) for _ in range(clients_count)]
    run = os.urandom(3).hex()

    async def fastapi(client: httpx.AsyncClient, n: int) -> httpx.Response:
        return await client.get(bare_url)

    async def me(client: httpx.AsyncClient, n: int) -> httpx.Response:
        return await client.get("/api/me")

    async def feed(client: httpx.AsyncClient, n: int) -> httpx.Response:
        return await client.get("/api/feed?limit=10")

    async def purchase(client: httpx.AsyncClient, n: int) -> httpx.Response:
        return await client.post(
            f"/api/apps/{APP_ID}/purchases",
            json={"product_id": "pebble", "idempotency_key": f"{run}-{n}", "amount": 1, "currency": "COIN"},
        )

    for request in (fastapi, me, feed):  # warm-up: connections, caches, every process
        await hammer(clients, 1.0, request)
    rates = await bracketed(clients, seconds, fastapi, {"me": me, "feed": feed, "purchases": purchase})
    for client in clients:
        await client.aclose()
    return rates


def main() -> None:
    args, _backends = run_options(__doc__.splitlines()[0], backend="postgresql")
    console = Console(width=160)
    title = f"PostgreSQL + Redis, {args.clients} concurrent clients, {args.seconds:.0f} s per phase, per second"
    table = results_table(
        title, ("processes", "FastAPI", "/api/me", "feed pages", "purchases", "me/FastAPI", "failed", "ledger")
    )
    measured = {}
    for processes in (1, 2):
        with scratch("postgresql", {**SERVER_ENV, "MINIS_REDIS_URL": REDIS_URL}) as run:
            run.env["MINIS_ANALYTICS_URL"] = run.env["MINIS_DATABASE_URL"]  # events too, as a deployment keeps them
            console.print(f"[bold]{processes} process(es)[/bold]: starting, funding {args.clients} players")
            server = run.serve(packages=[write_package(run.data.parent / "pkg", **MANIFEST)], workers=processes)
            rates = measured[processes] = asyncio.run(
                measure(server, run.bare_fastapi(processes), args.clients, args.seconds)
            )
            verify = LiveServer.commands.run(
                ["ledger", "verify", "--data-dir", str(run.data)], env={**os.environ, **run.env}
            )
        table.add_row(
            str(processes),
            *(f"{rates[phase]:.0f}" for phase in ("bare", "me", "feed", "purchases")),
            f"{rates['me'] / rates['bare']:.2f}",
            str(sum(rates[f"{phase}_failed"] for phase in ("bare", "me", "feed", "purchases"))),
            "verifies" if verify.returncode == 0 else "BROKEN",
        )
    table.add_row(
        "2 / 1",
        *(f"{measured[2][phase] / measured[1][phase]:.2f}" for phase in ("bare", "me", "feed", "purchases")),
        "",
        "",
        "",
    )
    console.print(table)


if __name__ == "__main__":
    main()
