"""Date-time parameters: ISO 8601 with or without an offset, naive meaning UTC.

Columns hold UTC (db.UTCDateTime), so a parameter is converted to UTC where it is parsed: a naive
one would be refused deep in a query (a server error), and one at +08:00 compared as text on SQLite
as if it were UTC. Malformed or out-of-range values are a 422 like any invalid parameter.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, TypeAdapter

from openminis.db import as_utc

UtcDateTime = Annotated[datetime, AfterValidator(as_utc)]


_DATETIME = TypeAdapter(datetime)


def _utc_day_of(value: object) -> object:
    """A full date-time names its UTC day (naive: UTC); a plain day is left to the date parser."""
    if isinstance(value, str) and len(value) > len("2026-01-01"):
        return as_utc(_DATETIME.validate_python(value)).date()
    return value


# A report's day: ``2026-01-01``, or any ISO 8601 time of it (``2026-01-01T08:00:00+08:00`` is
# 2026-01-01 in UTC).
UtcDay = Annotated[date, BeforeValidator(_utc_day_of)]
