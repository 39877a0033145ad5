"""What people, developers, staff and backends send: request bodies' models.

An ``Input`` refuses any field it does not know, naming it (``field``), as ``extra="forbid"``
does. It also keeps a body full of unknown fields cheap: pydantic makes one error per unknown
field, and FastAPI copies every one of them before the error handler reads only the first. A
900 KB body of 82,000 unknown keys, sent without credentials, held the event loop for 0.6 s and
more each, and four at once stalled every request (a probe, input52). The first unknown field
is the only one left in for validation to name.

A dict field is bounded with ``at_most``, not ``max_length`` alone: pydantic reads every value of a
dict, one error each, before it looks at its length (90,000 values that were not text: 5 s).
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, model_validator
from pydantic_core import PydanticCustomError


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")

    _known: ClassVar[dict[type, frozenset[str] | None]] = {}

    @model_validator(mode="before")
    @classmethod
    def _one_unknown_field_at_most(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        known = cls._known_names()
        if known is None:
            return data
        unknown = [key for key in data if key not in known]
        if len(unknown) <= 1:
            return data
        first = unknown[0]
        return {key: value for key, value in data.items() if key in known or key == first}

    @classmethod
    def _known_names(cls) -> frozenset[str] | None:
        """The field names and aliases a body may use, computed once per model; None where a field
        takes a choice or a path of aliases, which this cannot tell apart from unknown fields: an
        alias taken for unknown and kept, and the unknown field dropped, would let that field in."""
        if cls not in Input._known:
            found: set[str] = set()
            for name, field in cls.model_fields.items():
                aliases = (field.alias, field.validation_alias)
                if any(alias is not None and not isinstance(alias, str) for alias in aliases):
                    Input._known[cls] = None
                    return None
                found.update([name, *(alias for alias in aliases if isinstance(alias, str))])
            Input._known[cls] = frozenset(found)
        return Input._known[cls]


class _AtMost:
    """A dict's or a list's size, checked before any of its items is read (``at_most``)."""

    def __init__(self, count: int):
        self.count = count

    def __call__(self, value: Any) -> Any:
        if isinstance(value, dict | list) and len(value) > self.count:
            raise PydanticCustomError(
                "too_long",
                "should have at most {max_length} items",
                {"field_type": "Object", "max_length": self.count, "actual_length": len(value)},
            )
        return value


def at_most(count: int) -> BeforeValidator:
    """``Annotated[dict[...], at_most(16)]``: at most ``count`` items, refused before they are read."""
    return BeforeValidator(_AtMost(count))
