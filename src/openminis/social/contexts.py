"""Contexts: the people who came through one share chain, or who play one tournament.

A share made inside a context carries it on; one made outside starts a new context with the
sharer in it. Whoever opens the link joins. A tournament is a context with a board and an end
time: its scores rank in a period of their own, and at the end they are final.
"""

from __future__ import annotations

import json
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openminis.catalog import service as catalog
from openminis.db import insert_ignoring_conflicts, utcnow
from openminis.errors import Conflict, InvalidArgument, NotFound
from openminis.social.models import AppShare, Context, ContextMember

SHARE_TOKEN = re.compile(r"^[0-9a-f]{24}\Z")
CONTEXT_ID = re.compile(r"^[0-9a-f]{20}\Z")
QUERY_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,32}\Z")
QUERY_MAX_KEYS = 16
QUERY_MAX_BYTES = 1024
IMAGE = re.compile(r"^(?!/)(?!.*\.\.)[A-Za-z0-9_./-]{1,200}\.(?:png|jpg|jpeg|webp|svg)\Z")
LONGEST_TOURNAMENT = timedelta(days=30)
SHORTEST_TOURNAMENT = timedelta(minutes=1)


class TournamentEnded(Conflict):
    code = "TOURNAMENT_ENDED"


def tournament_period(context: Context) -> str:
    return f"t:{context.id}"


def check_query(query: object) -> dict[str, str]:
    """A share's payload: at most 16 string keys (A-Z a-z 0-9 _ . -) with string values, 1 KiB as JSON."""
    if not isinstance(query, dict):
        raise InvalidArgument("query must be an object of strings", field="query")
    if len(query) > QUERY_MAX_KEYS:
        raise InvalidArgument(f"query holds at most {QUERY_MAX_KEYS} keys", field="query")
    for key, value in query.items():
        if not isinstance(key, str) or not QUERY_KEY.match(key):
            raise InvalidArgument("query keys are 1-32 characters of A-Z a-z 0-9 _ . -", field="query")
        if not isinstance(value, str):
            raise InvalidArgument(f"query[{key!r}] must be a string", field="query")
    if len(json.dumps(query, ensure_ascii=False).encode()) > QUERY_MAX_BYTES:
        raise InvalidArgument(f"query is over {QUERY_MAX_BYTES} bytes as JSON", field="query")
    return dict(query)


def _new_context(session: Session, app_id: str, kind: str, user_id: str, **fields: object) -> Context:
    context = Context(id=secrets.token_hex(10), app_id=app_id, kind=kind, created_by=user_id, **fields)
    session.add(context)
    session.flush()
    join(session, context, user_id)
    return context


def join(session: Session, context: Context, user_id: str) -> None:
    insert_ignoring_conflicts(
        session, ContextMember, {"context_id": context.id, "user_id": user_id, "joined_at": utcnow()}
    )


def context_for(session: Session, app_id: str, context_id: str, user_id: str) -> Context:
    """A context of this app the person is in; any other (not theirs, another app's, none) is NOT_FOUND."""
    context = session.get(Context, context_id) if CONTEXT_ID.match(context_id or "") else None
    if context is None or context.app_id != app_id or not is_member(session, context.id, user_id):
        raise NotFound("no such context of yours in this app", code="NO_SUCH_CONTEXT", field="context")
    return context


def is_member(session: Session, context_id: str, user_id: str) -> bool:
    return session.get(ContextMember, (context_id, user_id)) is not None


def member_ids(session: Session, context_id: str) -> list[str]:
    return list(
        session.scalars(
            select(ContextMember.user_id)
            .where(ContextMember.context_id == context_id)
            .order_by(ContextMember.joined_at)
        )
    )


def member_count(session: Session, context_id: str) -> int:
    return int(
        session.scalar(select(func.count()).select_from(ContextMember).where(ContextMember.context_id == context_id))
        or 0
    )


def create_share(
    session: Session,
    *,
    app_id: str,
    sharer_id: str,
    title: str,
    query: object,
    image: str | None = None,
    context_id: str | None = None,
) -> AppShare:
    """``minis.share``: a link to the app that carries ``query`` and puts its openers in the
    sharer's context (a new one when the sharer is in none)."""
    catalog.open_app(session, app_id)
    title = (title or "").strip()
    if not 0 < len(title) <= 120:
        raise InvalidArgument("title is 1-120 characters", field="title")
    if image is not None and not IMAGE.match(image):
        raise InvalidArgument("image is a picture file of the app's package (like share.png)", field="image")
    payload = check_query(query)
    if context_id:
        context = context_for(session, app_id, context_id, sharer_id)
    else:
        context = _new_context(session, app_id, "share", sharer_id)
    share = AppShare(
        token=secrets.token_hex(12),
        app_id=app_id,
        sharer_id=sharer_id,
        context_id=context.id,
        title=title,
        image=image,
        query=payload,
    )
    session.add(share)
    session.flush()
    return share


def find_share(session: Session, token: str) -> AppShare:
    share = session.get(AppShare, token) if SHARE_TOKEN.match(token or "") else None
    if share is None:
        raise NotFound("no such share link", field="share")
    return share


def is_share_token(token: str) -> bool:
    return bool(SHARE_TOKEN.match(token or ""))


def open_share(session: Session, token: str, user_id: str) -> AppShare:
    """Someone opened a ``minis.share`` link: they join its context."""
    share = find_share(session, token)
    join(session, session.get_one(Context, share.context_id), user_id)
    return share


def create_tournament(
    session: Session, *, app_id: str, board_id: str, ends_at: datetime, user_id: str, now: datetime | None = None
) -> Context:
    """A tournament on one of the app's boards until ``ends_at`` (1 minute to 30 days away); its creator plays in it."""
    now = now or utcnow()
    if ends_at.tzinfo is None:
        raise InvalidArgument("ends_at needs a time zone (an ISO 8601 time with Z or an offset)", field="ends_at")
    if not now + SHORTEST_TOURNAMENT <= ends_at <= now + LONGEST_TOURNAMENT:
        raise InvalidArgument("a tournament ends between 1 minute and 30 days from now", field="ends_at")
    return _new_context(session, app_id, "tournament", user_id, board_id=board_id, ends_at=ends_at)


def check_open(context: Context, now: datetime) -> None:
    if context.ended_at is not None or (context.ends_at is not None and now >= context.ends_at):
        raise TournamentEnded("the tournament has ended: its results are final", field="context")


def require_tournament(session: Session, app_id: str, tournament_id: str) -> Context:
    context = session.get(Context, tournament_id) if CONTEXT_ID.match(tournament_id or "") else None
    if context is None or context.app_id != app_id or context.kind != "tournament":
        raise NotFound("no such tournament of this app", code="NO_SUCH_TOURNAMENT", field="tournament_id")
    return context


def mark_ended(session: Session, context_id: str, now: datetime) -> Context | None:
    """The tournament's end, once: None if it was marked before (a job run twice)."""
    context = session.get(Context, context_id, with_for_update=True)
    if context is None or context.ended_at is not None:
        return None
    context.ended_at = now
    session.flush()
    return context
