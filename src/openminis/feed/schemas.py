"""What the admin's feed explanation shows: each slot of a person's feed and the parts of its score."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class ExplainedItem(BaseModel):
    position: int
    id: str  # "app:{app_id}" or "post:{post_id}"
    kind: str  # app | post
    category: str
    exposures: int
    clicks: int
    completions: int
    # The weighted parts of the score; they sum to total.
    freshness: float
    ctr: float
    completion: float
    affinity: float
    exploration: float
    total: float


class FeedExplanation(BaseModel):
    snapshot: str
    built_at: datetime
    user_id: str
    items: list[ExplainedItem]
