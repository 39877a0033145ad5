"""What people, developers, staff and backends send: request bodies' models.

An ``Input`` refuses any field it does not know, naming it (``field``), as ``extra="forbid"``
does. It also keeps a body full of unknown fields cheap: pydantic makes one error per unknown
field, and FastAPI copies every one of them before the error handler reads only the first. A
900 KB body of 82,000 unknown keys, sent without credentials, held the event loop for 0.6 s and
more each, and four at once stalled every request (a probe, input52). The first unknown field
is the only one left in for validation to name.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, model_validator


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
