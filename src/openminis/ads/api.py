"""Host routes for ads: what the host calls while it shows an ad above an app (with the person's
cookie and CSRF token), and the creative files it plays."""

from __future__ import annotations

import re

import anyio.from_thread
from fastapi import Path, Request
from fastapi.responses import RedirectResponse, Response

from openminis.ads import serving
from openminis.ads.admin import router as admin_router
from openminis.ads.invalid_traffic_admin import router as invalid_traffic_router
from openminis.ads.media import CONTENT_TYPES
from openminis.ads.schemas import (
    ID,
    AdRequestIn,
    ClickOut,
    CloseIn,
    CompleteIn,
    CompletionOut,
    CreativeOut,
    DecisionOut,
    ImpressionIn,
    ImpressionOut,
    Reward,
    ShowOut,
)
from openminis.errors import NotFound
from openminis.runtime.schemas import Ok
from openminis.web.dependencies import ChangingPerson, PlatformDep, SessionDep, client_ip
from openminis.web.head import FileAnswer
from openminis.web.refusals import refusal_kept
from openminis.web.routing import Router

router = Router(tags=["ads"])
router.include_router(admin_router)
router.include_router(invalid_traffic_router)
AdId = Path(max_length=32, pattern=ID)
IMMUTABLE = "public, max-age=31536000, immutable"
REGION = re.compile(r"^[a-z]{2,3}-([A-Za-z]{2})\b")


def market_of(request: Request, given: str | None) -> str | None:
    """The person's market: as the host says, else the region of their first preferred language."""
    if given:
        return given
    match = REGION.match(request.headers.get("accept-language", "").strip().lower())
    return match[1].upper() if match else None


@router.post("/api/ads/requests", response_model=DecisionOut)
def request_ad(
    body: AdRequestIn, request: Request, visitor: ChangingPerson, session: SessionDep, platform: PlatformDep
) -> DecisionOut:
    """Run an auction for one of the app's units. NO_FILL (404), FREQUENCY_CAPPED and
    INTERVAL_NOT_ELAPSED (409) mean there is no ad to show now."""
    server = platform.ads
    decision = serving.request_ad(
        session,
        server,
        user_id=visitor.user.id,
        app_id=body.app_id,
        unit_id=body.unit_id,
        launch_id=body.launch_id,
        market=market_of(request, body.market),
        ip=client_ip(request),
    )
    creative = decision.creative
    return DecisionOut(
        ad_id=decision.ad_id,
        format=decision.format,
        min_watch_ms=decision.min_watch_ms,
        creative=CreativeOut(
            kind=creative.kind,
            url=server.media_url(creative.file),
            duration_ms=creative.duration_ms,
            width=creative.width,
            height=creative.height,
            click_url=creative.click_url,
            title=creative.title,
            advertiser=decision.advertiser,
        ),
        reward=Reward(type=decision.reward[0], amount=decision.reward[1]) if decision.reward else None,
    )


@router.post("/api/ads/{ad_id}/shown", response_model=ShowOut)
def shown(visitor: ChangingPerson, session: SessionDep, platform: PlatformDep, ad_id: str = AdId) -> ShowOut:
    """The host's ad player has the creative on screen: the show token its impression needs."""
    token = serving.show(session, platform.ads, user_id=visitor.user.id, ad_id=ad_id)
    return ShowOut(show_token=token, expires_in=platform.settings.ads_show_token_ttl_seconds)


@router.post("/api/ads/{ad_id}/impression", response_model=ImpressionOut)
def impression(
    request: Request,
    visitor: ChangingPerson,
    session: SessionDep,
    platform: PlatformDep,
    body: ImpressionIn | None = None,
    ad_id: str = AdId,
) -> ImpressionOut | Response:
    """The ad started playing: bill it (once), given the show token from ``/shown``
    (SHOW_TOKEN_INVALID without one). NO_FILL means its budget ran out meanwhile: close it;
    FREQUENCY_CAPPED (429), that the person or their address saw as many ads as allowed for now."""
    try:
        shown = serving.start_impression(
            session,
            platform.ads,
            user_id=visitor.user.id,
            ad_id=ad_id,
            show_token=body.show_token if body else None,
            ip=client_ip(request),
        )
    except serving.REFUSALS as refusal:
        # The refusal stands (counted as invalid traffic, the impression refused): answered, not
        # raised, so the unit commits it (web/refusals.py).
        return anyio.from_thread.run(refusal_kept, request, refusal)
    return ImpressionOut(ad_id=shown.id, status=shown.status)


@router.post("/api/ads/{ad_id}/complete", response_model=CompletionOut)
def complete(
    body: CompleteIn, visitor: ChangingPerson, session: SessionDep, platform: PlatformDep, ad_id: str = AdId
) -> CompletionOut:
    """The ad played to its end or to its minimum: a rewarded ad earns its reward if the person saw
    it and the server's clock agrees. Retrying returns the first answer."""
    done = serving.complete(
        session, platform.ads, user_id=visitor.user.id, ad_id=ad_id, watched_ms=body.watched_ms, visible=body.visible
    )
    grant = done.grant
    return CompletionOut(
        rewarded=done.rewarded,
        reason=done.reason,
        transaction_id=grant.id if grant else None,
        reward=Reward(type=grant.reward_type, amount=grant.reward_amount) if grant else None,
    )


@router.post("/api/ads/{ad_id}/click", response_model=ClickOut)
def click(visitor: ChangingPerson, session: SessionDep, platform: PlatformDep, ad_id: str = AdId) -> ClickOut:
    """The person tapped the ad; the host opens the returned URL in a new tab."""
    return ClickOut(click_url=serving.click(session, platform.ads, user_id=visitor.user.id, ad_id=ad_id))


@router.post("/api/ads/{ad_id}/close", response_model=Ok)
def close(body: CloseIn, visitor: ChangingPerson, session: SessionDep, platform: PlatformDep, ad_id: str = AdId) -> Ok:
    """The person closed the ad early: no reward."""
    serving.close(session, platform.ads, user_id=visitor.user.id, ad_id=ad_id, watched_ms=body.watched_ms)
    return Ok()


@router.get("/media/ads/{name}", include_in_schema=False)
def creative_file(platform: PlatformDep, name: str = Path(max_length=80)) -> Response:
    """A creative's file: named by its digest, so cached for a year; ranges for video seeking. From a
    remote store, a redirect to the object (the CDN's copy, or a presigned link): never through Python."""
    linked = platform.ads.media.browser_url(name)
    if linked is not None:
        return RedirectResponse(linked, status_code=307, headers={"Cache-Control": "private, no-store"})
    path = platform.ads.media.path(name)
    if path is None:
        raise NotFound("no such creative file")
    return FileAnswer(path, media_type=CONTENT_TYPES[path.suffix[1:]], headers={"Cache-Control": IMMUTABLE})
