"""Money terms changed while purchases run, against a real ``minis serve``, on SQLite and PostgreSQL.

A probe sent 150 purchases at once while finance changed an app's terms six times, and found orders
paid after a change's effective time that paid the terms before it: the change's time was stamped
before its commit, and purchases that read the terms in between did not see it. The rows then said
the order paid terms it did not. Here every order's fee must be the one the terms' rows give for
its time, whatever the timing.
"""

from __future__ import annotations

import asyncio
import secrets

import httpx
import pytest
from sqlalchemy import select

from bench.burst import APP_ID, funded_person
from openminis.liveserver import run_apart
from openminis.payments.models import MoneyTerms, Order
from openminis.platform import Platform
from openminis.settings import Settings
from tests.concurrency import honouring_retry_after, one_connection_each
from tests.test_bursts import ledger_verifies, serve

pytestmark = pytest.mark.slow  # a real server and 150 requests at once

ADMIN_TOKEN = "terms-storm-admin"
QUANTITY = 10  # ten one-coin pebbles: a fee of 10 * bps // 10000 tells the terms apart
CHANGES = [5000, 7000, 1000, 9000, 2000, 6000, 4000, 8000, 5000, 7000, 1000, 9000]


async def storm(server, people: list[dict]) -> list[int]:
    run = secrets.token_hex(3)
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with httpx.AsyncClient(base_url=server.url, limits=one_connection_each(200), timeout=60) as client:
        start = asyncio.Event()

        async def purchase(n: int) -> int:
            person = people[n % len(people)]
            cookie = "; ".join(f"{name}={value}" for name, value in person["cookies"].items())
            await start.wait()
            await asyncio.sleep(n * 0.004)  # spread over the changes below
            body = {"product_id": "pebble", "quantity": QUANTITY, "amount": QUANTITY, "currency": "COIN"}
            answer = await honouring_retry_after(
                lambda: client.post(
                    f"/api/apps/{APP_ID}/purchases",
                    json={**body, "idempotency_key": f"{run}-{n}"},
                    headers={"Cookie": cookie, "X-CSRF-Token": person["csrf"]},
                )
            )
            return answer.status_code

        async def change(n: int, fee_bps: int) -> int:
            await start.wait()
            await asyncio.sleep(0.05 + n * 0.05)
            body = {"app_id": APP_ID, "fee_bps": fee_bps, "creator_commission_bps": 0, "reason": "storm"}
            terms = await honouring_retry_after(lambda: client.post("/api/admin/money/terms", json=body, headers=admin))
            return terms.status_code

        tasks = [asyncio.create_task(purchase(n)) for n in range(150)]
        tasks += [asyncio.create_task(change(n, fee)) for n, fee in enumerate(CHANGES)]
        await asyncio.sleep(0.2)
        start.set()
        return await asyncio.gather(*tasks)


def test_every_order_paid_the_terms_its_time_had_while_terms_changed_under_150_purchases(tmp_path, database_url):
    with serve(tmp_path, database_url, MINIS_ADMIN_TOKEN=ADMIN_TOKEN) as server:
        people = [funded_person(server, "coins-550") for _ in range(3)]
        statuses = run_apart(storm(server, people))
        assert set(statuses) == {200, 201}, statuses

        platform = Platform(Settings(data_dir=server.data_dir, database_url=database_url))
        try:
            with platform.db.session() as session:
                terms = session.scalars(select(MoneyTerms).where(MoneyTerms.app_id == APP_ID)).all()
                orders = session.scalars(select(Order).where(Order.app_id == APP_ID)).all()
                session.commit()
        finally:
            platform.close()
        assert len(terms) == len(CHANGES) and len(orders) == 150

        def bps_at(moment) -> int:
            """The app's terms at ``moment`` as its rows say (the defaults, 30 %, before them all)."""
            before = [row for row in terms if row.effective_at <= moment]
            return max(before, key=lambda row: (row.effective_at, row.id)).fee_bps if before else 3000

        wrong = [
            (order.paid_at.isoformat(), order.fee, bps_at(order.paid_at))
            for order in orders
            if order.fee != QUANTITY * bps_at(order.paid_at) // 10_000
        ]
        assert not wrong, f"{len(wrong)} orders paid other terms than their time's: {wrong[:5]}"
        assert ledger_verifies(server)
