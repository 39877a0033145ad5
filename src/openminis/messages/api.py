"""Host routes for subscribe messages: the consent sheet's templates and answers, the person's
inbox and what they allowed each app, and their browsers' Web Push subscriptions
(docs/messages.md)."""

from __future__ import annotations

from fastapi import Path, Query
from sqlalchemy.orm import Session

from openminis.catalog.cards import cards
from openminis.messages import push, service, templates
from openminis.messages.models import Message
from openminis.messages.schemas import (
    AnswersIn,
    AnswersOut,
    AskedList,
    AskedTemplate,
    GrantList,
    GrantOut,
    Inbox,
    MessageOut,
    PushEndpointIn,
    PushKey,
    PushSubscriptionIn,
    Unread,
)
from openminis.platform import Platform
from openminis.runtime.schemas import Ok
from openminis.web.admission import writes
from openminis.web.dependencies import ChangingPerson, CurrentPerson, PlatformDep, SessionDep
from openminis.web.routing import Router

router = Router(tags=["messages"])

AppId = Path(max_length=40)
TemplateId = Path(max_length=64)
MessageId = Path(max_length=32)
TemplateIds = Query(min_length=1, max_length=service.MAX_ASKED)


def messages_out(session: Session, platform: Platform, user_id: str, found: list[Message]) -> list[MessageOut]:
    shown = cards(session, platform.settings, {m.app_id for m in found}, viewer=user_id)
    return [
        MessageOut(
            id=m.id,
            app_id=m.app_id,
            title=m.title,
            fields=m.fields,
            query=m.query,
            sent_at=m.created_at,
            read=m.read_at is not None,
            card=shown.get(m.app_id),
        )
        for m in found
    ]


def grants_out(found: list[service.Grant]) -> GrantList:
    return GrantList(
        items=[
            GrantOut(
                app_id=g.app_id,
                template_id=g.template_id,
                title=g.title,
                kind=g.kind,  # type: ignore[arg-type]  # the manifest's Literal, stored as text
                one_time=g.one_time,
                long_term=g.long_term,
            )
            for g in found
        ]
    )


@router.get("/api/apps/{app_id}/message-templates", response_model=AskedList)
def asked_templates(
    visitor: CurrentPerson,
    session: SessionDep,
    app_id: str = AppId,
    ids: list[str] = TemplateIds,
) -> AskedList:
    """The templates minis.requestSubscribeMessage names, as the consent sheet lists them."""
    found = [templates.get_template(session, app_id, template_id[:64]) for template_id in dict.fromkeys(ids)]
    return AskedList(items=[AskedTemplate(id=t.id, title=t.title, kind=t.kind) for t in found])  # type: ignore[arg-type]


@router.post("/api/apps/{app_id}/message-subscriptions", response_model=AnswersOut)
def answer(body: AnswersIn, visitor: ChangingPerson, session: SessionDep, app_id: str = AppId) -> AnswersOut:
    """The person's answers on the consent sheet: each accept is a grant."""
    said = service.answer(session, app_id=app_id, user_id=visitor.user.id, answers=dict(body.answers))
    return AnswersOut(answers=said)  # type: ignore[arg-type]  # checked: accept or reject


@router.get("/api/apps/{app_id}/message-grants", response_model=GrantList)
def app_grants(visitor: CurrentPerson, session: SessionDep, app_id: str = AppId) -> GrantList:
    return grants_out(service.grants(session, visitor.user.id, app_id))


@router.delete("/api/apps/{app_id}/message-grants/{template_id}", response_model=Ok)
def revoke(visitor: ChangingPerson, session: SessionDep, app_id: str = AppId, template_id: str = TemplateId) -> Ok:
    service.revoke(session, user_id=visitor.user.id, app_id=app_id, template_id=template_id)
    return Ok()


@router.get("/api/messages", response_model=Inbox)
def inbox(visitor: CurrentPerson, session: SessionDep, platform: PlatformDep, limit: int = Query(default=50)) -> Inbox:
    """The person's messages, newest first."""
    found = service.inbox(session, visitor.user.id, limit)
    return Inbox(
        items=messages_out(session, platform, visitor.user.id, found), unread=service.unread(session, visitor.user.id)
    )


@router.get("/api/messages/unread", response_model=Unread)
def unread(visitor: CurrentPerson, session: SessionDep) -> Unread:
    """Me's badge, and whether this person gets pushes anywhere."""
    return Unread(unread=service.unread(session, visitor.user.id), push=push.subscribed(session, visitor.user.id))


@router.get("/api/messages/grants", response_model=GrantList)
def grants(visitor: CurrentPerson, session: SessionDep) -> GrantList:
    """What the person allowed every app to send them (Me → Messages)."""
    return grants_out(service.grants(session, visitor.user.id))


@router.post("/api/messages/read", response_model=Ok)
def read_all(visitor: ChangingPerson, session: SessionDep) -> Ok:
    service.mark_all_read(session, visitor.user.id)
    return Ok()


@router.post("/api/messages/{message_id}/read", response_model=MessageOut)
def read(
    visitor: ChangingPerson,
    session: SessionDep,
    platform: PlatformDep,
    message_id: str = MessageId,
    app_id: str | None = Query(default=None, max_length=40),
) -> MessageOut:
    """Mark the message read and return it: a tap on it (or on its push) opens its app with its query.
    ``app_id``: the app a push's link names (/play/{app}?message=); another app's message is 404."""
    message = service.mark_read(session, user_id=visitor.user.id, message_id=message_id, app_id=app_id)
    return messages_out(session, platform, visitor.user.id, [message])[0]


@router.get("/api/push/key", response_model=PushKey)
@writes  # makes the platform's key on first use: a write session (on SQLite a read one may not write then)
def push_key(session: SessionDep) -> PushKey:
    return PushKey(public_key=push.vapid_key(session).public_key)


@router.put("/api/push/subscription", response_model=Ok)
def subscribe(body: PushSubscriptionIn, visitor: ChangingPerson, session: SessionDep, platform: PlatformDep) -> Ok:
    """Notifications on in this browser: the person's messages are pushed to it too."""
    push.subscribe(
        session,
        platform.egress,
        user_id=visitor.user.id,
        endpoint=body.endpoint,
        p256dh=body.keys.p256dh,
        auth=body.keys.auth,
    )
    return Ok()


@router.delete("/api/push/subscription", response_model=Ok)
def unsubscribe(body: PushEndpointIn, visitor: ChangingPerson, session: SessionDep) -> Ok:
    push.unsubscribe(session, user_id=visitor.user.id, endpoint=body.endpoint)
    return Ok()
