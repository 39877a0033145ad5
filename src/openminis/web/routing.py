"""The routers every HTTP edge declares its routes on: FastAPI's, with a quick way past.

FastAPI 0.165 keeps each included router as a branch and, for every request, tries the routes
of every branch in turn until one matches: GET /api/nothing, had it been the host's last route,
cost 474 µs in-process against 42 µs for a bare FastAPI app, nearly all of it in route
matching (about 220 routes tried). A ``Router`` first asks whether the path begins with the
literal start of any of its routes (``/api/apps/`` for ``/api/apps/{app_id}/purchases``), one
``str.startswith`` over a tuple, and turns the request away at once when it does not: the
same request then costs 158 µs. The answer is never different: a path that starts with none of
them could match none of them.

A route with no parameters in its path (``/``, ``/api/me``) matches that path only, so it is
asked about by equality, not as a beginning: ``/`` begins every path, and the host's pages router
(``/`` among its routes) was tried route by route for every request that reached it (16 routes,
a seventh of GET /api/me's time in-process). Starlette's redirect of a path that lacks or has one
trailing slash asks again with the path changed, which the equality then sees.

Included under a prefix (``include_router(router, prefix=...)``, or into a router that has one),
the routes' paths begin with it: the quick test reads it from the branch FastAPI is trying.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from fastapi.routing import _get_scope_included_router  # the branch being tried (FastAPI is pinned)
from starlette.routing import Match
from starlette.types import Scope


class Router(APIRouter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._starts: dict[tuple[str, int], _Literal | None] = {}

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        branch: Any = _get_scope_included_router(scope)
        prefix: str = branch.include_context.prefix if getattr(branch, "original_router", None) is self else ""
        literal = self._literal(prefix)
        if literal is not None:
            path = _route_path(scope)
            if path not in literal.paths and not path.startswith(literal.starts):
                return Match.NONE, {}
        return super().matches(scope)

    def _literal(self, prefix: str) -> _Literal | None:
        """What this router's routes' paths under ``prefix`` say literally; None (no quick test)
        when one of its routes has no path of its own to read (an included router)."""
        key = (prefix, len(self.routes))  # routes are added while the app is built, never later
        if key not in self._starts:
            paths = [getattr(route, "path", None) for route in self.routes]
            if None in paths:
                self._starts[key] = None
            else:
                full = [prefix + str(path) for path in paths]
                self._starts[key] = _Literal(
                    paths=frozenset(path for path in full if "{" not in path),
                    starts=tuple(path.split("{", 1)[0] for path in full if "{" in path),
                )
        return self._starts[key]


@dataclass(frozen=True)
class _Literal:
    paths: frozenset[str]  # the whole paths of routes without parameters
    starts: tuple[str, ...]  # the literal beginnings of the others' paths


def _route_path(scope: Scope) -> str:
    """The path the routes see: under a mount (``root_path``), what follows the mount's path."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path
