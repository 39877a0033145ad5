"""The web edge's side of admission to the database (openminis/admission.py): which requests
read and which write, and the request's unit of work held in FastAPI's exit stack."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import Any, TypeVar

from sqlalchemy.orm import Session
from starlette.requests import Request

from openminis.admission import Admission
from openminis.web.limits import SAFE_METHODS

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def writes(endpoint: Endpoint) -> Endpoint:
    """Marks a GET route that writes (it makes or remembers a row): its request gets a write
    session, admitted as a writer, rather than a read session."""
    endpoint.minis_writes = True  # type: ignore[attr-defined]
    return endpoint


def reads_only(request: Request) -> bool:
    return request.method in SAFE_METHODS and not getattr(request.scope.get("endpoint"), "minis_writes", False)


async def request_session(request: Request, admission: Admission) -> Session:
    """The request's unit of work, held until its route has returned and ended then (before the
    response is sent, so a commit that fails is the response, and a slow client or a long file
    download holds no connection)."""
    scope = request.scope
    # FastAPI's exit stack for dependencies of scope "function": it closes after the endpoint and
    # the response's serialization, before sending. Outside a route (none), the request's own.
    stack: AsyncExitStack = scope.get("fastapi_function_astack") or scope["fastapi_inner_astack"]
    return await stack.enter_async_context(admission.session(reads=reads_only(request)))
