"""Host routes the bridge calls for an app's social features: scores and standings, contexts,
tournaments and shares (docs/social.md)."""

from __future__ import annotations

import io

import segno
from fastapi import Path, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from openminis.catalog.cards import cards
from openminis.catalog.schemas import Card
from openminis.errors import NotFound
from openminis.ratelimit import enforce
from openminis.social import boards, contexts, service
from openminis.social.models import Context, Leaderboard
from openminis.social.schemas import (
    BoardOut,
    ContextOut,
    EntryOut,
    MemberList,
    MemberOut,
    ScoreIn,
    ShareIn,
    ShareOut,
    StandingsOut,
    SubmittedOut,
    TournamentIn,
)
from openminis.web import limits
from openminis.web.dependencies import ChangingPerson, CurrentPerson, PlatformDep, SessionDep
from openminis.web.routing import Router

router = Router(prefix="/api/apps/{app_id}", tags=["social"])

# Tournaments a person may start in one app, and an app's players in all (minis.tournament.create).
# Each ends with a signed tournament.ended to the app's backend: a person challenges friends a few
# times an hour; a script (a probe made 240 in 15 s) waits. Its notifications go behind the app's
# others too, so however many there are, they never delay an order's.
TOURNAMENTS_PER_PERSON = "10/hour"
TOURNAMENTS_PER_APP = "300/minute"
# Share links a person may make in one app: each is a row kept for its openers; a person shares a
# few times an hour, a script (a probe made 280 in 15 s) waits.
SHARES_PER_PERSON = "60/hour"

AppId = Path(max_length=40)
BoardId = Path(max_length=64)
ContextId = Path(max_length=32)


def board_out(board: Leaderboard) -> BoardOut:
    return BoardOut(
        id=board.id,
        sort=board.sort,  # type: ignore[arg-type]  # the manifest's Literal, stored as text
        format=board.format,  # type: ignore[arg-type]
        reset=board.reset,  # type: ignore[arg-type]
        timezone=board.timezone,
        client_scores=board.client_scores,
        max_score=board.max_score,
    )


def context_out(session: Session, context: Context) -> ContextOut:
    return ContextOut(
        id=context.id,
        type=context.kind,  # type: ignore[arg-type]
        members=contexts.member_count(session, context.id),
        board=context.board_id,
        ends_at=context.ends_at,
        ended=context.ended_at is not None,
    )


@router.get("/leaderboards/{board_id}", response_model=BoardOut)
def board(session: SessionDep, app_id: str = AppId, board_id: str = BoardId) -> BoardOut:
    return board_out(boards.get_board(session, app_id, board_id))


@router.post("/leaderboards/{board_id}/scores", response_model=SubmittedOut)
def submit(
    body: ScoreIn,
    visitor: ChangingPerson,
    session: SessionDep,
    platform: PlatformDep,
    app_id: str = AppId,
    board_id: str = BoardId,
) -> SubmittedOut:
    """minis.leaderboard.submit: only on a board that takes client scores, within its max_score."""
    enforce(
        platform.limiter,
        f"scores:{app_id}:{board_id}:{visitor.user.id}",
        limits.rate(platform.settings.rate_scores_per_person),
        what="scores on this leaderboard",
    )
    done = service.submit(
        session,
        app_id=app_id,
        board_id=board_id,
        user_id=visitor.user.id,
        score=body.score,
        from_client=True,
        context_id=body.context,
    )
    return SubmittedOut(
        board=done.board_id, period=done.period, best=done.score, improved=done.improved, rank=done.rank
    )


@router.get("/leaderboards/{board_id}/entries", response_model=StandingsOut)
def entries(
    visitor: CurrentPerson,
    session: SessionDep,
    platform: PlatformDep,
    app_id: str = AppId,
    board_id: str = BoardId,
    scope: str = Query(default="global", max_length=16),
    limit: int = Query(default=10),
    context: str | None = Query(default=None, max_length=32),
) -> StandingsOut:
    found = service.standings(
        session,
        platform.secret,
        app_id=app_id,
        board_id=board_id,
        scope=scope,
        limit=limit,
        user_id=visitor.user.id,
        context_id=context,
    )
    return StandingsOut(
        board=board_out(found.board),
        period=found.period,
        players=found.players,
        items=[
            EntryOut(rank=s.rank, score=s.score, name=s.name, avatar_url=s.avatar_url, me=s.user_id == visitor.user.id)
            for s in found.items
        ],
    )


