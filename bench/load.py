"""Load over HTTP for the benchmarks: concurrent clients, back to back, for a fixed time."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from rich.console import Console

from bench.baselines import bare_fastapi
from bench.report import results_table
from openminis.liveserver import LiveServer, scratch_postgres

# The load comes from one address: the per-IP rate limit would measure itself.
SERVER_ENV = {
    "MINIS_RATE_PER_IP": "1000000/minute",
    "MINIS_SANDBOX_PAYMENTS": "true",
}  # players are funded with test cards
# Every benchmark client is one address and a few people hammering one route: the host's limits
# (web/limits.py) would measure themselves, not the work.
SERVER_ENV |= {
    "MINIS_RATE_GUESTS_PER_IP": "1000000/minute",
    "MINIS_RATE_CHANGES_PER_IP": "1000000/minute",
    "MINIS_RATE_CHANGES_PER_PERSON": "1000000/minute",
    "MINIS_RATE_EVENT_BATCHES_PER_PERSON": "1000000/minute",
    "MINIS_RATE_AD_IMPRESSIONS_PER_PERSON": "1000000/hour",
    "MINIS_RATE_AD_IMPRESSIONS_PER_IP": "1000000/hour",
}


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


async def bracketed(
    clients: list[httpx.AsyncClient],
    seconds: float,
    bare,
    works: dict,
    alongside: Callable[[], contextlib.AbstractAsyncContextManager[object]] | None = None,
) -> dict:
    """Rates of ``bare``, then of each of ``works`` (name: request) in turn, then ``bare`` again,
    averaging the two bare runs: they bracket the work, so a drift of the machine during the run
    shows and averages out. ``alongside`` makes what runs beside each work phase (an async context
    manager), as a live platform's changes run beside its requests."""
    rates = {}
    for label, request in (("bare", bare), *works.items(), ("bare2", bare)):
        beside = alongside() if alongside is not None and label in works else contextlib.nullcontext()
        async with beside:
            ok, failed = await hammer(clients, seconds, request)
        rates[label] = ok / seconds
        rates[f"{label}_failed"] = failed
    rates["bare"] = (rates["bare"] + rates.pop("bare2")) / 2
    rates["bare_failed"] += rates.pop("bare2_failed")
    return rates


async def guest(server, **headers: str) -> httpx.AsyncClient:
    """A new visitor's client on the live server, with the CSRF token of its guest session."""
    client = httpx.AsyncClient(base_url=server.url, timeout=30, limits=httpx.Limits(max_connections=4), headers=headers)
    client.headers["X-CSRF-Token"] = (await client.get("/api/me")).json()["csrf_token"]
    return client


def run_options(description: str, *, backend: str, workers: bool = False) -> tuple[argparse.Namespace, list[str]]:
    """The options every HTTP benchmark takes (with ``workers``, also ``--workers``), and the
    databases to run on."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default=backend)
    if workers:
        # As many serving processes as the machine has cores is how a server is run on PostgreSQL
        # (docs/deploy.md), and pgbench runs a thread per core; the bare endpoint it is divided by
        # is served with as many. SQLite serves from one process.
        parser.add_argument(
            "--workers", type=int, default=None, help="serving processes on PostgreSQL, each side (default: the cores)"
        )
    args = parser.parse_args()
    return args, ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]


def write_package(root: Path, **manifest) -> Path:
    """A minimal game package (an entry page and an icon) with these manifest fields."""
    root.mkdir(parents=True)
    defaults = {
        "version": "1.0.0",
        "entry": "index.html",
        "orientation": "portrait",
        "icon": "icon.svg",
        "kind": "game",
        "allowed_domains": [],
    }
    (root / "minis.json").write_text(json.dumps(defaults | manifest))
    (root / "index.html").write_text('<!doctype html><script src="/minis-sdk.js"></script>')
    (root / "icon.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>')
    return root


@dataclass(frozen=True)
class Scratch:
    """One database's run: a new data directory, the server's environment (with the scratch
    PostgreSQL database's URL when the backend is PostgreSQL), and the stack that closes both."""

    backend: str
    data: Path
    env: dict[str, str]
    stack: ExitStack

    def serve(self, **options) -> LiveServer:
        """A real ``minis serve`` on this run's data, stopped when the run ends."""
        return self.stack.enter_context(LiveServer(self.data, env=self.env, **options))

    def bare_fastapi(self, workers: int = 1) -> str:
        """The URL of the bare limit the benches divide by (bench/baselines.py), until the run ends."""
        return self.stack.enter_context(bare_fastapi(workers))


@contextmanager
def scratch(backend: str, env: dict[str, str] | None = None) -> Iterator[Scratch]:
    """One database's run: a new data directory and, on PostgreSQL, a new database, both gone
    afterwards; the server's environment is ``env`` (SERVER_ENV by default) and the database's URL."""
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        env = dict(SERVER_ENV if env is None else env)
        if backend == "postgresql":
            env["MINIS_DATABASE_URL"] = stack.enter_context(scratch_postgres())
        data = Path(tmp) / "data"
        data.mkdir()
        yield Scratch(backend, data, env, stack)


def compare(
    console: Console,
    backends: list[str],
    *,
    title: str,
    work: str,
    target: float,
    measure: Callable[[Scratch], dict],
    extra: tuple[str, ...] = (),
    unit: str | None = None,
) -> None:
    """Per database, ``measure`` a new scratch run (its rates, as ``bracketed`` returns them, named
    ``work``), then print one table: bare and work rates (per ``unit``, by default ``work``), their
    ratio against ``target``, failed requests, and the ``extra`` columns ``measure`` filled in."""
    table = results_table(title, ("database", "bare req/s", f"{unit or work}/s", "ratio", "target", "failed", *extra))
    for backend in backends:
        with scratch(backend) as run:
            rates = measure(run)
        ratio = rates[work] / rates["bare"]
        table.add_row(
            backend,
            f"{rates['bare']:.0f}",
            f"{rates[work]:.0f}",
            f"{ratio:.2f}",
            f">= {target} {'met' if ratio >= target else 'MISSED'}",
            str(rates["bare_failed"] + rates[f"{work}_failed"]),
            *(str(rates[column]) for column in extra),
        )
    console.print(table)
