"""The rules of subscribe messages: what a person's answer on the consent sheet grants, a send
from the app's backend (refused without a grant; a one-time grant spent exactly once however many
sends race for it), and the person's inbox."""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.orm import Session

from openminis import text
from openminis.db import insert_ignoring_conflicts, utcnow
from openminis.errors import Forbidden, InvalidArgument, NotFound
from openminis.jobs import service as jobs
from openminis.messages import templates
from openminis.messages.models import Message, MessageGrant, MessageTemplate, PushSubscription

PUSH_JOB = "messages.push"
ANSWERS = ("accept", "reject")
MAX_ASKED = 10  # templates one consent sheet may list (WeChat's limit is 3; a sheet of 10 is long already)
MAX_ONE_TIME = 50  # one-time sends a person may have granted one template ahead
MAX_FIELD = 200
MAX_INBOX_PAGE = 100
QUERY_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,32}\Z")


class NoGrant(Forbidden):
    code = "NO_GRANT"


def check_text(value: object, field: str, most: int) -> str:
    """Plain text for a person to read: a string of at most ``most`` characters, newlines allowed,
    no other control, bidi or line separator characters (text.has_controls)."""
    if not isinstance(value, str) or len(value) > most:
        raise InvalidArgument(f"{field} is text of at most {most} characters", field=field)
    if text.has_controls(value, newlines=True):
        raise InvalidArgument(f"{field} must not contain control, bidi or line separator characters", field=field)
    return value


def check_query(query: object) -> dict[str, str]:
    """The message's query, which the app reads back on the launch from it (as a share's)."""
    if not isinstance(query, dict) or len(query) > 16:
        raise InvalidArgument("query is an object of at most 16 keys", field="query")
    for key, value in query.items():
        if not isinstance(key, str) or not QUERY_KEY.match(key) or not isinstance(value, str):
            raise InvalidArgument("query keys are 1-32 of A-Z a-z 0-9 _ . -, with string values", field="query")
    if len(json.dumps(query).encode()) > 1024:
        raise InvalidArgument("query is at most 1 KiB as JSON", field="query")
    return dict(query)


def check_fields(template: MessageTemplate, fields: object) -> dict[str, str]:
    if not isinstance(fields, dict) or set(fields) != set(template.fields):
        raise InvalidArgument(
            f"fields are exactly this template's: {', '.join(template.fields) or '(none)'}", field="fields"
        )
    return {name: check_text(fields[name], f"fields.{name}", MAX_FIELD) for name in template.fields}


def answer(session: Session, *, app_id: str, user_id: str, answers: dict[str, str]) -> dict[str, str]:
    """The person's answers on the consent sheet: each accept of a one-time template grants one
    more send, of a long-term one sends until revoked; a reject grants nothing (and takes nothing
    back: what they granted before stays until they revoke it in Me)."""
    if not 1 <= len(answers) <= MAX_ASKED:
        raise InvalidArgument(f"answer 1-{MAX_ASKED} templates", field="answers")
    asked = {template_id: templates.get_template(session, app_id, template_id) for template_id in answers}
    for template_id, said in answers.items():
        if said not in ANSWERS:
            raise InvalidArgument('each answer is "accept" or "reject"', field="answers")
        if said == "reject":
            continue
        key = {"app_id": app_id, "template_id": template_id, "user_id": user_id}
        insert_ignoring_conflicts(
            session, MessageGrant, {**key, "one_time": 0, "long_term": False, "updated_at": utcnow()}
        )
        where = [
            MessageGrant.app_id == app_id,
            MessageGrant.template_id == template_id,
            MessageGrant.user_id == user_id,
        ]
        if asked[template_id].kind == "long-term":
            session.execute(update(MessageGrant).where(*where).values(long_term=True, updated_at=utcnow()))
        else:
            session.execute(
                update(MessageGrant)
                .where(*where, MessageGrant.one_time < MAX_ONE_TIME)
                .values(one_time=MessageGrant.one_time + 1, updated_at=utcnow())
            )
    return dict(answers)


