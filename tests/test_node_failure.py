"""Two ``minis serve`` nodes on one PostgreSQL database, as behind a load balancer, and one of them
killed with SIGKILL in the middle of a person's purchases (issue 16, item 5): the other node keeps
serving, a client that retries what went unanswered on the surviving node (same idempotency keys)
gets every purchase either paid once or refused for want of coins, and the ledger verifies."""

from __future__ import annotations

import signal
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from bench.burst import APP_ID, PRODUCT, UNLIMITED, funded_person, purchase_body, shop_package
from openminis.liveserver import LiveServer
from tests.conftest import postgres_database

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

PURCHASES = 150  # one pebble each, from a wallet of 100 coins


def test_killing_one_of_two_nodes_mid_purchases_loses_nothing_and_the_other_keeps_serving(tmp_path):
    with postgres_database() as database:
        data = tmp_path / "data"
        data.mkdir()
        env = {**UNLIMITED, "MINIS_DATABASE_URL": database, "MINIS_ANALYTICS_URL": database}
        with (
            LiveServer(data, env=env, packages=[shop_package(tmp_path / "pkg")]) as a,
            LiveServer(data, env=env) as b,
        ):
            person = funded_person(a)
            headers = {"X-CSRF-Token": person["csrf"]}
            keys = [f"node-{n}" for n in range(PURCHASES)]

            def buy(server: LiveServer, key: str) -> tuple[int, dict] | None:
                """The answer, or None when the node died before answering."""
                try:
                    with httpx.Client(base_url=server.url, cookies=person["cookies"], timeout=30) as client:
                        answer = client.post(f"/api/apps/{APP_ID}/purchases", json=purchase_body(key), headers=headers)
                except httpx.TransportError:
                    return None
                return answer.status_code, answer.json()

            with ThreadPoolExecutor(16) as pool:
                # Alternate nodes, as a load balancer would; A dies while the purchases are in flight.
                futures = {key: pool.submit(buy, (a, b)[n % 2], key) for n, key in enumerate(keys)}
                time.sleep(0.3)
                a.process.send_signal(signal.SIGKILL)
                first = {key: future.result() for key, future in futures.items()}

            assert a.process.wait(timeout=10) == -signal.SIGKILL
            lost = [key for key, answer in first.items() if answer is None or answer[0] >= 500]
            assert lost, "A died before any purchase reached it: the test proved nothing"
            print(f"\n{len(lost)} of {PURCHASES} purchases unanswered when node A died")
            # The client retries what got no answer on the surviving node, with the same keys.
            final = {key: answer for key, answer in first.items() if key not in lost}
            final |= {key: buy(b, key) for key in lost}

            statuses = Counter(answer[0] for answer in final.values() if answer is not None)
            assert statuses == {200: 100, 402: PURCHASES - 100}, statuses
            paid = {answer[1]["id"] for answer in final.values() if answer is not None and answer[0] == 200}
            assert len(paid) == 100  # each paid key has its own order; no key was paid twice
            wallet = httpx.get(f"{b.url}/api/wallet", cookies=person["cookies"], timeout=30).json()
            assert wallet["balance"] == 100 - 100 * PRODUCT["price"]
            verify = b.commands.run(["ledger", "verify", "--data-dir", str(data)], env=b.env)
            assert verify.returncode == 0, verify.stdout
