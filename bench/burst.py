"""A burst of purchases at once over HTTP, on SQLite and on PostgreSQL: every answer, how fast.

Issue 12, item 7: 200 purchases at once from 200 connections against a wallet for 100 must answer
exactly 100 x 200 and 100 x 402 INSUFFICIENT_FUNDS, no 5xx, each within 2 s. Each run starts a
real ``minis serve``, funds one person with 100 coins in the sandbox, then opens 200 connections
at once, each sending its purchase, and times each answer from its connection's start (the client
writes raw HTTP/1.1: httpx would spend more CPU than the server on these two cores). It prints the statuses and
the latency percentiles (p100 is the target's), then the same for a burst of reads
(``GET /api/wallet``) and for 50 purchases sharing one idempotency key (one order, one charge),
and the server's CPU time over the burst (what the latency is made of on a busy machine).

Run: ``python -m bench.burst [--requests 200] [--backend sqlite|postgresql|both] [--runs 3]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import time
from collections import Counter
from pathlib import Path

import httpx
from rich.console import Console

from bench.load import SERVER_ENV, scratch, write_package
from bench.report import results_table
from openminis.liveserver import LiveServer, run_apart

APP_ID = "burst-shop"
PRODUCT = {"id": "pebble", "type": "consumable", "price": 1, "title": {"en": "Pebble"}}
TARGET_SECONDS = 2.0
# One address and one person send the whole burst: the host's per-IP and per-person limits would
# answer most of it 429, and the burst is about what the database side does with it.
UNLIMITED = {
    **SERVER_ENV,
    "MINIS_RATE_PER_APP": "1000000/minute",
    "MINIS_RATE_CHANGES_PER_IP": "1000000/minute",
    "MINIS_RATE_CHANGES_PER_PERSON": "1000000/minute",
    "MINIS_RATE_GUESTS_PER_IP": "1000000/minute",
    "MINIS_RATE_COUPON_CLAIMS_PER_PERSON": "1000000/minute",
    "MINIS_RATE_COUPON_CLAIMS_PER_IP": "1000000/minute",
    "MINIS_SANDBOX_PAYMENTS": "true",
}


def shop_package(root: Path) -> Path:
    return write_package(
        root, id=APP_ID, name="Burst Shop", category="benchmark", description="Sells pebbles.", products=[PRODUCT]
    )


def funded_person(server: LiveServer, pack: str = "coins-100") -> dict:
    """A new guest with one coin pack bought in the sandbox: the cookies and CSRF token to act as them."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        csrf = client.get("/api/me").json()["csrf_token"]
        client.headers["X-CSRF-Token"] = csrf
        buy_pack(client, pack)
        return {"cookies": dict(client.cookies), "csrf": csrf}


def buy_pack(client: httpx.Client, pack: str = "coins-100") -> None:
    """The coin pack bought in the sandbox by the browser ``client`` (its cookie and CSRF token),
    at the price and coins the shop shows."""
    shown = next(p for p in client.get("/api/wallet/packs").json()["items"] if p["id"] == pack)
    body = {"pack_id": pack} | {field: shown[field] for field in ("amount", "currency") if field in _topup_fields()}
    if "coins" in _topup_fields():
        body["coins"] = shown["coins"] + shown["bonus_coins"]
    topup = client.post("/api/wallet/topups", json=body)
    assert topup.status_code in (200, 201), topup.text
    paid = client.post(f"/api/wallet/topups/{topup.json()['id']}/sandbox/pay", json={"card_number": "4242424242424242"})
    assert paid.json()["status"] == "succeeded", paid.text


def _topup_fields() -> set[str]:
    from openminis.payments.schemas import TopUpIn

    return set(TopUpIn.model_fields)


def purchase_body(key: str) -> dict:
    """One pebble, as the pay sheet sends it: with the price shown when the schema asks for it."""
    from openminis.payments.schemas import PurchaseIn

    body = {"product_id": PRODUCT["id"], "idempotency_key": key}
    if "amount" in PurchaseIn.model_fields:
        body["amount"] = PRODUCT["price"]
    if "currency" in PurchaseIn.model_fields:
        body["currency"] = "COIN"
    return body


async def _burst(
    server: LiveServer, person: dict, method: str, path: str, bodies: list[dict | None]
) -> list[tuple[int, float, dict, dict]]:
    limits = httpx.Limits(max_connections=len(bodies), max_keepalive_connections=len(bodies))
    headers = {"X-CSRF-Token": person["csrf"]}
    async with httpx.AsyncClient(
        base_url=server.url, cookies=person["cookies"], headers=headers, limits=limits, timeout=60
    ) as client:
        # No connection is opened ahead: 200 new connections at once are part of a real burst (and
        # one opened ahead could sit past the server's keep-alive timeout on a busy machine).
        start = asyncio.Event()

        async def one(body: dict | None) -> tuple[int, float, dict, dict]:
            await start.wait()
            began = time.perf_counter()
            try:
                response = await client.request(method, path, json=body)
            except httpx.TimeoutException:
                return (
                    0,
                    time.perf_counter() - began,
                    {"code": "CLIENT_TIMEOUT"},
                    {},
                )  # no answer within a minute: a hang
            return response.status_code, time.perf_counter() - began, response.json(), dict(response.headers)

        tasks = [asyncio.create_task(one(body)) for body in bodies]
        await asyncio.sleep(0.1)
        start.set()
        return await asyncio.gather(*tasks)


