"""A closed platform leaves no database connection open: not one still in use when it closed,
nor one opened by something that used it afterwards (an analytics timer, a late request).
Otherwise the garbage collector closes them later, in whatever test or request runs then."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from openminis.events.store import PostgresEventStore


def raw_connection(session: Any) -> Any:
    return session.connection().connection.dbapi_connection


def is_closed(raw: Any) -> bool:
    try:
        raw.cursor().close()  # sqlite3 and psycopg both refuse a cursor on a closed connection
    except Exception:
        return True
    return False


def test_a_connection_in_use_when_the_platform_closes_is_closed_when_it_returns(platform):
    session = platform.db.sessions()
    session.execute(text("SELECT 1"))
    raw = raw_connection(session)

    platform.close()
    assert not is_closed(raw)  # its holder still has it
    session.close()

    assert is_closed(raw)


def test_a_connection_opened_after_the_platform_closed_is_closed_when_it_returns(platform):
    platform.close()
    with platform.db.sessions() as session:
        session.execute(text("SELECT 1"))
        raw = raw_connection(session)

    assert is_closed(raw)


@pytest.mark.postgres
def test_the_postgresql_event_store_closes_its_late_connections_too(postgres_url):
    store = PostgresEventStore(postgres_url)
    store.close()
    with store._engine.connect() as connection:
        raw = connection.connection.dbapi_connection
    assert is_closed(raw)
