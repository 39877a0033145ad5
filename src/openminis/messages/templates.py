"""Message templates: declared in ``minis.json`` (synced on each release, like leaderboards: the
version's review covered them, so they are approved with it) or through the Open API, where each
new template and each change of a title, fields or kind waits for a reviewer. Until the change is
approved the text approved before stays in effect: people keep being asked for and sent what they
agreed to. A template never approved cannot be asked for or sent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from openminis.catalog import service as catalog
from openminis.catalog.manifest import Manifest, ManifestMessage
from openminis.db import insert_ignoring_conflicts, utcnow
from openminis.developers import service as developers
from openminis.errors import Conflict, InvalidArgument, NotFound
from openminis.messages.models import MessageTemplate
from openminis.staff import audit

APPROVED = "approved"
IN_REVIEW = "in_review"
REJECTED = "rejected"
MAX_NOTE = 2000
MAX_QUEUE = 100


@dataclass(frozen=True)
class Text:
    """What a person reads of a template, and so what a reviewer approves."""

    title: str
    fields: tuple[str, ...]
    kind: str


def current_text(template: MessageTemplate) -> Text:
    return Text(template.title, tuple(template.fields), template.kind)


def proposed_text(template: MessageTemplate) -> Text | None:
    if template.proposed_title is None or template.proposed_kind is None:
        return None
    return Text(template.proposed_title, tuple(template.proposed_fields or ()), template.proposed_kind)


def put_template(session: Session, app_id: str, declared: ManifestMessage, *, declared_in: str) -> MessageTemplate:
    """Create or change a template as approved (a released version's manifest: its review covered
    it). Its grants stay: a person allowed the app this kind of message. A change waiting for
    review stays waiting unless the manifest now says the same."""
    catalog.held_app(session, app_id)
    template = session.get(MessageTemplate, (app_id, declared.id))
    now = utcnow()
    if template is None:
        template = MessageTemplate(app_id=app_id, id=declared.id, sent=0, revision=0, review_note="", created_at=now)
        session.add(template)
    template.title, template.fields, template.kind = declared.title, list(declared.fields), declared.kind
    if template.approved_at is None or proposed_text(template) in (None, current_text(template)):
        _clear_proposal(template)
        template.state, template.review_note = APPROVED, ""
    template.declared_in, template.active, template.updated_at = declared_in, True, now
    template.approved_at = template.approved_at or now
    session.flush()
    return template


def propose_template(session: Session, app_id: str, declared: ManifestMessage) -> MessageTemplate:
    """A template from the Open API: a new one, or a new text for one, waits for a reviewer. The
    same text again changes nothing (the one waiting, the one refused, or the approved one with
    nothing waiting); the approved text again withdraws a change that was waiting or refused."""
    catalog.held_app(session, app_id)  # before the template's row, as a release holds them
    text = Text(declared.title, tuple(declared.fields), declared.kind)
    now = utcnow()
    fresh = {
        "app_id": app_id,
        "id": declared.id,
        "title": text.title,
        "fields": list(text.fields),
        "kind": text.kind,
        "state": IN_REVIEW,
        "proposed_title": text.title,
        "proposed_fields": list(text.fields),
        "proposed_kind": text.kind,
        "review_note": "",
        "revision": 1,
        "approved_at": None,
        "declared_in": "api",
        "active": True,
        "sent": 0,
        "created_at": now,
        "updated_at": now,
    }
    # One INSERT that a racing twin cannot also win, then the row locked: two submissions of one
    # template at once apply one after the other.
    inserted = insert_ignoring_conflicts(session, MessageTemplate, fresh)
    template = _locked(session, app_id, declared.id)
    if inserted:
        return template
    template.active = True
    if template.state != APPROVED and proposed_text(template) == text:
        return template
    if template.approved_at is not None and text == current_text(template):
        if template.state != APPROVED:
            _clear_proposal(template)
            template.state, template.review_note, template.updated_at = APPROVED, "", now
        session.flush()
        return template
    template.proposed_title, template.proposed_fields, template.proposed_kind = text.title, list(text.fields), text.kind
    if template.approved_at is None:  # nothing in effect: what the developer sees is the proposal
        template.title, template.fields, template.kind = text.title, list(text.fields), text.kind
    template.state, template.review_note, template.updated_at = IN_REVIEW, "", now
    template.revision += 1
    session.flush()
    return template


def _locked(session: Session, app_id: str, template_id: str) -> MessageTemplate:
    template = session.scalar(
        select(MessageTemplate)
        .where(MessageTemplate.app_id == app_id, MessageTemplate.id == template_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if template is None:
        raise _no_such(app_id, template_id)
    return template


def _clear_proposal(template: MessageTemplate) -> None:
    template.proposed_title = template.proposed_fields = template.proposed_kind = None


def _no_such(app_id: str, template_id: str) -> NotFound:
    return NotFound(
        f"app {app_id!r} has no message template {template_id!r}", code="NO_SUCH_TEMPLATE", field="template_id"
    )


def keep_declared_templates(session: Session, app_id: str, manifests: list[Manifest]) -> None:
    """Catalog's release hook (platform.py): the app keeps the templates its versions out declare;
    one the manifest no longer lists is retired (sends with it are refused), one made through the
    Open API stays."""
    declared: dict[str, ManifestMessage] = {}
    for manifest in manifests:
        declared |= {template.id: template for template in manifest.messages}
    for wanted in declared.values():
        put_template(session, app_id, wanted, declared_in="manifest")
    for template in session.scalars(
        select(MessageTemplate).where(
            MessageTemplate.app_id == app_id, MessageTemplate.active, MessageTemplate.declared_in == "manifest"
        )
    ):
        if template.id not in declared:
            template.active = False


def get_template(session: Session, app_id: str, template_id: str) -> MessageTemplate:
    """A template people may be asked for and sent: active and approved once (its approved text)."""
    template = session.get(MessageTemplate, (app_id, template_id))
    if template is not None and template.active and template.approved_at is None:
        # Not yet in effect: the same refusal, but saying why (it read "has no message template"
        # for one the console listed as in review: a probe, dev52).
        raise NotFound(
            f"message template {template_id!r} is waiting for review: it is asked for and sent once approved",
            code="NO_SUCH_TEMPLATE",
            field="template_id",
        )
    if template is None or not template.active:
        raise _no_such(app_id, template_id)
    return template


def list_templates(session: Session, app_id: str) -> list[MessageTemplate]:
    return list(
        session.scalars(
            select(MessageTemplate)
            .where(MessageTemplate.app_id == app_id, MessageTemplate.active)
            .order_by(MessageTemplate.id)
        )
    )


def count_sent(session: Session, app_id: str, template_id: str) -> None:
    # One UPDATE adding one: concurrent sends each count, none overwrites another's.
    session.execute(
        update(MessageTemplate)
        .where(MessageTemplate.app_id == app_id, MessageTemplate.id == template_id)
        .values(sent=MessageTemplate.sent + 1)
    )


# Review ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pending:
    """A template waiting for a reviewer, with whose app it is."""

    template: MessageTemplate
    app_name: str
    developer: str | None


def review_queue(session: Session, *, limit: int = MAX_QUEUE) -> list[Pending]:
    """Templates waiting for review, the longest waiting first."""
    waiting = session.scalars(
        select(MessageTemplate)
        .where(MessageTemplate.state == IN_REVIEW, MessageTemplate.active)
        .order_by(MessageTemplate.updated_at, MessageTemplate.app_id, MessageTemplate.id)
        .limit(limit)
    )
    return [pending(session, template) for template in waiting]


def pending(session: Session, template: MessageTemplate) -> Pending:
    app = catalog.get_app(session, template.app_id)
    return Pending(template, app.name, developers.developer_name(session, app.developer_id))


def find(session: Session, app_id: str, template_id: str) -> MessageTemplate:
    """Any template of the app, whatever its state (a reviewer's, a developer's view)."""
    template = session.get(MessageTemplate, (app_id, template_id))
    if template is None:
        raise _no_such(app_id, template_id)
    return template


def approve(
    session: Session, app_id: str, template_id: str, *, actor: str, note: str = "", revision: int | None = None
) -> MessageTemplate:
    """The text waiting becomes the one in effect."""
    return _decide(session, app_id, template_id, APPROVED, actor=actor, note=note, revision=revision)


def reject(
    session: Session, app_id: str, template_id: str, *, actor: str, note: str, revision: int | None = None
) -> MessageTemplate:
    """Refuse the text waiting, saying why; an approved text before it stays in effect."""
    if not 3 <= len(note.strip()) <= MAX_NOTE:
        raise InvalidArgument(f"say why the template is rejected (3 to {MAX_NOTE:,} characters)", field="note")
    return _decide(session, app_id, template_id, REJECTED, actor=actor, note=note, revision=revision)


def _decide(
    session: Session, app_id: str, template_id: str, state: str, *, actor: str, note: str, revision: int | None
) -> MessageTemplate:
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise InvalidArgument(f"a note is at most {MAX_NOTE:,} characters", field="note")
    template = find(session, app_id, template_id)
    before = _described(template)
    now = utcnow()
    changes: dict[str, Any] = {"state": state, "review_note": note, "updated_at": now}
    if state == APPROVED:
        changes |= {
            "title": MessageTemplate.proposed_title,
            "fields": MessageTemplate.proposed_fields,
            "kind": MessageTemplate.proposed_kind,
            "proposed_title": None,
            "proposed_fields": None,
            "proposed_kind": None,
            "approved_at": now if template.approved_at is None else template.approved_at,
        }
    # One conditional UPDATE decides: of two reviewers deciding at once, the database lets one
    # match (SQLite's single writer; PostgreSQL re-checks the WHERE on the row it locked), and a
    # text changed since the reviewer read it (``revision``) is not the one decided on.
    where = [MessageTemplate.app_id == app_id, MessageTemplate.id == template_id, MessageTemplate.state == IN_REVIEW]
    if revision is not None:
        where.append(MessageTemplate.revision == revision)
    decided: CursorResult[Any] = session.execute(  # type: ignore[assignment]  # an UPDATE's result
        update(MessageTemplate).where(*where).values(**changes).execution_options(synchronize_session=False)
    )
    if decided.rowcount != 1:
        session.refresh(template)
        raise Conflict(
            f"message template {template_id!r} of {app_id} is {template.state.replace('_', ' ')}"
            + (f" (revision {template.revision})" if template.state == IN_REVIEW else "")
            + "; only a template waiting for review, as it was read, can be decided",
            code="TEMPLATE_STATE",
        )
    session.refresh(template)
    audit.record(
        session,
        actor=actor,
        action="approve" if state == APPROVED else "reject",
        target_kind="message_template",
        target_id=f"{app_id}/{template_id}",
        reason=note,
        before=before,
        after=_described(template),
    )
    return template


def _described(template: MessageTemplate) -> dict[str, Any]:
    """A template as the audit log keeps it."""
    proposed = proposed_text(template)
    return {
        "state": template.state,
        "revision": template.revision,
        "in_effect": {"title": template.title, "fields": list(template.fields), "kind": template.kind}
        if template.approved_at is not None
        else None,
        "proposed": {"title": proposed.title, "fields": list(proposed.fields), "kind": proposed.kind}
        if proposed
        else None,
    }