@router.post("/tournaments", response_model=ContextOut, status_code=201)
def create_tournament(
    body: TournamentIn, visitor: ChangingPerson, session: SessionDep, platform: PlatformDep, app_id: str = AppId
) -> ContextOut:
    """minis.tournament.create: within the limits per person and app, and per app."""
    person_key = f"tournaments:{app_id}:{visitor.user.id}"
    enforce(platform.limiter, person_key, limits.rate(TOURNAMENTS_PER_PERSON), what="tournaments started by you")
    enforce(platform.limiter, f"tournaments:{app_id}", limits.rate(TOURNAMENTS_PER_APP), what="new tournaments")
    made = service.create_tournament(
        session, app_id=app_id, board_id=body.board, ends_at=body.ends_at, user_id=visitor.user.id
    )
    return context_out(session, made)


@router.get("/contexts/{context_id}", response_model=ContextOut)
def context(
    visitor: CurrentPerson, session: SessionDep, app_id: str = AppId, context_id: str = ContextId
) -> ContextOut:
    return context_out(session, contexts.context_for(session, app_id, context_id, visitor.user.id))


@router.get("/contexts/{context_id}/members", response_model=MemberList)
def members(
    visitor: CurrentPerson, session: SessionDep, platform: PlatformDep, app_id: str = AppId, context_id: str = ContextId
) -> MemberList:
    """The context's people who let this app see their profile; the others are counted, not named."""
    found = service.members(session, platform.secret, app_id=app_id, context_id=context_id, user_id=visitor.user.id)
    return MemberList(items=[MemberOut(name=m.name, avatar_url=m.avatar_url) for m in found])


@router.post("/shares", response_model=ShareOut, status_code=201)
def share(
    body: ShareIn, visitor: ChangingPerson, session: SessionDep, platform: PlatformDep, app_id: str = AppId
) -> ShareOut:
    """minis.share: a link that opens the app for anyone, with the query, in the sharer's context."""
    person_key = f"shares:{app_id}:{visitor.user.id}"
    enforce(platform.limiter, person_key, limits.rate(SHARES_PER_PERSON), what="share links made by you")
    made = contexts.create_share(
        session,
        app_id=app_id,
        sharer_id=visitor.user.id,
        title=body.title,
        image=body.image,
        query=body.query,
        context_id=body.context,
    )
    url = f"{platform.settings.public_url}/play/{app_id}?share={made.token}"
    return ShareOut(token=made.token, url=url, context=made.context_id)


@router.get("/shares/{token}/qr.svg")
def share_qr(
    session: SessionDep, platform: PlatformDep, app_id: str = AppId, token: str = Path(max_length=32)
) -> Response:
    """The share link as a QR code, drawn here (no third party sees the link)."""
    made = contexts.find_share(session, token)
    if made.app_id != app_id:
        raise NotFound("no such share link", field="share")
    out = io.BytesIO()
    url = f"{platform.settings.public_url}/play/{app_id}?share={made.token}"
    segno.make(url, error="m").save(out, kind="svg", scale=4, border=2, dark="#000", light="#fff")
    return Response(out.getvalue(), media_type="image/svg+xml", headers={"Cache-Control": "private, max-age=3600"})


@router.get("/card", response_model=Card)
def card(visitor: CurrentPerson, session: SessionDep, platform: PlatformDep, app_id: str = AppId) -> Card:
    """The card of an app another app opens (minis.openApp): at the version this person gets."""
    found = cards(session, platform.settings, [app_id], viewer=visitor.user.id).get(app_id)
    if found is None:
        raise NotFound(f"no mini-program {app_id!r} to open", field="app_id")
    return found
