"""The routers every HTTP edge declares its routes on: FastAPI's, with a quick way past.

FastAPI 0.165 keeps each included router as a branch and, for every request, tries the routes
of every branch in turn until one matches: GET /api/nothing, had it been the host's last route,
cost 474 µs in-process against 42 µs for a bare FastAPI app, nearly all of it in route
matching (about 220 routes tried). A ``Router`` first asks whether the path begins with the
literal start of any of its routes (``/api/apps/`` for ``/api/apps/{app_id}/purchases``), one
``str.startswith`` over a tuple, and turns the request away at once when it does not: the
same request then costs 158 µs. The answer is never different: a path that starts with none of
them could match none of them. When one does, one regular expression, the router's routes'
paths as alternatives, says whether any of them matches the path before FastAPI tries them one
by one: eight routers hold paths under ``/api/apps/``, and a purchase's path was tried against
each of their routes in turn (55 µs of route matching in-process, 150 µs under load).

A route with no parameters in its path (``/``, ``/api/me``) matches that path only, so it is
asked about by equality, not as a beginning: ``/`` begins every path, and the host's pages router
(``/`` among its routes) was tried route by route for every request that reached it (16 routes,
a seventh of GET /api/me's time in-process). Starlette's redirect of a path that lacks or has one
trailing slash asks again with the path changed, which the equality then sees.

Included under a prefix (``include_router(router, prefix=...)``, or into a router that has one),
the routes' paths begin with it: the quick test reads it from the branch FastAPI is trying.

A plain (sync) route runs on a thread, as FastAPI runs it, but in one trip: FastAPI sends a sync
route to the thread pool, then sends the check of its answer against the response model there
too, a second trip for a few microseconds of work. Each trip costs the serving process about
70-110 µs of CPU and a dozen context switches between threads fighting for the GIL (a purchase
made 120 switches on PostgreSQL). A Router gives FastAPI a coroutine that runs the route on a
thread and checks the answer on the event loop.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from fastapi.routing import _get_scope_included_router  # the branch being tried (FastAPI is pinned)
from starlette.concurrency import run_in_threadpool
from starlette.routing import Match, compile_path
from starlette.types import Scope


class Router(APIRouter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._starts: dict[tuple[str, int], _Literal | None] = {}

    def add_api_route(self, path: str, endpoint: Callable[..., Any], **options: Any) -> None:
        super().add_api_route(path, _one_trip(endpoint), **options)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        branch: Any = _get_scope_included_router(scope)
        prefix: str = branch.include_context.prefix if getattr(branch, "original_router", None) is self else ""
        literal = self._literal(prefix)
        if literal is not None:
            path = _route_path(scope)
            if path not in literal.paths and not (path.startswith(literal.starts) and literal.pattern.match(path)):
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
                with_parameters = [path for path in full if "{" in path]
                self._starts[key] = _Literal(
                    paths=frozenset(path for path in full if "{" not in path),
                    starts=tuple(path.split("{", 1)[0] for path in with_parameters),
                    pattern=_any_of(with_parameters),
                )
        return self._starts[key]


def _one_trip(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """A plain function route as a coroutine that runs it on the thread pool FastAPI would have
    run it on; FastAPI reads its parameters from the function itself (``__wrapped__``). Anything
    else (a coroutine, a generator streaming its answer) is left as it is."""
    if not inspect.isfunction(endpoint) or inspect.iscoroutinefunction(endpoint):
        return endpoint
    if inspect.isgeneratorfunction(endpoint) or inspect.isasyncgenfunction(endpoint):
        return endpoint

    @functools.wraps(endpoint)
    async def on_a_thread(*args: Any, **values: Any) -> Any:
        # Bound first: a route's parameter may share a name with run_in_threadpool's (``func``).
        return await run_in_threadpool(functools.partial(endpoint, *args, **values))

    return on_a_thread


@dataclass(frozen=True)
class _Literal:
    paths: frozenset[str]  # the whole paths of routes without parameters
    starts: tuple[str, ...]  # the literal beginnings of the others' paths
    pattern: re.Pattern[str]  # matches a path any of the others matches


def _any_of(paths: list[str]) -> re.Pattern[str]:
    """One expression for the paths (with parameters) as Starlette compiles each (its convertors:
    str, int, path...), its groups unnamed: a name may appear in several of them. Whole to the very
    end (``\\Z``, not ``$``, which Starlette's own end with): a path ending in a newline matches none."""
    alternatives = [compile_path(path)[0].pattern.removeprefix("^").removesuffix("$") for path in paths]
    return re.compile("^(?:" + "|".join(re.sub(r"\(\?P<\w+>", "(?:", one) for one in alternatives) + r")\Z")


def _route_path(scope: Scope) -> str:
    """The path the routes see: under a mount (``root_path``), what follows the mount's path."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path
