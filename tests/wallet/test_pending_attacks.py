"""Attacks on the ledger's pending credits (hot accounts), as an outsider and a hostile load make
them: what a developer may withdraw while their sales are still pending, a read of a balance while
the posting job folds, a storm of purchases, refunds and payouts against a live ``minis serve``
whose posting lane runs beside them, and ``minis worker`` killed while it posts a large pending
set. On SQLite and PostgreSQL; the migration's attack is in tests/test_migrations.py."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import closing

import httpx
import pytest
from sqlalchemy import event, func, select

from openminis.liveserver import LiveServer
from openminis.wallet import service as ledger
from openminis.wallet.models import LedgerEntry
from openminis.wallet.posting import post_all
from openminis.wallet.service import COIN, Leg
from tests.payouts.live import (
    DEV,
    OPERATOR,
    Payee,
    answered_properly,
    at_once,
    developer_selling,
    platform_on,
    retried,
    server_per_database,
)
from tests.payouts.test_payouts import PRICE, books_hold, coins, days_pass, sell
from tests.studio import ADMIN_TOKEN
from tests.wallet.test_pending_credits import cached, pending
from tests.wallet.test_pending_credits import sell as sell_in_ledger

EARNED = PRICE - PRICE * 3000 // 10_000  # of a 1000-coin chest, the app keeps 700


def pending_of(session, account_id: int) -> int:
    return session.scalar(
        select(func.count()).select_from(LedgerEntry).where(LedgerEntry.pending, LedgerEntry.account_id == account_id)
    )


def earnings_account(platform, app_id: str) -> int:
    with platform.db.session() as session:
        return ledger.account_id(session, "app_earnings", app_id)


def admin_refund(client, order_id: str, key: str):
    return client.post(
        "/api/admin/money/refunds",
        json={"item": f"order:{order_id}", "reason": "attack", "idempotency_key": key},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )


# What a payee may withdraw while their sales are pending --------------------------------------


def test_what_is_withdrawable_counts_pending_sales_out_of_the_hold_and_never_those_in_it(
    client, platform, studio, player
):
    """Three sales out of the hold and two in it, all five still pending (nothing runs the posting
    job here): the payee may withdraw exactly the three, a refund of an old sale then comes out of
    what is held, and folding changes none of what the payee sees."""
    dev, headers = studio.developer, studio.headers
    old = sell(client, studio, player, 3, key="old")
    days_pass(platform, 15)
    new = sell(client, studio, player, 2, key="new")
    earnings = earnings_account(platform, studio.app_id)
    with platform.db.session() as session:
        assert pending_of(session, earnings) == 5 and cached(session, earnings) == 0

    seen = coins(dev.get(DEV).json())
    assert (seen["balance"], seen["withdrawable"], seen["pending"]) == (5 * EARNED, 3 * EARNED, 2 * EARNED)
    assert dev.put(
        f"{DEV}/account", json={"destination": "bank-1", "currency": "USD", "holder": "Studio One"}, headers=headers
    ).is_success
    too_much = dev.post(
        DEV,
        json={"source": "COIN", "amount": 3 * EARNED + 1, "expect": 3 * EARNED + 1, "idempotency_key": "greedy"},
        headers=headers,
    )
    assert (too_much.status_code, too_much.json()["code"]) == (422, "NOT_WITHDRAWABLE")
    made = dev.post(
        DEV,
        json={"source": "COIN", "amount": 3 * EARNED, "expect": 3 * EARNED, "idempotency_key": "all"},
        headers=headers,
    )
    assert made.status_code == 201 and made.json()["source_amount"] == 3 * EARNED, made.text
    with platform.db.session() as session:
        # The payout's debit folded the earnings' pending credits first, under the row's lock.
        assert pending_of(session, earnings) == 0 and cached(session, earnings) == 2 * EARNED

    # A refund of an old sale takes from what is held, since what was withdrawable left.
    assert admin_refund(client, old[0]["id"], "r0").status_code == 200
    sell(client, studio, player, 1, key="newer")  # a pending credit again
    before_fold = coins(dev.get(DEV).json())
    assert (before_fold["balance"], before_fold["withdrawable"], before_fold["in_payout"]) == (
        2 * EARNED,
        0,
        3 * EARNED,
    )
    # Asked for more, the payee is told where the rest is: the hold, and the payout waiting for
    # finance ("the rest is in the hold or paid out" was said with all of it there, a probe, attack54).
    more = dev.post(DEV, json={"source": "COIN", "amount": 1, "expect": 1, "idempotency_key": "more"}, headers=headers)
    assert (more.status_code, more.json()["code"]) == (422, "NOT_WITHDRAWABLE")
    assert more.json()["message"] == (
        f"0 COIN is withdrawable now; the rest is {2 * EARNED} COIN in the 14-day hold, "
        f"{3 * EARNED} COIN in payouts under way or paid out"
    ), more.json()
    assert post_all(platform.db, platform.settings.posting_batch) > 0
    assert coins(dev.get(DEV).json()) == before_fold  # folding is invisible to the payee

    # Refunds until the app has nothing left: the next is refused for want of earnings, as a 402,
    # and gives nothing back.
    assert admin_refund(client, old[1]["id"], "r1").status_code == 200
    assert admin_refund(client, old[2]["id"], "r2").status_code == 200
    assert coins(dev.get(DEV).json())["balance"] == 0
    wallet_before = player.get("/api/wallet").json()["balance"]
    broke = admin_refund(client, new[0]["id"], "r-broke")
    assert broke.status_code == 402 and broke.json()["code"] == "INSUFFICIENT_FUNDS", broke.text
    assert player.get("/api/wallet").json()["balance"] == wallet_before
    books_hold(platform)


# A read while the posting job folds ---------------------------------------------------------

# On PostgreSQL (READ COMMITTED) each statement sees the database as of its own start: a balance
# read as two statements (the cached balance, then the pending sum) with a fold committed between
# them missed the folded credits, and verify counted them twice. Each read is one statement now.


def folding_before(session, marker: str, platform) -> list[int]:
    """Run the posting job, in a transaction of its own, just before this session's first
    statement that contains ``marker``: the worst moment for a read. Returns what it folded."""
    folded: list[int] = []

    @event.listens_for(session.connection(), "before_cursor_execute")
    def fold(_conn, _cursor, statement, _params, _context, _many) -> None:
        if marker in statement and not folded:
            folded.append(post_all(platform.db, platform.settings.posting_batch))

    return folded


def test_a_balance_read_while_the_posting_job_folds_is_the_balance(platform, shop):
    _wallet, earnings, _revenue = shop
    with platform.db.session() as session:
        for n in range(5):
            sell_in_ledger(session, shop, f"sale:{n}")
        session.commit()
    with platform.db.read_session() as reader:
        reader.execute(select(1))  # the reader's transaction (on SQLite, its snapshot) has begun
        folded = folding_before(reader, "pending", platform)
        seen = ledger.balance(reader, earnings)
    assert folded == [10]
    assert seen == 5 * 7


def test_verify_while_the_posting_job_folds_finds_no_problem(platform, shop):
    with platform.db.session() as session:
        for n in range(5):
            sell_in_ledger(session, shop, f"sale:{n}")
        session.commit()
    with platform.db.read_session() as reader:
        reader.execute(select(1))
        folded = folding_before(reader, "FROM accounts", platform)
        check = ledger.verify(reader)
    assert folded == [10]
    assert check.ok, check.problems


# minis worker killed while it posts -----------------------------------------------------------

SALES = 1_000  # 2,000 pending credits: four of the posting job's batches of 500
BATCH = 500


@pytest.mark.slow  # 1,000 sales made in-process first
def test_a_worker_killed_mid_posting_leaves_every_credit_folded_once_after_a_restart(platform, shop, tmp_path):
    wallet, earnings, revenue = shop
    with platform.db.session() as session:
        ledger.transfer(
            session,
            key="more-coins",
            kind="topup",
            currency=COIN,
            legs=[Leg(wallet, SALES * 10), Leg(ledger.account_id(session, "coin_issuance"), -SALES * 10)],
        )
        for n in range(SALES):
            sell_in_ledger(session, shop, f"bulk:{n}")
        session.commit()
        assert pending(session) == 2 * SALES

    env = {
        **os.environ,
        "MINIS_DATABASE_URL": platform.settings.database_url,
        "MINIS_SECRET_KEY": "attack-secret",
        "MINIS_BROWSER_CHECKS": "false",
        "MINIS_POSTING_BATCH": str(BATCH),
    }
    data = tmp_path / "worker-data"
    data.mkdir()

    def left() -> int:
        with platform.db.read_session() as session:
            return pending(session)

    with open(tmp_path / "worker.log", "w") as log:
        worker = LiveServer.commands.popen(
            ["worker", "--data-dir", str(data)], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            give_up = time.monotonic() + 60
            # Killed as soon as its first batch committed: the next is in flight.
            while left() == 2 * SALES:
                assert worker.poll() is None, (tmp_path / "worker.log").read_text()[-2000:]
                assert time.monotonic() < give_up, "the worker posted nothing in 60 s"
                time.sleep(0.005)
            worker.send_signal(signal.SIGKILL)
        finally:
            if worker.poll() is None:
                worker.kill()
            worker.wait(timeout=10)
    remaining = left()
    print(f"\nworker killed with {remaining} of {2 * SALES} credits pending")
    assert 0 < remaining < 2 * SALES, "the worker finished before it was killed: the test proved nothing"
    with platform.db.read_session() as session:
        check = ledger.verify(session)
        assert check.ok, check.problems  # what the killed batch folded is either all in or all out

    # A restarted worker (here its one round, --once) folds the rest, each credit once.
    again = LiveServer.commands.run(["worker", "--once", "--data-dir", str(data)], env=env)
    assert again.returncode == 0, again.stdout
    assert f"posted {remaining} pending ledger credits" in again.stdout
    with platform.db.read_session() as session:
        assert pending(session) == 0
        assert (cached(session, earnings), cached(session, revenue)) == (SALES * 7, SALES * 3)
        assert cached(session, wallet) == 1000
        check = ledger.verify(session)
        assert check.ok, check.problems


# A storm against a live server ------------------------------------------------------------------

GEM = 100  # coins; the app keeps 70
KEPT = GEM - GEM * 3000 // 10_000
PLAYERS, EARLY, STORM = 30, 2, 8  # each player buys 2 gems before the hold ends, 8 in the storm


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def live(request, tmp_path_factory) -> Iterator[LiveServer]:
    """One ``minis serve`` per database, its embedded posting lane folding pending credits."""
    with server_per_database(request, tmp_path_factory, minimum=100) as server:
        yield server


def gem_studio(server: LiveServer) -> Payee:
    """A developer who published an app through review that sells a gem for GEM coins."""
    return developer_selling(server, studio="Gem Studio", product="gem", price=GEM)


def purchase(server: LiveServer, app_id: str, player: dict, key: str) -> dict:
    cookie = "; ".join(f"{name}={value}" for name, value in player["cookies"].items())
    return {
        "method": "POST",
        "url": f"/api/apps/{app_id}/purchases",
        "json": {"product_id": "gem", "idempotency_key": key, "amount": GEM, "currency": "COIN"},
        "headers": {"X-CSRF-Token": player["csrf"], "Cookie": cookie, "Origin": server.url},
    }


def settled_answers(server: LiveServer, requests: list[dict], allowed: set[int]) -> list[tuple[int, dict, dict]]:
    """All at once, then each "not now" retried as a client does; every answer one of ``allowed``."""
    answers = retried(server, requests, at_once(server, requests, timeout=60))
    answered_properly(answers, allowed)
    stuck = [(status, body) for status, body, _ in answers if status >= 500]
    assert not stuck, f"still refused after retries (a deadlock?): {stuck[:3]}"
    return answers


@pytest.mark.slow  # a live server per database and ~300 requests at once
def test_a_storm_of_purchases_refunds_and_payouts_loses_nothing_and_counts_nothing_twice(live):
    from bench.burst import funded_person

    studio = gem_studio(live)
    app_id = studio.app_id
    with closing(studio.client):
        players = [funded_person(live, "coins-1200") for _ in range(PLAYERS)]  # 1200 coins each
        early = settled_answers(
            live,
            [purchase(live, app_id, p, f"early-{n}-{i}") for n, p in enumerate(players) for i in range(EARLY)],
            {200},
        )
        early_orders = [(n // EARLY, body["id"]) for n, (_, body, _) in enumerate(early)]
        with platform_on(live.env, live.data_dir) as platform:
            days_pass(platform, 15)
        withdrawable = PLAYERS * EARLY * KEPT  # 4200 coins
        assert coins(studio.client.get(DEV).json())["withdrawable"] == withdrawable
        first = studio.post(DEV, source="COIN", amount=300, expect=300, idempotency_key="before")
        assert first.status_code == 201, first.text

        # At once: every player's purchases, refunds of 40 of the early orders, finance rejecting
        # the payout asked before, and six payouts of 500 coins (together with the refunds more
        # than is withdrawable).
        refunded = early_orders[:40]
        requests = [
            *(purchase(live, app_id, p, f"storm-{n}-{i}") for n, p in enumerate(players) for i in range(STORM)),
            *(
                {
                    "method": "POST",
                    "url": "/api/admin/money/refunds",
                    "json": {"item": f"order:{order}", "reason": "storm", "idempotency_key": f"refund-{order}"},
                    "headers": OPERATOR,
                }
                for _, order in refunded
            ),
            {
                "method": "POST",
                "url": f"/api/admin/payouts/{first.json()['id']}/reject",
                "json": {"reason": "storm"},
                "headers": OPERATOR,
            },
            *(
                {
                    "method": "POST",
                    "url": DEV,
                    "json": {"source": "COIN", "amount": 500, "expect": 500, "idempotency_key": f"storm-{n}"},
                }
                | studio.as_request()
                for n in range(6)
            ),
        ]
        answers = settled_answers(live, requests, {200, 201, 402, 422})
        sales = answers[: PLAYERS * STORM]
        refunds = answers[PLAYERS * STORM : PLAYERS * STORM + len(refunded)]
        rejected, payouts = answers[PLAYERS * STORM + len(refunded)], answers[-6:]
        assert Counter(status for status, _, _ in sales) == {200: PLAYERS * STORM}  # 1000 coins each covered
        assert rejected[0] == 200 and rejected[1]["status"] == "rejected", rejected[1]
        given_back = {order for (_, order), (status, body, _) in zip(refunded, refunds, strict=True) if status == 200}
        refused = [body for status, body, _ in refunds if status != 200]
        assert all(body["code"] == "INSUFFICIENT_FUNDS" for body in refused), refused
        taken = sum(body["source_amount"] for status, body, _ in payouts if status == 201)
        assert all(body["code"] == "NOT_WITHDRAWABLE" for status, body, _ in payouts if status == 422), payouts
        print(
            f"\nstorm: {len(given_back)} of {len(refunded)} refunds, "
            f"{sum(status == 201 for status, _, _ in payouts)} of 6 payouts ({taken} coins)"
        )
        assert taken <= withdrawable  # no payout took what was held

        # The posting lane folds everything; then the books, exactly.
        with platform_on(live.env, live.data_dir) as platform:
            give_up = time.monotonic() + 30
            while True:
                with platform.db.read_session() as session:
                    if not pending(session):
                        break
                assert time.monotonic() < give_up, "the server's posting lane left credits pending for 30 s"
                time.sleep(0.2)
            sold = PLAYERS * (EARLY + STORM)
            with platform.db.read_session() as session:
                earnings = ledger.account_id(session, "app_earnings", app_id)
                assert cached(session, earnings) == sold * KEPT - len(given_back) * KEPT - taken
            books_hold(platform)
        seen = coins(studio.client.get(DEV).json())
        assert seen["balance"] == sold * KEPT - len(given_back) * KEPT - taken
        assert seen["withdrawable"] == max(withdrawable - len(given_back) * KEPT - taken, 0)
        for n, player in enumerate(players):
            back = sum(GEM for who, order in refunded if who == n and order in given_back)
            wallet = httpx.get(f"{live.url}/api/wallet", cookies=player["cookies"], timeout=30).json()
            assert wallet["balance"] == 1200 - (EARLY + STORM) * GEM + back
        verify = live.commands.run(["ledger", "verify", "--data-dir", str(live.data_dir)], env=live.env)
        assert verify.returncode == 0, verify.stdout
