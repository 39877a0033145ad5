"""What the admin's feed explanation shows: each slot of a person's feed and the parts of its score."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from openminis.feed.ranking import Explained


class FeedExplanation(BaseModel):
    snapshot: str
    built_at: datetime
    user_id: str
    items: list[Explained]  # the ranking's own rows: pydantic validates and serializes the dataclass
