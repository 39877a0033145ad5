"""The reviewers' routes for message templates made through the Open API (docs/messages.md): the
ones waiting, and the decision on each, in the staff audit log."""

from __future__ import annotations

from fastapi import Path

from openminis.messages import templates
from openminis.messages.openapi import template_out
from openminis.messages.schemas import ReviewedTemplate, ReviewedTemplateList, TemplateDecisionIn
from openminis.web.dependencies import Reviewer, SessionDep
from openminis.web.routing import Router

router = Router(prefix="/api/admin/review/templates", tags=["messages"])
AppId = Path(max_length=40)
TemplateId = Path(max_length=64)


def reviewed_out(waiting: templates.Pending) -> ReviewedTemplate:
    return ReviewedTemplate(
        app_id=waiting.template.app_id,
        app_name=waiting.app_name,
        developer=waiting.developer,
        template=template_out(waiting.template),
        submitted_at=waiting.template.updated_at,
    )


@router.get("", response_model=ReviewedTemplateList)
def review_queue(reviewer: Reviewer, session: SessionDep) -> ReviewedTemplateList:
    """Templates waiting for review, the longest waiting first: the text proposed, and the one in
    effect when there is one."""
    return ReviewedTemplateList(items=[reviewed_out(w) for w in templates.review_queue(session)])


@router.post("/{app_id}/{template_id}/approve", response_model=ReviewedTemplate)
def approve(
    body: TemplateDecisionIn,
    reviewer: Reviewer,
    session: SessionDep,
    app_id: str = AppId,
    template_id: str = TemplateId,
) -> ReviewedTemplate:
    """The text waiting takes effect. ``409 TEMPLATE_STATE`` when it was decided meanwhile, or
    changed since ``revision``."""
    decided = templates.approve(session, app_id, template_id, actor=reviewer, note=body.note, revision=body.revision)
    return reviewed_out(templates.pending(session, decided))


@router.post("/{app_id}/{template_id}/reject", response_model=ReviewedTemplate)
def reject(
    body: TemplateDecisionIn,
    reviewer: Reviewer,
    session: SessionDep,
    app_id: str = AppId,
    template_id: str = TemplateId,
) -> ReviewedTemplate:
    """Refuse the text waiting, with a note the developer reads (required)."""
    decided = templates.reject(session, app_id, template_id, actor=reviewer, note=body.note, revision=body.revision)
    return reviewed_out(templates.pending(session, decided))