def burst(
    server: LiveServer, person: dict, method: str, path: str, bodies: list[dict | None]
) -> list[tuple[int, float, dict, dict]]:
    """Every request sent at once, each on its own connection: (status, seconds, json, headers) of each."""
    return run_apart(_burst(server, person, method, path, bodies))


async def _raw_burst(
    server: LiveServer, person: dict, method: str, path: str, bodies: list[dict | None]
) -> list[tuple[int, float, dict, dict]]:
    cookie = "; ".join(f"{name}={value}" for name, value in person["cookies"].items())
    host = server.url.split("//", 1)[1]
    start = asyncio.Event()

    async def exchange(body: dict | None) -> tuple[int, dict, dict]:
        content = json.dumps(body).encode() if body is not None else b""
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\nX-CSRF-Token: {person['csrf']}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(content)}\r\nConnection: close\r\n\r\n"
        )
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        try:
            writer.write(head.encode() + content)
            lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            headers = {
                name.strip().lower(): value.strip()
                for name, _, value in (line.partition(":") for line in lines[1:] if line)
            }
            payload = await reader.readexactly(int(headers.get("content-length", "0")))
            return int(lines[0].split()[1]), json.loads(payload or b"{}"), headers
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def one(body: dict | None) -> tuple[int, float, dict, dict]:
        await start.wait()
        began = time.perf_counter()
        try:
            status, answer, headers = await asyncio.wait_for(exchange(body), 60)
        except TimeoutError:
            return 0, time.perf_counter() - began, {"code": "CLIENT_TIMEOUT"}, {}
        return status, time.perf_counter() - began, answer, headers

    tasks = [asyncio.create_task(one(body)) for body in bodies]
    await asyncio.sleep(0.1)
    start.set()
    return await asyncio.gather(*tasks)


def raw_burst(
    server: LiveServer, person: dict, method: str, path: str, bodies: list[dict | None]
) -> list[tuple[int, float, dict, dict]]:
    """``burst`` with a client that costs next to nothing: each request written whole on a new
    connection (opened in the burst), its answer read by Content-Length. httpx's own parsing of
    200 exchanges takes more CPU than the server's work, on the same two cores."""
    return run_apart(_raw_burst(server, person, method, path, bodies))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(backend: str, requests: int) -> list[tuple]:
    rows = []
    with scratch(backend, UNLIMITED) as one:
        server = one.serve(packages=[shop_package(one.data.parent / "pkg")])
        run_id = secrets.token_hex(3)
        for label, method, path, bodies in (
            (
                f"{requests} purchases, wallet of 100",
                "POST",
                f"/api/apps/{APP_ID}/purchases",
                [purchase_body(f"{run_id}-{n}") for n in range(requests)],
            ),
            (f"{requests} reads of the wallet", "GET", "/api/wallet", [None] * requests),
            ("50 purchases, one key", "POST", f"/api/apps/{APP_ID}/purchases", [purchase_body(f"{run_id}-same")] * 50),
        ):
            person = funded_person(server)
            cpu = cpu_seconds(server.process.pid)
            answers = raw_burst(server, person, method, path, bodies)
            cpu = cpu_seconds(server.process.pid) - cpu
            seconds = [s for _, s, *_ in answers]
            statuses = Counter(status for status, *_ in answers)
            orders = len({body.get("id") for status, _, body, _ in answers if status == 200 and method == "POST"})
            rows.append(
                (
                    backend,
                    label,
                    dict(sorted(statuses.items())),
                    orders,
                    percentile(seconds, 0.5),
                    percentile(seconds, 0.99),
                    max(seconds),
                    cpu,
                )
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    table = results_table(
        f"bursts over HTTP, each request on its own connection (target: every answer within "
        f"{TARGET_SECONDS:g} s); load average {os.getloadavg()[0]:.1f} at start",
        ("database", "burst", "statuses", "orders", "p50 s", "p99 s", "p100 s", "target", "server CPU s"),
    )
    for _ in range(args.runs):
        for backend in backends:
            for db, label, statuses, orders, p50, p99, p100, cpu in run(backend, args.requests):
                met = "met" if p100 <= TARGET_SECONDS else "MISSED"
                table.add_row(
                    db, label, str(statuses), str(orders), f"{p50:.2f}", f"{p99:.2f}", f"{p100:.2f}", met, f"{cpu:.2f}"
                )
    Console(width=200).print(table)


if __name__ == "__main__":
    main()
