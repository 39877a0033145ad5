"""``minis backup`` taken while a real server sells, restored into a fresh data dir and database:
the ledger verifies, every balance is the original's at one moment, people stay signed in."""

from __future__ import annotations

import threading
import time
from contextlib import ExitStack

import httpx
import pytest
from sqlalchemy import create_engine, text

from bench.backup import minis
from bench.load import write_package
from openminis.liveserver import LiveServer
from tests.conftest import postgres_database

PRODUCT = {"id": "marble", "type": "consumable", "price": 3, "title": {"en": "Marble"}}
OPEN = {
    "MINIS_RATE_PER_IP": "1000000/minute",
    "MINIS_RATE_PER_APP": "1000000/minute",
    "MINIS_RATE_CHANGES_PER_IP": "1000000/minute",
    "MINIS_RATE_CHANGES_PER_PERSON": "1000000/minute",
    "MINIS_RATE_GUESTS_PER_IP": "1000000/minute",
    "MINIS_SANDBOX_PAYMENTS": "true",
    "MINIS_SECRET_KEY": "",  # the secret made in the data dir travels with the backup
}


def shopper(server: LiveServer) -> httpx.Client:
    client = httpx.Client(base_url=server.url, timeout=30)
    client.headers["X-CSRF-Token"] = client.get("/api/me").json()["csrf_token"]
    pack = next(p for p in client.get("/api/wallet/packs").json()["items"] if p["id"] == "coins-550")
    topup = client.post(
        "/api/wallet/topups",
        json={
            "pack_id": pack["id"],
            "amount": pack["amount"],
            "currency": pack["currency"],
            "coins": pack["coins"] + pack["bonus_coins"],
        },
    )
    assert topup.status_code == 201, topup.text
    paid = client.post(f"/api/wallet/topups/{topup.json()['id']}/sandbox/pay", json={"card_number": "4242424242424242"})
    assert paid.json()["status"] == "succeeded", paid.text
    return client


def shop(client: httpx.Client, name: str, stop: threading.Event, paid: list) -> None:
    n = 0
    while not stop.is_set():
        body = {
            "product_id": PRODUCT["id"],
            "idempotency_key": f"{name}-{n}",
            "amount": PRODUCT["price"],
            "currency": "COIN",
        }
        if client.post("/api/apps/marble-shop/purchases", json=body).status_code == 200:
            paid.append(name)
        n += 1


