"""The unit of work: the one place where a transaction commits or rolls back.

Every request, job and command runs in one unit of work: it commits once, after the work
returned, and rolls back on any error. Services only ``flush()`` (and use savepoints,
``session.begin_nested()``, for a step that may fail on its own). Whatever must follow the commit
(an analytics event, a signal to other processes, a mail, a touch that may wait) is registered
with ``after_commit`` or ``follow_up`` and runs only once the commit succeeded; after a rollback
none of it happens. This is Warehouse's ``request.tm`` with its after-commit hooks, in our terms.

The web edge opens a request's unit through the admission gate (web/admission.py); jobs and
commands open theirs with ``unit_of_work(db)``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from openminis.db import Database

log = logging.getLogger("openminis.unit_of_work")

_EFFECTS = "minis_after_commit"
_FACTORY = "minis_sessions"
_AT_BEGIN = "minis_at_begin"

Effect = Callable[[], object]
Work = Callable[[Session], object]


def after_commit(session: Session, effect: Effect) -> None:
    """Run ``effect()`` once this session's unit of work has committed; never after a rollback.
    An effect that fails is logged: the work it follows is done and stays done."""
    session.info.setdefault(_EFFECTS, []).append(effect)


def at_begin(session: Session, first: Callable[[Connection], object]) -> None:
    """Run ``first(connection)`` as the unit's transaction begins, before the statement that began
    it: for a lock the whole unit must hold (the web edge holds the person a request acts as,
    web/dependencies.py). A unit that never begins a transaction runs nothing."""
    session.info.setdefault(_AT_BEGIN, []).append(first)


@event.listens_for(Session, "after_begin")
def _begun(session: Session, transaction: SessionTransaction, connection: Connection) -> None:
    for first in session.info.pop(_AT_BEGIN, ()):
        first(connection)


def follow_up(session: Session, work: Work) -> None:
    """Run ``work(session)`` in a unit of work of its own once this one has committed: for a
    write that must not share this unit's fate or its locks (on SQLite, a GET's read session
    cannot write after it has read)."""
    factory: sessionmaker[Session] = session.info.get(_FACTORY) or sessionmaker(
        session.get_bind(), expire_on_commit=False
    )

    def run() -> None:
        with _unit(factory) as follower:
            work(follower)

    after_commit(session, run)


def commit(session: Session) -> None:
    """Commit the unit, then run what was registered to follow it."""
    session.commit()
    effects: list[Effect] = session.info.pop(_EFFECTS, [])
    for effect in effects:
        try:
            effect()
        except Exception:
            log.exception("an effect after the commit failed; the committed work stands")


def rollback(session: Session) -> None:
    """Roll the unit back; what was registered to follow a commit is dropped."""
    session.info.pop(_EFFECTS, None)
    session.rollback()


def end_reads(session: Session) -> None:
    """End the read transaction a read unit holds so far, keeping the unit: its connection goes
    back to the pool, the next statement begins a new transaction, and what was registered to
    follow the unit's commit stays for it. A unit that has changed nothing has nothing to lose."""
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("end_reads on a unit with changes: they belong to its commit")
    session.commit()


def idle(session: Session) -> bool:
    """Nothing to end (no transaction open, no change waiting to be flushed) and nothing to follow:
    the unit's end needs no I/O."""
    pending = session.new or session.dirty or session.deleted
    return not session.in_transaction() and not pending and not session.info.get(_EFFECTS)


def opened(session: Session, factory: sessionmaker[Session]) -> Session:
    """Mark ``session`` as a unit of work's, made by ``factory`` (follow-ups use the same one)."""
    session.info[_FACTORY] = factory
    return session


@contextmanager
def _unit(factory: sessionmaker[Session]) -> Iterator[Session]:
    with factory() as session:
        opened(session, factory)
        try:
            yield session
        except BaseException:
            rollback(session)
            raise
        commit(session)


@contextmanager
def unit_of_work(db: Database, *, reads: bool = False) -> Iterator[Session]:
    """A unit of work of a job or a command: commits when the block ends, rolls back if it raises.
    ``reads`` gives a read session (no write lock on SQLite) for work that only reads."""
    with _unit(db.readers if reads else db.sessions) as session:
        yield session
