"""The server Open API, version 1: what a developer's backend calls, with its app's credentials."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, FastAPI, Path, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from openminis import __version__
from openminis.ads.openapi import router as ads_openapi_router
from openminis.analytics.openapi import router as reports_openapi_router
from openminis.catalog import releases
from openminis.catalog import service as catalog
from openminis.developers import service as developers
from openminis.drama.openapi import router as drama_openapi_router
from openminis.errors import PlatformError
from openminis.identity import app_identity
from openminis.messages.openapi import router as messages_openapi_router
from openminis.openapi.guards import BruteForceGuard, limit_ip
from openminis.openapi.schemas import (
    AppOut,
    CodeIn,
    ErrorOut,
    LaunchItem,
    LaunchPage,
    RefreshIn,
    Revoked,
    RevokeIn,
    TokenIn,
    TokenOut,
    UserInfoOut,
    UserSessionOut,
    VersionItem,
    VersionPage,
)
from openminis.openapi.token_request import request_body_schema, token_request
from openminis.payments.openapi import router as payments_openapi_router
from openminis.platform import Platform
from openminis.runtime import service as runtime
from openminis.social.openapi import router as leaderboards_openapi_router
from openminis.web import notices
from openminis.web.dependencies import BearerToken, CallingApp, SessionDep, client_ip
from openminis.web.refusals import refusal_kept
from openminis.web.versions import OpenApiPackageBody, check_again_refusal, start_checks, upload

if TYPE_CHECKING:
    from openminis.catalog.models import AppVersion

TokenBody = Annotated[TokenIn, Depends(token_request)]

ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut} for status in (400, 401, 403, 404, 409, 413, 422, 429, 503)
}


def create_openapi_app(platform: Platform) -> FastAPI:
    api = FastAPI(
        title="openminis Open API",
        version=f"1 ({__version__})",
        description="Server-to-server API for developer backends. "
        "Authenticate with POST /auth/token (client credentials).",
        dependencies=[Depends(limit_ip)],
        responses=ERRORS,
    )
    api.state.platform = platform

    @api.post("/auth/token", response_model=TokenOut, tags=["auth"], openapi_extra=request_body_schema())
    def token(body: TokenBody, request: Request, session: SessionDep) -> TokenOut:
        """Exchange the app id and secret for a short-lived access token (OAuth 2 client credentials):
        as JSON, or as RFC 6749's form with the id and secret in the form or in Basic authentication."""
        guard = BruteForceGuard(platform, f"secret:{client_ip(request)}", platform.rates.failures)
        guard.check()
        try:
            access, ttl = developers.issue_app_token(session, app_id=body.client_id, secret=body.client_secret)
        except PlatformError:
            guard.failed()
            raise
        return TokenOut(access_token=access, expires_in=ttl)

    @api.post("/auth/code2session", response_model=UserSessionOut, tags=["auth"])
    def code2session(body: CodeIn, request: Request, app_id: CallingApp, session: SessionDep) -> UserSessionOut:
        """Exchange a code from ``minis.login()`` for the person's openid, unionid and tokens."""
        # Failures count per source (address and app), not per app: counted per app, anyone
        # failing one exchange every few seconds would shut out every genuine login of the app.
        guard = BruteForceGuard(platform, f"code:{app_id}:{client_ip(request)}", platform.rates.failures)
        guard.check()
        try:
            result = app_identity.exchange_code(session, platform.secret, app_id=app_id, code=body.code)
        except app_identity.CodeError:
            guard.failed()
            raise
        return UserSessionOut(**result.__dict__)

    @api.post("/auth/refresh", response_model=UserSessionOut, tags=["auth"])
    async def refresh(
        body: RefreshIn, request: Request, app_id: CallingApp, session: SessionDep
    ) -> UserSessionOut | Response:
        """Rotate a refresh token: a new pair; the old refresh token and access tokens stop working."""
        try:
            result = await run_in_threadpool(
                app_identity.refresh, session, platform.secret, app_id=app_id, refresh_token=body.refresh_token
            )
        except app_identity.FamilyRevoked as refused:
            return await refusal_kept(request, refused)  # the family's revocation stands
        return UserSessionOut(**result.__dict__)

    @api.post("/auth/revoke", response_model=Revoked, tags=["auth"])
    def revoke(body: RevokeIn, app_id: CallingApp, session: SessionDep) -> Revoked:
        """Revoke a user token and every token issued with it. RFC 7009: an unknown token or another
        app's answers 200 too, with ``revoked: false``: it was not revoked."""
        return Revoked(revoked=app_identity.revoke_token(session, app_id=app_id, token=body.token))

    @api.get("/user/info", response_model=UserInfoOut, tags=["users"])
    def user_info(token: BearerToken, session: SessionDep) -> UserInfoOut:
        """The person behind a user access token (scope user.info.basic). Name and avatar only after consent."""
        info = app_identity.user_info(
            session, platform.secret, access_token=token, avatar_base=platform.settings.host_origin
        )
        return UserInfoOut(**info.__dict__)

    @api.get("/app", response_model=AppOut, tags=["apps"])
    def app_details(app_id: CallingApp, session: SessionDep) -> AppOut:
        app = catalog.get_app(session, app_id)
        return AppOut(
            app_id=app.id,
            name=app.name,
            kind=app.kind,
            category=app.category,
            latest_version=app.released_version,
            origin=platform.settings.app_origin(app.id),
        )

    @api.get("/app/versions", response_model=VersionPage, tags=["apps"])
    def versions(
        app_id: CallingApp,
        session: SessionDep,
        cursor: str | None = Query(default=None, max_length=200),
        limit: int = Query(default=20, ge=1, le=100),
    ) -> VersionPage:
        rows, next_cursor = catalog.list_versions(session, app_id, cursor=cursor, limit=limit)
        return VersionPage(items=[_version_item(v) for v in rows], next_cursor=next_cursor)

    @api.post("/app/versions", response_model=VersionItem, status_code=201, tags=["apps"])
    async def upload_version(body: OpenApiPackageBody, app_id: CallingApp, session: SessionDep) -> VersionItem:
        """Upload a version from a build pipeline (the raw zip as the body, ``Content-Type:
        application/zip``): stored as ``uploaded``, then checked by the platform; submit it once
        its state is ``checked`` and its report passed."""
        actor = f"app:{app_id} (Open API)"
        return await upload(body, session, platform, app_id, actor=actor, shape=_version_item)

    @api.post("/app/versions/{version}/submit", response_model=VersionItem, tags=["apps"])
    def submit_version(app_id: CallingApp, session: SessionDep, version: str = Path(max_length=64)) -> VersionItem:
        """Send a checked version to the platform's review."""
        submitted = releases.submit(session, app_id, version, actor=f"app:{app_id} (Open API)")
        notices.tell_reviewers(session, platform, app_id, submitted.version)
        return _version_item(submitted)

    @api.post("/app/versions/{version}/checks", response_model=VersionItem, status_code=202, tags=["apps"])
    def check_again(app_id: CallingApp, session: SessionDep, version: str = Path(max_length=64)) -> VersionItem:
        """Run the platform's checks of a version again, as the console's Check again: before it is
        submitted, once the checks before have ended (409 CHECKS_UNDER_WAY). A pipeline whose check
        job gave up could not retry it (a probe, dev54)."""
        again = releases.check_again(session, app_id, version, actor=f"app:{app_id} (Open API)")
        if refused := check_again_refusal(session, platform, again):
            raise refused
        start_checks(session, platform, again, again=True)
        return _version_item(again)

    def _version_item(version: AppVersion) -> VersionItem:
        return VersionItem(
            version=version.version,
            size_bytes=version.size_bytes,
            sha256=version.sha256,
            created_at=version.created_at,
            state=version.state,
            check_report=version.check_report,
        )

    @api.get("/launches", response_model=LaunchPage, tags=["apps"])
    def launches(
        app_id: CallingApp,
        session: SessionDep,
        cursor: str | None = Query(default=None, max_length=200),
        limit: int = Query(default=50, ge=1, le=200),
    ) -> LaunchPage:
        """Every opening of the app, newest first, with the person's openid and where they came from."""
        rows, next_cursor = runtime.list_launches(session, app_id, cursor=cursor, limit=limit)
        items = [
            LaunchItem(
                launch_id=row.id,
                openid=app_identity.openid(platform.secret, app_id, row.user_id),
                source=row.source,
                version=row.version,
                created_at=row.created_at,
            )
            for row in rows
        ]
        return LaunchPage(items=items, next_cursor=next_cursor)

    api.include_router(payments_openapi_router)
    api.include_router(ads_openapi_router)
    api.include_router(drama_openapi_router)
    api.include_router(reports_openapi_router)
    api.include_router(leaderboards_openapi_router)
    api.include_router(messages_openapi_router)
    return api
