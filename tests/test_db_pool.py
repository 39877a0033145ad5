"""PostgreSQL's pooled connections: one that the server dropped while it rested in the pool is
replaced on checkout, so the next unit of work never meets it (db.py: _ping_after_idle)."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from openminis import db
from openminis.db import Database
from tests.conftest import PG_ADMIN

pytestmark = pytest.mark.postgres


def backend_pid(database: Database) -> int:
    with database.session() as session:
        return int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_connection_the_server_dropped_while_it_rested_is_replaced_before_use(postgres_url, monkeypatch):
    database = Database(postgres_url, pool_size=3)
    try:
        first = backend_pid(database)
        assert backend_pid(database) == first  # back within the second: the same connection, untried
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [first])
        monkeypatch.setattr(db, "PING_AFTER_IDLE", 0.0)  # it has rested long enough to be tried
        replaced = backend_pid(database)
        assert replaced != first
    finally:
        database.dispose()


def test_a_connection_dropped_within_the_second_fails_its_unit_whole_and_the_next_gets_a_new_one(postgres_url):
    database = Database(postgres_url, pool_size=3)
    try:
        first = backend_pid(database)
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [first])
        with pytest.raises(OperationalError), database.session() as session:
            session.execute(text("SELECT pg_backend_pid()"))
        assert backend_pid(database) != first
    finally:
        database.dispose()
