from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from openminis.moderation.service import MAX_APPEAL, MAX_NOTE, MAX_REPORT_TEXT, Kind, Reason

# App ids, post ids, series ids, user ids, an episode's "series_id:number", a creator's "@handle".
ItemId = Field(min_length=1, max_length=120, pattern=r"^@?[A-Za-z0-9_.:-]+$")


class ReportIn(BaseModel):
    kind: Kind
    id: str = ItemId
    reason: Reason
    text: str = Field(default="", max_length=MAX_REPORT_TEXT)


class ReportOut(BaseModel):
    kind: str
    id: str
    reason: str
    text: str
    created_at: datetime
    updated_at: datetime


class MyReport(BaseModel):
    """A report the person made and what became of it (``outcome``: open, taken_down, restored, dismissed)."""

    kind: str
    id: str
    title: str | None  # what they reported, as it is called now; None once its owner deleted it
    reason: str
    outcome: str
    created_at: datetime
    closed_at: datetime | None


class MyReports(BaseModel):
    items: list[MyReport]


class AppealIn(BaseModel):
    kind: Kind
    id: str = ItemId
    text: str = Field(min_length=1, max_length=MAX_APPEAL)


class AppealOut(BaseModel):
    id: int
    kind: str
    item_id: str
    text: str
    status: str  # open | granted | denied
    answer: str
    created_at: datetime
    answered_at: datetime | None


class ItemOut(BaseModel):
    kind: str
    id: str
    title: str
    subtitle: str
    visible: bool


class TakedownOut(BaseModel):
    down: bool
    reason: str
    note: str
    at: datetime
    round: int


class MyTakedown(BaseModel):
    """Something of the person's that is taken down, why, and their appeal of it."""

    item: ItemOut
    takedown: TakedownOut
    appeal: AppealOut | None
    may_appeal: bool


class MyTakedowns(BaseModel):
    items: list[MyTakedown]


# The moderators' side ---------------------------------------------------------------------------


class TakedownIn(BaseModel):
    reason: Reason
    note: str = Field(default="", max_length=MAX_NOTE)


class NoteIn(BaseModel):
    note: str = Field(default="", max_length=MAX_NOTE)


class AnswerIn(BaseModel):
    grant: bool
    answer: str = Field(default="", max_length=MAX_NOTE)


class ReporterOut(BaseModel):
    user_id: str
    name: str  # the email of a full account, else its display name
    guest: bool


class QueueReport(BaseModel):
    id: int
    reporter: ReporterOut
    reason: str
    text: str
    outcome: str  # open | taken_down | dismissed
    created_at: datetime
    updated_at: datetime


class StaffTakedownOut(TakedownOut):
    actor: str


class AppealAdminOut(AppealOut):
    appellant_id: str
    answered_by: str | None


class HistoryEntry(BaseModel):
    at: datetime
    actor: str
    action: str
    reason: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class ItemDetail(BaseModel):
    item: ItemOut
    takedown: StaffTakedownOut | None
    open_reports: int
    reasons: dict[str, int]
    reports: list[QueueReport]
    appeals: list[AppealAdminOut]
    history: list[HistoryEntry]


class QueueOut(BaseModel):
    view: str
    items: list[ItemDetail]


class ReasonsOut(BaseModel):
    reasons: list[str]
    kinds: list[str]
