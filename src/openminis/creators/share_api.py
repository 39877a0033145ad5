"""Host route for making share links (``/s/{code}`` itself is a host page: web/pages.py)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from openminis.creators import sharing
from openminis.platform import Platform
from openminis.web.dependencies import Visitor, changing_visitor, get_platform, get_session

router = APIRouter(prefix="/api", tags=["sharing"])


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
def share(
    body: ShareIn,
    visitor: Visitor = Depends(changing_visitor),
    session: Session = Depends(get_session),
    platform: Platform = Depends(get_platform),
) -> ShareOut:
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