def spend_grant(session: Session, *, app_id: str, template_id: str, user_id: str) -> None:
    """Take the send from the person's grant, or refuse. A one-time send is taken by one UPDATE
    that matches only while one is left: of any number of sends racing for the last one, the
    database lets exactly one match (SQLite's single writer; PostgreSQL re-checks the WHERE on the
    row it locked)."""
    where = [MessageGrant.app_id == app_id, MessageGrant.template_id == template_id, MessageGrant.user_id == user_id]
    # A long-term grant is read FOR KEY SHARE, held until the commit: a revoke (a DELETE of the row)
    # waits for the sends that hold it, and the sends after the revoke find nothing; sends do not
    # wait for each other (an UPDATE that changed nothing did the first but made every send to one
    # person queue, filling the database slots in a storm). A plain read let a send that read the
    # grant just before the revoke deliver after it had answered (14 of 120 on PostgreSQL).
    held = session.execute(
        select(MessageGrant.user_id).where(*where, MessageGrant.long_term).with_for_update(read=True, key_share=True)
    ).first()
    if held is not None:
        return
    spent: CursorResult[Any] = session.execute(  # type: ignore[assignment]  # an UPDATE's result
        update(MessageGrant).where(*where, MessageGrant.one_time > 0).values(one_time=MessageGrant.one_time - 1)
    )
    if spent.rowcount != 1:
        raise NoGrant(
            "this person has not allowed this message (minis.requestSubscribeMessage), or its one send was used",
            field="openid",
        )


def send(session: Session, *, app_id: str, user_id: str, template_id: str, fields: object, query: object) -> Message:
    """Deliver a message to the person's inbox, spending their grant, and queue its Web Push to
    each browser they turned notifications on in (after the commit: jobs are in the transaction)."""
    template = templates.get_template(session, app_id, template_id)
    filled = check_fields(template, fields)
    wanted = check_query(query)
    spend_grant(session, app_id=app_id, template_id=template.id, user_id=user_id)
    message = Message(
        id=secrets.token_hex(16),
        user_id=user_id,
        app_id=app_id,
        template_id=template.id,
        title=template.title,
        fields=filled,
        query=wanted,
        created_at=utcnow(),
    )
    session.add(message)
    templates.count_sent(session, app_id, template.id)
    session.flush()
    for subscription_id in session.scalars(select(PushSubscription.id).where(PushSubscription.user_id == user_id)):
        jobs.enqueue(
            session,
            PUSH_JOB,
            {"message_id": message.id, "subscription_id": subscription_id},
            unique_key=f"push:{message.id}:{subscription_id}",
        )
    return message


@dataclass(frozen=True)
class Grant:
    app_id: str
    template_id: str
    title: str
    kind: str
    one_time: int
    long_term: bool


def grants(session: Session, user_id: str, app_id: str | None = None) -> list[Grant]:
    """What the person allowed apps to send them (Me → Messages, the app menu)."""
    query = (
        select(MessageGrant, MessageTemplate)
        .join(
            MessageTemplate,
            (MessageTemplate.app_id == MessageGrant.app_id) & (MessageTemplate.id == MessageGrant.template_id),
        )
        .where(MessageGrant.user_id == user_id, (MessageGrant.one_time > 0) | MessageGrant.long_term)
        .order_by(MessageGrant.app_id, MessageGrant.template_id)
    )
    if app_id is not None:
        query = query.where(MessageGrant.app_id == app_id)
    return [Grant(g.app_id, g.template_id, t.title, t.kind, g.one_time, g.long_term) for g, t in session.execute(query)]


def revoke(session: Session, *, user_id: str, app_id: str, template_id: str) -> None:
    """The person takes back what they allowed (sends left and a long-term grant alike)."""
    session.execute(
        delete(MessageGrant).where(
            MessageGrant.user_id == user_id, MessageGrant.app_id == app_id, MessageGrant.template_id == template_id
        )
    )


def inbox(session: Session, user_id: str, limit: int = 50) -> list[Message]:
    if not 1 <= limit <= MAX_INBOX_PAGE:
        raise InvalidArgument(f"limit is 1-{MAX_INBOX_PAGE}", field="limit")
    return list(
        session.scalars(
            select(Message)
            .where(Message.user_id == user_id)
            .order_by(Message.created_at.desc(), Message.id.desc())
            .limit(limit)
        )
    )


def unread(session: Session, user_id: str) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(Message).where(Message.user_id == user_id, Message.read_at.is_(None))
        )
        or 0
    )


def mark_read(session: Session, *, user_id: str, message_id: str, app_id: str | None = None) -> Message:
    """Another person's message is as unknown as one that never was (no telling them apart); so is
    another app's, when the caller names the app (a push's link names both)."""
    message = session.get(Message, message_id)
    if message is None or message.user_id != user_id or app_id not in (None, message.app_id):
        raise NotFound("no such message", code="NO_SUCH_MESSAGE", field="message_id")
    if message.read_at is None:
        message.read_at = utcnow()
        session.flush()
    return message


def mark_all_read(session: Session, user_id: str) -> None:
    session.execute(
        update(Message).where(Message.user_id == user_id, Message.read_at.is_(None)).values(read_at=utcnow())
    )
