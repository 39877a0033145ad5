"""What the admin's feed explanation shows: each slot of a person's feed and the parts of its score."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from openminis.catalog.schemas import Card
from openminis.creators.schemas import CreatorOut
from openminis.drama.schemas import SeriesOut
from openminis.feed.ranking import Explained


class FeedExplanation(BaseModel):
    snapshot: str
    built_at: datetime
    user_id: str
    items: list[Explained]  # the ranking's own rows: pydantic validates and serializes the dataclass


class Span(BaseModel):
    """Where the query matched in a result's name: [start, end) in characters, for its highlight."""

    start: int
    end: int


class SeriesHit(BaseModel):
    series: SeriesOut
    match: Span | None


class CreatorHit(BaseModel):
    creator: CreatorOut
    match: Span | None  # in the display name, else in the handle


class SearchResults(BaseModel):
    """Apps (``items``, each a launchable card), drama series and creators, each best match first.
    ``suggested``: the query was empty or matched nothing, and these are popular picks instead."""

    items: list[Card]
    matches: dict[str, Span]  # app id -> where its name matched
    series: list[SeriesHit]
    creators: list[CreatorHit]
    suggested: bool


class RecentSeries(BaseModel):
    """A series the person watched: where they left off (``episode_number``) and when."""

    series: SeriesOut
    episode_number: int
    played_at: datetime


class Recents(BaseModel):
    """Recently played: apps (``items``, latest first; ``played_at`` by app id) and series."""

    items: list[Card]
    played_at: dict[str, datetime]
    series: list[RecentSeries]
