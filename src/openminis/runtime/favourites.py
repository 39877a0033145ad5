"""A person's favourite apps: added and removed from the launcher's menu, listed newest first.

Adding is idempotent (a second tap, or two devices at once, keeps one row); so is removing. An app
must be one a person can open to be added; one taken down later stays in the list but has no card
(cards are built for open apps only), so it reappears if the app is restored.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openminis.catalog import service as catalog
from openminis.errors import NotFound
from openminis.runtime.models import Favourite

# Enough for a long list on the hub; beyond it the oldest are simply not listed.
MAX_LISTED = 100


def add_favourite(session: Session, *, user_id: str, app_id: str) -> None:
    if catalog.published_app(session, app_id) is None:
        raise NotFound(f"no app {app_id!r} to add", field="app_id")
    if session.get(Favourite, (user_id, app_id)) is not None:
        return
    try:
        with session.begin_nested():
            session.add(Favourite(user_id=user_id, app_id=app_id))
            session.flush()
    except IntegrityError:
        # Added at the same moment by another request of the same person: theirs stands.
        if session.get(Favourite, (user_id, app_id)) is None:
            raise


def remove_favourite(session: Session, *, user_id: str, app_id: str) -> None:
    session.execute(delete(Favourite).where(Favourite.user_id == user_id, Favourite.app_id == app_id))
    session.flush()


def is_favourite(session: Session, *, user_id: str, app_id: str) -> bool:
    return session.get(Favourite, (user_id, app_id)) is not None


def favourite_app_ids(session: Session, user_id: str, limit: int = MAX_LISTED) -> list[str]:
    statement = (
        select(Favourite.app_id)
        .where(Favourite.user_id == user_id)
        .order_by(Favourite.created_at.desc(), Favourite.app_id)
        .limit(limit)
    )
    return list(session.scalars(statement))
