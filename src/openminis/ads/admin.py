"""Operator routes for ad demand (``/api/admin/ads``, admin token): advertisers and their deposits,
campaigns, creative files and creatives, an app's revenue share, and signing-key rotation."""

from __future__ import annotations

from fastapi import Path, Query, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from openminis.ads import campaigns, inventory, media, signing
from openminis.ads.models import Advertiser, Campaign, Creative
from openminis.ads.schemas import (
    ID,
    AdvertiserIn,
    AdvertiserList,
    AdvertiserOut,
    CampaignFields,
    CampaignIn,
    CampaignList,
    CampaignOut,
    CreativeAdminOut,
    CreativeIn,
    CreativeList,
    CreativeStateIn,
    DepositIn,
    FrequencyCap,
    MediaOut,
    RewardKeyOut,
    ShareIn,
    ShareOut,
)
from openminis.errors import TooLarge
from openminis.platform import Platform
from openminis.web import body_limit
from openminis.web.dependencies import AdminOnly, PlatformDep, SessionDep
from openminis.web.routing import Router

# One Path() per parameter name: FastAPI names a shared one after the first parameter it meets.
router = Router(prefix="/api/admin/ads", tags=["ads admin"], dependencies=[AdminOnly])
AdvertiserId = Path(max_length=32, pattern=ID)
CampaignId = Path(max_length=32, pattern=ID)
CreativeId = Path(max_length=32, pattern=ID)


def advertiser_out(session: Session, advertiser: Advertiser) -> AdvertiserOut:
    return AdvertiserOut(
        id=advertiser.id,
        name=advertiser.name,
        funds=campaigns.funds(session, advertiser.id),
        created_at=advertiser.created_at,
    )


def campaign_out(session: Session, platform: Platform, campaign: Campaign) -> CampaignOut:
    cap = (
        FrequencyCap(count=campaign.frequency_count, period_seconds=campaign.frequency_seconds)
        if campaign.frequency_count and campaign.frequency_seconds is not None  # a cap has both
        else None
    )
    return CampaignOut(
        id=campaign.id,
        advertiser_id=campaign.advertiser_id,
        name=campaign.name,
        status=campaign.status,
        house=campaign.house,
        bid_cpm=campaign.bid_cpm,
        total_budget=campaign.total_budget,
        daily_budget=campaign.daily_budget,
        spent=campaign.spent,
        spent_today=campaigns.spent_today(session, campaign.id, platform.ads.clock().date()),
        categories=campaign.categories,
        markets=campaign.markets,
        frequency_cap=cap,
        created_at=campaign.created_at,
        updated_at=campaign.updated_at,
    )


def creative_out(platform: Platform, creative: Creative) -> CreativeAdminOut:
    return CreativeAdminOut(
        id=creative.id,
        campaign_id=creative.campaign_id,
        kind=creative.kind,
        file=creative.file,
        url=platform.ads.media_url(creative.file),
        content_type=creative.content_type,
        size_bytes=creative.size_bytes,
        duration_ms=creative.duration_ms,
        width=creative.width,
        height=creative.height,
        click_url=creative.click_url,
        title=creative.title,
        active=creative.active,
    )


def campaign_fields(body: CampaignFields) -> campaigns.CampaignTerms:
    cap = body.frequency_cap
    return {
        "name": body.name,
        "status": body.status,
        "bid_cpm": body.bid_cpm,
        "total_budget": body.total_budget,
        "daily_budget": body.daily_budget,
        "categories": body.categories,
        "markets": body.markets,
        "frequency_count": cap.count if cap else None,
        "frequency_seconds": cap.period_seconds if cap else None,
    }


@router.post("/advertisers", response_model=AdvertiserOut, status_code=201)
def create_advertiser(body: AdvertiserIn, session: SessionDep) -> AdvertiserOut:
    return advertiser_out(session, campaigns.create_advertiser(session, name=body.name))


@router.get("/advertisers", response_model=AdvertiserList)
def list_advertisers(session: SessionDep) -> AdvertiserList:
    return AdvertiserList(items=[advertiser_out(session, a) for a in campaigns.list_advertisers(session)])


@router.post("/advertisers/{advertiser_id}/deposits", response_model=AdvertiserOut)
def deposit(body: DepositIn, session: SessionDep, advertiser_id: str = AdvertiserId) -> AdvertiserOut:
    """Credit money received from the advertiser (micros of USD); the same key deposits once."""
    campaigns.deposit(session, advertiser_id, amount=body.amount, idempotency_key=body.idempotency_key)
    return advertiser_out(session, campaigns.get_advertiser(session, advertiser_id))


