from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from openminis.catalog.schemas import Card
from openminis.inputs import Input


class DeveloperIn(Input):
    name: str = Field(max_length=80)


class DeveloperOut(BaseModel):
    id: str
    name: str


class AppIn(Input):
    app_id: str = Field(max_length=40)
    name: str = Field(max_length=60)
    kind: Literal["game", "drama"]
    category: str = Field(default="", max_length=32)


class AppCreatedOut(BaseModel):
    app_id: str
    app_secret: str = Field(description="shown this once; the platform keeps only its hash")


class RotateIn(Input):
    grace_seconds: int = Field(default=86_400, ge=0, le=7 * 86_400)


class SecretOut(BaseModel):
    app_secret: str
    previous_valid_for_seconds: int


class DeveloperAppOut(BaseModel):
    app_id: str
    name: str
    kind: str
    category: str = ""
    role: str = "owner"
    latest_version: str | None = Field(description="the version everyone gets (the released one)")
    staged_version: str | None = None
    staged_percent: int = 0
    icon_url: str | None = None


class DeveloperAppList(BaseModel):
    items: list[DeveloperAppOut]


class VersionEventOut(BaseModel):
    action: str
    state: str
    actor: str
    note: str
    at: datetime


class ConsoleVersionOut(BaseModel):
    version: str
    state: str
    created_at: datetime
    size_bytes: int
    file_count: int
    share: int = Field(description="the percent of people who get it now: 100 for the released version")
    went_to_everyone: bool = Field(
        default=False,
        description="everyone once had it (released to 100 % or rolled back to): only such a version is rolled back to",
    )
    may_release: bool = Field(
        default=False,
        description="the platform takes a release of it, to a share or to everyone: approved, superseded or staged",
    )
    may_stage: bool = Field(
        default=False,
        description="the platform takes a release of it to a share below 100 %: beside a released version",
    )
    may_roll_back: bool = Field(
        default=False,
        description="the platform takes a rollback to it: everyone once had it, and not everyone has it now",
    )
    may_check_again: bool = Field(
        default=False,
        description="the platform takes a Check again: not yet submitted, and no checks of it under way",
    )
    check_report: dict[str, Any] | None
    preview_url: str = Field(description="the host page that opens this version as a preview, for the team and testers")
    history: list[VersionEventOut] = []


class ConsoleVersionList(BaseModel):
    items: list[ConsoleVersionOut]
    next_cursor: str | None = None


class NoteIn(Input):
    note: str = Field(default="", max_length=2000)


class ReleaseIn(Input):
    percent: int = Field(ge=1, le=100, description="the share of people who get this version, by a stable hash")


class RollbackIn(Input):
    version: str = Field(max_length=64)
    note: str = Field(default="", max_length=2000)


class MemberOut(BaseModel):
    developer_id: str
    name: str
    role: str
    added_at: datetime


class InviteIn(Input):
    email: str = Field(max_length=254)
    role: Literal["owner", "developer", "viewer", "tester"]


class InviteOut(BaseModel):
    id: str
    app_id: str
    email: str
    role: str
    created_at: datetime


class TeamOut(BaseModel):
    members: list[MemberOut]
    invitations: list[InviteOut]


class InvitationList(BaseModel):
    items: list[InviteOut]


class RoleIn(Input):
    role: Literal["owner", "developer", "viewer", "tester"] | None = Field(description="None removes the member")


class MeOut(BaseModel):
    id: str | None = Field(description="the developer profile's id; None until the person registers as a developer")
    name: str | None
    email: str | None
    reviewer: bool = Field(description="whether the person reviews versions for the platform")


class PreviewOut(BaseModel):
    card: Card = Field(description="the version's card, its files under a short-lived preview capability")
    version: str
    state: str
    preview: bool = True


class DecisionIn(Input):
    note: str = Field(default="", max_length=2000, description="why; required to reject")
    percent: int | None = Field(default=None, ge=1, le=100, description="approve and release to this share at once")


class Change(BaseModel):
    field: str
    before: Any = None
    after: Any = None


class ReviewItem(BaseModel):
    app_id: str
    app_name: str
    kind: str
    released_version: str | None
    version: ConsoleVersionOut
    manifest_changes: list[Change]
    product_changes: list[Change]


class ReviewList(BaseModel):
    items: list[ReviewItem]
