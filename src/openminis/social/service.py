"""The social rules the routes call: submitting a score (from the app's backend, trusted, or from
the app's front end, within the board's bounds), reading standings by scope, and ending
tournaments (their results final, the app's backend notified)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from openminis.catalog.manifest import MAX_SCORE
from openminis.db import json_time, utcnow
from openminis.errors import Forbidden, InvalidArgument
from openminis.identity import app_identity
from openminis.jobs import service as jobs
from openminis.payments import notifications
from openminis.social import boards, contexts, scores
from openminis.social.models import Context, Leaderboard

TOURNAMENT_END_JOB = "social.tournament_end"
Scope = Literal["global", "around_me", "context"]
SCOPES = ("global", "around_me", "context")
MAX_ENTRIES = 100
# How a person who did not consent to share their profile with the app appears on its boards.
PLAYER = "Player"
PLAYER_AVATAR = "/static/player-avatar.svg"


class ClientScoresOff(Forbidden):
    code = "CLIENT_SCORES_OFF"


@dataclass(frozen=True)
class Submitted:
    board_id: str
    period: str
    score: int  # the person's best in the period, after this submission
    improved: bool
    rank: int


@dataclass(frozen=True)
class Standing:
    rank: int
    user_id: str
    score: int
    name: str
    avatar_url: str
    shared: bool  # the person consented: name and avatar are theirs


@dataclass(frozen=True)
class Standings:
    board: Leaderboard
    period: str
    players: int
    items: list[Standing]


def check_score(score: object) -> int:
    if isinstance(score, bool) or not isinstance(score, int) or not -MAX_SCORE <= score <= MAX_SCORE:
        raise InvalidArgument("score is a whole number within ±(2^53 - 1)", field="score")
    return score


def submit(
    session: Session,
    *,
    app_id: str,
    board_id: str,
    user_id: str,
    score: object,
    from_client: bool,
    context_id: str | None = None,
    now: datetime | None = None,
) -> Submitted:
    """Keep ``score`` if it is the person's best in the board's current period (and, in a
    tournament of this board, in the tournament's). From the app's front end only on a board
    that takes client scores, from 0 to its ``max_score``; a time is never below 0."""
    now = now or utcnow()
    value = check_score(score)
    board = boards.get_board(session, app_id, board_id)
    if board.format == "time_ms" and value < 0:
        raise InvalidArgument("score is a time in milliseconds: 0 or more", field="score")
    if from_client:
        if not board.client_scores:
            raise ClientScoresOff(
                "this board takes scores from the app's backend only (POST /openapi/v1/leaderboards/{id}/scores)",
                field="board",
            )
        # The floor matters as much as the cap: on a lowest-wins board the cheat is a low score
        # (a probe's -2^53+1 ranked first). Scores below zero come from the backend only.
        if value < 0:
            raise InvalidArgument("a score from the app's front end is 0 or more", field="score")
        if board.max_score is not None and value > board.max_score:
            raise InvalidArgument(f"score is above this board's max_score ({board.max_score})", field="score")
    tournament = None
    if context_id:
        context = (
            contexts.context_for(session, app_id, context_id, user_id)
            if from_client
            else contexts.require_tournament(session, app_id, context_id)
        )
        if not from_client and context.board_id != board.id:
            raise InvalidArgument(f"this tournament is played on the board {context.board_id!r}", field="tournament_id")
        if context.kind == "tournament" and context.board_id == board.id:
            contexts.check_open(context, now)
            contexts.join(session, context, user_id)
            tournament = context
    period = boards.period_of(board, now)
    improved = scores.keep_best(session, board, user_id=user_id, period=period, score=value, at=now)
    if tournament is not None:
        scores.keep_best(
            session, board, user_id=user_id, period=contexts.tournament_period(tournament), score=value, at=now
        )
    mine = scores.best(session, board, user_id=user_id, period=period)
    assert mine is not None  # just written, in this transaction
    return Submitted(board.id, period, mine.score, improved, scores.rank_of(session, board, mine))


def standings(
    session: Session,
    secret: str,
    *,
    app_id: str,
    board_id: str,
    scope: str,
    limit: int,
    user_id: str | None,
    context_id: str | None = None,
    now: datetime | None = None,
) -> Standings:
    """A page of the board: its top (``global``), the page around the person (``around_me``), or
    the ranking among the people of their context (``context``; a tournament's own ranking)."""
    if scope not in SCOPES:
        raise InvalidArgument(f"scope is one of {', '.join(SCOPES)}", field="scope")
    if not 1 <= limit <= MAX_ENTRIES:
        raise InvalidArgument(f"limit is 1-{MAX_ENTRIES}", field="limit")
    board = boards.get_board(session, app_id, board_id)
    period = boards.period_of(board, now or utcnow())
    among: list[str] | None = None
    if scope == "context":
        if not context_id or user_id is None:
            raise InvalidArgument("the context scope needs a context (the launch's)", field="context")
        context = contexts.context_for(session, app_id, context_id, user_id)
        if context.kind == "tournament" and context.board_id == board.id:
            period = contexts.tournament_period(context)
        else:
            among = contexts.member_ids(session, context.id)
    if scope == "around_me" and user_id is not None:
        entries = scores.around(session, board, period, user_id, limit=limit, among=among)
    else:
        entries = scores.top(session, board, period, limit=limit, among=among)
    return Standings(board, period, scores.players(session, board, period), profiles(session, secret, app_id, entries))


def profiles(session: Session, secret: str, app_id: str, entries: list[scores.Entry]) -> list[Standing]:
    names = app_identity.shared_names(session, app_id, [entry.user_id for entry in entries])
    return [
        Standing(
            rank=entry.rank,
            user_id=entry.user_id,
            score=entry.score,
            name=names.get(entry.user_id, PLAYER),
            avatar_url=app_identity.avatar_path(secret, app_id, entry.user_id)
            if entry.user_id in names
            else PLAYER_AVATAR,
            shared=entry.user_id in names,
        )
        for entry in entries
    ]


@dataclass(frozen=True)
class Member:
    user_id: str
    name: str
    avatar_url: str


def members(session: Session, secret: str, *, app_id: str, context_id: str, user_id: str) -> list[Member]:
    """The people of the person's context who let this app see their profile (the others stay unnamed)."""
    context = contexts.context_for(session, app_id, context_id, user_id)
    ids = contexts.member_ids(session, context.id)
    names = app_identity.shared_names(session, app_id, ids)
    return [Member(i, names[i], app_identity.avatar_path(secret, app_id, i)) for i in ids if i in names]


def create_tournament(session: Session, *, app_id: str, board_id: str, ends_at: datetime, user_id: str) -> Context:
    board = boards.get_board(session, app_id, board_id)
    tournament = contexts.create_tournament(session, app_id=app_id, board_id=board.id, ends_at=ends_at, user_id=user_id)
    jobs.enqueue(
        session,
        TOURNAMENT_END_JOB,
        {"context_id": tournament.id},
        unique_key=f"tournament-end:{tournament.id}",
        run_at=ends_at,
    )
    return tournament


def end_tournament(session: Session, secret: str, context_id: str, now: datetime | None = None) -> None:
    """The job at a tournament's end: its results become final and the app's backend gets them as
    a ``tournament.ended`` notification (signed and retried like order notifications)."""
    context = contexts.mark_ended(session, context_id, now or utcnow())
    if context is None or context.board_id is None:
        return
    board = session.get(Leaderboard, (context.app_id, context.board_id))
    if board is None:
        return
    ranking = scores.top(session, board, contexts.tournament_period(context), limit=MAX_ENTRIES)
    data = {
        "tournament": {
            "id": context.id,
            "board": board.id,
            "ends_at": json_time(context.ends_at) if context.ends_at else None,
            "players": contexts.member_count(session, context.id),
        },
        "results": [
            {
                "rank": e.rank,
                "openid": app_identity.known_openid(session, secret, context.app_id, e.user_id),
                "score": e.score,
            }
            for e in ranking
        ],
    }
    # Behind the app's other notifications: anyone may start tournaments, and their ends must not
    # delay the app's order notifications in the same lane.
    notifications.enqueue_event(
        session, context.app_id, "tournament.ended", data, unique_key=f"notify:tournament:{context.id}", behind=True
    )


def register(registry: jobs.Registry, secret: str) -> None:
    registry.register(
        TOURNAMENT_END_JOB, lambda session, payload: end_tournament(session, secret, str(payload["context_id"]))
    )
