"""Events the server records (conversions, ad events, served cards) are written to the analytics store in
batches, off the request path. A batch the store refuses is kept and written again once the store is
back: a probe saw the PostgreSQL analytics store refuse connections during a burst ("too many clients"),
and the 75 events of those moments were logged and dropped, so the funnel showed 0 paid against 34
orders in the ledger, for good."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import psycopg
import pytest

from openminis.analytics.conversions import ConversionEvents
from openminis.events.store import PostgresEventStore
from openminis.liveserver import PG_ADMIN
from tests.conftest import postgres_database

pytestmark = pytest.mark.postgres


def set_connections(database: str, *, allowed: bool) -> None:
    """The database's own switch: refused, every connection to it fails as a full server's would
    (its open connections are ended, so the store's pool has to connect anew)."""
    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as admin:
        admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS {str(allowed).lower()}')
        if not allowed:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [database])


def set_read_only(database: str, *, read_only: bool) -> None:
    """The database as a standby is during a failover, or during maintenance: it answers, and refuses writes."""
    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as admin:
        admin.execute(f'ALTER DATABASE "{database}" SET default_transaction_read_only = {"on" if read_only else "off"}')
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [database])


def paid(events: ConversionEvents, user: str) -> None:
    events.record(
        "paid", app_id="shop", user_id=user, launch_id=None, source="feed", post_id=None, creator_id=None,
        revenue=100, currency="COIN", at=datetime.now(UTC),
    )  # fmt: skip


def stored_users(store: PostgresEventStore) -> list[str]:
    return sorted(row[0] for row in store.query("SELECT user_id FROM events WHERE type = 'paid'"))


def test_conversions_recorded_while_the_analytics_database_refuses_connections_are_written_once_it_is_back():
    with postgres_database() as url:
        database = url.rsplit("/", 1)[1]
        store = PostgresEventStore(url)
        events = ConversionEvents(lambda: store, max_wait=0.05)
        try:
            paid(events, "before")
            events.flush()
            set_connections(database, allowed=False)
            for n in range(5):
                paid(events, f"during-{n}")
            events.flush()  # a reader's flush while the store refuses: nothing raised, nothing lost
            set_connections(database, allowed=True)
            deadline = time.monotonic() + 60
            while stored_users(store) != ["before", *(f"during-{n}" for n in range(5))]:
                assert time.monotonic() < deadline, stored_users(store)
                time.sleep(0.2)
            paid(events, "after")
            events.flush()
            # Each once: the retried batch is not written twice.
            assert stored_users(store) == ["after", "before", *(f"during-{n}" for n in range(5))]
        finally:
            set_connections(database, allowed=True)
            store.close()


def test_conversions_recorded_while_the_analytics_database_is_read_only_are_written_once_it_takes_writes():
    """The attack on the first version: with the analytics database read-only, 776 paid events were
    dropped as if their content were at fault ("cannot execute COPY FROM in a read-only transaction")."""
    with postgres_database() as url:
        database = url.rsplit("/", 1)[1]
        store = PostgresEventStore(url)
        events = ConversionEvents(lambda: store, max_wait=0.05)
        try:
            set_read_only(database, read_only=True)
            for n in range(3):
                paid(events, f"during-{n}")
            events.flush()
            set_read_only(database, read_only=False)
            deadline = time.monotonic() + 60
            while stored_users(store) != [f"during-{n}" for n in range(3)]:
                assert time.monotonic() < deadline, stored_users(store)
                time.sleep(0.2)
        finally:
            set_read_only(database, read_only=False)
            store.close()
