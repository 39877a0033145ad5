"""What the host lists: the ranked feed, the hub by kind, search results and recently played."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from openminis import text
from openminis.catalog import cards
from openminis.catalog import service as catalog
from openminis.catalog.schemas import CardList
from openminis.creators import service as creators
from openminis.creators.schemas import FeedItem, FeedPage
from openminis.db import utcnow
from openminis.drama import access as drama_access
from openminis.drama import catalog as drama
from openminis.errors import InvalidArgument, NotFound
from openminis.feed.ranking import Ranking, RankingSnapshot, Slot
from openminis.feed.schemas import FeedExplanation, Span
from openminis.identity import accounts
from openminis.identity import service as identity
from openminis.runtime import service as runtime
from openminis.settings import Settings

if TYPE_CHECKING:  # names only: the rows come from their domains' services
    from openminis.creators.models import Creator
    from openminis.drama.models import Series, WatchProgress

SNAPSHOT_ID = re.compile(r"^[0-9a-f]{12}\Z")
MAX_POSITION = 10_000_000
MAX_EPOCH = 2**37  # far past any real time, within what datetime takes
SUGGESTIONS = 6
SUGGESTION_POOL = 60  # the newest this many games and series are ranked for suggestions
POPULAR_FOR = timedelta(days=7)


def feed_page(
    session: Session, settings: Settings, ranking: Ranking, *, user_id: str, cursor: str | None, limit: int
) -> FeedPage:
    """Positions [p, p + limit) of the person's endless order in one snapshot: first what they had
    not been shown when the chain began, then the caught-up card, then everything again, round
    after round (RankingSnapshot.person_slots). A cursor carries the snapshot, p and when the chain
    began, so the pages of one chain neither repeat nor skip an item.

    A cursor whose snapshot is no longer kept (after KEPT rebuilds, a restart, or another worker
    process) continues from the same position in the newest snapshot. Which items an earlier page
    showed is not in the cursor, so across that switch an item may repeat or be skipped; the page
    says which snapshot it came from.
    """
    if cursor is None:
        snapshot, position, began = ranking.current(session), 0, int(ranking.clock().timestamp())
    else:
        snapshot_id, position, began = decode_cursor(cursor)
        snapshot = ranking.find(snapshot_id) or ranking.current(session)
    seen = ranking.seen(snapshot, user_id, datetime.fromtimestamp(began, UTC))
    slots = snapshot.person_slots(ranking.affinity(snapshot, user_id), seen, position, position + limit)
    end = position + len(slots)
    items = _items(session, settings, slots, user_id)
    ranking.served.record(user_id, _served(items))
    return FeedPage(
        items=items,
        next_cursor=encode_cursor(snapshot.id, end, began) if slots and end < MAX_POSITION else None,
        snapshot=snapshot.id,
    )


def _items(session: Session, settings: Settings, slots: list[Slot], viewer: str) -> list[FeedItem]:
    """The page's items in slot order; one deleted or unpublished since the snapshot is left out."""
    ranked = [slot for slot in slots if slot is not None]
    post_ids = [items.ids[i] for items, i in ranked if items.kind == "post"]
    ready = creators.posts_by_id(session, post_ids)
    posts = {out.id: out for out in creators.post_outs(session, settings, ready, viewer=viewer)}
    apps = cards.cards(session, settings, [items.ids[i] for items, i in ranked if items.kind == "app"], viewer=viewer)
    result = []
    for slot in slots:
        if slot is None:
            result.append(FeedItem(kind="caught_up", id="caught_up"))
            continue
        items, i = slot
        item_id = items.ids[i]
        if items.kind == "post" and item_id in posts:
            result.append(FeedItem(kind="post", id=f"post:{item_id}", post=posts[item_id]))
        elif items.kind == "app" and item_id in apps:
            result.append(FeedItem(kind="app", id=f"app:{item_id}", card=apps[item_id]))
    return result


def _served(items: list[FeedItem]) -> list[tuple[str, str | None]]:
    """The page's apps and posts as (app id, post id), as the host reports their signals: a post
    with the app it anchors to (one without an anchor reports none)."""
    served: list[tuple[str, str | None]] = []
    for item in items:
        if item.card is not None:
            served.append((item.card.app_id, None))
        elif item.post is not None and item.post.anchor is not None:
            served.append((item.post.anchor.app_id, item.post.id))
    return served


def encode_cursor(snapshot_id: str, position: int, began: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([snapshot_id, position, began]).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, int, int]:
    """The snapshot, the position and when the chain began (epoch seconds)."""
    try:
        snapshot_id, position, began = text.json_value(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError) as exc:
        raise InvalidArgument("cursor is not one this server issued", field="cursor") from exc
    if not (
        isinstance(snapshot_id, str)
        and SNAPSHOT_ID.match(snapshot_id)
        and type(position) is int
        and 0 <= position <= MAX_POSITION
        and type(began) is int
        and 0 <= began <= MAX_EPOCH
    ):
        raise InvalidArgument("cursor is not one this server issued", field="cursor")
    return snapshot_id, position, began


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


