from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from openminis.catalog.schemas import Card
from openminis.inputs import Input, at_most


class TemplateIn(Input):
    """A template as ``POST /message-templates`` takes it (the manifest's ``messages`` entries)."""

    id: str = Field(max_length=64)
    title: str = Field(max_length=40)
    fields: list[str] = Field(default_factory=list, max_length=10)
    kind: Literal["one-time", "long-term"] = "one-time"


class TemplateText(BaseModel):
    """What a person reads of a template: what a reviewer approves."""

    title: str
    fields: list[str]
    kind: Literal["one-time", "long-term"]


class TemplateOut(BaseModel):
    id: str
    title: str = Field(description="the text in effect (once approved; before that, the one waiting for review)")
    fields: list[str]
    kind: Literal["one-time", "long-term"]
    state: Literal["approved", "in_review", "rejected"] = Field(
        description="the review of the latest text submitted: approved (nothing waiting), in_review, rejected"
    )
    in_effect: bool = Field(
        description="approved once: people may be asked for it and sent it, with title, fields and kind above"
    )
    proposed: TemplateText | None = Field(description="the text waiting for review, or the one refused")
    review_note: str = Field(description="the reviewer's note on the last decision (why, on a rejection)")
    revision: int = Field(description="one more for each text submitted")
    sent: int = Field(description="messages delivered with this template, ever")


class TemplateList(BaseModel):
    items: list[TemplateOut]
    sent: int = Field(description="messages the app delivered, all templates")


class ReviewedTemplate(BaseModel):
    """A template waiting for a reviewer: whose it is, the text proposed and the one in effect."""

    app_id: str
    app_name: str
    developer: str | None = Field(description="the app's developer, by name")
    template: TemplateOut
    submitted_at: datetime


class ReviewedTemplateList(BaseModel):
    items: list[ReviewedTemplate]


class TemplateDecisionIn(Input):
    note: str = Field(default="", max_length=2000, description="to the developer; required to reject")
    revision: int | None = Field(
        default=None, ge=0, le=2**31 - 1, description="the revision read: a later text is not decided on"
    )


class AskedTemplate(BaseModel):
    """A template as the consent sheet shows it."""

    id: str
    title: str
    kind: Literal["one-time", "long-term"]


class AskedList(BaseModel):
    items: list[AskedTemplate]


class AnswersIn(Input):
    answers: dict[str, Literal["accept", "reject"]] = Field(max_length=10)


class AnswersOut(BaseModel):
    answers: dict[str, Literal["accept", "reject"]]


class SendIn(Input):
    """A message from the app's backend to one person who allowed it."""

    openid: str = Field(min_length=1, max_length=64)
    template_id: str = Field(min_length=1, max_length=64)
    fields: Annotated[dict[str, str], at_most(10)] = Field(default_factory=dict)
    query: Annotated[dict[str, str], at_most(16)] = Field(default_factory=dict)  # service.check_query: further


class SentOut(BaseModel):
    id: str
    template_id: str
    sent_at: datetime


class MessageOut(BaseModel):
    id: str
    app_id: str
    title: str
    fields: dict[str, str]
    query: dict[str, str]
    sent_at: datetime
    read: bool
    card: Card | None = Field(description="the app to open, or null when it is no longer available")


class Inbox(BaseModel):
    items: list[MessageOut]
    unread: int


class Unread(BaseModel):
    unread: int
    push: int = Field(description="browsers this person gets pushes in")


class GrantOut(BaseModel):
    app_id: str
    template_id: str
    title: str
    kind: Literal["one-time", "long-term"]
    one_time: int = Field(description="one-time sends the app has left")
    long_term: bool


class GrantList(BaseModel):
    items: list[GrantOut]


class PushKey(BaseModel):
    public_key: str = Field(description="the platform's VAPID key: PushManager.subscribe's applicationServerKey")


class PushKeys(Input):
    p256dh: str = Field(max_length=200)
    auth: str = Field(max_length=200)


class PushSubscriptionIn(BaseModel):
    """PushSubscription.toJSON(), as the browser gives it."""

    model_config = ConfigDict(extra="ignore")  # expirationTime and whatever browsers add

    endpoint: str = Field(max_length=1000)
    keys: PushKeys


class PushEndpointIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    endpoint: str = Field(max_length=1000)
