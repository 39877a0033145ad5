from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from openminis.catalog.manifest import OneLine
from openminis.inputs import Input

# What a person or a producer sends about coins (a price, an amount confirmed): no field it does
# not know, each of its own JSON type: an amount is a number, not "20", 20.0 or true (a probe
# bought unlocks with them and set a price of true, one coin), as payments/schemas.Strict.
MONEY = ConfigDict(strict=True)


# A series' words the host shows beside its own (the paywall: "All of TITLE unlocked", the hub, the
# episode sheet): one line without bidi or invisible characters, as an app's name (a probe set a
# title of "\u202eevil" and genres of 10,000 characters). Its language is a BCP 47 tag as its
# subtitles' are (drama/subtitles.py), its age rating a short mark such as 12+ or PG-13.
Genre = Annotated[OneLine, Field(min_length=1, max_length=32)]
LANGUAGE_TAG = r"^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-([A-Za-z]{2}|[0-9]{3}))?$"
AGE_RATING = r"^[A-Za-z0-9+-]{1,8}$"


class SeriesIn(Input):
    model_config = MONEY

    title: OneLine = Field(min_length=1, max_length=120)
    synopsis: str = Field(default="", max_length=2000)
    genres: list[Genre] = Field(default_factory=list, max_length=10)
    language: str = Field(default="en", max_length=16, pattern=LANGUAGE_TAG)
    age_rating: str = Field(default="12+", max_length=8, pattern=AGE_RATING)
    free_episodes: int = Field(default=3, ge=0, le=1000)
    episode_price: int = Field(default=30, ge=1, le=100_000)
    series_price: int | None = Field(default=None, ge=1, le=100_000)
    ad_unlock: bool = True
    ad_unlocks_per_day: int = Field(default=5, ge=0, le=1000)


class SeriesPatch(Input):
    """What a producer changes: the fields sent, the others as they are. ``series_price`` null
    takes the whole-series price off sale (a producer could set it and never clear it, dev54);
    null is no value for the rest."""

    model_config = MONEY

    title: OneLine | None = Field(default=None, min_length=1, max_length=120)
    synopsis: str | None = Field(default=None, max_length=2000)
    genres: list[Genre] | None = Field(default=None, max_length=10)
    language: str | None = Field(default=None, max_length=16, pattern=LANGUAGE_TAG)
    age_rating: str | None = Field(default=None, max_length=8, pattern=AGE_RATING)
    free_episodes: int | None = Field(default=None, ge=0, le=1000)
    episode_price: int | None = Field(default=None, ge=1, le=100_000)
    series_price: int | None = Field(default=None, ge=1, le=100_000)
    ad_unlock: bool | None = None
    ad_unlocks_per_day: int | None = Field(default=None, ge=0, le=1000)

    @field_validator("*")
    @classmethod
    def _not_null(cls, value: object, info: ValidationInfo) -> object:
        # Runs on the fields sent only (a default is not validated): null sent is refused.
        if value is None and info.field_name != "series_price":
            raise ValueError("must not be null: leave it out to keep it as it is")
        return value

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class EpisodeOut(BaseModel):
    number: int
    title: str
    status: str
    progress: int
    duration_ms: int
    error: str | None = None
    subtitles: list[str] = Field(default_factory=list, description="languages with subtitles")

    @field_validator("subtitles", mode="before")
    @classmethod
    def _languages(cls, value: object) -> object:
        # The episode keeps language -> object key; the producer sees the languages.
        return sorted(value) if isinstance(value, dict) else value


class SeriesOut(BaseModel):
    id: str
    app_id: str
    title: str
    synopsis: str
    genres: list[str]
    language: str
    age_rating: str
    status: str
    free_episodes: int
    episode_price: int
    series_price: int | None
    ad_unlock: bool
    ad_unlocks_per_day: int
    cover_url: str | None = None
    episode_count: int = 0


class ProducerSeriesOut(SeriesOut):
    episodes: list[EpisodeOut]


class SeriesList(BaseModel):
    items: list[SeriesOut]


class ViewerEpisodeOut(BaseModel):
    number: int
    title: str
    duration_ms: int
    access: str | None  # free | coins | ad | series | pass, or None when locked
    thumbnail_url: str | None = None


