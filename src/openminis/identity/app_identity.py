"""A person as one app sees them: openid, unionid, login codes, user tokens and consent.

Modelled on WeChat's ``wx.login`` + code2Session and OAuth 2: the app's front end gets a one-time
code, its backend exchanges the code with its own credentials, so the browser is never trusted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from openminis.catalog import service as catalog
from openminis.db import insert_ignoring_conflicts, utcnow
from openminis.developers import service as developers
from openminis.errors import BadRequest, NotFound, Unauthenticated
from openminis.identity.models import AppUser, Authorization, LoginCode, User, UserToken
from openminis.identity.service import changed_rows, live_user, token_hash

CODE_TTL = timedelta(minutes=5)
ACCESS_TTL = timedelta(hours=24)
REFRESH_TTL = timedelta(days=30)
BASIC_SCOPE = "user.info.basic"


class CodeError(BadRequest):
    """A login code that does not hold up: unknown, another app's, used or expired."""


class TokenError(Unauthenticated):
    code = "INVALID_TOKEN"


class FamilyRevoked(TokenError):
    """A spent refresh token came back: its family was revoked, a write that must stand."""


def _pseudonym(secret: str, label: str, *parts: str) -> str:
    digest = hmac.new(secret.encode(), "\0".join((label, *parts)).encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:20]).decode().lower().rstrip("=")


def openid(secret: str, app_id: str, user_id: str) -> str:
    """Stable for one person in one app; unlinkable across apps without the platform's secret."""
    return "o_" + _pseudonym(secret, "openid", app_id, user_id)


def avatar_path(secret: str, app_id: str, user_id: str) -> str:
    """The person's avatar as one app is given it: named by their openid in that app, never by their
    account, and shown only while they let that app see their profile (identity/api.app_avatar).
    The picture is the person's own, the same in every app they share it with; the host shows it
    by user id."""
    return f"/api/avatars/{app_id}/{openid(secret, app_id, user_id)}.svg"


def known_openid(session: Session, secret: str, app_id: str, user_id: str) -> str:
    """The person's openid in the app, remembered so that the app's backend can name them later."""
    value = openid(secret, app_id, user_id)
    person = session.get(User, user_id)
    if person is not None and person.erased_at is not None:
        # Old orders still name a deleted account by its openid, but the map back to it stays gone.
        return value
    insert_ignoring_conflicts(
        session, AppUser, {"app_id": app_id, "openid": value, "user_id": user_id, "first_seen_at": utcnow()}
    )
    return value


def user_for_openid(session: Session, app_id: str, value: str, *, hold: bool = False) -> str:
    """The person the app knows by this openid. ``hold``: their row stays locked FOR KEY SHARE until
    the unit of work ends, for a caller about to add rows of theirs: the account's deletion (FOR
    UPDATE) then waits for it and erases what it added, or it waits for the deletion and finds the
    account deleted here (read afresh under the lock), never the rows outliving the account."""
    found = session.get(AppUser, (app_id, value or ""))
    if found is None or live_user(session, found.user_id, hold=hold) is None:
        raise NotFound(
            "no person with this openid in this app (they must have launched or logged in first)",
            code="UNKNOWN_OPENID",
            field="openid",
        )
    return found.user_id


def unionid(secret: str, developer_id: str | None, app_id: str, user_id: str) -> str:
    """Stable across one developer's apps (an app with no developer is its own union)."""
    owner = f"developer:{developer_id}" if developer_id else f"app:{app_id}"
    return "u_" + _pseudonym(secret, "unionid", owner, user_id)


def issue_login_code(session: Session, *, user_id: str, app_id: str) -> tuple[str, int]:
    catalog.get_app(session, app_id)
    code = secrets.token_urlsafe(24)
    session.add(LoginCode(code_hash=token_hash(code), app_id=app_id, user_id=user_id, expires_at=utcnow() + CODE_TTL))
    _authorize(session, user_id, app_id)
    session.flush()
    return code, int(CODE_TTL.total_seconds())


