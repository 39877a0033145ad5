"""The developer console's message templates, on the person's session: each with its review state
and a rejection's note (the same answer as the Open API's GET /message-templates)."""

from __future__ import annotations

from fastapi import Path

from openminis.developers import team
from openminis.messages import templates
from openminis.messages.openapi import template_out
from openminis.messages.schemas import TemplateList
from openminis.web.dependencies import CurrentDeveloper, SessionDep
from openminis.web.routing import Router

router = Router(prefix="/api/developer/apps/{app_id}", tags=["developers"])
AppId = Path(max_length=40)


@router.get("/message-templates", response_model=TemplateList)
def list_templates(developer: CurrentDeveloper, session: SessionDep, app_id: str = AppId) -> TemplateList:
    team.member_app(session, developer, app_id, act="see")
    found = [template_out(t) for t in templates.list_templates(session, app_id)]
    return TemplateList(items=found, sent=sum(t.sent for t in found))