class ProgressOut(BaseModel):
    episode_number: int
    position_ms: int


class PassOut(BaseModel):
    id: str
    title: str
    period_days: int
    price: int
    series_id: str | None


class ProducerPassOut(PassOut):
    active: bool = Field(description="on sale; a retired pass keeps those subscribed until they cancel")


class ProducerPassList(BaseModel):
    items: list[ProducerPassOut]


class ViewerSeriesOut(SeriesOut):
    # The series' app's rewarded ad unit the player shows for an ad unlock (None: no ad unlocks).
    ad_unit_id: str | None = None
    episodes: list[ViewerEpisodeOut]
    progress: ProgressOut | None
    passes: list[PassOut]


class UnlockIn(Input):
    model_config = MONEY

    method: Literal["coins", "ad"]
    ad_id: str | None = Field(default=None, max_length=64, description="the completed rewarded ad, for method 'ad'")
    # For method "coins": the episode price the person confirmed; any other price answers 409
    # PRICE_CHANGED with the price now, and charges nothing (payments/prices.py).
    amount: int | None = Field(
        default=None, ge=0, le=100_000_000, description="the price the person confirmed, for method 'coins'"
    )
    currency: str | None = Field(default=None, min_length=3, max_length=4, description="COIN, for method 'coins'")
    launch_id: str | None = Field(
        default=None, max_length=32, description="the launch the player was opened in (attribution)"
    )


class BuySeriesIn(Input):
    model_config = MONEY

    amount: int = Field(ge=0, le=100_000_000, description="the series price the person confirmed")
    currency: str = Field(min_length=3, max_length=4, description="COIN")
    launch_id: str | None = Field(
        default=None, max_length=32, description="the launch the player was opened in (attribution)"
    )


class SubscribeIn(Input):
    model_config = MONEY

    amount: int = Field(ge=0, le=100_000_000, description="the pass's price per period the person confirmed")
    currency: str = Field(min_length=3, max_length=4, description="COIN")
    launch_id: str | None = Field(default=None, max_length=32, description="the launch the player was opened in")


class AccessOut(BaseModel):
    number: int
    access: str


class SubtitleTrackOut(BaseModel):
    language: str
    url: str


class PreviewOut(BaseModel):
    """The scrubber's sprite (``urls.preview``): tile ``k`` shows the frame at ``k * every_ms``."""

    every_ms: int
    count: int
    columns: int
    width: int
    height: int


class PlaybackOut(BaseModel):
    expires_at: int
    urls: dict[str, str]
    subtitles: list[SubtitleTrackOut] = Field(default_factory=list)
    preview: PreviewOut | None = None


class ProgressIn(Input):
    episode_number: int = Field(ge=1, le=10_000)
    position_ms: int = Field(ge=0, le=86_400_000)
    # The page that saves (any id it chose) and this save's number among its saves, counting up:
    # of two saves of one page, the one with the lower number never replaces the other.
    page: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{8,32}$")
    seq: int | None = Field(default=None, ge=0, le=2**31 - 1)

    @model_validator(mode="after")
    def _page_and_seq_together(self) -> ProgressIn:
        if (self.page is None) != (self.seq is None):
            raise ValueError("page and seq go together")
        return self


class PassIn(Input):
    model_config = MONEY

    title: str = Field(min_length=1, max_length=80)
    period_days: Literal[7, 30]
    price: int = Field(ge=1, le=100_000)
    series_id: str | None = Field(default=None, max_length=32)


class SubscriptionOut(BaseModel):
    id: str
    pass_id: str
    status: str
    period: int
    current_period_end: datetime


class SubscriptionItem(SubscriptionOut):
    """A subscription as the person's list shows it, with what it is for."""

    title: str
    app_id: str
    series_id: str | None  # None: every series of the app
    price: int  # coins per period
    period_days: int
    renews: bool = Field(
        default=False,
        description="charged again at current_period_end: an active pass, unless the person owns every series"
        " it covers (it ends then)",
    )


class SubscriptionList(BaseModel):
    items: list[SubscriptionItem]
