"""Host route for making share links (``/s/{code}`` itself is a host page: web/pages.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from openminis.creators import sharing
from openminis.web.dependencies import ChangingPerson, PlatformDep, SessionDep
from openminis.web.routing import Router

router = Router(prefix="/api", tags=["sharing"])


class ShareIn(BaseModel):
    kind: Literal["app", "series", "episode", "post"]
    app_id: str | None = Field(default=None, max_length=40)
    series_id: str | None = Field(default=None, max_length=32)
    episode: int | None = Field(default=None, ge=1, le=10_000)
    post_id: str | None = Field(default=None, max_length=32)


class ShareOut(BaseModel):
    code: str
    url: str


@router.post("/share", response_model=ShareOut)
def share(body: ShareIn, visitor: ChangingPerson, session: SessionDep, platform: PlatformDep) -> ShareOut:
    """A link to something, that names the person sharing it as the source of what it brings."""
    code = sharing.create(
        session,
        platform.secret,
        sharer_id=visitor.user.id,
        kind=body.kind,
        app_id=body.app_id,
        series_id=body.series_id,
        episode=body.episode,
        post_id=body.post_id,
    )
    return ShareOut(code=code, url=f"{platform.settings.public_url}/s/{code}")
