from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Depends, Request

from openminis.analytics import service
from openminis.analytics.schemas import IngestOut
from openminis.catalog import service as catalog
from openminis.drama import access as drama
from openminis.errors import Forbidden, Unauthenticated
from openminis.identity import service as identity
from openminis.ratelimit import enforce
from openminis.runtime import service as runtime
from openminis.web import limits
from openminis.web.dependencies import PlatformDep, SessionDep, session_token
from openminis.web.routing import Router

router = Router(prefix="/api", tags=["analytics"])


class SessionRequired(Unauthenticated):
    code = "SESSION_REQUIRED"


async def from_the_host_page(request: Request, platform: PlatformDep) -> str:
    """The session token of a request from the host page, checked before any database work: a
    flood without an Origin or a cookie costs the database nothing."""
    if request.headers.get("origin") != platform.settings.host_origin:
        raise Forbidden("events are accepted from the host page only (its Origin header)", code="BAD_ORIGIN")
    token = session_token(request, platform)
    if not token:
        raise SessionRequired("events need the person's session cookie")
    return token


@router.post("/events", response_model=IngestOut)
def ingest_events(
    token: Annotated[str, Depends(from_the_host_page)],  # first: solved before the session is
    events: Annotated[Any, Body(embed=True)],
    session: SessionDep,
    platform: PlatformDep,
) -> IngestOut:
    """The host's events. What ranks the feed and fills the funnel must come from a person's browser
    on the host page: the Origin must be the host's (browsers send it on every POST, sendBeacon too,
    and a script cannot make a browser lie about it), and the session cookie must name a person, whose
    batches are rate limited. sendBeacon cannot send a CSRF header, and an event spends nothing: the
    Origin and the session suffice."""
    user = identity.user_for_token(session, token)
    if user is None:
        raise SessionRequired("events need the person's session cookie")
    settings = platform.settings
    enforce(
        platform.limiter,
        f"events:person:{user.id}",
        limits.rate(settings.rate_event_batches_per_person),
        what="event batches",
    )
    known: dict[str, bool] = {}

    def app_exists(app_id: str) -> bool:
        if app_id not in known:
            known[app_id] = catalog.app_exists(session, app_id)
        return known[app_id]

    launches = runtime.launches_of(session, user.id, service.launch_ids(events))
    series: dict[str, tuple[str, set[int]] | None] = {}

    def may_watch(app_id: str, series_id: str, episode: int) -> bool:
        if series_id not in series:
            series[series_id] = drama.watchable(session, user.id, series_id)
        found = series[series_id]
        return found is not None and found[0] == app_id and episode in found[1]

    per_app = limits.rate(settings.rate_events_per_app)

    def within_app_rate(app_id: str, count: int) -> bool:
        return platform.limiter.hit(f"events:app:{app_id}", per_app, min(count, per_app.limit)).allowed

    return service.ingest(
        platform.events,
        events,
        user_id=user.id,
        witness=service.Witness(
            app_exists=app_exists,
            launch=launches.get,
            may_watch=may_watch,
        ),
        within_app_rate=within_app_rate,
        max_batch=settings.events_batch_max,
    )
