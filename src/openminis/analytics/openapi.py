"""Open API reports for a developer's own app, read from the analytics store."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field

from openminis.analytics import activity, episodes, funnel
from openminis.web.dates import UtcDay
from openminis.web.dependencies import CallingApp, PlatformDep, SessionDep
from openminis.web.routing import Router

router = Router(tags=["reports"])

By = Query(
    default="source", max_length=16, description="source (scene), app, creator, origin_sdk, or none for the total alone"
)
From = Query(default=None, alias="from", description="first UTC day (default: six days before `to`)")
To = Query(default=None, alias="to", description="last UTC day, included (default: today)")
ActivityFrom = Query(default=None, alias="from", description="first UTC day (default: 29 days before `to`)")


class FunnelLineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str | None = Field(description="the source, app or creator (null: events without one, or the total)")
    exposure: int
    click: int
    launch: int
    ready: int
    converted: int = Field(description="paid + rewarded")
    paid: int
    rewarded: int
    click_rate: float | None = Field(description="click / exposure; null when there was no exposure")
    launch_rate: float | None = Field(description="launch / click (above 1 when people launch without a click)")
    ready_rate: float | None = Field(description="ready / launch")
    conversion_rate: float | None = Field(description="converted / ready")
    active_persons: int = Field(description="distinct people who launched")
    converted_persons: int
    paying_persons: int = Field(description="distinct people who paid or unlocked with coins")
    revenue_coins: int = Field(description="purchases and coin unlocks less refunds, in coins")
    ad_revenue_usd_micros: int = Field(description="the developer's share of rewarded ads, micros of USD")
    arpu: float | None = Field(description="revenue_coins per active person")
    arppu: float | None = Field(description="revenue_coins per paying person")


class FunnelOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    app_id: str | None = Field(description="null: every app")
    by: str | None
    start: datetime
    end: datetime = Field(description="excluded")
    lines: list[FunnelLineOut] = Field(description="one per group, most exposures first")
    total: FunnelLineOut = Field(description="all the groups together (persons counted once)")


@router.get("/reports/funnel", response_model=FunnelOut)
def funnel_report(
    app_id: CallingApp,
    session: SessionDep,
    platform: PlatformDep,
    by: str = By,
    first: UtcDay | None = From,
    last: UtcDay | None = To,
) -> FunnelOut:
    """The app's funnel, exposure -> click -> launch -> ready -> paid or rewarded, per group, with
    revenue, ARPU and ARPPU, over whole UTC days (at most 366)."""
    result = funnel.report(
        session, platform.events, app_id=app_id, first=first, last=last, by=by, pending=platform.conversions
    )
    return FunnelOut.model_validate(result)


class ActiveDayOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    day: date
    active: int = Field(description="distinct people who launched that day (DAU)")
    new: int = Field(description="of them, people launching for the first time ever")
    returning: int = Field(description="active - new")


class CohortOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    day: date = Field(description="the day the cohort's people first launched")
    size: int
    d1: int | None = Field(description="of them, active again 1 day later; null until that day begins")
    d7: int | None = Field(description="active again 7 days later")
    d30: int | None = Field(description="active again 30 days later")
    d1_rate: float | None = Field(description="d1 / size; null when unknown or the cohort is empty")
    d7_rate: float | None
    d30_rate: float | None


class ActivityOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    app_id: str | None = Field(description="null: every app")
    first: date
    last: date = Field(description="included")
    days: list[ActiveDayOut] = Field(description="every day of the period, oldest first")
    cohorts: list[CohortOut] = Field(description="one per day of the period, oldest first")
    average_active: float = Field(description="mean daily active people over the period")


@router.get("/reports/activity", response_model=ActivityOut)
def activity_report(
    app_id: CallingApp,
    session: SessionDep,
    platform: PlatformDep,
    first: UtcDay | None = ActivityFrom,
    last: UtcDay | None = To,
) -> ActivityOut:
    """The app's daily active, new and returning people, and D1, D7 and D30 retention of each
    day's new people, over whole UTC days (at most 366)."""
    return ActivityOut.model_validate(activity.report(session, platform.events, app_id=app_id, first=first, last=last))


class EpisodeLineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: int
    plays: int = Field(description="starts of the episode in the host's player, rewatches included")
    viewers: int = Field(description="distinct people who started it")
    completes: int = Field(description="times it was watched to its end")
    completion: float | None = Field(description="completes / plays")
    reach: float | None = Field(description="viewers / viewers of episode 1: the share of the audience still watching")


class WatchingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    series_id: str
    title: str
    first: date
    last: date = Field(description="included")
    free_episodes: int = Field(description="episodes before the paywall")
    episodes: list[EpisodeLineOut] = Field(description="every episode of the series, in order")


@router.get("/reports/episodes", response_model=WatchingOut)
def episodes_report(
    app_id: CallingApp,
    session: SessionDep,
    platform: PlatformDep,
    series_id: str = Query(max_length=32, description="one of the app's series"),
    first: UtcDay | None = ActivityFrom,
    last: UtcDay | None = To,
) -> WatchingOut:
    """How far people watch one of the app's drama series in the host's player: per episode, plays,
    viewers, completion and reach (the drop-off curve), over whole UTC days (at most 366)."""
    return WatchingOut.model_validate(
        episodes.report(session, platform.events, app_id=app_id, series_id=series_id, first=first, last=last)
    )
