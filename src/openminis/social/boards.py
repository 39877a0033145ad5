"""Leaderboards: declared in ``minis.json`` (synced on each release, like products) or through
the Open API, and the period a score counts in (boards that reset daily, weekly or monthly keep
one ranking per period, in the board's own time zone)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from openminis.catalog import service as catalog
from openminis.catalog.manifest import Manifest, ManifestLeaderboard
from openminis.db import take_turns, utcnow
from openminis.errors import NotFound
from openminis.social.models import Leaderboard

ALL_TIME = "all"


def period_of(board: Leaderboard, at: datetime) -> str:
    """The period a score set at ``at`` counts in: ``all``, ``2026-12-03``, ``2026-W49``, ``2026-12``."""
    if board.reset == "never":
        return ALL_TIME
    local = at.astimezone(ZoneInfo(board.timezone))
    if board.reset == "daily":
        return local.strftime("%Y-%m-%d")
    if board.reset == "weekly":
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"
    return local.strftime("%Y-%m")


def put_board(session: Session, app_id: str, declared: ManifestLeaderboard, *, declared_in: str) -> Leaderboard:
    """Create or change a board. Its scores stay: a changed reset starts counting in new periods."""
    catalog.held_app(session, app_id)  # before the board's turn, as a release holds them (held_app)
    take_turns(session, "leaderboard", app_id, declared.id)  # made once by puts at once (console57)
    board = session.get(Leaderboard, (app_id, declared.id))
    if board is None:
        board = Leaderboard(app_id=app_id, id=declared.id)
        session.add(board)
    board.sort, board.format, board.reset, board.timezone = (
        declared.sort,
        declared.format,
        declared.reset,
        declared.timezone,
    )
    board.client_scores, board.max_score = declared.client_scores, declared.max_score
    board.declared_in, board.active, board.updated_at = declared_in, True, utcnow()
    session.flush()
    return board


def keep_declared_boards(session: Session, app_id: str, manifests: list[Manifest]) -> None:
    """Catalog's release hook (platform.py): the app keeps the boards its versions out declare.
    A board the manifest no longer lists is retired (its scores stay, unseen); one made through the
    Open API is the backend's to manage and stays."""
    declared: dict[str, ManifestLeaderboard] = {}
    for manifest in manifests:
        declared |= {board.id: board for board in manifest.leaderboards}
    for wanted in declared.values():
        put_board(session, app_id, wanted, declared_in="manifest")
    for board in session.scalars(
        select(Leaderboard).where(
            Leaderboard.app_id == app_id, Leaderboard.active, Leaderboard.declared_in == "manifest"
        )
    ):
        if board.id not in declared:
            board.active = False


def get_board(session: Session, app_id: str, board_id: str) -> Leaderboard:
    board = session.get(Leaderboard, (app_id, board_id))
    if board is None or not board.active:
        raise NotFound(f"app {app_id!r} has no leaderboard {board_id!r}", code="NO_SUCH_LEADERBOARD", field="board")
    return board


def list_boards(session: Session, app_id: str) -> list[Leaderboard]:
    return list(
        session.scalars(
            select(Leaderboard).where(Leaderboard.app_id == app_id, Leaderboard.active).order_by(Leaderboard.id)
        )
    )


def retire_board(session: Session, app_id: str, board_id: str) -> None:
    get_board(session, app_id, board_id).active = False
