"""Passes: a week or a month of every episode, paid in coins and renewed from the wallet.

A renewal is a job scheduled at the end of the paid period. It charges the next period (an
idempotency key per period: a renewal retried after a crash charges once) and schedules the next
one; if the wallet cannot cover it, the subscription lapses. Renewals and lapses are notified to
the app's backend like orders.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from openminis.attribution import service as attribution
from openminis.catalog import service as catalog
from openminis.db import json_time, utcnow
from openminis.drama import access
from openminis.drama import catalog as drama_catalog
from openminis.drama.models import DramaPass, Series, Subscription
from openminis.errors import Conflict, InvalidArgument, NotFound
from openminis.identity import app_identity
from openminis.jobs import service as jobs
from openminis.payments import notifications, prices
from openminis.payments import terms as money_terms
from openminis.unit_of_work import after_commit
from openminis.wallet import service as ledger
from openminis.wallet.service import COIN, InsufficientFunds, Leg

RENEW_JOB = "drama.renew"


def create_pass(
    session: Session, app_id: str, *, title: str, period_days: int, price: int, series_id: str | None
) -> DramaPass:
    if period_days not in (7, 30):
        raise InvalidArgument("a pass lasts 7 or 30 days", field="period_days")
    if not 1 <= price <= 100_000:
        raise InvalidArgument("price is 1 to 100,000 coins", field="price")
    if series_id is not None:
        series = session.get(Series, series_id)
        if series is None or series.app_id != app_id:
            raise NotFound(f"no series {series_id!r} in this app", field="series_id")
    drama_pass = DramaPass(
        id="pass_" + secrets.token_hex(6),
        app_id=app_id,
        series_id=series_id,
        title=title[:80] or "Pass",
        period_days=period_days,
        price=price,
    )
    session.add(drama_pass)
    session.flush()
    return drama_pass


def passes_of(session: Session, app_id: str) -> list[DramaPass]:
    """The app's passes, on sale or retired, by id: what its producer made."""
    return list(session.scalars(select(DramaPass).where(DramaPass.app_id == app_id).order_by(DramaPass.id)))


def retire_pass(session: Session, app_id: str, pass_id: str) -> DramaPass:
    """Take a pass off sale: nobody subscribes to it from now on; those subscribed keep it, renewed
    as before, until they cancel (as a store's subscription taken off sale). A producer could make
    passes and neither see nor stop them (a probe, dev54)."""
    drama_pass = session.get(DramaPass, pass_id)
    if drama_pass is None or drama_pass.app_id != app_id:
        raise NotFound(f"no pass {pass_id!r} in this app")
    drama_pass.active = False
    session.flush()
    return drama_pass


def passes_for(session: Session, series: Series) -> list[DramaPass]:
    covering = (DramaPass.series_id == series.id) | (
        (DramaPass.series_id.is_(None)) & (DramaPass.app_id == series.app_id)
    )
    return list(session.scalars(select(DramaPass).where(covering, DramaPass.active).order_by(DramaPass.price)))


