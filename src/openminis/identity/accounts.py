"""Full accounts: a guest adds an email (and a password, or signs in by one-time link) and keeps everything."""

from __future__ import annotations

import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openminis.db import utcnow
from openminis.errors import Conflict, InvalidArgument, PlatformError
from openminis.identity.mail import Mailbox
from openminis.identity.models import AuthSession, SignInLink, User
from openminis.identity.service import new_session, new_user, token_hash

hasher = PasswordHasher()
LINK_TTL = timedelta(minutes=15)
MIN_PASSWORD = 8
# Verified against when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = hasher.hash(secrets.token_hex(16))


class SignInFailed(PlatformError):
    status = 401
    code = "SIGN_IN_FAILED"


def normalize_email(email: str) -> str:
    try:
        return validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise InvalidArgument(f"email: {exc}", field="email") from None


def _check_password(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= 256:
        raise InvalidArgument(f"password must be {MIN_PASSWORD} to 256 characters", field="password")


def register(session: Session, user: User, *, email: str, password: str) -> User:
    """Upgrade the current guest to a full account in place: coins, saves and purchases stay."""
    if user.kind != "guest":
        raise Conflict("this browser is already signed in to an account; sign out first", code="ALREADY_REGISTERED")
    email = normalize_email(email)
    _check_password(password)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict("an account with this email exists; sign in instead", code="EMAIL_TAKEN", field="email")
    user.email, user.password_hash, user.kind = email, hasher.hash(password), "full"
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict("an account with this email exists; sign in instead", code="EMAIL_TAKEN", field="email") from None
    return user


def sign_in_with_password(session: Session, *, email: str, password: str) -> tuple[User, str]:
    email = normalize_email(email)
    user = session.scalar(select(User).where(User.email == email))
    try:
        hasher.verify(user.password_hash if user and user.password_hash else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        raise SignInFailed("wrong email or password") from None
    if user is None or user.password_hash is None:
        raise SignInFailed("wrong email or password")
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
        session.commit()
    return user, new_session(session, user)


def request_sign_in_link(session: Session, mailbox: Mailbox, *, email: str, guest: User | None, public_url: str) -> str:
    """Make a one-time link and email it. The link is kept only if the email went: a failure
    (MailUnavailable) leaves nothing behind, and the person asks again."""
    email = normalize_email(email)
    token = secrets.token_urlsafe(32)
    session.add(SignInLink(token_hash=token_hash(token), email=email, guest_id=guest.id if guest and guest.kind == "guest" else None, expires_at=utcnow() + LINK_TTL))
    session.flush()
    link = f"{public_url}/account/link?token={token}"
    minutes = int(LINK_TTL.total_seconds() // 60)
    try:
        mailbox.send(
            to=email, subject="Your openminis sign-in link",
            text=(
                f"Hello,\n\nOpen this link to sign in to openminis as {email}:\n\n{link}\n\n"
                f"It works once, within {minutes} minutes. If you did not ask for it, ignore this email: nothing changes without the link.\n"
            ),
        )
    except BaseException:
        session.rollback()
        raise
    session.commit()
    return link


def redeem_sign_in_link(session: Session, token: str) -> tuple[User, str]:
    link = session.get(SignInLink, token_hash(token)) if token else None
    if link is None or link.used_at is not None or link.expires_at < utcnow():
        raise SignInFailed("this sign-in link is not valid any more; ask for a new one", code="LINK_INVALID")
    link.used_at = utcnow()
    user = session.scalar(select(User).where(User.email == link.email))
    if user is None:
        guest = session.get(User, link.guest_id) if link.guest_id else None
        if guest is not None and guest.kind == "guest":
            user = guest
            user.email, user.kind = link.email, "full"
        else:
            user = new_user(session, kind="full", email=link.email)
    session.commit()
    return user, new_session(session, user)


def sign_out(session: Session, session_token: str) -> None:
    auth = session.get(AuthSession, token_hash(session_token))
    if auth is not None:
        session.delete(auth)
        session.commit()


def rename(session: Session, user: User, display_name: str) -> User:
    name = " ".join(display_name.split())
    if not 1 <= len(name) <= 40:
        raise InvalidArgument("display name must be 1 to 40 characters", field="display_name")
    user.display_name = name
    session.commit()
    return user
