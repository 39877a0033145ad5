from __future__ import annotations

from pydantic import BaseModel


class Card(BaseModel):
    """A mini-program as the host shows it in the feed, hub, search and recents."""

    app_id: str
    name: str
    kind: str
    category: str
    description: str
    version: str
    icon_url: str
    origin: str
    entry_url: str
    orientation: str
    preview_url: str | None = None  # a short looping video or animation, shown muted while the card is current


class CardList(BaseModel):
    items: list[Card]
    next_cursor: str | None = None


class VersionOut(BaseModel):
    app_id: str
    version: str
    size_bytes: int
    file_count: int
    sha256: str
    entry_url: str