@dataclass(frozen=True)
class Found:
    """What a search found, each kind best first, with the matched part of each name."""

    apps: CardList
    series: list[tuple[Series, Span | None]]
    creators: list[tuple[Creator, Span | None]]
    app_matches: dict[str, Span]
    suggested: bool  # nothing was asked, or nothing matched: these are popular picks instead


def search(session: Session, settings: Settings, *, query: str, viewer: str | None, limit: int = 30) -> Found:
    """Each kind ranked by how well its name answers the query, then by how popular it was this
    past week (launches of an app, people watching a series)."""
    query = query.strip()
    since = utcnow() - POPULAR_FOR
    if query:
        apps = _in_order(
            session, settings, [app.id for app, _ in catalog.list_apps(session, query=query, limit=limit).apps], viewer
        )
        series = drama.search_series(session, query, limit=limit)
        people = creators.search_creators(session, query, limit=limit)
        if apps.items or series or people:
            plays = runtime.plays_since(session, [card.app_id for card in apps.items], since)
            viewers = drama.viewers_since(session, [s.id for s in series], since)
            ranked_apps = sorted(apps.items, key=lambda card: (-weight(query, card.name), -plays.get(card.app_id, 0)))
            ranked_series = sorted(series, key=lambda s: (-weight(query, s.title), -viewers.get(s.id, 0)))
            return Found(
                apps=CardList(items=ranked_apps),
                series=[(s, span(query, s.title)) for s in ranked_series],
                creators=[
                    (c, span(query, c.display_name) or span(query, c.handle))
                    for c in sorted(people, key=lambda c: -max(weight(query, c.handle), weight(query, c.display_name)))
                ],
                app_matches={card.app_id: found for card in ranked_apps if (found := span(query, card.name))},
                suggested=False,
            )
    # Suggestions: this past week's most played games and most watched series (newest first among equals).
    games = hub(session, settings, kind="game", viewer=viewer, limit=SUGGESTION_POOL).items
    plays = runtime.plays_since(session, [card.app_id for card in games], since)
    shelf = drama.list_series(session)[:SUGGESTION_POOL]
    viewers = drama.viewers_since(session, [s.id for s in shelf], since)
    return Found(
        apps=CardList(items=sorted(games, key=lambda card: -plays.get(card.app_id, 0))[:SUGGESTIONS]),
        series=[(s, None) for s in sorted(shelf, key=lambda s: -viewers.get(s.id, 0))[:SUGGESTIONS]],
        creators=[],
        app_matches={},
        suggested=True,
    )


def weight(query: str, name: str) -> int:
    """How well ``name`` answers ``query``: the whole name, its start, a word's start, anywhere
    in it, or only in another field (a description, a synopsis)."""
    query, name = query.casefold(), name.casefold()
    if name == query:
        return 4
    if name.startswith(query):
        return 3
    if any(word.startswith(query) for word in name.split()):
        return 2
    return 1 if query in name else 0


def span(query: str, name: str) -> Span | None:
    """Where ``query`` first occurs in ``name`` (case-insensitive), for the result's highlight."""
    at = name.casefold().find(query.strip().casefold())
    # casefold may change a name's length (ß -> ss): a span is only given where it stays aligned.
    if at < 0 or len(name.casefold()) != len(name):
        return None
    return Span(start=at, end=at + len(query.strip()))


def _in_order(session: Session, settings: Settings, app_ids: list[str], viewer: str | None) -> CardList:
    """The apps' cards in the order given, each at the version this person gets."""
    found = cards.cards(session, settings, app_ids, viewer=viewer)
    return CardList(items=[found[app_id] for app_id in app_ids if app_id in found])


@dataclass(frozen=True)
class Played:
    """What a person played lately: apps (``apps``, with ``app_times`` their last launch) and the
    series they watched, each with where they left off."""

    apps: CardList
    app_times: dict[str, datetime]
    series: list[tuple[Series, WatchProgress]]


def recents(session: Session, settings: Settings, *, user_id: str) -> Played:
    plays = runtime.recent_plays(session, user_id)
    found = cards.cards(session, settings, [app_id for app_id, _ in plays], viewer=user_id)
    # A drama's app has no package (its series play in the host's player), hence no card here:
    # its series come with the person's progress instead.
    return Played(
        apps=CardList(items=[found[app_id] for app_id, _ in plays if app_id in found]),
        app_times={app_id: at for app_id, at in plays if app_id in found},
        series=drama_access.recent_progress(session, user_id),
    )
