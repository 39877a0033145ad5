"""Guests and sign-in sessions. Everyone gets an identity on the first visit, before any wall."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, cast

from sqlalchemy import CursorResult, Result, Select, bindparam, func, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session, make_transient_to_detached

from openminis.db import utcnow
from openminis.identity.models import AuthSession, EmailVerification, User
from openminis.unit_of_work import follow_up

_ADJECTIVES = (
    "Swift",
    "Lucky",
    "Brave",
    "Clever",
    "Sunny",
    "Quiet",
    "Bold",
    "Merry",
    "Nimble",
    "Jolly",
    "Cosmic",
    "Gentle",
)
_ANIMALS = ("Otter", "Falcon", "Panda", "Fox", "Koala", "Lynx", "Heron", "Tiger", "Dolphin", "Badger", "Raven", "Gecko")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def changed_rows(result: Result[Any]) -> int:
    """An UPDATE's row count: its result is a CursorResult (Session.execute is typed for queries)."""
    return cast("CursorResult[Any]", result).rowcount


def new_user(session: Session, *, kind: str = "guest", email: str | None = None) -> User:
    user = User(
        id=secrets.token_hex(12),
        kind=kind,
        email=email,
        display_name=f"{secrets.choice(_ADJECTIVES)} {secrets.choice(_ANIMALS)} {secrets.randbelow(900) + 100}",
    )
    session.add(user)
    session.flush()  # no ORM relationship orders the inserts, so the user goes first
    return user


def new_session(session: Session, user: User) -> str:
    """A sign-in session for the user; the token is returned once and stored only as a hash."""
    token = secrets.token_urlsafe(32)
    session.add(AuthSession(token_hash=token_hash(token), user_id=user.id))
    session.flush()
    return token


def start_guest(session: Session) -> tuple[User, str]:
    """A new guest and the session token for its cookie."""
    user = new_user(session)
    return user, new_session(session, user)


@dataclass(frozen=True)
class SignedIn:
    """The person behind a session token, with the email they asked to register and have not
    proved yet (GET /api/me shows it)."""

    user: User
    pending_email: str | None


def signed_in(session: Session, token: str | None) -> SignedIn | None:
    key = lookup_key(token)
    if key is None:
        return None
    return signed_in_found(session, key, session.execute(SIGNED_IN, {"key": key}).first())


def signed_in_first(session: Session, token: str | None) -> SignedIn | None:
    """signed_in as the unit's first statement: the row read through the unit's connection, not
    loaded by the ORM, and the person attached as loaded (signed_in_from_row): GET /api/me in-process
    on SQLite took 655 µs of CPU against 679 µs (the least of five runs each). First only: a person
    the unit had already loaded would be attached a second time."""
    key = lookup_key(token)
    if key is None:
        return None
    found = session.connection().execute(SIGNED_IN_ROW, {"key": key}).mappings().first()
    return signed_in_from_row(session, key, found)


def lookup_key(token: str | None) -> str | None:
    """What SIGNED_IN looks a session token up by (``key``); None for no token or one too long to be ours."""
    if not token or len(token) > 128:
        return None
    return token_hash(token)


def signed_in_found(session: Session, key: str, found: Any) -> SignedIn | None:
    """signed_in's answer from SIGNED_IN's row (person, last seen, pending email), or None."""
    if found is None:
        return None
    user, last_seen_at, pending_email = found
    return _signed_in(session, key, user, last_seen_at, pending_email)


def signed_in_from_row(session: Session, key: str, found: Any) -> SignedIn | None:
    """signed_in's answer from SIGNED_IN_ROW's row, read elsewhere (on the event loop,
    loop_reads.py): the person is made from its columns and joins this session as though loaded
    here, with no SQL, to be changed and flushed like any row it loaded."""
    if found is None:
        return None
    user = User(**{name: found[name] for name in _PERSON_COLUMNS})
    make_transient_to_detached(user)  # as loaded: no pending changes, its identity key set
    session.add(user)
    return _signed_in(session, key, user, found["last_seen_at"], found["pending_email"])