def balances(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as connection:
        # The balance as the ledger reads it: cached, plus the credits still pending (wallet/service.py).
        rows = dict(
            connection.execute(
                text(
                    "SELECT a.id, a.balance + COALESCE((SELECT SUM(e.amount) FROM ledger_entries e"
                    " WHERE e.account_id = a.id AND e.pending), 0) FROM accounts a"
                )
            ).all()
        )
    engine.dispose()
    return rows


def entries_after(url: str, transfers_kept: set[str]) -> dict[str, int]:
    """Per account, what the original's transfers that the backup does not have added up to."""
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT transfer_id, account_id, amount FROM ledger_entries")).all()
    engine.dispose()
    later: dict[str, int] = {}
    for transfer_id, account_id, amount in rows:
        if transfer_id not in transfers_kept:
            later[account_id] = later.get(account_id, 0) + amount
    return later


def transfer_ids(url: str) -> set[str]:
    engine = create_engine(url)
    with engine.connect() as connection:
        ids = set(connection.execute(text("SELECT id FROM ledger_transfers")).scalars())
    engine.dispose()
    return ids


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def databases(request):
    """The serving database's and the restore target's environment (SQLite: each data dir's own file)."""
    if request.param == "sqlite":
        yield {}, {}
        return
    with ExitStack() as stack:
        yield (
            {"MINIS_DATABASE_URL": stack.enter_context(postgres_database())},
            {"MINIS_DATABASE_URL": stack.enter_context(postgres_database())},
        )


@pytest.fixture
def two_postgres_databases():
    with ExitStack() as stack:
        yield (
            {"MINIS_DATABASE_URL": stack.enter_context(postgres_database())},
            {"MINIS_DATABASE_URL": stack.enter_context(postgres_database())},
        )


@pytest.mark.slow
def test_a_backup_taken_during_purchases_restores_into_a_fresh_data_dir_with_the_ledger_verified_and_balances_equal(
    tmp_path, databases
):
    round_trip(tmp_path, *databases)


@pytest.mark.slow
@pytest.mark.postgres
def test_without_pg_dump_a_postgresql_backup_is_one_repeatable_read_snapshot_and_restores_the_same(
    tmp_path, two_postgres_databases
):
    source_env, target_env = two_postgres_databases
    # No PATH: no pg_dump nor pg_restore to find (the commands run by absolute path).
    parts = round_trip(tmp_path, source_env, target_env, tools={"PATH": str(tmp_path / "no-tools")})
    assert (tmp_path / "backup" / "snapshot" / "ledger_entries.jsonl").exists() and not (
        tmp_path / "backup" / "database.dump"
    ).exists()
    assert "snapshot" in parts


def round_trip(tmp_path, source_env: dict, target_env: dict, tools: dict | None = None) -> str:
    """Serve and sell, back up meanwhile, restore into a fresh data dir and database, check it all;
    returns what the backup command said it took."""
    tools = tools or {}
    data, fresh, folder = tmp_path / "data", tmp_path / "fresh", tmp_path / "backup"
    data.mkdir()
    package = write_package(
        tmp_path / "pkg",
        id="marble-shop",
        name="Marble Shop",
        category="benchmark",
        description="Sells marbles.",
        products=[PRODUCT],
    )
    env = {**OPEN, **source_env}
    with LiveServer(data, packages=[package], env=env) as server:
        clients = [shopper(server) for _ in range(4)]
        stop, paid = threading.Event(), []
        threads = [
            threading.Thread(target=shop, args=(client, f"s{i}", stop, paid)) for i, client in enumerate(clients)
        ]
        for thread in threads:
            thread.start()
        try:
            while len(paid) < 20:
                time.sleep(0.05)
            before = len(paid)
            taken = minis({**env, **tools, "MINIS_DATA_DIR": str(data)}, "backup", str(folder))
            during = len(paid) - before
        finally:
            stop.set()
            for thread in threads:
                thread.join()
        cookies = [dict(client.cookies) for client in clients]
        for client in clients:
            client.close()
    assert taken.returncode == 0, taken.stdout + taken.stderr
    assert during > 0, "no purchase was made while the backup ran"
    assert (
        minis({**env, "MINIS_DATA_DIR": str(data)}, "backup", str(folder)).returncode == 1
    )  # never over an old backup

    restored = minis({**OPEN, **target_env, **tools, "MINIS_DATA_DIR": str(fresh)}, "restore", str(folder))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    again = minis({**OPEN, **target_env, **tools, "MINIS_DATA_DIR": str(fresh)}, "restore", str(folder))
    assert again.returncode == 1 and "RESTORE_TARGET_IN_USE" in again.stdout  # never over data without --force
    verified = minis({**OPEN, **target_env}, "ledger", "verify", "--data-dir", str(fresh))
    assert verified.returncode == 0, verified.stdout + verified.stderr

    # Every balance is the original's at one moment: the original's, less the transfers made after it.
    original_url = source_env.get("MINIS_DATABASE_URL") or f"sqlite:///{data / 'minis.db'}"
    restored_url = target_env.get("MINIS_DATABASE_URL") or f"sqlite:///{fresh / 'minis.db'}"
    kept = transfer_ids(restored_url)
    later = entries_after(original_url, kept)
    assert kept <= transfer_ids(original_url) and len(kept) >= 4 + 20
    assert balances(restored_url) == {
        account: balance - later.get(account, 0)
        for account, balance in balances(original_url).items()
        if account in balances(restored_url)
    }
    assert set(balances(original_url)) - set(balances(restored_url)) <= set(
        later
    )  # only accounts first used after the backup are missing

    # The restored platform serves: the package, and the same people, still signed in, with their restored coins.
    assert sorted(p.name for p in (fresh / "packages").iterdir()) == sorted(
        p.name for p in (data / "packages").iterdir()
    )
    with LiveServer(fresh, env={**OPEN, **target_env}) as again:
        engine = create_engine(restored_url)
        with engine.connect() as connection:
            wallets = dict(
                connection.execute(text("SELECT owner_id, balance FROM accounts WHERE kind = 'user_wallet'")).all()
            )
        engine.dispose()
        for jar in cookies:
            with httpx.Client(base_url=again.url, cookies=jar, timeout=30) as client:
                me = client.get("/api/me").json()["user"]["id"]
                assert client.get("/api/wallet").json()["balance"] == wallets[me]
    return taken.stdout
