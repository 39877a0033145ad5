"""Billing an impression: the campaign's budgets and the advertiser's funds, in one transaction.

A budget is never overspent, however many impressions race for its last micros: each one grows
``spent`` by a conditional UPDATE (``spent + price <= budget``), for the total and for the day,
so the database checks and spends in one step and exactly the affordable ones pass. The money
then moves in one ledger transfer, which refuses to take an advertiser's funds below zero.
All of it commits with the impression's ``shown`` state, or none of it does.

Row locks are taken in one order (impression, campaign, campaign day, ledger accounts by id),
so concurrent impressions queue instead of deadlocking.

``payable`` tells the auction's index what each campaign can still pay, its advertiser's funds
included, so that a campaign that could not be billed is not served.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, true, update
from sqlalchemy.orm import Session

from openminis.ads.auction import LiveCampaign
from openminis.ads.models import Campaign, CampaignDay, Impression
from openminis.ads.money import ADVERTISER_FUNDS, APP_AD_EARNINGS, PLATFORM_AD_REVENUE, USD_MICROS, split
from openminis.db import insert_ignoring_conflicts
from openminis.wallet import service as ledger
from openminis.wallet.service import Leg


def bill_key(ad_id: str) -> str:
    """The idempotency key of an impression's bill on the ledger."""
    return f"ad:{ad_id}:bill"


class NotDecided(Exception):
    """The impression was already shown, or refused: someone else claimed it first."""


class BudgetExhausted(Exception):
    pass


def claim(
    session: Session, impression: Impression, *, now: datetime, developer_share_bps: int, show_token: str | None = None
) -> tuple[int, int]:
    """Mark a decided impression shown (by the show token that proved it), in the caller's
    transaction; (developer, platform) parts."""
    developer, platform = split(impression.price, developer_share_bps)
    # An UPDATE's result is a CursorResult (its rowcount); Session.execute is typed as returning Result.
    claimed = cast(
        "CursorResult[Any]",
        session.execute(
            update(Impression)
            .where(Impression.id == impression.id, Impression.status == "decided")
            .values(
                status="shown",
                shown_at=now,
                billed_day=now.date(),
                developer_share=developer,
                platform_share=platform,
                show_token=show_token,
            )
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    if claimed != 1:
        raise NotDecided()
    return developer, platform


def bill(
    session: Session,
    impression: Impression,
    campaign: Campaign,
    *,
    day: date,
    developer: int,
    platform: int,
    advertiser_id: str,
) -> None:
    """Spend the impression's price from the campaign's budgets and move it on the ledger.
    Raises BudgetExhausted or InsufficientFunds; the caller then rolls everything back."""
    price = impression.price
    if impression.house or price == 0:
        return
    spent = cast(
        "CursorResult[Any]",
        session.execute(
            update(Campaign)
            .where(Campaign.id == campaign.id, Campaign.spent + price <= Campaign.total_budget)
            .values(spent=Campaign.spent + price)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    if spent != 1:
        raise BudgetExhausted("the campaign's budget ran out")
    # The day's row is kept with or without a daily budget: it is what the campaign spent today.
    insert_ignoring_conflicts(session, CampaignDay, {"campaign_id": campaign.id, "day": day, "spent": 0})
    within_day = CampaignDay.spent + price <= campaign.daily_budget if campaign.daily_budget is not None else true()
    spent_today = cast(
        "CursorResult[Any]",
        session.execute(
            update(CampaignDay)
            .where(CampaignDay.campaign_id == campaign.id, CampaignDay.day == day, within_day)
            .values(spent=CampaignDay.spent + price)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    if spent_today != 1:
        raise BudgetExhausted("the campaign's daily budget ran out")
    ledger.transfer(
        session,
        key=bill_key(impression.id),
        kind="ad_impression",
        currency=USD_MICROS,
        legs=[
            Leg(ledger.account_id(session, ADVERTISER_FUNDS, advertiser_id, USD_MICROS), -price),
            Leg(ledger.account_id(session, APP_AD_EARNINGS, impression.app_id, USD_MICROS), developer),
            Leg(ledger.account_id(session, PLATFORM_AD_REVENUE, "", USD_MICROS), platform),
        ],
        details={
            "ad_id": impression.id,
            "campaign_id": campaign.id,
            "app_id": impression.app_id,
            "price": price,
            "developer": developer,
        },
    )


def payable(session: Session, live: list[LiveCampaign]) -> list[LiveCampaign]:
    """The live campaigns, each paid one with what it may spend lowered to its advertiser's funds
    (two queries, once per snapshot of the index): a campaign whose advertiser cannot pay its bid
    then takes no part in the auction, neither winning nor setting the price. The funds are read
    again at billing, which alone decides what is paid."""
    owners = dict(
        session.execute(
            select(Campaign.id, Campaign.advertiser_id).where(Campaign.status == "active", Campaign.house.is_(False))
        ).all()
    )
    funds = {
        account.owner_id: account.balance
        for account in ledger.owned(session, kinds=[ADVERTISER_FUNDS], owners=set(owners.values()), currency=USD_MICROS)
    }
    found: list[LiveCampaign] = []
    for campaign in live:
        if campaign.house:
            found.append(campaign)
            continue
        # A campaign paused since the snapshot's first query has no owner here: it is left out.
        owner = owners.get(campaign.id, "")
        remaining = min(campaign.remaining or 0, funds.get(owner, 0))
        found.append(replace(campaign, advertiser_id=owner, remaining=remaining))
    return found
