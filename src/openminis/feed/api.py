from __future__ import annotations

from typing import Literal

from fastapi import Query

from openminis.catalog.schemas import CardList
from openminis.creators import service as creators
from openminis.creators.schemas import FeedPage
from openminis.drama.api import series_outs
from openminis.feed import hub as hub_board
from openminis.feed import service
from openminis.feed.schemas import (
    CreatorHit,
    FeedExplanation,
    HubSections,
    Recents,
    RecentSeries,
    SearchResults,
    SeriesHit,
)
from openminis.web.dependencies import AdminOnly, CurrentPerson, PlatformDep, SessionDep, ViewerId
from openminis.web.routing import Router

router = Router(prefix="/api", tags=["feed"])


@router.get("/feed", response_model=FeedPage)
def feed(
    visitor: CurrentPerson,
    session: SessionDep,
    platform: PlatformDep,
    cursor: str | None = Query(default=None, max_length=200),
    limit: int = Query(default=10, ge=1, le=50),
) -> FeedPage:
    return service.feed_page(
        session, platform.settings, platform.ranking, user_id=visitor.user.id, cursor=cursor, limit=limit
    )


@router.get("/admin/feed/explain", response_model=FeedExplanation, dependencies=[AdminOnly])
def explain_feed(
    session: SessionDep,
    platform: PlatformDep,
    user_id: str = Query(min_length=1, max_length=254, description="A user id or an email."),
    limit: int = Query(default=20, ge=1, le=500),
    fresh: bool = Query(
        default=False, description="rank anew from the events received until now, instead of the newest snapshot"
    ),
) -> FeedExplanation:
    """The top of a person's feed in the newest ranking snapshot, with each item's score parts."""
    return service.explain(session, platform.ranking, person=user_id, limit=limit, fresh=fresh)


@router.get("/hub", response_model=CardList)
def hub(
    viewer: ViewerId, session: SessionDep, platform: PlatformDep, kind: Literal["game", "drama"] = "game"
) -> CardList:
    return service.hub(session, platform.settings, kind=kind, viewer=viewer)


@router.get("/hub/sections", response_model=HubSections)
def hub_sections(viewer: ViewerId, session: SessionDep, platform: PlatformDep) -> HubSections:
    """The hub in one call: continue playing and watching (the person's own), new, popular this
    week, the rankings (most played, top grossing, rising) and the categories. Empty ones are left out."""
    return hub_board.sections(session, platform.settings, platform.hub, viewer=viewer)


@router.get("/search", response_model=SearchResults)
def search(
    viewer: ViewerId, session: SessionDep, platform: PlatformDep, q: str = Query(default="", max_length=100)
) -> SearchResults:
    """Games and drama apps, drama series and creators matching ``q``; popular picks when it is
    empty or nothing matches."""
    found = service.search(session, platform.settings, query=q, viewer=viewer)
    base = platform.settings.host_origin
    return SearchResults(
        items=found.apps.items,
        matches=found.app_matches,
        series=[
            SeriesHit(series=out, match=match)
            for out, (_, match) in zip(
                series_outs(session, [s for s, _ in found.series], base), found.series, strict=True
            )
        ],
        creators=[CreatorHit(creator=creators.creator_out(c), match=match) for c, match in found.creators],
        suggested=found.suggested,
    )


@router.get("/recents", response_model=Recents)
def recents(visitor: CurrentPerson, session: SessionDep, platform: PlatformDep) -> Recents:
    """Apps the person launched and series they watched lately, each kind latest first."""
    played = service.recents(session, platform.settings, user_id=visitor.user.id)
    base = platform.settings.host_origin
    return Recents(
        items=played.apps.items,
        played_at=played.app_times,
        series=[
            RecentSeries(series=out, episode_number=saved.episode_number, played_at=saved.updated_at)
            for out, (_, saved) in zip(
                series_outs(session, [s for s, _ in played.series], base), played.series, strict=True
            )
        ],
    )