def _charge_period(
    session: Session,
    subscription: Subscription,
    drama_pass: DramaPass,
    period: int,
    touch: attribution.Attribution | None = None,
) -> None:
    """One period at the subscription's own price: the one the person confirmed. The pass's first
    period is a conversion of the launch it was bought in (``touch``): a creator whose post brought
    the person earns their commission on it, as on a purchase or an unlock; renewals come of the
    pass, not of a post, and pay no commission."""
    price = subscription.price
    at = money_terms.paying_at(session)
    settings = money_terms.in_effect(session, drama_pass.app_id, at)
    fee = settings.fee(price)
    commission = attribution.commission(price - fee, settings.commission_bps, touch or attribution.NONE)
    key = f"pass:{subscription.id}:{period}"
    if touch is not None:
        attribution.record(
            session,
            kind="pass",
            ref=key,
            app_id=drama_pass.app_id,
            user_id=subscription.user_id,
            attribution=touch,
            currency=COIN,
            revenue=price,
            developer_net=price - fee,
            commission=commission,
            at=at,
        )
    ledger.transfer(
        session,
        key=key,
        kind="subscription",
        currency=COIN,
        legs=[
            Leg(ledger.account_id(session, "user_wallet", subscription.user_id), -price),
            Leg(ledger.account_id(session, "app_earnings", drama_pass.app_id), price - fee - commission, anchor=True),
            Leg(ledger.account_id(session, "platform_revenue"), fee),
            *attribution.creator_leg(session, touch or attribution.NONE, commission, COIN),
        ],
        details={
            "pass_id": drama_pass.id,
            "app_id": drama_pass.app_id,
            "user_id": subscription.user_id,
            "subscription_id": subscription.id,
            "period": period,
            "gross": price,
            "fee": fee,
            "commission": commission,
            "fee_bps": settings.fee_bps,
            "commission_bps": settings.commission_bps,
        },
    )


def _notify(session: Session, secret: str, subscription: Subscription, drama_pass: DramaPass, event_type: str) -> None:
    data = {
        "subscription": {
            "id": subscription.id,
            "pass_id": drama_pass.id,
            "openid": app_identity.known_openid(session, secret, drama_pass.app_id, subscription.user_id),
            "status": subscription.status,
            "period": subscription.period,
            "price": subscription.price,
            "current_period_end": json_time(subscription.current_period_end),
        }
    }
    notifications.enqueue_event(
        session,
        drama_pass.app_id,
        event_type,
        data,
        unique_key=f"notify:{subscription.id}:{event_type}:{subscription.period}",
    )


def _owned(session: Session, user_id: str, drama_pass: DramaPass) -> bool:
    """Whether the person bought whole every series the pass covers (its one series, or every
    published series of its app): it would sell them nothing (probes: an owner was sold the week
    pass, and charged for it every week; then the app's pass, the app having one series)."""
    if drama_pass.series_id is None:
        return access.owns_every_series(session, user_id, drama_pass.app_id)
    return access.owns_series(session, user_id, drama_pass.series_id)


def renews(session: Session, subscription: Subscription, drama_pass: DramaPass) -> bool:
    """Whether the subscription is charged again at its period's end (the renewal's rule, below)."""
    return subscription.status == "active" and not _owned(session, subscription.user_id, drama_pass)


def offered(session: Session, user_id: str, series: Series) -> list[DramaPass]:
    """The passes shown with a series to the person: those that would still give them something."""
    return [p for p in passes_for(session, series) if not _owned(session, user_id, p)]


def _series_shown(session: Session, drama_pass: DramaPass) -> bool:
    """A pass for one series sells access to it: only while it is published (not a draft, not
    removed by a moderator). A pass for every series of its app has no such series."""
    if drama_pass.series_id is None:
        return True
    series = session.get(Series, drama_pass.series_id)
    return series is not None and series.status == "published"


