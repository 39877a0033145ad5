"""Paid orders per second over HTTP with many concurrent clients, on SQLite and on PostgreSQL,
against the bare limits measured in the same run (bench/baselines.py).

Each run starts a real ``minis serve``, funds a few dozen players through the sandbox checkout,
then, with the same concurrent clients and the same duration per phase, measures:

- FastAPI: a bare FastAPI endpoint that does nothing, served by uvicorn as ``minis serve`` is
  (its own process; measured before and after the platform's phases, averaged: bench/load.py's bracketed);
- me: ``GET /api/me``, the platform's bare authenticated endpoint (the session lookup, the
  middleware, a unit of work), against FastAPI (issue 16's target: >= 0.7);
- purchases: ``POST /api/apps/{app}/purchases``, each one an order with its events, the
  attribution lookup (launch source, creator touches), a conversion row and a ledger transfer,
  committed together, then a conversion event for analytics. (The bench app has no notify URL, so
  no notification job is queued: an app without a backend gets none.)
- on PostgreSQL, pgbench running a purchase's shape of transaction on the same server with as many
  clients; purchases against it (target: >= 0.3).

Then the same three phases again with wrk as the load (bench/wrk.py: a load generator in C, as
pgbench is; the Python loop cannot send a bare endpoint more than ~1,500 requests a second, and
each purchase it sends costs it CPU the server and the database share).

It prints every rate and ratio, under each load, the server's CPU time per request of each work phase (the
machine is shared and its rates drift; what one request costs the server drifts much less), then
runs ``minis ledger verify``.
Run: ``python -m bench.purchase [--clients 32] [--seconds 8] [--backend sqlite|postgresql|both] [--workers N]``
(N serving processes on PostgreSQL, the platform's and the bare endpoint's; by default as many as the
machine has cores, as deployed; SQLite serves from one).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
from rich.console import Console

from bench import wrk
from bench.baselines import pgbench_purchases
from bench.load import bracketed, guest, hammer, run_options, scratch, write_package
from bench.report import results_table
from openminis.liveserver import LiveServer

APP_ID = "bench-shop"
ME_TARGET = 0.7  # /api/me against a bare FastAPI endpoint (issue 16)
PGBENCH_TARGET = 0.3  # purchases against pgbench running their shape of transaction
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


def cpu_seconds(pid: int) -> float:
    """A process's CPU time so far, user and system, with its serving children's (``--workers``),
    as Linux's /proc tells it."""
    total = 0.0
    for stat in (Path(f"/proc/{pid}/stat"), *_children(pid)):
        with contextlib.suppress(FileNotFoundError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _children(pid: int) -> list[Path]:
    """The stat files of ``pid``'s child processes (the serving workers of ``minis serve --workers``)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError):
            found += [Path(f"/proc/{child}/stat") for child in (task / "children").read_text().split()]
    return found


class ServerCpu:
    """What runs beside each work phase (bracketed's ``alongside``): the server's CPU seconds
    over the phase, in the phases' order."""

    def __init__(self, pid: int):
        self.pid = pid
        self.spent: list[float] = []

    @contextlib.asynccontextmanager
    async def __call__(self) -> AsyncIterator[None]:
        start = cpu_seconds(self.pid)
        yield
        self.spent.append(cpu_seconds(self.pid) - start)


async def measure(server: LiveServer, bare_url: str, clients_count: int, seconds: float) -> dict:
    clients = [await fund_player(server) for _ in range(clients_count)]
    run = os.urandom(3).hex()

    async def fastapi(client, n):
        return await client.get(bare_url)

    async def me(client, n):
        return await client.get("/api/me")

    async def purchase(client, n):
        return await client.post(
            f"/api/apps/{APP_ID}/purchases",
            json={"product_id": "pebble", "idempotency_key": f"{run}-{n}", "amount": 1, "currency": "COIN"},
        )

    for request in (fastapi, me):  # warm-up: connections, caches
        await hammer(clients, 1.0, request)
    works = {"me": me, "purchases": purchase}
    cpu = ServerCpu(server.process.pid)
    rates = await bracketed(clients, seconds, fastapi, works, alongside=cpu)
    for label, spent in zip(works, cpu.spent, strict=True):
        rates[f"{label}_cpu_us"] = spent * 1e6 / max(1, rates[label] * seconds)
    rates |= {f"wrk_{label}": rate for label, rate in by_wrk(server, bare_url, wrk.as_people(clients), seconds).items()}
    for client in clients:
        await client.aclose()
    return rates


def by_wrk(server: LiveServer, bare_url: str, people: list[dict[str, str]], seconds: float) -> dict:
    """The same three phases with wrk as the load (bench/wrk.py): as many connections as the loop
    has clients, the purchases made as the same people in turn; the bare endpoint before and after."""
    host = server.url.replace("localhost", "127.0.0.1")  # wrk resolves names itself; the server listens on IPv4
    body = {"product_id": "pebble", "amount": 1, "currency": "COIN"}
    connections = len(people)

    def purchases(key_prefix: str, seconds: float = seconds) -> wrk.Rate:
        lua = wrk.posts(f"/api/apps/{APP_ID}/purchases", people, body, "idempotency_key", key_prefix)
        return wrk.run(host, seconds=seconds, connections=connections, lua=lua)

    def timed(phase: Callable[[], wrk.Rate]) -> tuple[wrk.Rate, float]:
        start = cpu_seconds(server.process.pid)
        rate = phase()
        return rate, (cpu_seconds(server.process.pid) - start) * 1e6 / max(1.0, rate.per_second * seconds)

    purchases("warm-" + os.urandom(3).hex(), 2)  # the server's connections open, its statements prepared
    bare = wrk.run(bare_url, seconds=seconds, connections=connections)
    me, me_cpu = timed(lambda: wrk.run(host + "/api/me", seconds=seconds, connections=connections, headers=people[0]))
    bought, bought_cpu = timed(lambda: purchases(os.urandom(4).hex()))
    bare2 = wrk.run(bare_url, seconds=seconds, connections=connections)
    return {
        "bare": (bare.per_second + bare2.per_second) / 2,
        "me": me.per_second,
        "purchases": bought.per_second,
        "me_cpu_us": me_cpu,
        "purchases_cpu_us": bought_cpu,
        "failed": bare.failed + me.failed + bought.failed + bare2.failed,
    }


def row(database: str, rates: dict, pgbench: float | None, ledger: str) -> tuple[str, ...]:
    me_ratio = rates["me"] / rates["bare"]
    vs_pgbench = rates["purchases"] / pgbench if pgbench else None
    return (
        database,
        f"{rates['bare']:.0f}",
        f"{rates['me']:.0f}",
        f"{me_ratio:.2f} ({'met' if me_ratio >= ME_TARGET else 'MISSED'} >= {ME_TARGET})",
        f"{rates['purchases']:.0f}",
        f"{pgbench:.0f}" if pgbench else "-",
        f"{vs_pgbench:.2f} ({'met' if vs_pgbench >= PGBENCH_TARGET else 'MISSED'} >= {PGBENCH_TARGET})"
        if vs_pgbench is not None
        else "-",
        f"{rates['me_cpu_us']:.0f} us",
        f"{rates['purchases_cpu_us']:.0f} us",
        str(rates["failed"]),
        ledger,
    )


def main() -> None:
    args, backends = run_options(__doc__.splitlines()[0], backend="both", workers=True)
    console = Console(width=160)  # the table is wide; a pipe would give it 80 columns
    columns = ("database", "FastAPI", "/api/me", "me/FastAPI", "purchases", "pgbench", "purchases/pgbench")
    columns += ("server CPU per /api/me", "per purchase")
    table = results_table(
        f"{args.clients} concurrent clients, {args.seconds:.0f} s per phase, per second", (*columns, "failed", "ledger")
    )
    for backend in backends:
        workers = 1 if backend == "sqlite" else args.workers or os.cpu_count() or 1
        with scratch(backend) as run:
            if workers > 1:  # processes share their analytics events in PostgreSQL (docs/deploy.md)
                run.env["MINIS_ANALYTICS_URL"] = run.env["MINIS_DATABASE_URL"]
            console.print(f"[bold]{backend}[/bold]: {workers} serving process(es), funding {args.clients} players")
            server = run.serve(packages=[write_package(run.data.parent / "pkg", **MANIFEST)], workers=workers)
            rates = asyncio.run(measure(server, run.bare_fastapi(workers), args.clients, args.seconds))
            database = run.env.get("MINIS_DATABASE_URL")
            pgbench = pgbench_purchases(database, clients=args.clients, seconds=args.seconds) if database else None
            verify = LiveServer.commands.run(
                ["ledger", "verify", "--data-dir", str(run.data)], env={**os.environ, **run.env}
            )
        ledger = "verifies" if verify.returncode == 0 else "BROKEN"
        rates["failed"] = sum(rates[f"{phase}_failed"] for phase in ("bare", "me", "purchases"))
        table.add_row(*row(f"{backend} ×{workers}, load: Python loop", rates, pgbench, ledger))
        wrk_rates = {key.removeprefix("wrk_"): value for key, value in rates.items() if key.startswith("wrk_")}
        table.add_row(*row(f"{backend} ×{workers}, load: wrk", wrk_rates, pgbench, ledger))
    console.print(table)


if __name__ == "__main__":
    main()