def _authorize(session: Session, user_id: str, app_id: str, *, profile: bool = False) -> Authorization:
    # A person's first login codes or consents in an app, asked at once (an app that calls
    # minis.login() twice as it starts), each add this row: one inserts it, the others find it.
    insert_ignoring_conflicts(session, Authorization, {"user_id": user_id, "app_id": app_id, "profile": profile})
    grant = session.get_one(Authorization, (user_id, app_id), populate_existing=True)
    if grant.revoked_at is not None:
        grant.revoked_at, grant.granted_at, grant.profile = None, utcnow(), profile
    else:
        grant.profile = grant.profile or profile
    return grant


@dataclass(frozen=True)
class UserSession:
    openid: str
    unionid: str
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int
    scope: str


def exchange_code(session: Session, secret: str, *, app_id: str, code: str) -> UserSession:
    """code2session. Each failure has its own code, so a developer can tell a bug from an attack."""
    found = session.get(LoginCode, token_hash(code or ""))
    if found is None:
        raise CodeError("unknown login code", code="CODE_INVALID")
    if found.app_id != app_id:
        raise CodeError("this login code was issued to another app", code="CODE_WRONG_APP")
    if found.used_at is not None:
        raise CodeError("this login code was already used", code="CODE_USED")
    if found.expires_at <= utcnow():
        raise CodeError("this login code expired; call minis.login() again", code="CODE_EXPIRED")
    # Claim the code with a conditional update: of two concurrent exchanges, exactly one wins (the
    # other's update waits for the winner's unit to end, then finds the code used). Nothing is
    # written before it, so the loser's refusal leaves nothing behind.
    claimed = changed_rows(
        session.execute(
            update(LoginCode)
            .where(LoginCode.code_hash == found.code_hash, LoginCode.used_at.is_(None))
            .values(used_at=utcnow())
        )
    )
    if claimed != 1:
        raise CodeError("this login code was already used", code="CODE_USED")
    return _issue_tokens(session, secret, app_id=app_id, user_id=found.user_id, family=secrets.token_hex(16))


def _issue_tokens(session: Session, secret: str, *, app_id: str, user_id: str, family: str) -> UserSession:
    access, refresh = "mut_" + secrets.token_urlsafe(32), "mrt_" + secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        UserToken(
            token_hash=token_hash(access),
            kind="access",
            app_id=app_id,
            user_id=user_id,
            scope=BASIC_SCOPE,
            family=family,
            expires_at=now + ACCESS_TTL,
        )
    )
    session.add(
        UserToken(
            token_hash=token_hash(refresh),
            kind="refresh",
            app_id=app_id,
            user_id=user_id,
            scope=BASIC_SCOPE,
            family=family,
            expires_at=now + REFRESH_TTL,
        )
    )
    person = known_openid(session, secret, app_id, user_id)
    session.flush()
    return UserSession(
        openid=person,
        unionid=unionid(secret, developers.developer_id_of(session, app_id), app_id, user_id),
        access_token=access,
        refresh_token=refresh,
        expires_in=int(ACCESS_TTL.total_seconds()),
        refresh_expires_in=int(REFRESH_TTL.total_seconds()),
        scope=BASIC_SCOPE,
    )


