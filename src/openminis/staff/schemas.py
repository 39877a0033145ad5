from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class StaffMeOut(BaseModel):
    email: str | None
    role: str | None
    acts: list[str]


class AuditEntryOut(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    target_kind: str
    target_id: str
    reason: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditPage(BaseModel):
    items: list[AuditEntryOut]
    next_cursor: str | None
