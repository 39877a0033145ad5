"""Opaque keyset cursors: a page ends at a row, the next page starts after it, none is repeated."""

from __future__ import annotations

import base64
import json
from datetime import datetime

from openminis.errors import InvalidArgument


def encode_cursor(created_at: datetime, key: str | int) -> str:
    raw = json.dumps([created_at.isoformat(), key]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str | int]:
    try:
        created, key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(key, (str, int)):
            raise TypeError("key")
        return datetime.fromisoformat(created), key
    except (ValueError, TypeError) as exc:
        raise InvalidArgument("cursor is not one this server issued", field="cursor") from exc
