"""The Minis hub as sections: what the person was playing, keeps as favourites and is watching,
then what is new, popular and rising on the platform, the rankings, and each category.

What is the same for everyone (the board: new, popular, rankings, categories) is built from the
catalog, the launches and the paid orders at most once per TTL per process, and again at once
when the listing changed (changes.generation, as the ranking does). What is the person's own
(recents, favourites, dramas in progress) is read per request. Either way one request costs a fixed number of
queries, whatever the number of apps: the cards of every section come from one cards() call.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from openminis import changes
from openminis.catalog import cards
from openminis.catalog import service as catalog
from openminis.catalog.schemas import Card
from openminis.db import utcnow
from openminis.drama import access as drama_access
from openminis.drama import catalog as drama
from openminis.feed.schemas import DramaProgress, HubSection, HubSections, RankedCard
from openminis.payments import orders
from openminis.runtime import favourites
from openminis.runtime import service as runtime
from openminis.settings import Settings

TTL = timedelta(seconds=60)
# Items per section: a row a thumb scrolls through, not a catalogue.
ROW = 12
CATEGORIES = 6
# Rankings look at a month of purchases; popular and rising at weeks of launches (runtime.players_by_app).
GROSSING_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class Board:
    """The person-independent sections, as app ids (with each ranking's value), best first."""

    built_at: datetime
    generation: int
    new: list[str] = field(default_factory=list)
    popular: list[tuple[str, int]] = field(default_factory=list)
    most_played: list[tuple[str, int]] = field(default_factory=list)
    top_grossing: list[tuple[str, int]] = field(default_factory=list)
    rising: list[tuple[str, int, int]] = field(default_factory=list)  # app, this week, the week before
    categories: list[tuple[str, list[str]]] = field(default_factory=list)


def build_board(session: Session, now: datetime) -> Board:
    generation = changes.generation  # read first: a change during the build makes it stale again
    apps: list[tuple[str, str]] = []  # (id, category), newest first
    cursor = None
    while True:
        page = catalog.list_apps(session, cursor=cursor, limit=500)
        apps += [(app.id, app.category) for app, _version in page.apps]
        cursor = page.next_cursor
        if not cursor:
            break
    listed = {app_id for app_id, _ in apps}
    players = [p for p in runtime.players_by_app(session, now=now) if p.app_id in listed]
    weekly = {p.app_id: p.week for p in players}
    grossing = orders.gross_by_app(session, since=now - GROSSING_WINDOW)

    def best(values: list[tuple[str, int]]) -> list[tuple[str, int]]:
        return sorted((v for v in values if v[1] > 0), key=lambda v: (-v[1], v[0]))[:ROW]

    rising = [p for p in players if p.week > p.previous_week]
    rising.sort(key=lambda p: (-(p.week - p.previous_week) / max(p.previous_week, 1), -p.week, p.app_id))
    by_category: defaultdict[str, list[str]] = defaultdict(list)
    newness = {app_id: n for n, (app_id, _) in enumerate(apps)}
    for app_id, category in apps:
        by_category[category].append(app_id)
    # The busiest categories first, each's apps by this week's players, then newest.
    ordered = sorted(by_category.items(), key=lambda c: (-sum(weekly.get(a, 0) for a in c[1]), c[0]))
    return Board(
        built_at=now,
        generation=generation,
        new=[app_id for app_id, _ in apps[:ROW]],
        popular=best([(p.app_id, p.week) for p in players]),
        most_played=best([(p.app_id, p.month) for p in players]),
        top_grossing=best([(app_id, coins) for app_id, coins in grossing.items() if app_id in listed]),
        rising=[(p.app_id, p.week, p.previous_week) for p in rising[:ROW]],
        categories=[
            (category, sorted(ids, key=lambda a: (-weekly.get(a, 0), newness[a]))[:ROW])
            for category, ids in ordered[:CATEGORIES]
        ],
    )


class Boards:
    """The board a process serves, rebuilt when older than TTL or when the listing changed. One
    request rebuilds; the others meanwhile use the previous board. ``clock`` is injectable."""

    def __init__(self) -> None:
        self.clock: Callable[[], datetime] = utcnow
        self._board: Board | None = None
        self._rebuilding = threading.Lock()

    def current(self, session: Session) -> Board:
        board = self._board
        if board is not None and not self._stale(board):
            return board
        if board is not None and not self._rebuilding.acquire(blocking=False):
            return board
        if board is None:
            self._rebuilding.acquire()
        try:
            if self._board is None or self._stale(self._board):
                self._board = build_board(session, self.clock())
            return self._board
        finally:
            self._rebuilding.release()

    def _stale(self, board: Board) -> bool:
        return self.clock() - board.built_at >= TTL or board.generation != changes.generation


def _players(count: int) -> str:
    return f"{count} player{'' if count == 1 else 's'}"


def _growth(week: int, before: int) -> str:
    return "New this week" if before == 0 else f"+{round(100 * (week - before) / before)}%"


def sections(session: Session, settings: Settings, boards: Boards, *, viewer: str | None) -> HubSections:
    """Every section that has something in it, in the hub's order."""
    board = boards.current(session)
    recent = [app_id for app_id, _ in runtime.recent_plays(session, viewer)] if viewer else []
    favourite = favourites.favourite_app_ids(session, viewer, limit=ROW) if viewer else []
    watching = drama_access.watching(session, viewer) if viewer else []
    wanted = set(recent) | set(favourite) | set(board.new) | {app_id for ids in board.categories for app_id in ids[1]}
    for ranked in (board.popular, board.most_played, board.top_grossing):
        wanted |= {app_id for app_id, _ in ranked}
    wanted |= {app_id for app_id, _, _ in board.rising}
    found = cards.cards(session, settings, wanted, viewer=viewer)
    covers = drama.covers(session, settings.host_origin, {series.id for series, _, _ in watching})

    def row(app_ids: list[str]) -> list[Card]:
        return [found[app_id] for app_id in app_ids if app_id in found]

    def ranking(values: list[tuple[str, int]], label: Callable[[int], str]) -> list[RankedCard]:
        return [RankedCard(card=found[a], value=v, label=label(v)) for a, v in values if a in found]

    result = [
        HubSection(id="continue", title="Continue playing", layout="row", cards=row(recent)),
        HubSection(id="favourites", title="Favourites", layout="row", cards=row(favourite)),
        HubSection(
            id="watching",
            title="Continue watching",
            layout="dramas",
            dramas=[
                DramaProgress(
                    series_id=series.id,
                    app_id=series.app_id,
                    title=series.title,
                    cover_url=covers.get(series.id),
                    episode=episode,
                    episodes=count,
                    label=f"Episode {episode} of {count}",
                )
                for series, episode, count in watching
            ],
        ),
        HubSection(id="new", title="New", layout="row", cards=row(board.new)),
        HubSection(id="popular", title="Popular this week", layout="ranking", ranked=ranking(board.popular, _players)),
        HubSection(
            id="most_played", title="Most played", layout="ranking", ranked=ranking(board.most_played, _players)
        ),
        HubSection(
            id="top_grossing",
            title="Top grossing",
            layout="ranking",
            ranked=ranking(board.top_grossing, lambda coins: f"{coins} coins"),
        ),
        HubSection(
            id="rising",
            title="Rising",
            layout="ranking",
            ranked=[
                RankedCard(card=found[a], value=week, label=_growth(week, before))
                for a, week, before in board.rising
                if a in found
            ],
        ),
    ]
    result += [
        HubSection(id=f"category:{category}", title=category.replace("-", " ").title(), layout="row", cards=row(ids))
        for category, ids in board.categories
    ]
    return HubSections(sections=[s for s in result if s.cards or s.ranked or s.dramas])
