"""Date-time parameters: ISO 8601 with or without an offset, naive meaning UTC.

Columns hold UTC (db.UTCDateTime), so a parameter is converted to UTC where it is parsed: a naive
one would be refused deep in a query (a server error), and one at +08:00 compared as text on SQLite
as if it were UTC. Malformed or out-of-range values are a 422 like any invalid parameter.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator


def as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the time is out of range once converted to UTC") from None


UtcDateTime = Annotated[datetime, AfterValidator(as_utc)]
