"""Subscribe messages (docs/messages.md): the templates an app declares, the sends each person
granted it, the messages in each person's inbox, and where Web Push reaches them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, ForeignKeyConstraint, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openminis.db import Base, utcnow


class MessageTemplate(Base):
    """A kind of message an app may send: its title and the names of its fields, plain text.
    ``title``, ``fields`` and ``kind`` are the text people are asked and sent once the template was
    approved (``approved_at``); a change made through the Open API waits in ``proposed_*`` for a
    reviewer (``state`` in_review, then approved or rejected with ``review_note``), the approved
    text staying in effect meanwhile (templates.py)."""

    __tablename__ = "message_templates"

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(40))
    fields: Mapped[list[str]] = mapped_column(JSON)
    kind: Mapped[str] = mapped_column(String(10))  # one-time | long-term
    # The review of the latest text submitted: approved (nothing waiting), in_review or rejected.
    state: Mapped[str] = mapped_column(String(16), default="approved")
    proposed_title: Mapped[str | None] = mapped_column(String(40), default=None)
    proposed_fields: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    proposed_kind: Mapped[str | None] = mapped_column(String(10), default=None)
    review_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    # One more for each text submitted: a reviewer decides on the text they read, not a later one.
    revision: Mapped[int] = mapped_column(default=0, server_default="0")
    approved_at: Mapped[datetime | None] = mapped_column(default=None)  # None: never approved, not usable
    declared_in: Mapped[str] = mapped_column(String(8))  # manifest | api: a release retires only its own
    active: Mapped[bool] = mapped_column(default=True)
    # Messages delivered with this template, ever: the inbox copies are erased with their reader.
    sent: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class MessageGrant(Base):
    """What one person allowed an app to send them with one template: ``one_time`` sends left
    (each accept of a one-time template adds one, each send takes one), or ``long_term`` until
    they revoke it."""

    __tablename__ = "message_grants"
    __table_args__ = (
        ForeignKeyConstraint(
            ["app_id", "template_id"], ["message_templates.app_id", "message_templates.id"], ondelete="CASCADE"
        ),
    )

    app_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    template_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    one_time: Mapped[int] = mapped_column(default=0)
    long_term: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Message(Base):
    """A message in a person's inbox, as it was sent (the template's title copied: a later edit
    does not rewrite what the person already read)."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_inbox", "user_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    template_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(40))
    fields: Mapped[dict[str, str]] = mapped_column(JSON)
    query: Mapped[dict[str, str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(default=None)


class PushSubscription(Base):
    """A browser's Web Push subscription (PushSubscription.toJSON()) for one person."""

    __tablename__ = "push_subscriptions"
    __table_args__ = (UniqueConstraint("user_id", "endpoint", name="uq_push_subscriptions_user_endpoint"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(String(1000))
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class VapidKey(Base):
    """The platform's one VAPID key pair (RFC 8292), made on first need: push services know the
    platform by its public half."""

    __tablename__ = "push_vapid_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    private_pem: Mapped[str] = mapped_column(Text)
    public_key: Mapped[str] = mapped_column(String(100))  # the raw P-256 point, base64url: applicationServerKey
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
