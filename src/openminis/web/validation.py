"""What a person reads when a request's fields do not hold up: one sentence naming the field in
words (``display_name`` -> "Display name"), never the validator's own text, which speaks to
programmers ("String should have at most 254 characters"). The field's name stays in ``field``
for the form to put the sentence under it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LOCATIONS = ("body", "query", "path")


def field_of(error: Mapping[str, Any]) -> str | None:
    """The dotted name of the field an error is about (``items.0.quantity``), none for the body.
    Only the first part may name where the field was (the body, the query string, the path): a
    field named ``query`` (a share's, a message's) was dropped as if it were one (a probe, dev52)."""
    loc = tuple(error.get("loc", ()))
    if loc and loc[0] in LOCATIONS:
        loc = loc[1:]
    return ".".join(str(part) for part in loc) or None


def label(field: str | None) -> str:
    if not field:
        return "This request"
    last = next((part for part in reversed(field.split(".")) if not part.isdigit()), field)
    words = last.replace("_", " ").strip() or last
    return words[:1].upper() + words[1:]


def message(error: Mapping[str, Any]) -> str:
    """The sentence for one validation error of pydantic's (its ``type`` and ``ctx``)."""
    name = label(field_of(error))
    kind = str(error.get("type", ""))
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    if kind == "missing" or (kind == "string_too_short" and ctx.get("min_length") == 1):
        return f"{name} is needed: fill it in."
    if kind == "string_too_short":
        return f"{name} needs at least {ctx.get('min_length')} characters."
    if kind == "string_too_long":
        return f"{name} can be at most {ctx.get('max_length')} characters."
    if kind in ("too_short", "too_long") and ctx.get("field_type") == "Value":  # text checked after a validator
        bound = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
        return f"{name} {'needs at least' if kind == 'too_short' else 'can be at most'} {bound} characters."
    if kind in ("too_short", "too_long"):  # a list or a map (a title in each language)
        bound = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
        entries = "entry" if bound == 1 else "entries"
        return f"{name} {'needs at least' if kind == 'too_short' else 'can have at most'} {bound} {entries}."
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"{name} must be a whole number."
    if kind in ("float_parsing", "float_type", "decimal_parsing"):
        return f"{name} must be a number."
    if kind in ("bool_parsing", "bool_type"):
        return f"{name} must be yes or no (true or false)."
    if kind == "greater_than_equal":
        return f"{name} must be at least {ctx.get('ge')}."
    if kind == "greater_than":
        return f"{name} must be more than {ctx.get('gt')}."
    if kind == "less_than_equal":
        return f"{name} must be at most {ctx.get('le')}."
    if kind == "less_than":
        return f"{name} must be less than {ctx.get('lt')}."
    if kind in ("literal_error", "enum"):
        return f"{name} must be one of {ctx.get('expected')}."
    if kind == "string_pattern_mismatch":
        return f"{name} isn’t in the form it needs: check it for typos."
    if kind == "list_type":  # a probe sent one payout id for the list of them: "Ids isn't valid."
        return f"{name} must be a list, in [ ], even of one."
    if kind == "string_type":
        return f"{name} must be text, in quotes."
    if kind in ("json_invalid", "model_attributes_type", "dict_type", "model_type"):
        # A field's own object ("query": "") is that field's mistake, not the whole request's (dev52).
        if field_of(error) is not None:
            return f"{name} must be an object, in {{ }}."
        return "The request isn’t in the form the platform reads (a JSON object)."
    if kind == "value_error" and str(ctx.get("error", "")).startswith("must "):
        # The platform's own validators say what a value must be ("must be one line of visible text, ...")
        return f"{name} {ctx['error']}."
    if kind == "extra_forbidden":
        return f"{name} is not something this request takes."
    return f"{name} isn’t valid."
