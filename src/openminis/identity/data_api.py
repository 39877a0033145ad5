"""A person's own data: download it (GET /api/me/data) and delete the account (POST /api/me/delete)."""

from __future__ import annotations

import json

from fastapi import Response
from pydantic import Field

from openminis import erasure
from openminis.inputs import Input
from openminis.openapi.schemas import ErrorOut
from openminis.runtime.schemas import Ok
from openminis.web.dependencies import CurrentPerson, DeletingPerson, PlatformDep, SessionDep, clear_session_cookie
from openminis.web.routing import Router

router = Router(prefix="/api/me", tags=["identity"])


class DeleteAccountIn(Input):
    confirm: str = Field(max_length=16, description='"DELETE", typed by the person in the confirmation step')


@router.get(
    "/data",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}, "description": "everything kept about the person"}},
)
def download(visitor: CurrentPerson, session: SessionDep, platform: PlatformDep) -> Response:
    platform.conversions.flush()  # conversions still buffered in this process are the person's too
    data = erasure.export(session, platform.events, visitor.user.id)
    body = json.dumps(data, ensure_ascii=False, indent=1, default=str)
    filename = f"openminis-data-{visitor.user.id}.json"
    return Response(
        body,
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "private, no-store"},
    )


@router.post(
    "/delete", response_model=Ok, responses={410: {"model": ErrorOut, "description": "the account was already deleted"}}
)
def delete_account(
    body: DeleteAccountIn, response: Response, visitor: DeletingPerson, session: SessionDep, platform: PlatformDep
) -> Ok:
    """Erase the person's personal data, keep their money records pseudonymised, sign this browser out."""
    erasure.erase(
        session,
        user_id=visitor.user.id,
        confirmation=body.confirm,
        media=platform.storage,
        mailbox=platform.mailbox,
    )
    clear_session_cookie(response, platform)
    return Ok()