def _signed_in(session: Session, key: str, user: User, last_seen_at: datetime, pending: str | None) -> SignedIn:
    now = utcnow()
    # Touch at most hourly: a write per request would serialize every reader on SQLite. In a unit
    # of its own after this one: in a GET's read session on SQLite a write after reads is refused
    # when another writer committed in between (db.py), and a lapsed touch must not fail the request.
    if (now - last_seen_at).total_seconds() > 3600:
        follow_up(session, partial(_touch, key=key, at=now))
    return SignedIn(user, pending)


def user_for_token(session: Session, token: str | None) -> User | None:
    found = signed_in(session, token)
    return found.user if found is not None else None


# The person behind a session token, in one statement (every request asks): built once, so a
# request pays neither its construction nor a second lookup of the user by id. The pending email
# comes along (an outer join by primary key), so GET /api/me asks nothing more.
def _signed_in_statement(*person: Any) -> Select[Any]:
    return (
        select(*person, AuthSession.last_seen_at, EmailVerification.email.label("pending_email"))
        .join(AuthSession, AuthSession.user_id == User.id)
        .outerjoin(EmailVerification, EmailVerification.user_id == User.id)
        .where(AuthSession.token_hash == bindparam("key"))
    )


SIGNED_IN = _signed_in_statement(User)


# The same lookup as plain columns, for a read on the event loop through a connection of its own
# (loop_reads.py), which gives it back as a mapping by column name: the ORM's loading into an async
# session, then a merge, cost about 1,200 µs of CPU per GET /api/me on PostgreSQL; the person is
# made from the row instead (signed_in_from_row).
_PERSON_COLUMNS = [attribute.key for attribute in sa_inspect(User).column_attrs]
SIGNED_IN_ROW = _signed_in_statement(*(getattr(User, name) for name in _PERSON_COLUMNS))


def _touch(session: Session, *, key: str, at: datetime) -> None:
    session.execute(update(AuthSession).where(AuthSession.token_hash == key).values(last_seen_at=at))


def csrf_token(secret: str, session_token: str) -> str:
    """Bound to the session, so it needs no storage and dies with the session."""
    return hmac.new(secret.encode(), b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()


def csrf_valid(secret: str, session_token: str, presented: str | None) -> bool:
    if not presented:
        return False
    # Bytes: compare_digest refuses a str with non-ASCII characters (a header may hold them) with a TypeError.
    return hmac.compare_digest(csrf_token(secret, session_token).encode(), presented.encode())


def get_user(session: Session, user_id: str) -> User | None:
    return session.get(User, user_id)


def live_user(session: Session, user_id: str, *, hold: bool = False) -> User | None:
    """The person, unless their account was deleted. ``hold``: their row stays locked FOR KEY
    SHARE until the unit ends, for a caller about to add rows of theirs (as app_identity's
    user_for_openid): a deletion racing it waits and erases what it added, or it finds them gone."""
    # read=True with key_share=True is FOR KEY SHARE; key_share alone would be FOR NO KEY UPDATE,
    # which would make every send to one person wait for the one before it.
    lock = {"read": True, "key_share": True} if hold else None
    user = session.get(User, user_id, with_for_update=lock, populate_existing=hold)
    return user if user is not None and user.erased_at is None else None


def find_people(session: Session, *, email: str | None = None, display_name: str | None = None) -> list[User]:
    """People by their email (exactly, in any case) or a part of their display name, for the
    operator's support staff; erased accounts are left out. At most 20."""
    statement = select(User).where(User.erased_at.is_(None))
    if email:
        statement = statement.where(func.lower(User.email) == email.strip().lower())
    elif display_name:
        pattern = display_name.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(func.lower(User.display_name).like(f"%{pattern}%", escape="\\"))
    else:
        return []
    return list(session.scalars(statement.order_by(User.created_at.desc(), User.id).limit(20)))
