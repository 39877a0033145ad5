"""Messages' part of a person's data (openminis/erasure.py): their inbox, what they allowed apps
to send them, and the browsers they get pushes in; all erased with the account."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from openminis.messages.models import Message, MessageGrant, PushSubscription
from openminis.rows import as_dict


def export(session: Session, user_id: str) -> dict[str, Any]:
    inbox = session.scalars(select(Message).where(Message.user_id == user_id).order_by(Message.created_at))
    grants = session.scalars(
        select(MessageGrant)
        .where(MessageGrant.user_id == user_id)
        .order_by(MessageGrant.app_id, MessageGrant.template_id)
    )
    browsers = session.scalars(select(PushSubscription).where(PushSubscription.user_id == user_id))
    return {
        "messages": [as_dict(row) for row in inbox],
        "message_grants": [as_dict(row) for row in grants],
        # The browser's keys are secrets between it and the platform: the endpoint says enough.
        "push_subscriptions": [
            {"endpoint": row.endpoint, "created_at": row.created_at.isoformat()} for row in browsers
        ],
    }


def erase(session: Session, user_id: str) -> None:
    # Each template's sent count stays: it counts what the app did, not who read it.
    session.execute(delete(Message).where(Message.user_id == user_id))
    session.execute(delete(MessageGrant).where(MessageGrant.user_id == user_id))
    session.execute(delete(PushSubscription).where(PushSubscription.user_id == user_id))