def subscribe(
    session: Session,
    secret: str,
    *,
    user_id: str,
    pass_id: str,
    amount: int | None,
    currency: str | None,
    launch_id: str | None = None,
    window: timedelta = attribution.DEFAULT_WINDOW,
    events: attribution.ConversionRecorder | None = None,
) -> Subscription:
    """Start (or resume) a pass at its price, which must be the ``amount`` (in ``currency``) the
    person confirmed, else PRICE_CHANGED. The subscription keeps that price for its renewals. A new
    period bought now is a conversion of ``launch_id`` (the launch the player was opened in) and of
    the creator whose post brought the person within ``window``."""
    drama_pass = session.get(DramaPass, pass_id)
    if drama_pass is None:
        raise NotFound(f"no pass {pass_id!r}")
    # Before what it sells is read: a takedown of the series or the app waits for it, or is read.
    drama_catalog.selling(session, drama_pass.app_id)
    if not drama_pass.active or not _series_shown(session, drama_pass):
        raise NotFound(f"no pass {pass_id!r}")
    catalog.open_app(session, drama_pass.app_id)  # no new passes in an app a moderator suspended
    # The person's turn for the pass's app, with their unlocks and series purchases there. One
    # subscribe to a pass at a time: the first of several at once creates the subscription (or its
    # next period), the others find it (on PostgreSQL they all tried to, and the losers' unique keys
    # answered 500). And an unlock of an episode the pass covers, sent with it, either comes first
    # and is charged, or sees the pass and charges nothing (a probe: it read "no pass" and charged).
    access.one_purchase_at_a_time(session, user_id, drama_pass.app_id)
    existing = session.scalar(
        select(Subscription).where(Subscription.user_id == user_id, Subscription.pass_id == pass_id)
    )
    now = utcnow()
    if existing is not None and existing.status == "active" and existing.current_period_end > now:
        return existing  # nothing is charged, nothing changes: no price to confirm
    if _owned(session, user_id, drama_pass):
        # Read in the person's turn: a series purchase sent with this subscribe came first, or sees it.
        raise Conflict("you own every series this pass covers: it would add nothing", code="ALREADY_OWNED")
    price = prices.confirm(prices.coins(drama_pass.price), amount=amount, currency=currency, what=drama_pass.title)
    if existing is not None and existing.status == "cancelled" and existing.current_period_end > now:
        # Changed their mind before the period ended: renewals resume, at the price just confirmed.
        existing.status, existing.price = "active", price
        return existing
    # One savepoint for the period and its coins: a charge refused (InsufficientFunds) leaves the
    # subscription as it was, however the caller goes on.
    with session.begin_nested():
        subscription = existing or Subscription(
            id="sub_" + secrets.token_hex(8),
            user_id=user_id,
            pass_id=pass_id,
            period=0,
            current_period_end=now,
            price=price,
        )
        if existing is None:
            session.add(subscription)
            session.flush()
        subscription.price = price
        subscription.period += 1
        subscription.status = "active"
        subscription.current_period_end = now + timedelta(days=drama_pass.period_days)
        session.flush()
        touch = attribution.attribute(
            session, user_id=user_id, app_id=drama_pass.app_id, launch_id=launch_id, at=now, window=window
        )
        _charge_period(session, subscription, drama_pass, subscription.period, touch)
        if events is not None:
            after_commit(
                session,
                partial(
                    attribution.report,
                    events,
                    "unlock",  # the analytics event of every coin spent on access: an episode, a series, a pass
                    app_id=drama_pass.app_id,
                    user_id=user_id,
                    touch=touch,
                    revenue=price,
                    currency=COIN,
                ),
            )
        _queue_renewal(session, subscription)
        _notify(session, secret, subscription, drama_pass, "subscription.started")
    return subscription


def _queue_renewal(session: Session, subscription: Subscription) -> None:
    """The job that charges the next period when this one ends, naming that period: it charges
    nothing if the subscription is at another by then (a probe: a person who bought the next period
    themselves before a late job ran was charged one more at once, then twice a period)."""
    period = subscription.period + 1
    jobs.enqueue(
        session,
        RENEW_JOB,
        {"subscription_id": subscription.id, "period": period},
        unique_key=f"renew:{subscription.id}:{period}",
        run_at=subscription.current_period_end,
    )


def _held(session: Session, subscription: Subscription, drama_pass: DramaPass) -> Subscription:
    """The subscription as it is once the person's turn in the pass's app is taken (the turn of
    their unlocks, series purchases and subscribes): a cancel and a renewal take turns too. A
    probe: a cancel committed while a renewal ran, after it had read the pass active, was answered
    "cancelled" and the renewal charged anyway."""
    access.one_purchase_at_a_time(session, subscription.user_id, drama_pass.app_id)
    held = session.get(Subscription, subscription.id, populate_existing=True)
    if held is None:  # cannot be: a pass's subscriptions go only with the pass, whose row is read
        raise LookupError(f"subscription {subscription.id!r} went away")
    return held


