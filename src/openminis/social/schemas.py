from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from openminis.catalog.manifest import MAX_SCORE, OneLine
from openminis.inputs import Input, at_most


class BoardOut(BaseModel):
    id: str
    sort: Literal["desc", "asc"]
    format: Literal["integer", "time_ms", "decimal2"]
    reset: Literal["never", "daily", "weekly", "monthly"]
    timezone: str
    client_scores: bool
    max_score: int | None


class BoardIn(Input):
    """A board as ``PUT /leaderboards/{id}`` takes it (the manifest's fields, but its id)."""

    sort: Literal["desc", "asc"] = "desc"
    format: Literal["integer", "time_ms", "decimal2"] = "integer"
    reset: Literal["never", "daily", "weekly", "monthly"] = "never"
    timezone: str = Field(default="UTC", max_length=64)
    client_scores: bool = False
    max_score: int | None = Field(default=None, ge=0, le=MAX_SCORE)  # client scores are 0 or more


class BoardList(BaseModel):
    items: list[BoardOut]


class ScoreIn(Input):
    """A score from the app's front end (minis.leaderboard.submit), in the launch's context."""

    score: int = Field(ge=-MAX_SCORE, le=MAX_SCORE, strict=True)
    context: str | None = Field(default=None, max_length=32)


class BackendScoreIn(Input):
    """A score from the app's backend: trusted, for anyone who launched the app."""

    openid: str = Field(min_length=1, max_length=64)
    score: int = Field(ge=-MAX_SCORE, le=MAX_SCORE, strict=True)
    tournament_id: str | None = Field(default=None, max_length=32)


class SubmittedOut(BaseModel):
    board: str
    period: str
    best: int = Field(description="the person's best in the period, this score included")
    improved: bool
    rank: int


class EntryOut(BaseModel):
    rank: int
    score: int
    name: str = Field(description='the display name, or "Player" for someone who did not share their profile')
    avatar_url: str
    me: bool = False


class BackendEntryOut(EntryOut):
    openid: str


class StandingsOut(BaseModel):
    board: BoardOut
    period: str
    players: int
    items: list[EntryOut]


class BackendStandingsOut(BaseModel):
    board: BoardOut
    period: str
    players: int
    items: list[BackendEntryOut]


class TournamentIn(Input):
    board: str = Field(min_length=1, max_length=64)
    ends_at: datetime


class ContextOut(BaseModel):
    id: str
    type: Literal["share", "tournament"]
    members: int
    board: str | None = None
    ends_at: datetime | None = None
    ended: bool = False


class MemberOut(BaseModel):
    name: str
    avatar_url: str


class MemberList(BaseModel):
    items: list[MemberOut]


class ShareIn(Input):
    title: OneLine = Field(min_length=1, max_length=120)
    image: str | None = Field(default=None, max_length=200)
    # Bounded here, before its values are read: 90,000 values that were not text each made an
    # error of their own, seconds of the event loop (a probe, attack52); contexts.check_query
    # holds it to 16 keys and 1 KiB after.
    query: Annotated[dict[str, str], at_most(16)] = Field(default_factory=dict)
    context: str | None = Field(default=None, max_length=32)


class ShareOut(BaseModel):
    token: str
    url: str
    context: str
