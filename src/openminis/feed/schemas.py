"""What the admin's feed explanation shows (each slot of a person's feed and the parts of its score),
search results, and the hub's sections."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

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


class RankedCard(BaseModel):
    """An app in a ranking, with what ranks it (players, coins) and how the hub says it."""

    card: Card
    value: int
    label: str


class DramaProgress(BaseModel):
    """A series the person is watching, and where they are in it."""

    series_id: str
    app_id: str
    title: str
    cover_url: str | None = None
    episode: int
    episodes: int
    label: str  # "Episode 4 of 10"


class HubSection(BaseModel):
    """One shelf of the hub. ``layout`` says which list it fills: row -> cards, ranking -> ranked,
    dramas -> dramas. The hub leaves out a section with nothing in it."""

    id: str  # continue | favourites | watching | new | popular | most_played | top_grossing | rising | category:{name}
    title: str
    layout: Literal["row", "ranking", "dramas"]
    cards: list[Card] = []
    ranked: list[RankedCard] = []
    dramas: list[DramaProgress] = []


class HubSections(BaseModel):
    sections: list[HubSection]


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
