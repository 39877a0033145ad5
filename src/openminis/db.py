"""Engine, sessions and the declarative base shared by every domain's tables."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from sqlalchemy import Connection, DateTime, Dialect, Engine, MetaData, create_engine, event, func, make_url, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine.interfaces import DBAPIConnection, DBAPICursor, ExecutionContext
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.types import TypeDecorator, TypeEngine

from openminis.errors import Unavailable


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on SQLite too (which stores naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
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
    type_annotation_map: ClassVar[dict[type[Any], TypeEngine[Any]]] = {datetime: UTCDateTime()}


def utcnow() -> datetime:
    return datetime.now(UTC)


def json_time(value: datetime) -> str:
    """A time as the APIs write it (Pydantic's form): UTC, ending in ``Z``. A backend read
    ``+00:00`` in its notifications and ``Z`` in the Open API's answers for the same order."""
    return as_utc(value).isoformat().replace("+00:00", "Z")


def as_utc(value: datetime) -> datetime:
    """A time as a UTC column holds it: a naive one is taken as UTC; one whose UTC falls outside
    years 1 to 9999 is a ValueError (an input's 422), not a row that cannot be read back."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the time is out of range once converted to UTC") from None


class DatabaseBusy(Unavailable):
    """The database could not be had in time (the write lock, a pooled connection): nothing was
    done, and the same request may succeed in a moment."""

    code = "DATABASE_BUSY"
    retry_after = 1.0


def busy(exc: BaseException) -> DatabaseBusy | None:
    """The DatabaseBusy that a driver's or the pool's error means, if it means "not now": a pool
    checkout that timed out, SQLite's busy or locked, PostgreSQL unreachable, restarting or its
    connection ended, or a lock timeout."""
    import psycopg
    from psycopg_pool import PoolTimeout as LoopPoolTimeout
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    # The second: the pool of the reads a request makes on the event loop (loop_reads.py).
    if isinstance(exc, PoolTimeout | LoopPoolTimeout):
        return DatabaseBusy("no database connection was free in time")
    # psycopg's own, unwrapped: the reads on the event loop use it without SQLAlchemy.
    if isinstance(exc, psycopg.OperationalError):
        return DatabaseBusy("the database connection was lost")
    if isinstance(exc, OperationalError):
        name = getattr(exc.orig, "sqlite_errorname", "")
        if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or type(exc.orig).__module__.startswith("psycopg"):
            return DatabaseBusy("the database is busy")
    return None


# Statements that change the database: in a read session on SQLite they first take the write turn.
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER")

# Sessions of web requests say so in their engine's execution options (see Database.web_sessions):
# how long they may wait for the write lock, and whether they only read.
READS = "minis_reads"
LOCK_WAIT = "minis_lock_wait"


def make_engine(url: str, *, pool_size: int = 30, pool_wait: float = 30, lock_wait: float = 30) -> Engine:
    """The engine for ``url``: ``pool_size`` connections at most, each checkout waiting at most
    ``pool_wait`` seconds; on SQLite, a writer waits at most ``lock_wait`` seconds for its turn
    (a session can ask for less through the LOCK_WAIT execution option); on PostgreSQL, a
    statement waits at most ``lock_wait`` seconds for a lock."""
    if url.startswith("sqlite"):
        # A fixed pool as large as PostgreSQL's: requests are admitted up to that many at once
        # (web/admission.py), so a checkout never waits behind a burst.
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": lock_wait},
            pool_size=pool_size,
            max_overflow=0,
            pool_timeout=pool_wait,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
            # pysqlite's own transaction handling breaks SAVEPOINT and begins lazily; take it over.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(lock_wait * 1000)}")
            cursor.close()

        # SQLite has one writer at a time. Write transactions begin IMMEDIATE, taking the write lock
        # up front, so one that reads then writes waits its turn instead of failing with SQLITE_BUSY
        # when another writer committed in between. Within this process they queue on a Python
        # lock first: SQLite's own busy handler waits by sleeping (up to 100 ms a step), which
        # leaves the lock idle while every waiter sleeps. Other processes still meet busy_timeout.
        # Read sessions (GET requests) begin DEFERRED and take no turn: WAL readers run beside the
        # writer and each other.
        turn = threading.Lock()

        def _take_turn(connection: Connection) -> None:
            wait = connection.get_execution_options().get(LOCK_WAIT, lock_wait)
            if not turn.acquire(timeout=wait):
                raise DatabaseBusy(f"waited {wait:g} s for the SQLite write lock")
            connection.info["minis_turn"] = True

        def _release(connection: Connection) -> None:
            if connection.info.pop("minis_turn", False):
                turn.release()

        # BEGIN goes straight to the driver: through exec_driver_sql it cost a GET on SQLite 12 % of
        # its server CPU (SQLAlchemy's execution path, its events and a result object, for a
        # statement that returns nothing).
        def _send(connection: Connection, statement: str) -> None:
            driver = connection.connection.driver_connection
            assert driver is not None  # (a connection in use is always connected)
            driver.execute(statement)

        @event.listens_for(engine, "begin")
        def _begin(connection: Connection) -> None:
            if connection.get_execution_options().get(READS):
                _send(connection, "BEGIN")
                return
            _take_turn(connection)
            try:
                _send(connection, "BEGIN IMMEDIATE")
            except BaseException:
                _release(connection)
                raise

        @event.listens_for(engine, "before_cursor_execute")
        def _read_session_writes(
            connection: Connection,
            cursor: DBAPICursor,
            statement: str,
            parameters: Any,
            context: ExecutionContext | None,
            executemany: bool,
        ) -> None:
            # A read session may still write (a GET that makes a guest, a touch): it takes the turn
            # like any writer. When the write comes first in its transaction it always succeeds;
            # after reads, SQLite refuses it if another writer committed since (SQLITE_BUSY_SNAPSHOT),
            # which the web edge answers 503 with Retry-After. Routes that write mark themselves
            # (web/admission.py: writes) and get a write session instead.
            if connection.info.get("minis_turn") or not connection.get_execution_options().get(READS):
                return
            if statement.lstrip()[:7].upper().startswith(_WRITES):
                _take_turn(connection)

        event.listen(engine, "commit", _release)
        event.listen(engine, "rollback", _release)

        @event.listens_for(engine, "checkin")
        def _released_on_return(dbapi_connection: DBAPIConnection, record: ConnectionPoolEntry) -> None:
            # A connection returned to the pool mid-transaction is rolled back by the pool, with
            # no rollback event on the Connection: give the turn back here too. (Connection.info
            # is this record's info.)
            if record.info.pop("minis_turn", False):
                turn.release()

        return engine
    overflow = pool_size // 3  # for the jobs' and commands' own sessions beside the admitted requests
    # A statement waits at most lock_wait for a lock (a row, a table, take_turns' advisory lock), then
    # fails as busy (55P03, an OperationalError: 503 with Retry-After on the web, a retry for a job):
    # a row held by a transaction elsewhere (an operator's psql, a migration queued behind a long
    # transaction) once held purchases for as long as it was held, and with them every admission slot.
    engine = create_engine(
        url,
        pool_size=pool_size - overflow,
        max_overflow=overflow,
        pool_timeout=pool_wait,
        connect_args={"options": lock_timeout(lock_wait)},
    )
    ping_after_idle(engine)
    return engine


PING_AFTER_IDLE = 1.0  # seconds a pooled connection may rest before it is tried on checkout


def lock_timeout(seconds: float) -> str:
    """libpq's ``options`` that make a connection's statements wait at most ``seconds`` for a lock:
    for every PostgreSQL connection the platform opens (its engine, the reads on the event loop,
    the analytics store), so that no lock held elsewhere holds a request longer than it may wait."""
    return f"-c lock_timeout={max(1, round(seconds * 1000))}"


def ping_after_idle(engine: Engine) -> None:
    """Try a pooled connection before handing it out when it has rested PING_AFTER_IDLE seconds or
    more (a server restart, a failover, a proxy's idle timeout); one back within the second was
    working then. SQLAlchemy's pool_pre_ping tries every checkout: a round trip that cost 11 % of
    a GET /api/me's CPU on PostgreSQL. A connection that fails the try is discarded and the pool
    hands out another (DisconnectionError), as pre_ping does; one that breaks within the second
    fails the unit of work using it, which rolls back whole and answers an error."""

    @event.listens_for(engine, "checkin")
    def _rested_since(_dbapi_connection: DBAPIConnection, record: ConnectionPoolEntry) -> None:
        record.info["minis_checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _try_if_rested(dbapi_connection: DBAPIConnection, record: ConnectionPoolEntry, _proxy: object) -> None:
        checked_in = record.info.get("minis_checked_in")
        if checked_in is not None and time.monotonic() - checked_in < PING_AFTER_IDLE:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise DisconnectionError("a pooled connection failed its try") from exc


def close_for_good(engine: Engine) -> None:
    """Close ``engine``'s pooled connections, and every connection that is checked in from now on.

    ``Engine.dispose`` closes only the connections in the pool. One still checked out (a request or
    an analytics timer that outlives its platform) would go back to a pool nobody closes, as would
    one the engine opens if something uses it after all, and the garbage collector would close it
    later with a ResourceWarning, in whatever code runs then."""
    if not event.contains(engine, "checkin", _close_on_return):
        event.listen(engine, "checkin", _close_on_return)
    engine.dispose()


def _close_on_return(_dbapi_connection: DBAPIConnection, record: ConnectionPoolEntry) -> None:
    record.invalidate()


class Database:
    """The engine and the session factories; services receive sessions, never the engine.

    ``sessions`` make sessions that may write (jobs, commands, state-changing requests); on SQLite
    one takes the write lock at its first statement. ``readers`` make sessions that only read, and
    on SQLite take no lock. Production code opens them only as units of work (unit_of_work.py),
    which commit or roll back; web requests get theirs from ``web_sessions`` through the
    admission gate (web/admission.py), which waits at most ``wait`` seconds for anything.
    ``session()`` and ``read_session()`` are bare sessions, for tests that arrange data.
    """

    def __init__(self, url: str, *, pool_size: int = 30, wait: float = 5.0):
        self.url = url
        self.wait = wait
        self.engine = make_engine(url, pool_size=pool_size, pool_wait=wait, lock_wait=wait)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.readers = sessionmaker(
            self.engine.execution_options(**{READS: True, LOCK_WAIT: wait}), expire_on_commit=False
        )
        self.request_writers = sessionmaker(self.engine.execution_options(**{LOCK_WAIT: wait}), expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.sessions() as session:
            yield session

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        with self.readers() as session:
            yield session

    def web_sessions(self, *, reads: bool) -> sessionmaker[Session]:
        """A request's sessions, which wait for the write lock no longer than the request may."""
        return self.readers if reads else self.request_writers

    def dispose(self) -> None:
        close_for_good(self.engine)


def insert_ignoring_conflicts(session: Session, table: type[Base], values: dict[str, Any]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING, on SQLite and PostgreSQL: True if the row was inserted.

    One statement where a savepoint, an insert and a rollback would be three: for rows whose
    uniqueness is the idempotency (an event seen, a job queued, an openid remembered).
    """
    # RETURNING, not rowcount: psycopg reports -1 as the row count of this statement.
    key = next(iter(table.__table__.primary_key))
    statement = dialect_insert(session, table).values(**values).on_conflict_do_nothing().returning(key)
    return session.execute(statement).first() is not None


Row = TypeVar("Row", bound=Base)


def made_once(session: Session, table: type[Row], values: dict[str, Any], *, hold: bool = False) -> Row:
    """The row with ``values``' key, made with ``values`` if there is none yet: for a row the first
    of several requests makes (a setting on first use). Each inserts it ignoring the others' and
    reads the one that won; made with a plain INSERT, all but the first of such requests at once
    failed on the key on PostgreSQL, a 500 (attack57). ``hold``: read it for update."""
    insert_ignoring_conflicts(session, table, values)
    key = tuple(values[column.name] for column in table.__table__.primary_key)
    found = session.get(table, key[0] if len(key) == 1 else key, with_for_update=hold)
    assert found is not None  # inserted now, or by the request that won the race
    return found


def take_turns(session: Session, *key: str) -> None:
    """Units that change the same thing (named by ``key``) run one after another from here to their
    end: for a rule that counts rows and then adds one (a daily limit), or a row that the first of
    several requests creates. PostgreSQL: a transaction-level advisory lock on the key's 64-bit
    hash (two keys sharing a hash only wait for each other). SQLite: nothing to do, its write units
    already take turns (they begin IMMEDIATE). Take it before reading what it guards."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(":".join(key), 0))))


def share_turns(session: Session, *key: str) -> None:
    """Units that read what units taking turns on ``key`` change (take_turns), beside each other:
    from here to its end, such a unit waits for this one and this one for it, never two of these
    for each other. PostgreSQL: the same advisory lock, shared. SQLite: nothing to do, as in
    take_turns (for write units). Take it before reading what it guards."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock_shared(func.hashtextextended(":".join(key), 0))))


def read_one_moment(session: Session) -> None:
    """From here to its end, the unit reads one moment of the database, whatever commits meanwhile:
    for a check that compares tables with each other (``minis ledger verify`` read the transfers,
    then the orders, and a purchase committed between the two was an order with no payment).
    PostgreSQL: REPEATABLE READ, asked for before the unit's first statement. SQLite: nothing to
    do, a read unit's transaction reads one snapshot from its first read (WAL)."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def dialect_insert(session: Session, table: type[Base]) -> postgresql.Insert | sqlite.Insert:
    """An INSERT of the session's dialect, which has ``on_conflict_do_nothing`` (SQLite and PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


Built = TypeVar("Built")
# Each dialect's own INSERT (with ON CONFLICT), by the name its engine reports.
_DIALECT_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def per_dialect(build: Callable[[Any], Built]) -> dict[str, Built]:
    """A hot path's statement built once for each dialect from that dialect's ``insert`` (for ON
    CONFLICT), by dialect name: ``statements[session.get_bind().dialect.name]``. Built per
    request (dialect_insert), the statement and its cache key cost more than running it."""
    return {name: build(insert) for name, insert in _DIALECT_INSERTS.items()}


def libpq_url(url: str) -> str | None:
    """``url`` as libpq takes it (psycopg.connect, pgbench), whichever driver name the SQLAlchemy
    URL carries (postgresql, postgresql+psycopg); None when it is not PostgreSQL."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return None
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def deployment_key(url: str) -> str:
    """A short name for the deployment whose database is at ``url``: what keeps deployments (or a
    test run's many databases) apart on one Redis, for rate limits and signals. A hash: the URL's
    password is not in it."""
    return hashlib.sha256(url.encode()).hexdigest()[:16]
