"""``minis.json``: the manifest at the root of every package, and its schema."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import semver
from pydantic import AfterValidator, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from openminis import text
from openminis.inputs import Input

# An app id is the first DNS label of the app's origin, so it must be a valid, lowercase label.
APP_ID = re.compile(r"^[a-z](?:[a-z0-9-]{1,38}[a-z0-9])\Z")
CATEGORY = re.compile(r"^[a-z][a-z0-9-]{0,31}\Z")
DOMAIN = re.compile(r"^(?:\*\.)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\Z")
ICON_TYPES = (".png", ".svg", ".webp", ".jpg", ".jpeg")
# A card's looping preview: a short muted video, or an animated image.
PREVIEW_TYPES = (".mp4", ".webm", ".gif", ".webp", ".png")
# A product's, leaderboard's or message template's id, and a category, as the schema checks them.
# Not dots alone: an id is a segment of the routes it names, and ".." took a browser to the
# route above it (social56: a board named ".." submitted to /api/apps/{app}/scores).
ITEM_ID = r"^[A-Za-z0-9_.-]*[A-Za-z0-9_-][A-Za-z0-9_.-]*$"
ITEM_ID_MAX = 64
CATEGORY_FORM = r"^[a-z][a-z0-9-]*$"
# No spaces, quotes or angle brackets: the host puts it in a link's href as it is.
PRIVACY_URL = re.compile(r"^(?:https://[^\s\"'<>]+|http://(?:localhost|127\.0\.0\.1)(?::\d+)?(?:/[^\s\"'<>]*)?)\Z")


# A name or title the host shows beside its own words (the pay sheet, consent sheets, the hub): a bidi
# override in it would reverse the host's sentence after it (a probe: "... would like your name" read
# backwards in the consent sheet), a line separator would break it, a zero-width space would make it
# a look-alike of another app's name.
ONE_LINE = "one line of visible text, without control, bidi, zero-width or line separator characters"


def _one_line(value: str, info: ValidationInfo) -> str:
    if (text.has_controls(value) or text.has_invisible(value)) and not _stored(info):
        raise ValueError(f"must be {ONE_LINE}")
    return value


# What a stored version's manifest is read with (``stored``): the rules on how text shows (one line,
# no bidi marks) came after some versions were stored, and a version that passed the rules of its
# upload is released, rolled back to and listed as it was. Every other rule is as old as the format.
STORED = {"stored": True}


def _stored(info: ValidationInfo) -> bool:
    return bool(info.context and info.context.get("stored"))


OneLine = Annotated[str, AfterValidator(_one_line)]


class ManifestProduct(Input):
    """An item the app sells for coins, declared with the package (or later through the Open API)."""

    id: str = Field(pattern=ITEM_ID, max_length=ITEM_ID_MAX)
    type: Literal["consumable", "permanent"]
    price: int = Field(ge=1, le=1_000_000, description="in coins")
    title: dict[str, str] = Field(min_length=1, max_length=20, description="locale -> title, e.g. {'en': 'Extra life'}")

    @field_validator("title")
    @classmethod
    def _titles_are_short(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        for locale, title in value.items():
            if not 0 < len(locale) <= 16 or not 0 < len(title) <= 80:
                raise ValueError("locales are 1-16 characters and titles 1-80")
            _one_line(title, info)
        return value


# Scores travel to apps as JavaScript numbers: beyond 2**53 - 1 they would no longer be exact.
MAX_SCORE = 2**53 - 1


class ManifestLeaderboard(Input):
    """A leaderboard the app keeps scores on (docs/social.md), declared with the package or later
    through the Open API (``PUT /leaderboards/{id}``)."""

    id: str = Field(pattern=ITEM_ID, max_length=ITEM_ID_MAX)
    sort: Literal["desc", "asc"] = "desc"
    format: Literal["integer", "time_ms", "decimal2"] = "integer"
    reset: Literal["never", "daily", "weekly", "monthly"] = "never"
    timezone: str = Field(default="UTC", max_length=64, description="an IANA zone: where a day begins")
    client_scores: bool = Field(default=False, description="may minis.leaderboard.submit() post scores?")
    max_score: int | None = Field(default=None, ge=0, le=MAX_SCORE, description="the cap on client scores (0 or more)")

    @field_validator("timezone")
    @classmethod
    def _timezone_is_known(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone (like UTC or Europe/Paris)") from None
        return value


# A message field's name: the key the backend sends its value under (docs/messages.md).
MESSAGE_FIELD = re.compile(r"^[a-z][a-z0-9_]{0,31}\Z")


class ManifestMessage(Input):
    """A subscribe message template (docs/messages.md): a title the consent sheet shows, the names
    of the fields each message fills in, and whether one accept allows one send or many."""

    model_config = ConfigDict(str_strip_whitespace=True)

    id: str = Field(pattern=ITEM_ID, max_length=ITEM_ID_MAX)
    title: OneLine = Field(min_length=1, max_length=40, description="plain text, shown as it is")
    fields: list[str] = Field(default_factory=list, max_length=10)
    kind: Literal["one-time", "long-term"] = "one-time"

    @field_validator("fields")
    @classmethod
    def _fields_are_names(cls, values: list[str]) -> list[str]:
        if not all(MESSAGE_FIELD.match(value) for value in values):
            raise ValueError("fields are names of 1-32 lowercase letters, digits or _, starting with a letter")
        if len(values) != len(set(values)):
            raise ValueError("field names must be unique")
        return values


class Manifest(Input):
    model_config = ConfigDict(str_strip_whitespace=True)

    id: str = Field(description="3-40 chars: lowercase letters, digits and hyphens; starts with a letter")
    name: OneLine = Field(min_length=1, max_length=60)
    kind: Literal["game", "drama"]
    version: str = Field(max_length=64, description="semantic version, e.g. 1.2.0")
    entry: str = Field(default="index.html", max_length=200)
    orientation: Literal["portrait", "landscape", "auto"] = "portrait"
    category: str = Field(min_length=1, max_length=32, pattern=CATEGORY_FORM)
    icon: str = Field(max_length=200)
    preview: str | None = Field(
        default=None,
        max_length=200,
        description="a short looping video or animated image in the package, for the app's card",
    )
    description: str = Field(default="", max_length=500)
    allowed_domains: list[str] = Field(default_factory=list, max_length=20)
    products: list[ManifestProduct] = Field(default_factory=list, max_length=200)
    # The platform the game was made for (``minis import``, docs/compat.md): its page loads that
    # platform's shim, and launches and events are reported by it.
    origin_sdk: Literal["poki", "crazygames", "playables", "fbinstant", "wechat"] | None = None
    # Shown in the launcher's About; an https page of the developer's (http only on localhost).
    privacy_policy_url: str = Field(default="", max_length=300)
    leaderboards: list[ManifestLeaderboard] = Field(default_factory=list, max_length=50)
    messages: list[ManifestMessage] = Field(default_factory=list, max_length=50)

    @field_validator("description")
    @classmethod
    def _description_shows_as_it_reads(cls, value: str, info: ValidationInfo) -> str:
        if text.has_controls(value, newlines=True) and not _stored(info):
            raise ValueError(
                "a description is text without control, bidi or line separator characters (new lines may stay)"
            )
        return value

    @field_validator("id")
    @classmethod
    def _id_is_a_dns_label(cls, value: str) -> str:
        if not APP_ID.match(value) or "--" in value:
            raise ValueError("must be 3-40 lowercase letters, digits or single hyphens, starting with a letter")
        return value

    @field_validator("version")
    @classmethod
    def _version_is_semver(cls, value: str) -> str:
        if not semver.Version.is_valid(value):
            raise ValueError("must be a semantic version such as 1.0.0")
        return value

    @field_validator("entry")
    @classmethod
    def _entry_is_html(cls, value: str) -> str:
        if not value.lower().endswith((".html", ".htm")):
            raise ValueError("must be an .html file")
        return value

    @field_validator("icon")
    @classmethod
    def _icon_is_an_image(cls, value: str) -> str:
        if not value.lower().endswith(ICON_TYPES):
            raise ValueError(f"must be one of {', '.join(ICON_TYPES)}")
        return value

    @field_validator("preview")
    @classmethod
    def _preview_is_a_video_or_animation(cls, value: str | None) -> str | None:
        if value is not None and not value.lower().endswith(PREVIEW_TYPES):
            raise ValueError(f"must be one of {', '.join(PREVIEW_TYPES)}")
        return value

    @field_validator("products")
    @classmethod
    def _product_ids_are_unique(cls, values: list[ManifestProduct]) -> list[ManifestProduct]:
        ids = [product.id for product in values]
        if len(ids) != len(set(ids)):
            raise ValueError("product ids must be unique")
        return values

    @field_validator("leaderboards")
    @classmethod
    def _leaderboard_ids_are_unique(cls, values: list[ManifestLeaderboard]) -> list[ManifestLeaderboard]:
        ids = [board.id for board in values]
        if len(ids) != len(set(ids)):
            raise ValueError("leaderboard ids must be unique")
        return values

    @field_validator("messages")
    @classmethod
    def _message_ids_are_unique(cls, values: list[ManifestMessage]) -> list[ManifestMessage]:
        ids = [template.id for template in values]
        if len(ids) != len(set(ids)):
            raise ValueError("message template ids must be unique")
        return values

    @field_validator("allowed_domains")
    @classmethod
    def _domains_are_hostnames(cls, values: list[str]) -> list[str]:
        for value in values:
            if not DOMAIN.match(value.lower()):
                raise ValueError(f"{value!r} is not a host name (like api.example.com or *.example.com)")
        return [value.lower() for value in values]

    @field_validator("privacy_policy_url")
    @classmethod
    def _privacy_policy_is_a_web_page(cls, value: str) -> str:
        if value and not PRIVACY_URL.match(value):
            raise ValueError("must be an https:// address (http:// only for localhost)")
        return value


# What each pattern asks for, in words: the validator's own message quotes the regular expression.
PATTERN_WORDS = {
    ITEM_ID: "must be 1 to 64 letters, digits, dots, hyphens or underscores (A-Za-z0-9_.-), no spaces, not dots alone",
    CATEGORY_FORM: "must be lowercase letters, digits and hyphens, starting with a letter (like arcade)",
}


def _number(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def _reason(kind: str, ctx: dict[str, Any], message: str) -> str:
    """What is wrong and what to do, in the platform's words, for one of pydantic's error types.
    The validator's own wording speaks to programmers ("String should have at most 64
    characters", "Input should be a valid integer") and never reaches people (docs/routes.md)."""
    if kind == "missing":
        return "missing: add it"
    if kind == "extra_forbidden":
        return "not a field the platform knows: remove it or check its spelling"
    if kind == "string_too_short":
        if ctx.get("min_length") == 1:
            return "empty: write at least 1 character"
        return f"too short: at least {_number(ctx.get('min_length'))} characters"
    if kind == "string_too_long":
        return f"too long: at most {_number(ctx.get('max_length'))} characters; shorten it"
    if kind == "too_short":
        return f"too few entries: give at least {_number(ctx.get('min_length'))}"
    if kind == "too_long":
        return f"too many entries: at most {_number(ctx.get('max_length'))}; remove some"
    if kind == "string_pattern_mismatch":
        return PATTERN_WORDS.get(str(ctx.get("pattern")), "not in the form it needs: check it for typos")
    if kind in ("literal_error", "enum"):
        return f"must be {ctx.get('expected')}"
    if kind == "greater_than_equal":
        return f"must be at least {_number(ctx.get('ge'))}"
    if kind == "greater_than":
        return f"must be more than {_number(ctx.get('gt'))}"
    if kind == "less_than_equal":
        return f"must be at most {_number(ctx.get('le'))}"
    if kind == "less_than":
        return f"must be less than {_number(ctx.get('lt'))}"
    if kind.startswith("int_"):
        return "must be a whole number, like 100"
    if kind.startswith(("float_", "decimal_")):
        return "must be a number"
    if kind.startswith("bool_"):
        return "must be true or false"
    if kind.startswith("string_"):
        return 'must be text in double quotes, like "text"'
    if kind in ("list_type", "tuple_type", "set_type"):
        return "must be a list in square brackets, like [...]"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "must be an object in braces, like {...}"
    if kind in ("value_error", "assertion_error"):
        # The manifest's own validators, which already say what to write.
        return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return "not valid here: check it for typos"


def describe(error: ValidationError) -> tuple[str, str]:
    """The first problem of a validation error as (field, reason): the field as the manifest names
    it (``products.0.price``), and what to fix in the platform's words."""
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "minis.json"
    return field, _reason(first["type"], dict(first.get("ctx") or {}), first["msg"])
