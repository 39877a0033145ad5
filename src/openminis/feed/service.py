"""What the host lists: the ranked feed, the hub by kind, search results and recently played."""

from __future__ import annotations

import base64
import json
import re

from sqlalchemy.orm import Session

from openminis.catalog import cards
from openminis.catalog import service as catalog
from openminis.catalog.schemas import CardList
from openminis.creators import service as creators
from openminis.creators.schemas import FeedItem, FeedPage
from openminis.errors import InvalidArgument, NotFound
from openminis.feed.ranking import Ranked, Ranking, RankingSnapshot
from openminis.feed.schemas import FeedExplanation
from openminis.identity import accounts
from openminis.identity import service as identity
from openminis.runtime import service as runtime
from openminis.settings import Settings

SNAPSHOT_ID = re.compile(r"^[0-9a-f]{12}$")
MAX_POSITION = 10_000_000


def feed_page(
    session: Session, settings: Settings, ranking: Ranking, *, user_id: str, cursor: str | None, limit: int
) -> FeedPage:
    """Positions [p, p + limit) of the person's order in one snapshot: a cursor carries the snapshot
    and p, so the pages of one chain neither repeat nor skip an item.

    A cursor whose snapshot is no longer kept (after KEPT rebuilds, a restart, or another worker
    process) continues from the same position in the newest snapshot. Which items an earlier page
    showed is not in the cursor, so across that switch an item may repeat or be skipped; the page
    says which snapshot it came from.
    """
    if cursor is None:
        snapshot, position = ranking.current(session), 0
    else:
        snapshot_id, position = decode_cursor(cursor)
        snapshot = ranking.find(snapshot_id) or ranking.current(session)
    slots = snapshot.slots(ranking.affinity(snapshot, user_id), position, position + limit)
    end = position + len(slots)
    return FeedPage(
        items=_items(session, settings, slots, user_id),
        next_cursor=encode_cursor(snapshot.id, end) if end < snapshot.size else None,
        snapshot=snapshot.id,
    )


def _items(session: Session, settings: Settings, slots: list[tuple[Ranked, int]], viewer: str) -> list[FeedItem]:
    """The page's items in slot order; one deleted or unpublished since the snapshot is left out."""
    post_ids = [items.ids[i] for items, i in slots if items.kind == "post"]
    ready = creators.posts_by_id(session, post_ids)
    posts = {out.id: out for out in creators.post_outs(session, settings, ready, viewer=viewer)}
    apps = cards.cards(session, settings, [items.ids[i] for items, i in slots if items.kind == "app"], viewer=viewer)
    result = []
    for items, i in slots:
        item_id = items.ids[i]
        if items.kind == "post" and item_id in posts:
            result.append(FeedItem(kind="post", id=f"post:{item_id}", post=posts[item_id]))
        elif items.kind == "app" and item_id in apps:
            result.append(FeedItem(kind="app", id=f"app:{item_id}", card=apps[item_id]))
    return result


def encode_cursor(snapshot_id: str, position: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([snapshot_id, position]).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, int]:
    try:
        snapshot_id, position = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError) as exc:
        raise InvalidArgument("cursor is not one this server issued", field="cursor") from exc
    if not (
        isinstance(snapshot_id, str)
        and SNAPSHOT_ID.match(snapshot_id)
        and type(position) is int
        and 0 <= position <= MAX_POSITION
    ):
        raise InvalidArgument("cursor is not one this server issued", field="cursor")
    return snapshot_id, position


def explain(session: Session, ranking: Ranking, *, person: str, limit: int, fresh: bool = False) -> FeedExplanation:
    """The top of a person's feed with each score part, from the newest snapshot (a new one if
    ``fresh``). ``person`` is a user id or an email."""
    if not 1 <= limit <= 500:
        raise InvalidArgument("limit is 1 to 500", field="limit")
    user_id = _person(session, person)
    snapshot: RankingSnapshot = ranking.rebuild(session) if fresh else ranking.current(session)
    rows = snapshot.explain(ranking.affinity(snapshot, user_id), limit)
    return FeedExplanation(snapshot=snapshot.id, built_at=snapshot.built_at, user_id=user_id, items=rows)


def _person(session: Session, person: str) -> str:
    person = person.strip()
    if not person or len(person) > 254:
        raise InvalidArgument("name a person by user id or email", field="user_id")
    if "@" in person:
        try:
            email = accounts.normalize_email(person)
        except InvalidArgument as exc:
            raise InvalidArgument(exc.message, field="user_id") from None
        user = accounts.user_by_email(session, email)
    else:
        user = identity.get_user(session, person)
    if user is None:
        raise NotFound(f"no person {person!r}", field="user_id")
    return user.id


def hub(session: Session, settings: Settings, *, kind: str, viewer: str | None, limit: int = 60) -> CardList:
    page = catalog.list_apps(session, kind=kind, limit=limit)
    return _in_order(session, settings, [app.id for app, _ in page.apps], viewer)


def search(session: Session, settings: Settings, *, query: str, viewer: str | None, limit: int = 30) -> CardList:
    if not query.strip():
        return CardList(items=[])
    page = catalog.list_apps(session, query=query, limit=limit)
    return _in_order(session, settings, [app.id for app, _ in page.apps], viewer)


def _in_order(session: Session, settings: Settings, app_ids: list[str], viewer: str | None) -> CardList:
    """The apps' cards in the order given, each at the version this person gets."""
    found = cards.cards(session, settings, app_ids, viewer=viewer)
    return CardList(items=[found[app_id] for app_id in app_ids if app_id in found])


def recents(session: Session, settings: Settings, *, user_id: str) -> CardList:
    app_ids = runtime.recent_app_ids(session, user_id)
    found = cards.cards(session, settings, app_ids, viewer=user_id)
    # A drama's app has no package (its series play in the host's player), hence no card here.
    return CardList(items=[found[app_id] for app_id in app_ids if app_id in found])
