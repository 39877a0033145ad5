"""Open API routes for subscribe messages: declare templates, send a message to a person who
allowed it (docs/messages.md)."""

from __future__ import annotations

from pydantic import ValidationError

from openminis.catalog.manifest import ManifestMessage, describe
from openminis.errors import InvalidArgument
from openminis.identity import app_identity
from openminis.messages import service, templates
from openminis.messages.models import MessageTemplate
from openminis.messages.schemas import SendIn, SentOut, TemplateIn, TemplateList, TemplateOut, TemplateText
from openminis.ratelimit import enforce
from openminis.web import limits
from openminis.web.dependencies import CallingApp, PlatformDep, SessionDep
from openminis.web.routing import Router

router = Router(tags=["messages"])


def template_out(template: MessageTemplate) -> TemplateOut:
    proposed = templates.proposed_text(template)
    return TemplateOut(
        id=template.id,
        title=template.title,
        fields=template.fields,
        kind=template.kind,  # type: ignore[arg-type]  # the manifest's Literal, stored as text
        state=template.state,  # type: ignore[arg-type]  # templates.py's states, stored as text
        in_effect=template.approved_at is not None,
        proposed=TemplateText(title=proposed.title, fields=list(proposed.fields), kind=proposed.kind)  # type: ignore[arg-type]
        if proposed is not None
        else None,
        review_note=template.review_note,
        revision=template.revision,
        sent=template.sent,
    )


@router.get("/message-templates", response_model=TemplateList)
def list_templates(app_id: CallingApp, session: SessionDep) -> TemplateList:
    found = [template_out(t) for t in templates.list_templates(session, app_id)]
    return TemplateList(items=found, sent=sum(t.sent for t in found))


@router.post("/message-templates", response_model=TemplateOut, status_code=201)
def create_template(body: TemplateIn, app_id: CallingApp, session: SessionDep) -> TemplateOut:
    """Create (or change) a template: a new one, or a new title, fields or kind, waits for the
    platform's review (``state: in_review``); the text approved before stays in effect meanwhile."""
    try:
        declared = ManifestMessage(**body.model_dump())
    except ValidationError as exc:  # the id's pattern, a field's name, the title's text: named, with why
        field, reason = describe(exc)
        raise InvalidArgument(f"{field}: {reason}", field=field) from None
    return template_out(templates.propose_template(session, app_id, declared))


@router.post("/messages", response_model=SentOut)
def send(body: SendIn, app_id: CallingApp, session: SessionDep, platform: PlatformDep) -> SentOut:
    """Send a message to one person who allowed this template (minis.requestSubscribeMessage).
    Refused (403 NO_GRANT) without a grant; a one-time grant allows one send."""
    # Held until the commit, so an account deleted meanwhile keeps none of this send (docs/messages.md).
    user_id = app_identity.user_for_openid(session, app_id, body.openid, hold=True)
    settings = platform.settings
    enforce(platform.limiter, f"messages:{app_id}", limits.rate(settings.rate_messages_per_app), what="messages")
    sent = service.send(
        session,
        app_id=app_id,
        user_id=user_id,
        template_id=body.template_id,
        fields=body.fields,
        query=body.query,
    )
    # Counted once the send holds, so that refused sends (no grant, bad fields) spend none of the
    # person's budget (a probe: an app retrying NO_GRANT sends spent it); one over it is rolled
    # back with the request, grant and all.
    enforce(
        platform.limiter,
        f"messages:{app_id}:{user_id}",
        limits.rate(settings.rate_messages_per_person),
        what="messages to this person",
    )
    return SentOut(id=sent.id, template_id=sent.template_id, sent_at=sent.created_at)
