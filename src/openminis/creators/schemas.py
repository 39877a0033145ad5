"""What the host and the Open API show of creators, posts, conversions and the ranked feed."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from openminis.catalog.schemas import Card


class CreatorIn(BaseModel):
    """Becoming a creator, or editing the profile. The service checks the rules (handle pattern, lengths)."""

    # The limits the service holds to (creators/service.py), said in the schema: it said 200 and
    # 1,000, which the service refused past 60 and 200 (a probe, screens54). Counted, as the service
    # counts them, once the spaces around are off (a bio of 200 and a newline: attack54b).
    handle: str = Field(max_length=64)  # 3-32 once a leading "@" and spaces are taken off
    display_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)]
    bio: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""


class CreatorOut(BaseModel):
    user_id: str
    handle: str
    display_name: str
    bio: str = ""
    avatar_url: str


AnchorKind = Literal["app", "series", "episode"]


class MyCreator(BaseModel):
    """The person's creator profile, or None: most people are not creators, and that is no error."""

    creator: CreatorOut | None


class AnchorOut(BaseModel):
    """Where a post's chip leads. ``card`` is the app that opens (for a drama anchor, the drama's app)."""

    kind: AnchorKind
    app_id: str
    series_id: str | None = None
    episode: int | None = None
    title: str
    card: Card


class PostOut(BaseModel):
    id: str
    creator: CreatorOut
    caption: str
    category: str
    status: str  # uploaded | ready | failed
    progress: int
    error: str | None = None
    duration_ms: int
    video_url: str | None = None  # 480p MP4, what the feed autoplays
    video_url_hd: str | None = None  # 720p MP4
    poster_url: str | None = None
    anchor: AnchorOut | None = None
    created_at: datetime
    published_at: datetime | None = None
    likes: int = 0
    liked: bool = False  # by the person asking
    following: bool = False  # the person asking follows the post's creator


class FeedItem(BaseModel):
    """One slot of the feed: a mini-program card, a creator's post, or the marker that everything
    new has been shown (older items follow it)."""

    kind: Literal["app", "post", "caught_up"]
    id: str  # "app:{app_id}", "post:{post_id}" or "caught_up": unique within a feed
    card: Card | None = None
    post: PostOut | None = None


class FeedPage(BaseModel):
    items: list[FeedItem]
    next_cursor: str | None = None
    snapshot: str  # which ranking snapshot ordered this page (pages of one cursor chain share it)


class ConversionOut(BaseModel):
    kind: str  # purchase | unlock (an episode) | series | pass | ad_reward
    app_id: str
    source: str | None
    post_id: str | None
    currency: str
    revenue: int
    commission: int
    clawed_back: int
    at: datetime


class EarningsOut(BaseModel):
    """A creator's earnings accounts (by currency) and the conversions behind them, newest first."""

    balances: dict[str, int]  # COIN and USD_MICROS
    conversions: list[ConversionOut]
    next_cursor: str | None = None


class LikeOut(BaseModel):
    post_id: str
    liked: bool
    likes: int


class FollowOut(BaseModel):
    creator: CreatorOut
    following: bool
    followers: int


class CreatorProfile(BaseModel):
    """A creator's public page: who they are, their posts newest first, the apps those posts link to."""

    creator: CreatorOut
    followers: int
    following: bool  # the person asking follows them
    posts: list[PostOut]
    apps: list[Card]


class FollowingPage(BaseModel):
    """The Following tab: posts of the creators the person follows, newest first."""

    items: list[PostOut]
    next_cursor: str | None = None
