"""Opaque keyset cursors: a page ends at a row, the next page starts after it, none is repeated.

A cursor comes back from the client, so decoding it is parsing untrusted input: anything this
server did not issue (bad base64 or JSON, a naive or out-of-range time, a key of the wrong type,
an integer no column holds, invalid text) is a 422, never a value that fails inside a query.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import TypeVar

from openminis import text
from openminis.errors import InvalidArgument

Key = TypeVar("Key", str, int)

MAX_KEY_LENGTH = 128
INT64 = 2**63


def encode_cursor(created_at: datetime, key: str | int) -> str:
    raw = json.dumps([created_at.isoformat(), key]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, key_type: type[Key]) -> tuple[datetime, Key]:
    """The cursor's time (UTC) and row key, which must be of ``key_type`` (the key column's type)."""
    try:
        created, key = text.json_value(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        at = datetime.fromisoformat(created)
        if at.tzinfo is None or not _is_key(key, key_type):
            raise TypeError("not a cursor of this server")
        return at.astimezone(UTC), key
    except (ValueError, TypeError, OverflowError) as exc:
        raise InvalidArgument("cursor is not one this server issued", field="cursor") from exc


def _is_key(key: object, key_type: type) -> bool:
    if key_type is int:
        return type(key) is int and -INT64 <= key < INT64
    return type(key) is str and len(key) <= MAX_KEY_LENGTH and text.is_valid(key)
