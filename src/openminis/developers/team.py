"""An app's team: the developers who work on it, each with one role, and the invitations by email
that bring others in. Every console route asks ``member_app(session, developer, app_id, may=...)``:
someone outside the team finds no app; a member whose role does not allow the act is refused.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openminis.catalog import service as catalog
from openminis.db import utcnow
from openminis.developers.models import AppInvite, AppMember, Developer
from openminis.errors import Conflict, Forbidden, InvalidArgument, NotFound

if TYPE_CHECKING:
    from openminis.catalog.models import App

Role = Literal["owner", "developer", "viewer", "tester"]
ROLES: tuple[Role, ...] = ("owner", "developer", "viewer", "tester")
Act = Literal["see", "preview", "upload", "submit", "sell", "advertise", "notify", "release", "secret", "team"]

# Owners run the app (releases, secrets, the team); developers build and sell it; viewers read
# everything the console shows; testers only open preview links.
ALLOWED: dict[str, frozenset[str]] = {
    "owner": frozenset(
        {"see", "preview", "upload", "submit", "sell", "advertise", "notify", "release", "secret", "team"}
    ),
    "developer": frozenset({"see", "preview", "upload", "submit", "sell", "advertise", "notify"}),
    "viewer": frozenset({"see", "preview"}),
    "tester": frozenset({"preview"}),
}
WHAT = {
    "see": "see this app in the console",
    "preview": "open previews",
    "upload": "upload versions",
    "submit": "submit versions for review",
    "sell": "change products",
    "advertise": "change ad units",
    "notify": "change the notify URL or resend notifications",
    "release": "release or roll back versions",
    "secret": "rotate the app secret",
    "team": "manage the team",
}


def role_of(session: Session, developer_id: str, app_id: str) -> str | None:
    member = session.get(AppMember, (app_id, developer_id))
    return member.role if member is not None else None


def may(role: str | None, act: Act) -> bool:
    return role is not None and act in ALLOWED[role]


def member_app(session: Session, developer: Developer, app_id: str, *, act: Act) -> App:
    """The app, for a team member whose role allows ``act``."""
    app = catalog.find_app(session, app_id)
    role = role_of(session, developer.id, app_id) if app is not None else None
    if app is None or role is None or (role == "tester" and act != "preview"):
        raise NotFound(f"no app {app_id!r} of yours")  # a tester's console has no app pages either
    if not may(role, act):
        raise Forbidden(f"as {role} of {app_id} you cannot {WHAT[act]}", code="ROLE_FORBIDS")
    return app


def add_member(session: Session, app_id: str, developer_id: str, role: str) -> AppMember:
    member = session.get(AppMember, (app_id, developer_id))
    if member is None:
        member = AppMember(app_id=app_id, developer_id=developer_id, role=role)
        session.add(member)
    else:
        member.role = role
    session.flush()
    return member


def apps_of(session: Session, developer: Developer) -> list[tuple[App, str]]:
    """The apps a developer is on the team of, with their role, oldest first."""
    rows = session.execute(select(AppMember.app_id, AppMember.role).where(AppMember.developer_id == developer.id))
    roles = {app_id: role for app_id, role in rows}
    apps = catalog.apps_by_id(session, roles).values()
    return [(app, roles[app.id]) for app in sorted(apps, key=lambda a: (a.created_at, a.id))]


def members(session: Session, app_id: str) -> list[tuple[AppMember, Developer]]:
    rows = session.execute(
        select(AppMember, Developer)
        .join(Developer, Developer.id == AppMember.developer_id)
        .where(AppMember.app_id == app_id)
        .order_by(AppMember.added_at)
    )
    return [(member, developer) for member, developer in rows]


def invite(
    session: Session, developer: Developer, app_id: str, *, email: str, role: str, invitee: str | None
) -> AppInvite:
    """Invite a person by (normalised) email; inviting the same email again changes the role.
    ``invitee`` is the developer account of whoever holds the email now, if anyone (identity knows
    emails, this domain does not): someone already on the team is not invited."""
    member_app(session, developer, app_id, act="team")
    if role not in ROLES:
        raise InvalidArgument(f"role must be one of {', '.join(ROLES)}", field="role")
    if invitee is not None and role_of(session, invitee, app_id) is not None:
        # Accepting once wrote the invited role over theirs, round change_role's rules: the sole
        # owner invited themselves as viewer and the app had no owner; a co-owner demoted the
        # account holder. A member's role is changed directly, where those rules are.
        raise Conflict(
            f"{email} is already on the team of {app_id}: change their role instead",
            code="ALREADY_MEMBER",
            field="email",
        )
    invitation = session.scalar(select(AppInvite).where(AppInvite.app_id == app_id, AppInvite.email == email))
    if invitation is not None and invitation.accepted_at is None:
        invitation.role, invitation.invited_by = role, developer.id
        session.flush()
        return invitation
    if invitation is not None:  # accepted before, then removed: a new invitation
        session.delete(invitation)
        session.flush()
    invitation = AppInvite(id=secrets.token_hex(16), app_id=app_id, email=email, role=role, invited_by=developer.id)
    try:
        with session.begin_nested():
            session.add(invitation)
    except IntegrityError:
        raise Conflict(f"{email} was just invited to {app_id}", code="ALREADY_INVITED") from None
    return invitation


def revoke(session: Session, developer: Developer, app_id: str, invitation_id: str) -> None:
    """Withdraw an open invitation: it can no longer be accepted."""
    member_app(session, developer, app_id, act="team")
    invitation = session.get(AppInvite, invitation_id, with_for_update=True, populate_existing=True)
    if invitation is None or invitation.app_id != app_id or invitation.accepted_at is not None:
        raise NotFound("no open invitation with this id", field="invitation_id")
    session.delete(invitation)
    session.flush()


def invitations(session: Session, app_id: str) -> list[AppInvite]:
    """The app's open invitations."""
    statement = select(AppInvite).where(AppInvite.app_id == app_id, AppInvite.accepted_at.is_(None))
    return list(session.scalars(statement.order_by(AppInvite.created_at)))


