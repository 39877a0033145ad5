"""Load over HTTP for the benchmarks: concurrent clients, back to back, for a fixed time."""

from __future__ import annotations

import argparse
import asyncio
import itertools
import time

import httpx


async def hammer(clients: list[httpx.AsyncClient], seconds: float, request) -> tuple[int, int]:
    """Each client sends requests back to back for ``seconds``; returns (successes, failures)."""
    deadline = time.perf_counter() + seconds
    counter = itertools.count()
    ok = failed = 0

    async def loop(client: httpx.AsyncClient) -> None:
        nonlocal ok, failed
        while time.perf_counter() < deadline:
            response = await request(client, next(counter))
            if response.status_code == 200:
                ok += 1
            else:
                failed += 1

    await asyncio.gather(*(loop(client) for client in clients))
    return ok, failed


async def bracketed(clients: list[httpx.AsyncClient], seconds: float, bare, work, name: str) -> dict:
    """Rates of ``bare``, then ``work``, then ``bare`` again, averaging the two bare runs: they
    bracket the work, so a drift of the machine during the run shows and averages out."""
    rates = {}
    for label, request in (("bare", bare), (name, work), ("bare2", bare)):
        ok, failed = await hammer(clients, seconds, request)
        rates[label] = ok / seconds
        rates[f"{label}_failed"] = failed
    rates["bare"] = (rates["bare"] + rates.pop("bare2")) / 2
    return rates


async def guest(server, **headers: str) -> httpx.AsyncClient:
    """A new visitor's client on the live server, with the CSRF token of its guest session."""
    client = httpx.AsyncClient(base_url=server.url, timeout=30, limits=httpx.Limits(max_connections=4), headers=headers)
    client.headers["X-CSRF-Token"] = (await client.get("/api/me")).json()["csrf_token"]
    return client


def run_options(description: str, *, backend: str) -> tuple[argparse.Namespace, list[str]]:
    """The options every HTTP benchmark takes, and the databases to run on."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default=backend)
    args = parser.parse_args()
    return args, ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
