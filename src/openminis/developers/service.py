"""Developers, their apps' secrets and the server access tokens those secrets buy."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openminis import text
from openminis.catalog import service as catalog
from openminis.catalog.manifest import APP_ID, CATEGORY
from openminis.db import take_turns, utcnow
from openminis.developers import team
from openminis.developers.models import AppInvite, AppSecret, AppToken, Developer
from openminis.errors import Conflict, Forbidden, InvalidArgument, Unauthenticated

if TYPE_CHECKING:
    from openminis.catalog.models import App

APP_TOKEN_TTL = timedelta(hours=2)
DEFAULT_GRACE = timedelta(hours=24)
INIT_DATA_LABEL = b"minis-init-data"
NOTIFY_LABEL = b"minis-notify"

# What a name typed into the console may not hold: it must show as it reads.
NAME_CHARACTERS = "name must be one line of visible text, without control, bidi or zero-width characters"


def _hash(secret: str) -> str:
    # Secrets and tokens are 256-bit random strings: a fast hash is as safe as a slow one for them.
    return hashlib.sha256(secret.encode()).hexdigest()


def init_key_for(secret: str) -> str:
    """The launch-data signing key a developer derives from their app secret (see openminis.client)."""
    return hmac.new(secret.encode(), INIT_DATA_LABEL, hashlib.sha256).hexdigest()


def notify_key_for(secret: str) -> str:
    """The notification signing key, derived from the app secret like the launch-data key."""
    return hmac.new(secret.encode(), NOTIFY_LABEL, hashlib.sha256).hexdigest()


class Person(Protocol):
    """The signed-in person a developer account belongs to: identity's User, which sits above
    developers in the layers (identity asks developers for apps' keys), so it is named here by shape."""

    @property
    def id(self) -> str: ...

    @property
    def kind(self) -> str: ...


STUDIO_NAME_MAX = 80


def _studio_name(name: str) -> str:
    name = " ".join(name.split())
    if not 1 <= len(name) <= STUDIO_NAME_MAX:
        raise InvalidArgument(f"name must be 1 to {STUDIO_NAME_MAX} characters", field="name")
    if text.has_controls(name) or text.has_invisible(name):
        raise InvalidArgument(NAME_CHARACTERS, field="name")
    return name


def become_developer(session: Session, user: Person, *, name: str, chosen: bool = True) -> Developer:
    """The person's developer account, made with ``name`` the first time (asked again, the
    account stands as it is: ``rename`` changes its name). A name not ``chosen`` (the person's
    email, for a studio made as they accept an invitation) is not held to other studios' names:
    another studio named like the address refused the invitation (attack55b), and addresses that
    differ only by their dots read alike."""
    if user.kind != "full":
        raise Forbidden("sign up for a full account before registering as a developer", code="ACCOUNT_REQUIRED")
    name = _studio_name(name if chosen else _unchosen_name(name))
    existing = session.scalar(select(Developer).where(Developer.user_id == user.id))
    if existing is not None:
        return existing
    if chosen:
        _refuse_a_taken_name(session, name, developer_id=None)
    developer = Developer(id=secrets.token_hex(8), user_id=user.id, name=name)
    try:
        with session.begin_nested():
            session.add(developer)
    except IntegrityError:  # the same person became a developer in a concurrent request: theirs stands
        found = session.scalar(select(Developer).where(Developer.user_id == user.id))
        if found is None:
            raise
        return found
    return developer


def rename(session: Session, developer: Developer, name: str) -> Developer:
    """The studio's name, as people read it on its apps' About and finance on its payouts. There was
    no way to change it: one made by ``minis publish --developer EMAIL`` kept the address (a probe,
    screens54). Not another studio's name, however written: renamed so, a studio read as the other
    on its apps' About (attack54b)."""
    name = _studio_name(name)
    _refuse_a_taken_name(session, name, developer_id=developer.id)
    developer.name = name
    return developer


def _refuse_a_taken_name(session: Session, name: str, *, developer_id: str | None) -> None:
    """Refuses another studio's name, however written (case, width, accents, look-alike letters of
    other scripts, spaces and punctuation: ``text.looks_like``; access55 took "openminis Demo
    Studio" with a Cyrillic o beside the demo studio). Studios
    naming themselves one name at once take turns on it, so the second sees the first: two renames
    to one name both passed a check that read before either wrote. A new studio is held to it too:
    registered as "Demo Studio", it read as the demo studio on its apps' About as a renamed one did."""
    wanted = text.looks_like(name)
    take_turns(session, "studio-name", wanted)
    others = select(Developer.name)
    if developer_id is not None:
        others = others.where(Developer.id != developer_id)
    if any(text.looks_like(other) == wanted for other in session.scalars(others)):
        raise Conflict("another studio has this name: choose one of your own", code="STUDIO_NAME_TAKEN", field="name")


def house_developer(session: Session, developer_id: str, *, name: str) -> Developer:
    """A developer account no person signs into (the demo studio), made the first time it is asked for."""
    developer = session.get(Developer, developer_id)
    if developer is None:
        developer = Developer(id=developer_id, user_id=None, name=name)
        session.add(developer)
        session.flush()
    return developer


def claim_house_developer(session: Session, developer_id: str, user: Person, *, name: str) -> Developer:
    """A house developer (the demo studio) signed into by ``user`` from now on."""
    developer = house_developer(session, developer_id, name=name)
    if developer.user_id is None and session.scalar(select(Developer).where(Developer.user_id == user.id)) is None:
        developer.user_id = user.id
        session.flush()
    return developer


def developer_for(session: Session, user: Person) -> Developer:
    developer = session.scalar(select(Developer).where(Developer.user_id == user.id))
    if developer is None:
        raise Forbidden("register as a developer first", code="NOT_A_DEVELOPER")
    return developer


def developer_name(session: Session, developer_id: str | None) -> str | None:
    """The studio's name as people see it (an app's About); None for an app without a developer."""
    developer = session.get(Developer, developer_id) if developer_id else None
    return developer.name if developer is not None else None


def developer_names(session: Session, developer_ids: Collection[str]) -> dict[str, str]:
    """The studios' names by developer id, in one query (those that exist)."""
    if not developer_ids:
        return {}
    found = session.execute(select(Developer.id, Developer.name).where(Developer.id.in_(set(developer_ids))))
    return {developer_id: name for developer_id, name in found}


def developer_id_for(session: Session, user_id: str) -> str | None:
    """The developer account the person signs into, if any."""
    return session.scalar(select(Developer.id).where(Developer.user_id == user_id))


def _unchosen_name(email: str) -> str:
    """The name of a studio its person did not name: their email, cut to a studio name's 80
    characters. An address of 81 to 254 characters refused every invitation its person accepted,
    for a name they never typed ("name must be 1 to 80 characters": attack57b)."""
    email = " ".join(email.split())
    return email if len(email) <= STUDIO_NAME_MAX else email[: STUDIO_NAME_MAX - 1] + "…"


# What a studio named by its person's email is called once they deleted their account.
ERASED_STUDIO_NAME = "A deleted account's studio"


def release_person(session: Session, user_id: str, *, email: str | None = None) -> None:
    """The person deleted their account: their developer account, its apps and earnings stay, signed
    into by nobody; invitations to their email go. A studio named by the email (a name not chosen:
    made as they accepted an invitation, or by ``minis publish --developer``) loses the address with
    the account: its apps' pages and its payouts showed it after the deletion (money57)."""
    if email:
        named = _unchosen_name(email).lower()  # the address itself, unless it was cut to fit
        session.execute(
            update(Developer)
            .where(Developer.user_id == user_id, func.lower(Developer.name) == named)
            .values(name=ERASED_STUDIO_NAME)
        )
    session.execute(update(Developer).where(Developer.user_id == user_id).values(user_id=None))
    if email:
        session.execute(delete(AppInvite).where(AppInvite.email == email))


def _new_secret(session: Session, app_id: str) -> str:
    secret = "ms_" + secrets.token_urlsafe(32)
    session.add(
        AppSecret(
            app_id=app_id, secret_hash=_hash(secret), init_key=init_key_for(secret), notify_key=notify_key_for(secret)
        )
    )
    return secret


@dataclass(frozen=True)
class CreatedApp:
    app: App
    secret: str  # shown once, never stored


def register_app(
    session: Session,
    developer: Developer,
    *,
    app_id: str,
    name: str,
    kind: str,
    category: str = "",
    most: int | None = None,
) -> CreatedApp:
    """Register an app id for a developer, who owns it, and return its secret, the one time it is
    ever shown. With ``most``, a developer who registered that many apps is refused another."""
    if not APP_ID.match(app_id) or "--" in app_id:
        raise InvalidArgument(
            "app id must be 3-40 lowercase letters, digits or single hyphens, starting with a letter", field="app_id"
        )
    if kind not in ("game", "drama"):
        raise InvalidArgument("kind must be game or drama", field="kind")
    if not 1 <= len(name.strip()) <= 60:
        raise InvalidArgument("name must be 1 to 60 characters", field="name")
    # As a package's name (catalog/manifest.py): a bidi override showed it reversed in the console,
    # a zero-width space made a look-alike of another's name.
    if text.has_controls(name) or text.has_invisible(name):
        raise InvalidArgument(NAME_CHARACTERS, field="name")
    if category and not CATEGORY.match(category):
        raise InvalidArgument(
            "category is 1-32 lowercase letters, digits or hyphens, starting with a letter", field="category"
        )
    if catalog.app_exists(session, app_id):
        raise Conflict(f"app id {app_id!r} is taken", code="APP_ID_TAKEN", field="app_id")
    if most is not None:
        # The developer's row, locked: registrations of theirs at the same moment take turns here,
        # so that none of them counts before another's app is in.
        session.execute(select(Developer.id).where(Developer.id == developer.id).with_for_update())
        if catalog.app_count(session, developer.id) >= most:
            raise Conflict(
                f"a developer registers at most {most} apps; ask the platform for more",
                code="APP_LIMIT_REACHED",
            )
    try:
        with session.begin_nested():
            app = catalog.add_app(
                session, app_id=app_id, name=name.strip(), kind=kind, category=category, developer_id=developer.id
            )
    except IntegrityError:  # registered by someone else at the same moment
        raise Conflict(f"app id {app_id!r} is taken", code="APP_ID_TAKEN", field="app_id") from None
    team.add_member(session, app_id, developer.id, "owner")
    secret = _new_secret(session, app_id)
    session.flush()
    return CreatedApp(app=app, secret=secret)


def adopt_app(session: Session, developer: Developer, app_id: str) -> None:
    """The operator publishes an app for a developer (``minis publish --developer``): an app nobody
    owns becomes theirs; one owned by another developer stays theirs (Forbidden)."""
    app = catalog.get_app(session, app_id)
    if app.developer_id is None:
        app.developer_id = developer.id
    elif app.developer_id != developer.id:
        raise Forbidden(f"{app_id} belongs to another developer", code="NOT_YOURS")
    if team.role_of(session, developer.id, app_id) is None:
        team.add_member(session, app_id, developer.id, "owner")
    if not _live_secrets(session, app_id):
        _new_secret(session, app_id)  # unknown to anyone until rotated from the console
    session.flush()


def rotate_secret(session: Session, developer: Developer, app_id: str, *, grace: timedelta = DEFAULT_GRACE) -> str:
    """A new secret; the current ones keep working for ``grace``, then stop."""
    if not timedelta(0) <= grace <= timedelta(days=7):
        raise InvalidArgument("grace must be between 0 and 7 days", field="grace_seconds")
    team.member_app(session, developer, app_id, act="secret")
    # Rotations of one app take turns: each ends the secrets the one before it made (at once, on
    # PostgreSQL, each read the live secrets before the others added theirs, and several new
    # secrets stayed good for ever).
    take_turns(session, "app-secret", app_id)
    now = utcnow()
    for current in _live_secrets(session, app_id):
        current.expires_at = min(current.expires_at or now + grace, now + grace)
    secret = _new_secret(session, app_id)
    session.flush()
    return secret


def _live_secrets(session: Session, app_id: str) -> list[AppSecret]:
    now = utcnow()
    return list(
        session.scalars(
            select(AppSecret)
            .where(AppSecret.app_id == app_id, or_(AppSecret.expires_at.is_(None), AppSecret.expires_at > now))
            .order_by(AppSecret.id.desc())
        )
    )


def init_keys(session: Session, app_id: str) -> list[str]:
    """The signing keys of the app's live secrets, newest first (two during a rotation's grace)."""
    return [secret.init_key for secret in _live_secrets(session, app_id)]


def notify_keys(session: Session, app_id: str) -> list[str]:
    return [secret.notify_key for secret in _live_secrets(session, app_id) if secret.notify_key]


def authenticate_app(session: Session, app_id: str, secret: str) -> AppSecret:
    found = session.scalar(select(AppSecret).where(AppSecret.secret_hash == _hash(secret or "")))
    # One message for every failure, so a caller learns nothing about which part was wrong.
    if found is None or found.app_id != app_id or (found.expires_at is not None and found.expires_at <= utcnow()):
        raise Unauthenticated("invalid client credentials", code="INVALID_CLIENT")
    return found


def issue_app_token(session: Session, *, app_id: str, secret: str) -> tuple[str, int]:
    """OAuth 2 client credentials: a bearer token for the app's server calls, and its lifetime in seconds."""
    credential = authenticate_app(session, app_id, secret)
    token = "mat_" + secrets.token_urlsafe(32)
    session.add(
        AppToken(token_hash=_hash(token), app_id=app_id, secret_id=credential.id, expires_at=utcnow() + APP_TOKEN_TTL)
    )
    session.flush()
    return token, int(APP_TOKEN_TTL.total_seconds())


def app_for_token(session: Session, token: str) -> str:
    """The app a bearer token speaks for. A token dies with its secret at the end of a rotation."""
    found = session.get(AppToken, _hash(token or ""))
    now = utcnow()
    if found is None or found.expires_at <= now:
        raise Unauthenticated("invalid or expired access token", code="INVALID_TOKEN")
    secret = session.get(AppSecret, found.secret_id)
    if secret is None or (secret.expires_at is not None and secret.expires_at <= now):
        raise Unauthenticated("invalid or expired access token", code="INVALID_TOKEN")
    return found.app_id


def developer_id_of(session: Session, app_id: str) -> str | None:
    app = catalog.find_app(session, app_id)
    return app.developer_id if app else None