def refresh(session: Session, secret: str, *, app_id: str, refresh_token: str) -> UserSession:
    """Rotate a refresh token. Presenting a spent one revokes its family: someone copied it.

    That refusal writes (the family's revocation), and must stand although it is an error: the
    caller answers ``FamilyRevoked`` without raising it through the unit of work, which commits
    (web/refusals.py). Every other refusal here writes nothing before it."""
    found = session.get(UserToken, token_hash(refresh_token or ""))
    if found is None or found.kind != "refresh" or found.app_id != app_id or found.expires_at <= utcnow():
        raise TokenError("invalid or expired refresh token")
    grant = session.get(Authorization, (found.user_id, app_id))
    if found.revoked_at is not None or grant is None or grant.revoked_at is not None:
        _revoke_family(session, found.family)
        raise FamilyRevoked("refresh token was revoked or already used")
    claimed = changed_rows(
        session.execute(
            update(UserToken)
            .where(UserToken.token_hash == found.token_hash, UserToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
    )
    if claimed != 1:
        raise TokenError("refresh token was revoked or already used")
    # The old access tokens of the family end with the rotation too.
    session.execute(
        update(UserToken)
        .where(UserToken.family == found.family, UserToken.kind == "access", UserToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return _issue_tokens(session, secret, app_id=app_id, user_id=found.user_id, family=found.family)


def _revoke_family(session: Session, family: str) -> None:
    session.execute(
        update(UserToken).where(UserToken.family == family, UserToken.revoked_at.is_(None)).values(revoked_at=utcnow())
    )


def revoke_token(session: Session, *, app_id: str, token: str) -> bool:
    """RFC 7009 revocation: revokes the token's whole family. Whether the token is now revoked: an
    unknown token or another app's is not an error (RFC 7009), but is left alone and not claimed as
    revoked, which would tell the caller a login had ended that still works."""
    found = session.get(UserToken, token_hash(token or ""))
    if found is None or found.app_id != app_id:
        return False
    _revoke_family(session, found.family)  # revoked already, it stays so: true all the same
    return True


def revoke_app(session: Session, *, user_id: str, app_id: str) -> None:
    """A person withdraws an app's access: consent ends and every token the app holds for them dies."""
    grant = session.get(Authorization, (user_id, app_id))
    if grant is None or grant.revoked_at is not None:
        raise NotFound(f"{app_id!r} has no access to revoke")
    grant.revoked_at, grant.profile = utcnow(), False
    session.execute(
        update(UserToken)
        .where(UserToken.user_id == user_id, UserToken.app_id == app_id, UserToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def grant_profile(session: Session, secret: str, *, user_id: str, app_id: str) -> None:
    """The person accepted the host's consent sheet: the app may see their name and avatar (whose
    URL names them by their openid, remembered here so that the URL finds them)."""
    catalog.get_app(session, app_id)
    _authorize(session, user_id, app_id, profile=True)
    known_openid(session, secret, app_id, user_id)
    session.flush()


def authorizations(session: Session, user_id: str) -> list[Authorization]:
    return list(
        session.scalars(
            select(Authorization)
            .where(Authorization.user_id == user_id, Authorization.revoked_at.is_(None))
            .order_by(Authorization.granted_at.desc())
        )
    )


def shared_names(session: Session, app_id: str, user_ids: Iterable[str]) -> dict[str, str]:
    """The display names of those among ``user_ids`` who let ``app_id`` see their profile (the
    consent sheet's Allow, not revoked): leaderboards and contexts show only these."""
    wanted = list(set(user_ids))
    if not wanted:
        return {}
    rows = session.execute(
        select(User.id, User.display_name)
        .join(Authorization, Authorization.user_id == User.id)
        .where(
            Authorization.app_id == app_id,
            Authorization.user_id.in_(wanted),
            Authorization.profile,
            Authorization.revoked_at.is_(None),
            User.erased_at.is_(None),
        )
    ).all()
    return {user_id: name for user_id, name in rows}


@dataclass(frozen=True)
class UserInfo:
    openid: str
    unionid: str
    display_name: str | None
    avatar_url: str | None


def user_info(session: Session, secret: str, *, access_token: str, avatar_base: str) -> UserInfo:
    found = session.get(UserToken, token_hash(access_token or ""))
    if found is None or found.kind != "access" or found.revoked_at is not None or found.expires_at <= utcnow():
        raise TokenError("invalid, revoked or expired user access token")
    user = session.get_one(User, found.user_id)  # a token goes with its person (erasure deletes it)
    grant = session.get(Authorization, (found.user_id, found.app_id))
    shared = grant is not None and grant.revoked_at is None and grant.profile
    return UserInfo(
        openid=openid(secret, found.app_id, user.id),
        unionid=unionid(secret, developers.developer_id_of(session, found.app_id), found.app_id, user.id),
        display_name=user.display_name if shared else None,
        avatar_url=f"{avatar_base}{avatar_path(secret, found.app_id, user.id)}" if shared else None,
    )
