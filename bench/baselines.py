"""What the benchmarks measure the platform against, on the same machine in the same run: the bare
limits, none of them our code.

- ``bare_fastapi()``: a FastAPI endpoint that does nothing (bench/bare_app.py), served by uvicorn
  as ``minis serve`` serves the platform (same options, one process), in a process of its own.
- ``pgbench_purchases()``: PostgreSQL's own load generator running a purchase's shape of
  transaction on the same server, with as many clients: insert an order, debit a wallet
  conditionally, credit one shared earnings account, insert the transfer and its two entries.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg

from openminis.db import libpq_url
from openminis.liveserver import free_port

_SCHEMA = """
CREATE TABLE bench_accounts (id int PRIMARY KEY, balance bigint NOT NULL CHECK (balance >= 0));
CREATE TABLE bench_orders (id bigserial PRIMARY KEY, account_id int NOT NULL, amount bigint NOT NULL,
                           created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE bench_transfers (id bigserial PRIMARY KEY, order_id bigint NOT NULL, amount bigint NOT NULL);
CREATE TABLE bench_entries (id bigserial PRIMARY KEY, transfer_id bigint NOT NULL, account_id int NOT NULL,
                            amount bigint NOT NULL);
CREATE INDEX ON bench_entries (transfer_id);
CREATE INDEX ON bench_entries (account_id);
"""

# One purchase: the wallets are accounts 1..clients, the app's earnings account 0 (every
# transaction credits it, as every sale of one app credits its earnings).
_PURCHASE = """\\set wallet random(1, {clients})
BEGIN;
INSERT INTO bench_orders (account_id, amount) VALUES (:wallet, 1) RETURNING id AS order_id \\gset
UPDATE bench_accounts SET balance = balance - 1 WHERE id = :wallet AND balance >= 1;
UPDATE bench_accounts SET balance = balance + 1 WHERE id = 0;
INSERT INTO bench_transfers (order_id, amount) VALUES (:order_id, 1) RETURNING id AS transfer_id \\gset
INSERT INTO bench_entries (transfer_id, account_id, amount) VALUES (:transfer_id, :wallet, -1), (:transfer_id, 0, 1);
COMMIT;
"""


@contextmanager
def bare_fastapi(workers: int = 1) -> Iterator[str]:
    """The bare endpoint's URL while its server runs (``workers`` processes, as ``minis serve --workers``)."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "bench.bare_app:app", "--port", str(port), "--log-level", "warning"]
    command += ["--proxy-headers"]  # as minis serve
    if workers > 1:
        command += ["--workers", str(workers)]
    process = subprocess.Popen(command, cwd=Path(__file__).resolve().parents[1])
    url = f"http://127.0.0.1:{port}/ok"
    try:
        with httpx.Client(timeout=1) as client:
            for _ in range(100):
                try:
                    if client.get(url).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            else:
                raise RuntimeError("the bare FastAPI server did not start")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def pgbench_purchases(database_url: str, *, clients: int, seconds: float) -> float:
    """Transactions per second of the purchase's shape, run by pgbench on ``database_url``'s
    database in tables of its own (dropped afterwards)."""
    conninfo = libpq_url(database_url)
    if conninfo is None:
        raise ValueError("pgbench runs on PostgreSQL only")
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(_SCHEMA)
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO bench_accounts SELECT n, CASE WHEN n = 0 THEN 0 ELSE 1000000000 END "
                "FROM generate_series(0, %s) AS n",
                (clients,),
            )
    try:
        with tempfile.NamedTemporaryFile("w", suffix=".sql") as script:
            script.write(_PURCHASE.format(clients=clients))
            script.flush()
            run = subprocess.run(
                [
                    "pgbench",
                    "--no-vacuum",
                    "--client",
                    str(clients),
                    "--jobs",
                    "2",
                    "--time",
                    str(round(seconds)),
                    "--file",
                    script.name,
                    conninfo,
                ],
                capture_output=True,
                text=True,
                check=True,
            )
        found = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", run.stdout)
        if found is None:
            raise RuntimeError(f"pgbench printed no rate: {run.stdout}{run.stderr}")
        return float(found.group(1))
    finally:
        with psycopg.connect(conninfo, autocommit=True) as connection:
            connection.execute("DROP TABLE bench_entries, bench_transfers, bench_orders, bench_accounts")
