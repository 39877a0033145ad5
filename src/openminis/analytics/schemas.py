from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from openminis.inputs import Input

# play / complete: a creator post's video started / was watched to its end (they carry post_id).
# episode_play / episode_complete: the same for a drama episode in the host's player (series_id
# and episode). resume: a closed app kept alive in the page was opened again (it carries the
# launch_id of the launch it continues; no new launch is recorded, so funnels and ranking skip it).
EventType = Literal[
    "exposure", "click", "launch", "resume", "ready", "session_end", "gameplay", "play", "complete",
    "episode_play", "episode_complete",
]  # fmt: skip


class EventIn(Input):
    """One event as the host or SDK reports it; ``ts`` is the client's clock in ms since the epoch."""

    type: EventType
    app_id: str = Field(max_length=40)
    ts: int
    launch_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{32}$")
    source: str | None = Field(default=None, max_length=32)
    load_ms: int | None = Field(default=None, ge=0, le=600_000)
    duration_ms: int | None = Field(default=None, ge=0, le=86_400_000)
    prewarmed: bool | None = None
    post_id: str | None = Field(default=None, pattern=r"^pst_[0-9a-f]{20}$")  # the creator post the event is about
    creator_id: str | None = Field(default=None, max_length=32)
    series_id: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9_-]{1,32}$"
    )  # the drama series an episode event is about
    episode: int | None = Field(default=None, ge=1, le=10_000)  # its episode number


class Rejection(BaseModel):
    index: int
    reason: str


class IngestOut(BaseModel):
    accepted: int
    rejected: list[Rejection]
