"""Rows as JSON-ready dicts: what a person's data download (openminis/erasure.py) is made of."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from openminis.db import Base


def plain(value: Any) -> Any:
    """A column's value as JSON has it: dates and times in ISO 8601, everything else as it is."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def as_dict(row: Base, *, leave: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every column of ``row`` but those in ``leave`` (a secret the person never sees, say)."""
    return {
        column.key: plain(getattr(row, column.key)) for column in row.__mapper__.column_attrs if column.key not in leave
    }
