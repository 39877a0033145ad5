"""Emails that follow a console or review action: sent once the action committed, and never
failing it (a mail server that is down is logged; the action stands and the console shows it)."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from openminis.developers import team
from openminis.identity import service as identity
from openminis.identity.mail import MailUnavailable
from openminis.moderation import service as moderation
from openminis.platform import Platform
from openminis.staff import service as staff
from openminis.unit_of_work import after_commit

if TYPE_CHECKING:
    from openminis.developers.models import AppInvite

log = logging.getLogger("openminis.notices")


def _send_after_commit(session: Session, platform: Platform, to: list[str], subject: str, text: str) -> None:
    def send() -> None:
        for address in to:
            try:
                platform.mailbox.send(to=address, subject=subject, text=text)
            except MailUnavailable:
                log.warning("could not mail %s: %s", address, subject)

    # In a thread: an SMTP server's seconds are not the request's.
    after_commit(session, lambda: threading.Thread(target=send, name="notice-mail", daemon=True).start())


def tell_invited(session: Session, platform: Platform, invitation: AppInvite, *, inviter: str) -> None:
    console = f"{platform.settings.host_origin}/console"
    _send_after_commit(
        session,
        platform,
        [invitation.email],
        # The subject is the platform's words only: the inviter's account name is their own text
        # (a probe named theirs "Security Team - verify at evil.example").
        f"An invitation to work on {invitation.app_id} on openminis",
        f"The developer account named \u201c{inviter}\u201d invited you to work on {invitation.app_id}"
        f" as {invitation.role}.\n\nSign in with this email address at {console} to accept,"
        " or do nothing: an invitation gives nobody anything until you accept it.\n",
    )


def tell_reviewers(session: Session, platform: Platform, app_id: str, version: str) -> None:
    emails = [
        user.email
        for member in staff.with_role(session, "review")
        if (user := identity.get_user(session, member.user_id)) is not None and user.email
    ]
    if emails:
        _send_after_commit(
            session,
            platform,
            emails,
            f"{app_id} {version} is waiting for review",
            f"Open the review queue: {platform.settings.host_origin}/admin\n",
        )


def tell_team(session: Session, platform: Platform, emails: list[str], subject: str, text: str) -> None:
    if emails:
        _send_after_commit(session, platform, emails, subject, text)


def _team_emails(session: Session, app_id: str) -> list[str]:
    """The emails of the app's team who work on it (testers only open previews)."""
    emails = []
    for member, developer in team.members(session, app_id):
        user = identity.get_user(session, developer.user_id) if developer.user_id else None
        if user is not None and user.email and member.role != "tester":
            emails.append(user.email)
    return emails


def tell_owners(
    session: Session, platform: Platform, item: moderation.Item, *, down: bool, reason: str = "", note: str = ""
) -> None:
    """The owners of an item a moderator took down (or restored) hear it, and why: a creator for
    their post or profile, the app's team for an app, a series or an episode."""
    emails = _team_emails(session, item.owner_app_id) if item.owner_app_id else []
    for user_id in item.owner_user_ids:
        user = identity.get_user(session, user_id)
        if user is not None and user.email:
            emails.append(user.email)
    what = f"your {item.kind} {item.title!r}"
    if down:
        subject = f"{item.title} was taken down on openminis"
        why = f"Reason: {reason.replace('_', ' ')}." + (f"\nThe moderator's note: {note}" if note else "")
        text = (
            f"A moderator took down {what}.\n{why}\n\nYou may appeal once, from Me at "
            f"{platform.settings.host_origin}/#/me (creators) or from the console (developers).\n"
        )
    else:
        subject = f"{item.title} is back on openminis"
        text = f"A moderator restored {what}." + (f"\nThe moderator's note: {note}\n" if note else "\n")
    tell_team(session, platform, sorted(set(emails)), subject, text)


def tell_decision(session: Session, platform: Platform, app_id: str, version: str, decision: str, note: str) -> None:
    """The app's team hears that a reviewer approved or rejected a version, and why."""
    emails = _team_emails(session, app_id)
    why = f"\nThe reviewer's note: {note}\n" if note else "\n"
    tell_team(
        session,
        platform,
        emails,
        f"{app_id} {version} was {decision}",
        f"A reviewer {decision} {app_id} {version}.{why}\nSee it in the console: "
        f"{platform.settings.host_origin}/console#app={app_id}\n",
    )
