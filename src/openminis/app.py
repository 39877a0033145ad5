"""The ASGI application: one process serving the host origin and every app's origin."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import psycopg
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from psycopg_pool import PoolTimeout
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from openminis import __version__
from openminis.ads.api import router as ads_router
from openminis.ads.console import router as console_ads_router
from openminis.analytics.admin import router as reports_router
from openminis.analytics.api import router as analytics_router
from openminis.analytics.console import router as console_reports_router
from openminis.catalog.admin import router as catalog_router
from openminis.creators.api import router as creators_router
from openminis.creators.share_api import router as share_router
from openminis.db import busy as database_busy
from openminis.developers.console import router as developers_router
from openminis.drama.api import router as drama_router
from openminis.errors import PlatformError
from openminis.feed.api import router as feed_router
from openminis.identity.api import pages as identity_pages
from openminis.identity.api import router as identity_router
from openminis.identity.data_api import router as person_data_router
from openminis.messages.admin import router as messages_admin_router
from openminis.messages.api import router as messages_router
from openminis.messages.console import router as console_messages_router
from openminis.moderation.admin import router as moderation_admin_router
from openminis.moderation.api import router as moderation_router
from openminis.openapi.api import create_openapi_app
from openminis.openapi.schemas import ErrorOut
from openminis.payments.admin import router as money_admin_router
from openminis.payments.api import router as payments_router
from openminis.payments.console import router as console_payments_router
from openminis.payouts.admin import router as payouts_admin_router
from openminis.payouts.api import creator_router as creator_payouts_router
from openminis.payouts.api import developer_router as developer_payouts_router
from openminis.platform import Platform
from openminis.ratelimit import retry_after_header
from openminis.requestlog import RequestLog
from openminis.runtime.api import router as runtime_router
from openminis.runtime.favourites_api import router as favourites_router
from openminis.runtime.home_screen_api import router as home_screen_router
from openminis.runtime.serving import create_apps_app
from openminis.settings import Settings
from openminis.social.api import router as social_router
from openminis.staff.admin import router as staff_router
from openminis.web import validation
from openminis.web.body_limit import LimitBody
from openminis.web.dependencies import limit_changes_by_ip
from openminis.web.error_pages import error_page, wants_page
from openminis.web.errors import status_for
from openminis.web.head import HeadAsGet
from openminis.web.health import router as health_router
from openminis.web.pages import WEB_DIR
from openminis.web.pages import router as pages_router
from openminis.web.text_guard import RefuseInvalidText

log = logging.getLogger("openminis")


class OriginRouter:
    """Sends each request to the host app or the apps app by its Host header.

    ``{app_id}.{apps_host}`` is an app's origin; anything else is the host. The app id goes into
    the ASGI scope, so the apps app never parses the header again.
    """

    def __init__(self, host: ASGIApp, apps: ASGIApp, apps_host: str):
        self.host = host
        self.apps = apps
        self.suffix = "." + apps_host

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = _host_header(scope)
            hostname = host if host.startswith("[") else host.split(":", 1)[0]
            if hostname.endswith(self.suffix):
                label = hostname[: -len(self.suffix)]
                if label and "." not in label:
                    await self.apps({**scope, "minis.app_id": label}, receive, send)
                    return
        await self.host(scope, receive, send)


def _host_header(scope: Scope) -> str:
    headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
    for name, value in headers:
        if name == b"host":
            return value.decode("latin-1").lower()
    return ""


def _request_id(request: Request) -> str:
    request_id: str = getattr(request.state, "request_id", "")
    return request_id


def _error(
    status: int,
    body: Mapping[str, object],
    request: Request,
    headers: Mapping[str, str] | None = None,
    retry_after: float | None = None,
) -> Response:
    if status in (429, 503) and not any(name.lower() == "retry-after" for name in headers or {}):
        # Every "too many" and "not now" says when to come back, so clients back off instead of hammering.
        headers = {**(headers or {}), "Retry-After": retry_after_header(retry_after)}
    if wants_page(request):  # a person followed a link: a page in the host's look, not JSON
        return error_page(request, status, _request_id(request), dict(headers or {}))
    return JSONResponse({**body, "request_id": _request_id(request)}, status_code=status, headers=headers)


NOT_JSON: dict[str, object] = {"code": "INVALID_JSON", "message": "The request body isn’t valid JSON.", "field": "body"}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(PlatformError)
    async def platform_error(request: Request, exc: PlatformError) -> Response:
        return _error(status_for(exc), exc.body(), request, retry_after=exc.retry_after)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        first = errors[0] if errors else {"loc": (), "type": "invalid"}
        if first.get("type") == "json_invalid":  # cut off part way: told as any body that is not JSON
            return _error(422, NOT_JSON, request)
        return _error(
            422,
            {"code": "INVALID_ARGUMENT", "message": validation.message(first), "field": validation.field_of(first)},
            request,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(exc.status_code, "HTTP_ERROR")
        body: dict[str, object] = {"code": code, "message": str(exc.detail)}
        if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
            # FastAPI's words for a body that is not JSON (cut off, nested too deep, a number too
            # long): a code and a field a client can act on (a probe, input52).
            body = NOT_JSON
        return _error(exc.status_code, body, request, headers=exc.headers)

    @app.exception_handler(ClientDisconnect)
    async def cut_off(request: Request, exc: ClientDisconnect) -> Response:
        # The sender hung up part way through a body read whole (an ad creative, a webhook): a
        # refusal nobody reads, not an unhandled error (a 500 and two tracebacks: a probe).
        return _error(422, {"code": "INVALID_ARGUMENT", "message": "the request was cut off before its end"}, request)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error (request %s)", _request_id(request))
        return _error(500, {"code": "INTERNAL", "message": "internal error"}, request)

    @app.exception_handler(SQLAlchemyError)
    # The reads on the event loop (loop_reads.py): their pool, and psycopg's errors unwrapped.
    @app.exception_handler(PoolTimeout)
    @app.exception_handler(psycopg.Error)
    async def database_error(request: Request, exc: Exception) -> Response:
        # A pool or lock timeout is "not now" (503, Retry-After), nothing done; anything else a bug.
        busy = database_busy(exc)
        if busy is None:
            return await unexpected(request, exc)
        return _error(status_for(busy), busy.body(), request, retry_after=busy.retry_after)


# What any host route may answer besides its success, all in the one error envelope: bad input
# (400, 413, 422), no or the wrong session, CSRF token or origin (401, 403), not there (404), a
# conflict or too few coins (409, 402), too many requests or too busy (429, 503, with Retry-After).
HOST_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut} for status in (400, 401, 402, 403, 404, 409, 413, 422, 429, 503)
}


def create_host_app(platform: Platform) -> FastAPI:
    # Every state-changing host route is rate limited per address here, in one place (web/limits.py).
    host = FastAPI(
        title="openminis", version=__version__, dependencies=[Depends(limit_changes_by_ip)], responses=HOST_ERRORS
    )
    host.state.platform = platform

    install_error_handlers(host)
    for router in (
        health_router,
        pages_router,
        identity_pages,
        identity_router,
        feed_router,
        runtime_router,
        favourites_router,
        home_screen_router,
        analytics_router,
        catalog_router,
        developers_router,
        payments_router,
        ads_router,
        creators_router,
        share_router,
        social_router,
        messages_router,
        reports_router,
        console_reports_router,
        console_payments_router,
        console_ads_router,
        console_messages_router,
        messages_admin_router,
        staff_router,
        money_admin_router,
        moderation_router,
        moderation_admin_router,
        developer_payouts_router,
        creator_payouts_router,
        payouts_admin_router,
    ):
        host.include_router(router)
    host.include_router(drama_router)
    host.include_router(person_data_router)
    openapi = create_openapi_app(platform)
    install_error_handlers(openapi)
    host.mount("/openapi/v1", openapi)
    host.mount("/static", StaticFiles(directory=Path(WEB_DIR) / "static"), name="static")
    return host


class MinisApp(RequestLog):
    """The whole application (the request log outermost), with the Platform it serves."""

    def __init__(self, app: ASGIApp, platform: Platform):
        super().__init__(app)
        self.platform = platform


def create_app(
    settings: Settings | None = None, platform: Platform | None = None, *, host: FastAPI | None = None
) -> MinisApp:
    """The platform's ASGI app. ``host``: a host app made before by ``create_host_app``, whose
    routes find the platform at request time (``request.app.state.platform``); the tests share one
    per process, since FastAPI builds an app's routes on its first requests (0.1 to 0.3 s)."""
    platform = platform or Platform(settings or Settings())
    host = host or create_host_app(platform)
    apps = create_apps_app(platform)
    install_error_handlers(apps)
    # The body limit comes first: the text guard buffers JSON and form bodies to check them.
    guarded = LimitBody(
        RefuseInvalidText(OriginRouter(host, apps, platform.settings.apps_host)), platform.settings.max_body_bytes
    )
    return MinisApp(HeadAsGet(guarded), platform)
