"""Open API routes for leaderboards: declare boards, post scores from the app's backend (trusted),
read standings with each person's openid."""

from __future__ import annotations

from fastapi import Path, Query
from pydantic import ValidationError

from openminis.catalog.manifest import ManifestLeaderboard, describe
from openminis.errors import InvalidArgument
from openminis.identity import app_identity
from openminis.runtime.schemas import Ok
from openminis.social import boards, service
from openminis.social.api import board_out
from openminis.social.schemas import (
    BackendEntryOut,
    BackendScoreIn,
    BackendStandingsOut,
    BoardIn,
    BoardList,
    BoardOut,
    SubmittedOut,
)
from openminis.web.dependencies import CallingApp, PlatformDep, SessionDep
from openminis.web.routing import Router

router = Router(tags=["leaderboards"])
BoardId = Path(max_length=64)


@router.get("/leaderboards", response_model=BoardList)
def list_boards(app_id: CallingApp, session: SessionDep) -> BoardList:
    return BoardList(items=[board_out(b) for b in boards.list_boards(session, app_id)])


@router.put("/leaderboards/{board_id}", response_model=BoardOut)
def put_board(body: BoardIn, app_id: CallingApp, session: SessionDep, board_id: str = BoardId) -> BoardOut:
    """Create or change a board (the manifest's ``leaderboards`` do the same on each release)."""
    try:
        declared = ManifestLeaderboard(id=board_id, **body.model_dump())
    except ValidationError as exc:  # the id's pattern, an unknown time zone: named, with why
        field, reason = describe(exc)
        field = "board_id" if field == "id" else field  # the id is the path's
        raise InvalidArgument(f"{field}: {reason}", field=field) from None
    return board_out(boards.put_board(session, app_id, declared, declared_in="api"))


@router.delete("/leaderboards/{board_id}", response_model=Ok)
def retire_board(app_id: CallingApp, session: SessionDep, board_id: str = BoardId) -> Ok:
    boards.retire_board(session, app_id, board_id)
    return Ok()


@router.post("/leaderboards/{board_id}/scores", response_model=SubmittedOut)
def submit(body: BackendScoreIn, app_id: CallingApp, session: SessionDep, board_id: str = BoardId) -> SubmittedOut:
    """A score the backend vouches for (any board, no max_score): kept if it is the person's best
    of the period. With ``tournament_id`` it counts in that tournament too (409 once it ended)."""
    # Held until the commit, so an account deleted meanwhile keeps no score (its deletion erases them).
    user_id = app_identity.user_for_openid(session, app_id, body.openid, hold=True)
    done = service.submit(
        session,
        app_id=app_id,
        board_id=board_id,
        user_id=user_id,
        score=body.score,
        from_client=False,
        context_id=body.tournament_id,
    )
    return SubmittedOut(
        board=done.board_id, period=done.period, best=done.score, improved=done.improved, rank=done.rank
    )


@router.get("/leaderboards/{board_id}/entries", response_model=BackendStandingsOut)
def entries(
    app_id: CallingApp,
    session: SessionDep,
    platform: PlatformDep,
    board_id: str = BoardId,
    scope: str = Query(default="global", max_length=16),
    limit: int = Query(default=10),
    openid: str | None = Query(default=None, max_length=64),
) -> BackendStandingsOut:
    """The board's top (``global``), or the page around ``openid`` (``around_me``)."""
    if scope == "context":
        raise InvalidArgument(
            "the backend reads global or around_me; a tournament's results come in its notification", field="scope"
        )
    user_id = app_identity.user_for_openid(session, app_id, openid) if openid else None
    if scope == "around_me" and user_id is None:
        raise InvalidArgument("around_me needs the openid to center on", field="openid")
    found = service.standings(
        session, platform.secret, app_id=app_id, board_id=board_id, scope=scope, limit=limit, user_id=user_id
    )
    base = platform.settings.host_origin
    return BackendStandingsOut(
        board=board_out(found.board),
        period=found.period,
        players=found.players,
        items=[
            BackendEntryOut(
                rank=s.rank,
                score=s.score,
                name=s.name,
                avatar_url=base + s.avatar_url,
                me=s.user_id == user_id,
                openid=app_identity.openid(platform.secret, app_id, s.user_id),
            )
            for s in found.items
        ],
    )
