"""Engine, sessions and the declarative base shared by every domain's tables."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on SQLite too (which stores naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    # Named constraints, so that migrations can alter them on SQLite and PostgreSQL alike.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map = {datetime: UTCDateTime()}


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            # pysqlite's own transaction handling breaks SAVEPOINT and begins lazily; take it over.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        # SQLite has one writer at a time. Transactions begin IMMEDIATE, taking the write lock up
        # front, so one that reads then writes waits its turn instead of failing with SQLITE_BUSY
        # when another writer committed in between. Within this process they queue on a Python
        # lock first: SQLite's own busy handler waits by sleeping (up to 100 ms a step), which
        # leaves the lock idle while every waiter sleeps. Other processes still meet busy_timeout.
        turn = threading.Lock()

        def _release(connection) -> None:
            if connection.info.pop("minis_turn", False):
                turn.release()

        @event.listens_for(engine, "begin")
        def _begin_immediate(connection):
            if not turn.acquire(timeout=30):
                raise TimeoutError("waited 30 s for the SQLite write lock")
            connection.info["minis_turn"] = True
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                _release(connection)
                raise

        event.listen(engine, "commit", _release)
        event.listen(engine, "rollback", _release)

        @event.listens_for(engine, "checkin")
        def _released_on_return(dbapi_connection, record):
            # A connection returned to the pool mid-transaction is rolled back by the pool, with
            # no rollback event on the Connection: give the turn back here too. (Connection.info
            # is this record's info.)
            if record.info.pop("minis_turn", False):
                turn.release()

        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


class Database:
    """The engine and a session factory; services receive sessions, never the engine."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.sessions() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def insert_ignoring_conflicts(session: Session, table, values: dict) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING, on SQLite and PostgreSQL: True if the row was inserted.

    One statement where a savepoint, an insert and a rollback would be three: for rows whose
    uniqueness is the idempotency (an event seen, a job queued, an openid remembered).
    """
    # RETURNING, not rowcount: psycopg reports -1 as the row count of this statement.
    key = next(iter(table.__table__.primary_key.columns))
    statement = dialect_insert(session, table).values(**values).on_conflict_do_nothing().returning(key)
    return session.execute(statement).first() is not None


def dialect_insert(session: Session, table):
    """An INSERT of the session's dialect, which has ``on_conflict_do_nothing`` (SQLite and PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)