def invitations_for(session: Session, email: str) -> list[AppInvite]:
    statement = select(AppInvite).where(AppInvite.email == email, AppInvite.accepted_at.is_(None))
    return list(session.scalars(statement.order_by(AppInvite.created_at)))


def accept(session: Session, developer: Developer, invitation_id: str, *, email: str) -> AppMember:
    """Join an app's team. Only the person signed in with the invited email may. Someone already on
    the team (an invitation sent before they joined, or before inviting a member was refused) gets
    the invited role only as ``change_role`` would give it; refused, the invitation stays open."""
    # Locked and read afresh: the same invitation accepted twice at once is accepted once, the
    # second request finding it accepted.
    invitation = session.get(AppInvite, invitation_id, with_for_update=True, populate_existing=True)
    if invitation is None or invitation.accepted_at is not None or invitation.email != email:
        raise NotFound("no open invitation of yours with this id")
    role = next((r for r in ROLES if r == invitation.role), "viewer")
    # The owners locked as change_role locks them, and the member read after: an acceptance and a
    # role change (or two acceptances) at once apply one after the other, each counting what the
    # one before left, and a member who joined meanwhile is found.
    owners = _owners(session, invitation.app_id)
    member = session.get(AppMember, (invitation.app_id, developer.id), populate_existing=True)
    if member is not None:
        _may_become(catalog.get_app(session, invitation.app_id), member, role, owners)
    invitation.accepted_at = utcnow()
    return add_member(session, invitation.app_id, developer.id, role)


def _owners(session: Session, app_id: str) -> list[AppMember]:
    """The app's owners, locked before anything is counted or changed, in one order: two owners
    demoting or removing each other at once apply one after the other, and the second one counts
    what the first one left (without the lock both counted two, and the app had none)."""
    statement = (
        select(AppMember)
        .where(AppMember.app_id == app_id, AppMember.role == "owner")
        .order_by(AppMember.developer_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(session.scalars(statement))


def _may_become(app: App, member: AppMember, role: str | None, owners: list[AppMember]) -> None:
    """Refuse a member's new role (None: removed) that would leave the app without an owner, or
    take the owner's seat from the developer account the app belongs to."""
    if member.role == "owner" and role != "owner" and len(owners) <= 1:
        raise Conflict("an app keeps at least one owner: make someone else owner first", code="LAST_OWNER")
    if member.developer_id == app.developer_id and role != "owner":
        # The app's earnings are paid out to the developer account that holds it (payouts/): a
        # co-owner who could remove the holder would be taking the money with the seat.
        raise Conflict(
            "the developer account the app belongs to, which its earnings are paid to, stays an owner",
            code="ACCOUNT_HOLDER",
        )


def change_role(session: Session, developer: Developer, app_id: str, member_id: str, role: str | None) -> None:
    """Change a member's role, or remove them (``role`` None). An app keeps at least one owner, and
    the developer account it belongs to (``App.developer_id``, paid its earnings) stays one."""
    app = member_app(session, developer, app_id, act="team")
    if role is not None and role not in ROLES:
        raise InvalidArgument(f"role must be one of {', '.join(ROLES)}", field="role")
    owners = _owners(session, app_id)
    member = session.get(AppMember, (app_id, member_id), populate_existing=True)
    if member is None:
        raise NotFound("no such member of this app", field="developer_id")
    _may_become(app, member, role, owners)
    if role is None:
        session.delete(member)
    else:
        member.role = role
    session.flush()