@router.post("/campaigns", response_model=CampaignOut, status_code=201)
def create_campaign(body: CampaignIn, session: SessionDep, platform: PlatformDep) -> CampaignOut:
    campaign = campaigns.create_campaign(
        session, advertiser_id=body.advertiser_id, house=body.house, **campaign_fields(body)
    )
    return campaign_out(session, platform, campaign)


@router.get("/campaigns", response_model=CampaignList)
def list_campaigns(
    session: SessionDep,
    platform: PlatformDep,
    advertiser_id: str | None = Query(default=None, max_length=32, pattern=ID),
) -> CampaignList:
    return CampaignList(
        items=[campaign_out(session, platform, c) for c in campaigns.list_campaigns(session, advertiser_id)]
    )


@router.get("/campaigns/{campaign_id}", response_model=CampaignOut)
def get_campaign(session: SessionDep, platform: PlatformDep, campaign_id: str = CampaignId) -> CampaignOut:
    return campaign_out(session, platform, campaigns.get_campaign(session, campaign_id))


@router.put("/campaigns/{campaign_id}", response_model=CampaignOut)
def put_campaign(
    body: CampaignFields, session: SessionDep, platform: PlatformDep, campaign_id: str = CampaignId
) -> CampaignOut:
    """Change bids, budgets, targeting, cap or status (not the advertiser, nor whether it is a house campaign)."""
    return campaign_out(session, platform, campaigns.update_campaign(session, campaign_id, **campaign_fields(body)))


@router.post("/media", response_model=MediaOut, status_code=201)
async def upload_media(request: Request, platform: PlatformDep) -> MediaOut:
    """Upload a creative file as the raw request body: MP4 or WebM video, PNG, JPEG or WebP image
    (recognised by its bytes, whatever the Content-Type says)."""
    limit = platform.settings.ads_max_creative_bytes
    body_limit.allow(request, limit, code="MEDIA_TOO_LARGE")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"a creative file is at most {limit} bytes", code="MEDIA_TOO_LARGE")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise TooLarge(f"a creative file is at most {limit} bytes", code="MEDIA_TOO_LARGE")
    stored = await run_in_threadpool(media.store, platform.ads.media, bytes(body), limit)
    return MediaOut(
        file=stored.name,
        url=platform.ads.media_url(stored.name),
        kind=stored.kind,
        content_type=stored.content_type,
        size_bytes=stored.size_bytes,
    )


@router.post("/campaigns/{campaign_id}/creatives", response_model=CreativeAdminOut, status_code=201)
def add_creative(
    body: CreativeIn, session: SessionDep, platform: PlatformDep, campaign_id: str = CampaignId
) -> CreativeAdminOut:
    creative = campaigns.add_creative(
        session,
        platform.ads.media,
        campaign_id,
        file=body.file,
        click_url=body.click_url,
        title=body.title,
        width=body.width,
        height=body.height,
        duration_ms=body.duration_ms,
    )
    return creative_out(platform, creative)


@router.get("/campaigns/{campaign_id}/creatives", response_model=CreativeList)
def list_creatives(session: SessionDep, platform: PlatformDep, campaign_id: str = CampaignId) -> CreativeList:
    return CreativeList(items=[creative_out(platform, c) for c in campaigns.list_creatives(session, campaign_id)])


@router.put("/creatives/{creative_id}", response_model=CreativeAdminOut)
def set_creative_state(
    body: CreativeStateIn, session: SessionDep, platform: PlatformDep, creative_id: str = CreativeId
) -> CreativeAdminOut:
    """Stop (or resume) showing a creative."""
    return creative_out(platform, campaigns.set_creative_active(session, creative_id, body.active))


@router.put("/apps/{app_id}/share", response_model=ShareOut)
def set_share(body: ShareIn, session: SessionDep, app_id: str = Path(max_length=40, pattern=ID)) -> ShareOut:
    """The app's part of what its ads earn (the platform's default is ``MINIS_ADS_DEVELOPER_SHARE_BPS``)."""
    settings = inventory.set_developer_share(session, app_id, body.developer_share_bps)
    return ShareOut(app_id=settings.app_id, developer_share_bps=settings.developer_share_bps)


@router.post("/signing-keys/rotate", response_model=RewardKeyOut)
def rotate_key(session: SessionDep) -> RewardKeyOut:
    """Retire the reward-signing key and make a new one (the retired one stays listed for a while)."""
    key = signing.rotate_signing_key(session)
    return RewardKeyOut(kid=key.kid, public_key_pem=key.public_key_pem, created_at=key.created_at)
