"""Identity's part of a person's data and of the account's deletion (openminis/erasure.py runs them all).

The account row stays, with nothing left in it that says who the person was: the money records of
other domains name its id, and still add up.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from sqlalchemy import Connection, delete, select
from sqlalchemy.orm import Session

from openminis.db import utcnow
from openminis.errors import Gone
from openminis.identity.mail import Mailbox
from openminis.identity.models import (
    AppUser,
    Authorization,
    AuthSession,
    EmailVerification,
    LoginCode,
    SignInLink,
    User,
    UserToken,
)
from openminis.rows import as_dict
from openminis.unit_of_work import after_commit

ERASED_NAME = "Deleted account"


class AccountDeleted(Gone):
    code = "ACCOUNT_DELETED"


def export(session: Session, user_id: str) -> dict[str, Any]:
    """The account (its password hash left out), the apps the person let in and the openids they knew."""
    user = session.get(User, user_id)
    if user is None or user.erased_at is not None:
        raise AccountDeleted("this account was deleted")
    return {
        "account": as_dict(user, leave=("password_hash",)) | {"has_password": user.password_hash is not None},
        "authorizations": [
            as_dict(row) for row in session.scalars(select(Authorization).where(Authorization.user_id == user_id))
        ],
        "app_openids": [as_dict(row) for row in session.scalars(select(AppUser).where(AppUser.user_id == user_id))],
    }


def lock(session: Session, user_id: str) -> User:
    """The person's row, locked, and read afresh under the lock: a deletion that committed while
    this one waited for it shows here, whatever the caller read of the person before."""
    user = session.get(User, user_id, with_for_update=True, populate_existing=True)
    if user is None or user.erased_at is not None:
        raise AccountDeleted("this account was already deleted")
    return user


def hold(connection: Connection, user_id: str, *, update: bool = False) -> None:
    """The person's row held FOR KEY SHARE until the unit ends, for a request acting as them whose
    person was read outside its transaction: a deletion waits for the request to end and erases
    what it did, or, committed first, is found here (AccountDeleted). Requests of one person do not
    wait for each other (KEY SHARE locks share); only a deletion's FOR UPDATE waits.
    ``update``: FOR UPDATE instead, for a request that changes the person's email (a key): taken
    first, it queues it behind the person's other requests, where taking it after a shared hold
    deadlocked two such requests (each waited for the other's shared hold to go)."""
    shared = not update
    found = connection.execute(
        select(User.erased_at).where(User.id == user_id).with_for_update(read=shared, key_share=shared)
    ).first()
    if found is None or found.erased_at is not None:
        raise AccountDeleted("this account was deleted")


def openids(session: Session, user_id: str) -> list[tuple[str, str]]:
    """(app id, openid) for each app that knows the person."""
    rows = session.execute(select(AppUser.app_id, AppUser.openid).where(AppUser.user_id == user_id))
    return [(app_id, openid) for app_id, openid in rows]


def erase_sign_ins(session: Session, user: User, mailbox: Mailbox | None) -> None:
    """Everything that signs the person in or names them to an app: sessions, codes, links, the
    apps' tokens and authorizations, the openids. ``mailbox``: the development mailbox, whose kept
    messages to the person's addresses go once the deletion is committed (a rollback leaves them)."""
    # Every address the person used or asked a mail for: the account's, the ones waiting for a code,
    # and those of the sign-in links this person asked for (their rows go, not just their guest id).
    emails = {user.email} if user.email else set()
    emails |= set(session.scalars(select(EmailVerification.email).where(EmailVerification.user_id == user.id)))
    emails |= set(session.scalars(select(SignInLink.email).where(SignInLink.guest_id == user.id)))
    session.execute(delete(SignInLink).where(SignInLink.guest_id == user.id))
    if emails:
        session.execute(delete(SignInLink).where(SignInLink.email.in_(emails)))
    if mailbox is not None:
        after_commit(session, partial(mailbox.forget, emails))
    for table in (AuthSession, EmailVerification, LoginCode, UserToken, Authorization, AppUser):
        session.execute(delete(table).where(table.user_id == user.id))


def pseudonymise(session: Session, user: User) -> None:
    """The account names nobody from now on: no email, password or name, ``kind`` erased."""
    user.email, user.password_hash, user.email_verified_at = None, None, None
    user.display_name, user.kind, user.erased_at = ERASED_NAME, "erased", utcnow()
    session.flush()
