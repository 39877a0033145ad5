"""Open API routes for ads: the app's ad units, its rewards and their verification log, its report,
and the platform's public reward-signing keys."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi import Path, Query, Response

from openminis.ads import inventory, reports, rewards, signing
from openminis.ads.models import AdUnit
from openminis.ads.schemas import (
    ID,
    AdUnitIn,
    AdUnitList,
    AdUnitOut,
    ReportLineOut,
    ReportOut,
    Reward,
    RewardAttemptList,
    RewardAttemptOut,
    RewardGrantOut,
    RewardGrantPage,
    RewardKeyOut,
    RewardKeysOut,
)
from openminis.identity import app_identity
from openminis.web.dependencies import CallingApp, PlatformDep, SessionDep
from openminis.web.routing import Router

router = Router(tags=["ads"])
UnitId = Path(max_length=32, pattern=ID)


def unit_out(unit: AdUnit) -> AdUnitOut:
    # A unit has both a reward type and an amount (a rewarded one) or neither (inventory._apply).
    reward = (
        Reward(type=unit.reward_type, amount=unit.reward_amount)
        if unit.reward_type and unit.reward_amount is not None
        else None
    )
    return AdUnitOut(
        id=unit.id,
        app_id=unit.app_id,
        name=unit.name,
        kind=unit.kind,
        reward=reward,
        verify_url=unit.verify_url,
        floor_cpm=unit.floor_cpm,
        min_watch_seconds=unit.min_watch_seconds,
        min_interval_seconds=unit.min_interval_seconds,
        active=unit.active,
        created_at=unit.created_at,
        updated_at=unit.updated_at,
    )


def unit_fields(body: AdUnitIn) -> inventory.UnitFields:
    return inventory.UnitFields(
        name=body.name,
        kind=body.kind,
        reward_type=body.reward.type if body.reward else None,
        reward_amount=body.reward.amount if body.reward else None,
        verify_url=body.verify_url,
        floor_cpm=body.floor_cpm,
        min_watch_seconds=body.min_watch_seconds,
        min_interval_seconds=body.min_interval_seconds,
        active=body.active,
    )


@router.post("/ad-units", response_model=AdUnitOut, status_code=201)
def create_unit(body: AdUnitIn, app_id: CallingApp, session: SessionDep, platform: PlatformDep) -> AdUnitOut:
    """A new ad unit; the game shows its ads with ``minis.showRewardedAd({unitId})`` or ``showInterstitialAd``."""
    return unit_out(inventory.create_unit(session, app_id, unit_fields(body), unit_id=body.id, egress=platform.egress))


@router.get("/ad-units", response_model=AdUnitList)
def list_units(app_id: CallingApp, session: SessionDep) -> AdUnitList:
    return AdUnitList(items=[unit_out(u) for u in inventory.list_units(session, app_id)])


@router.get("/ad-units/{unit_id}", response_model=AdUnitOut)
def get_unit(app_id: CallingApp, session: SessionDep, unit_id: str = UnitId) -> AdUnitOut:
    return unit_out(inventory.get_unit(session, app_id, unit_id))


@router.put("/ad-units/{unit_id}", response_model=AdUnitOut)
def put_unit(
    body: AdUnitIn, app_id: CallingApp, session: SessionDep, platform: PlatformDep, unit_id: str = UnitId
) -> AdUnitOut:
    """Change a unit (its kind stays); ``active: false`` pauses it."""
    return unit_out(inventory.update_unit(session, app_id, unit_id, unit_fields(body), egress=platform.egress))


@router.get("/ads/report", response_model=ReportOut)
def ad_report(start: date, end: date, app_id: CallingApp, session: SessionDep, platform: PlatformDep) -> ReportOut:
    """Per unit per UTC day from ``start`` to ``end`` (both included): the funnel, the developer's
    revenue and eCPM, in micros of USD."""
    lines = reports.report(session, platform.events, platform.ads.events, app_id, start, end)
    return ReportOut(
        start=start,
        end=end,
        lines=[ReportLineOut(**line.__dict__, fill_rate=line.fill_rate, ecpm=line.ecpm) for line in lines],
    )


@router.get("/ads/rewards", response_model=RewardGrantPage)
def list_rewards(
    app_id: CallingApp,
    session: SessionDep,
    platform: PlatformDep,
    cursor: str | None = Query(default=None, max_length=200),
    limit: int = Query(default=50, ge=1, le=200),
) -> RewardGrantPage:
    """Every reward earned in the app, newest first: how a backend that missed callbacks catches up."""
    rows, next_cursor = rewards.list_grants(session, app_id, cursor=cursor, limit=limit)
    items = [
        RewardGrantOut(
            transaction_id=g.id,
            ad_id=g.ad_id,
            unit_id=g.unit_id,
            openid=app_identity.openid(platform.secret, g.app_id, g.user_id),
            reward=Reward(type=g.reward_type, amount=g.reward_amount),
            created_at=g.created_at,
            verified_at=g.verified_at,
        )
        for g in rows
    ]
    return RewardGrantPage(items=items, next_cursor=next_cursor)


@router.get("/ads/verifications", response_model=RewardAttemptList)
def verification_log(
    app_id: CallingApp, session: SessionDep, transaction_id: str | None = Query(default=None, max_length=32, pattern=ID)
) -> RewardAttemptList:
    """Every call of the app's verification URLs, newest first."""
    rows = rewards.attempts(session, app_id, transaction_id=transaction_id)
    return RewardAttemptList(items=[RewardAttemptOut.model_validate(a, from_attributes=True) for a in rows])


@router.get("/.well-known/reward-keys", response_model=RewardKeysOut, openapi_extra={"security": []})
def reward_keys(response: Response, session: SessionDep, platform: PlatformDep) -> RewardKeysOut:
    """The public keys reward callbacks are signed with (no authentication). Keep them cached for a
    few minutes; fetch again when a callback names a key you do not know."""
    keys = signing.public_keys(session, timedelta(days=platform.settings.ads_key_retention_days), platform.db)
    response.headers["Cache-Control"] = "public, max-age=300"
    return RewardKeysOut(
        keys=[RewardKeyOut(kid=k.kid, public_key_pem=k.public_key_pem, created_at=k.created_at) for k in keys]
    )