def cancel(session: Session, *, user_id: str, subscription_id: str) -> Subscription:
    found = session.get(Subscription, subscription_id)
    if found is None or found.user_id != user_id:
        raise NotFound(f"no subscription {subscription_id!r}")
    drama_pass = session.get(DramaPass, found.pass_id)
    subscription = _held(session, found, drama_pass) if drama_pass is not None else found
    if subscription.status == "lapsed":
        raise Conflict("this subscription has already ended", code="SUBSCRIPTION_ENDED")
    subscription.status = "cancelled"  # access lasts until the paid period ends
    return subscription


def renewer(secret: str) -> jobs.Handler:
    # The job's run_at is the period's end: the worker runs it when due, by its own clock.
    def renew(session: Session, payload: jobs.Payload) -> None:
        found = session.get(Subscription, payload["subscription_id"])
        if found is None:
            return
        drama_pass = session.get(DramaPass, found.pass_id)
        if drama_pass is None:  # cannot be: deleting a pass deletes its subscriptions
            raise LookupError(f"no pass {found.pass_id!r} for subscription {found.id!r}")
        subscription = _held(session, found, drama_pass)
        if subscription.status != "active":
            return  # cancelled or lapsed: nothing to renew
        period = subscription.period + 1
        if payload.get("period", period) != period:
            return  # queued for a period the person bought since: its own job renews it
        if "period" not in payload and subscription.current_period_end > utcnow():
            return  # a job queued before jobs named their period, for a period bought since
        try:
            # A pass whose series was removed (or unpublished), or whose app a moderator took down,
            # has nothing left to pay for: nothing of it can be watched. Nor one whose series (every
            # one it covers) the person bought whole since: they watch them as their owner.
            paid = (
                _series_shown(session, drama_pass)
                and not catalog.is_taken_down(session, drama_pass.app_id)
                and not _owned(session, subscription.user_id, drama_pass)
            )
            if paid:
                _charge_period(session, subscription, drama_pass, period)  # in a savepoint: refused, nothing stays
        except InsufficientFunds:
            paid = False
        if not paid:
            subscription.status = "lapsed"
            _notify(session, secret, subscription, drama_pass, "subscription.lapsed")
            return
        subscription.period = period
        # From the old end, or from now for a renewal that ran late: a worker 15 days behind charged
        # the two weeks that had passed without access, four periods at once (a probe).
        starts = max(subscription.current_period_end, utcnow())
        subscription.current_period_end = starts + timedelta(days=drama_pass.period_days)
        _queue_renewal(session, subscription)
        _notify(session, secret, subscription, drama_pass, "subscription.renewed")

    return renew


def subscriptions_of(session: Session, user_id: str) -> list[tuple[Subscription, DramaPass]]:
    """The person's subscriptions with their passes, newest first (ended ones too: a person looks
    for what they paid for)."""
    statement = (
        select(Subscription, DramaPass)
        .join(DramaPass, DramaPass.id == Subscription.pass_id)
        .where(Subscription.user_id == user_id)
        .order_by(Subscription.created_at.desc(), Subscription.id)
    )
    return [(subscription, drama_pass) for subscription, drama_pass in session.execute(statement)]


def end_refunded(session: Session, subscription_id: str, period: int) -> None:
    """The operator refunded a pass's current period in full: access ends now and nothing renews
    (a refunded period that is not the current one changes nothing)."""
    subscription = session.get(Subscription, subscription_id)
    if subscription is None or subscription.period != period or subscription.status == "lapsed":
        return
    now = utcnow()
    subscription.status = "cancelled"  # the renewal job finds it not active and charges nothing
    subscription.current_period_end = min(subscription.current_period_end, now)
