"""The operator's money routes, for staff by act (staff/service.py): the money terms and coin packs
(finance, "money"), a person's money records (support, "lookup"), refunds of anything a person paid
for ("refund") and statements ("money"). Every change is recorded in the audit log in the same unit
of work as the change itself."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from fastapi import Path, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from openminis.attribution import service as attribution
from openminis.catalog import service as catalog
from openminis.drama import access as drama_access
from openminis.drama import subscriptions
from openminis.errors import InvalidArgument, NotFound
from openminis.identity import app_identity
from openminis.identity import service as identity
from openminis.payments import coupons, orders, refunds, statements, terms, topups
from openminis.payments.api import coupon_out
from openminis.payments.models import MoneyTerms
from openminis.payments.schemas import (
    AdminCouponGrantIn,
    AdminCouponIn,
    AdminPackList,
    AdminPackOut,
    AdminRefundIn,
    AdminRefundOut,
    CouponGrantOut,
    CouponList,
    CouponOut,
    MoneyItemOut,
    MoneyStatementLineOut,
    MoneyStatementOut,
    PackIn,
    PeopleOut,
    PersonMoneyOut,
    PersonOut,
    ProviderRefundOut,
    RetryRefundIn,
    TermsIn,
    TermsNow,
    TermsOut,
    TermsView,
)
from openminis.payouts import service as payouts
from openminis.platform import Platform
from openminis.staff import audit, conflicts
from openminis.staff import service as staff
from openminis.unit_of_work import after_commit
from openminis.wallet import service as ledger
from openminis.wallet.service import COIN
from openminis.web.dates import UtcDateTime
from openminis.web.dependencies import Finance, PlatformDep, Refunder, SessionDep, StaffPersonId, Support
from openminis.web.routing import Router

router = Router(prefix="/api/admin/money", tags=["money"])
AppIdQuery = Query(default=None, max_length=40)


# Terms ------------------------------------------------------------------------------------------


def _terms_now(session: Session, app_id: str | None) -> TermsNow:
    now = terms.in_effect(session, app_id)
    return TermsNow(
        app_id=app_id,
        fee_bps=now.fee_bps,
        creator_commission_bps=now.commission_bps,
        history=[TermsOut.model_validate(row, from_attributes=True) for row in terms.history(session, app_id)],
    )


@router.get("/terms", response_model=TermsView)
def get_terms(finance: Finance, session: SessionDep, app_id: str | None = AppIdQuery) -> TermsView:
    """The terms in effect now, the platform's defaults and the app's, with every change (scheduled
    ones included), the latest effective first."""
    if app_id is not None:
        catalog.get_app(session, app_id)
    return TermsView(
        defaults=_terms_now(session, None), app=_terms_now(session, app_id) if app_id is not None else None
    )


@router.post("/terms", response_model=TermsOut, status_code=201)
def set_terms(body: TermsIn, finance: Finance, person: StaffPersonId, session: SessionDep) -> TermsOut:
    """New terms for an app (or the defaults) from ``effective_at`` (now when left out): what is
    paid from then on pays them; what was paid before keeps its own."""
    if body.app_id is not None:
        catalog.get_app(session, body.app_id)
    conflicts.not_on_its_team(session, person, body.app_id, act="sets its terms")
    before = terms.in_effect(session, body.app_id, body.effective_at)
    row: MoneyTerms = terms.schedule(
        session,
        app_id=body.app_id,
        fee_bps=body.fee_bps,
        commission_bps=body.creator_commission_bps,
        effective_at=body.effective_at,
        by=finance,
    )
    audit.record(
        session,
        actor=finance,
        action="set_terms",
        target_kind="app" if body.app_id else "platform",
        target_id=body.app_id or "defaults",
        reason=body.reason,
        before={"fee_bps": before.fee_bps, "creator_commission_bps": before.commission_bps},
        after={
            "fee_bps": row.fee_bps,
            "creator_commission_bps": row.creator_commission_bps,
            "effective_at": row.effective_at.isoformat(),
        },
    )
    return TermsOut.model_validate(row, from_attributes=True)


# Coin packs -------------------------------------------------------------------------------------


@router.get("/packs", response_model=AdminPackList)
def list_packs(finance: Finance, session: SessionDep) -> AdminPackList:
    return AdminPackList(
        items=[AdminPackOut.model_validate(pack, from_attributes=True) for pack in topups.all_packs(session)]
    )


@router.put("/packs/{pack_id}", response_model=AdminPackOut)
def put_pack(
    body: PackIn, finance: Finance, person: StaffPersonId, session: SessionDep, pack_id: str = Path(max_length=32)
) -> AdminPackOut:
    """Make or change a coin pack and its price per market; top-ups opened at the old price are
    refused PRICE_CHANGED and shown the new one. One that sells more coins for the money is the
    owner's, or the admin token's (topups.put_pack)."""
    before, pack = topups.put_pack(
        session,
        pack_id,
        coins=body.coins,
        bonus_coins=body.bonus_coins,
        prices={market: (price.currency.upper(), price.amount) for market, price in body.prices.items()},
        active=body.active,
        sort=body.sort,
        may_loosen=person is None or staff.role_of(session, person) == "owner",
    )
    audit.record(
        session,
        actor=finance,
        action="set_pack",
        target_kind="coin_pack",
        target_id=pack.id,
        reason=body.reason,
        before=before,
        after=topups.pack_record(pack),
    )
    return AdminPackOut.model_validate(pack, from_attributes=True)


# People and their money -------------------------------------------------------------------------


@router.get("/people", response_model=PeopleOut)
def find_people(
    support: Support,
    session: SessionDep,
    email: str | None = Query(default=None, max_length=254),
    name: str | None = Query(default=None, max_length=64),
    app_id: str | None = AppIdQuery,
    openid: str | None = Query(default=None, max_length=128),
) -> PeopleOut:
    """People by email, a part of their display name, or an app's openid (``app_id`` and ``openid``)."""
    if app_id and openid:
        found = identity.get_user(session, app_identity.user_for_openid(session, app_id, openid))
        people = [found] if found is not None else []
    elif email or name:
        people = identity.find_people(session, email=email, display_name=name)
    else:
        raise InvalidArgument("look a person up by email, name, or app_id and openid", field="email")
    return PeopleOut(
        items=[PersonOut(user_id=p.id, email=p.email, display_name=p.display_name, kind=p.kind) for p in people]
    )


def _period_status(item: str, current: int, status: str, paid: int, refunded: int) -> str:
    """A pass period's own state: each showed its subscription's, so a period refunded in full
    read "active" once the person subscribed again (a probe, money52)."""
    if paid and refunded >= paid:
        return "refunded"
    if refunded:
        return "partially_refunded"
    return status if int(item.rsplit(":", 1)[1]) == current else "ended"


@router.get("/people/{user_id}", response_model=PersonMoneyOut)
def person_money(support: Support, session: SessionDep, user_id: str = Path(max_length=32)) -> PersonMoneyOut:
    """A person's wallet, orders, unlocks, passes and top-ups, each with what was paid and refunded."""
    person = identity.get_user(session, user_id)
    if person is None:
        raise NotFound(f"no person {user_id!r}")
    unlocks = drama_access.unlocks_of(session, user_id)
    passes = subscriptions.subscriptions_of(session, user_id)
    pass_items = [
        (f"pass:{sub.id}:{period}", sub, drama_pass)
        for sub, drama_pass in passes
        for period in range(sub.period, 0, -1)
    ]
    bought = refunds.topups_of(session, user_id)
    asked = refunds.provider_refunds_of(session, [t.id for t in bought])
    charged = ledger.amounts_keyed(session, [u.item for u in unlocks] + [item for item, _, _ in pass_items])
    given_back = refunds.refunded(
        session,
        [u.item for u in unlocks] + [item for item, _, _ in pass_items] + [f"topup:{t.id}" for t in bought],
    )
    return PersonMoneyOut(
        person=PersonOut(user_id=person.id, email=person.email, display_name=person.display_name, kind=person.kind),
        balance=ledger.wallet_balance(session, user_id),
        signed_in_to=ledger.wallet_forwarded_to(session, user_id),
        orders=[
            MoneyItemOut(
                item=f"order:{o.id}",
                kind="order",
                app_id=o.app_id,
                title=f"{o.quantity} × {o.product_id}",
                currency=COIN,
                paid=o.amount if o.paid_at is not None else 0,
                refunded=o.refunded,
                status=o.status,
                at=o.created_at,
            )
            for o in orders.orders_of(session, user_id)
        ],
        unlocks=[
            MoneyItemOut(
                item=u.item,
                kind=u.kind,
                app_id=u.app_id,
                title=f"{u.series_title}: " + (f"episode {u.episode_number}" if u.episode_number else "whole series"),
                currency=COIN,
                paid=charged.get(u.item, 0),
                refunded=given_back.get(u.item, 0),
                status=u.method,
                at=u.at,
            )
            for u in unlocks
        ],
        passes=[
            MoneyItemOut(
                item=item,
                kind="pass",
                app_id=drama_pass.app_id,
                title=f"{drama_pass.title}, period {item.rsplit(':', 1)[1]}",
                currency=COIN,
                paid=charged.get(item, 0),
                refunded=given_back.get(item, 0),
                status=_period_status(item, sub.period, sub.status, charged.get(item, 0), given_back.get(item, 0)),
                at=sub.created_at,
            )
            for item, sub, drama_pass in pass_items
        ],
        topups=[
            MoneyItemOut(
                item=f"topup:{t.id}",
                kind="topup",
                app_id=None,
                title=f"{t.coins} coins ({t.market})",
                currency=t.currency,
                paid=t.amount if t.status == "succeeded" else 0,
                refunded=given_back.get(f"topup:{t.id}", 0),
                status=t.status,
                at=t.created_at,
                provider_refunds=[
                    ProviderRefundOut.model_validate(r, from_attributes=True) for r in asked.get(t.id, [])
                ],
            )
            for t in bought
        ],
    )


# Refunds ----------------------------------------------------------------------------------------


@router.post("/refunds", response_model=AdminRefundOut)
def refund(
    body: AdminRefundIn, refunder: Refunder, person: StaffPersonId, session: SessionDep, platform: PlatformDep
) -> AdminRefundOut:
    """Refund an order, an unlock, a series, a pass period or a top-up, in full (no ``amount``) or in
    part, through the same ledger rules as a developer's refund. A repeated ``idempotency_key``
    refunds once; concurrent refunds of one item never give back more than was paid. Nobody refunds
    what they paid for themselves (staff/conflicts.py)."""
    if body.item.startswith("order:"):
        order = orders.get_order_any(session, body.item.removeprefix("order:"))
        conflicts.not_their_own(session, person, order.user_id, body.item)
        with payouts.refunds_told_of_payouts(session, order.app_id):
            done = orders.refund(
                session,
                order.app_id,
                order.id,
                amount=body.amount,
                reason=body.reason,
                idempotency_key=body.idempotency_key,
                by=refunder,
                secret=platform.secret,
            )
        answer = AdminRefundOut(
            item=body.item, currency=COIN, paid=done.order.amount, refunded=done.order.refunded, amount=done.amount
        )
        if not done.repeated:
            _report(session, platform, done.order.app_id, done.order.user_id, done.attribution, done.amount)
        # From the order as the refund left it, under its lock: read before the lock, refunds at
        # once each recorded a "refunded before" that others had changed meanwhile (ops56).
        before = done.order.refunded - done.amount
        app_id: str | None = order.app_id
        repeated = done.repeated
    else:
        if person is not None:
            conflicts.not_their_own(session, person, refunds.buyer(session, body.item), body.item)
        with payouts.refunds_told_of_payouts(session, refunds.app_of(session, body.item)):
            tally = refunds.refund(
                session,
                body.item,
                amount=body.amount,
                reason=body.reason,
                idempotency_key=body.idempotency_key,
                by=refunder,
            )
        before = tally.refunded - tally.amount
        answer = AdminRefundOut(
            item=tally.item, currency=tally.currency, paid=tally.paid, refunded=tally.refunded, amount=tally.amount
        )
        repeated = tally.repeated
        if not repeated and tally.kind == "pass" and tally.refunded == tally.paid:
            _, subscription_id, period = tally.item.split(":")
            subscriptions.end_refunded(session, subscription_id, int(period))
        if not repeated and tally.app_id is not None:
            _report(session, platform, tally.app_id, tally.user_id, tally.attribution, tally.amount)
        app_id = tally.app_id
    if not repeated:  # a retry of a refund made changes nothing, and is not an act of its own
        audit.record(
            session,
            actor=refunder,
            action="refund",
            target_kind=body.item.split(":", 1)[0],
            target_id=body.item,
            reason=body.reason,
            before={"refunded": before, "paid": answer.paid, "currency": answer.currency, "app_id": app_id},
            after={"refunded": answer.refunded, "amount": answer.amount, "idempotency_key": body.idempotency_key},
        )
    return answer


@router.post("/refunds/{key}/retry", response_model=ProviderRefundOut)
def ask_provider_again(
    body: RetryRefundIn, refunder: Refunder, session: SessionDep, key: str = Path(max_length=200)
) -> ProviderRefundOut:
    """Ask the payment provider again now for a top-up's refund still waiting for its answer (its
    job gives up retrying after three days, with "gave up" in ``last_error``)."""
    found = refunds.ask_again(session, key)
    audit.record(
        session,
        actor=refunder,
        action="retry_refund",
        target_kind="topup",
        target_id=f"topup:{found.topup_id}",
        reason=body.reason,
        before={"key": key, "status": found.status, "last_error": found.last_error},
        after={"asked_again": True},
    )
    return ProviderRefundOut.model_validate(found, from_attributes=True)


def _report(
    session: Session, platform: Platform, app_id: str, user_id: str, touch: attribution.Attribution, amount: int
) -> None:
    """The refund's conversion event, once the unit has committed (as a developer's refund's)."""
    if amount:
        after_commit(
            session,
            partial(
                attribution.report,
                platform.conversions,
                "refund",
                app_id=app_id,
                user_id=user_id,
                touch=touch,
                revenue=-amount,
                currency=COIN,
            ),
        )


# Statements -------------------------------------------------------------------------------------


def statement_answer(
    lines: list[statements.StatementLine], start: datetime, end: datetime, format: str
) -> MoneyStatementOut | Response:
    if format == "csv":
        rows = [*lines, statements.total(lines)]
        return Response(
            statements.to_csv(rows, start, end),
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="statement.csv"'},
        )
    return MoneyStatementOut(
        start=start,
        end=end,
        lines=[MoneyStatementLineOut(**line.__dict__) for line in lines],
        total=MoneyStatementLineOut(**statements.total(lines).__dict__),
    )


@router.get("/statements", response_model=MoneyStatementOut, responses={200: {"content": {"text/csv": {}}}})
def statement(
    finance: Finance,
    session: SessionDep,
    start: UtcDateTime,
    end: UtcDateTime,
    developer_id: str | None = Query(default=None, max_length=40),
    app_id: str | None = AppIdQuery,
    format: str = Query(default="json", pattern="^(json|csv)$"),
) -> MoneyStatementOut | Response:
    """A developer's apps (``developer_id``) or one app (``app_id``): gross coins, the
    platform's fee, creators' commissions, refunds, unlocks and passes, ad revenue and net, each line
    the ledger's own sum for the period [start, end)."""
    if app_id:
        app_ids = [catalog.get_app(session, app_id).id]
    elif developer_id:
        app_ids = [app.id for app in catalog.apps_of(session, developer_id)]
    else:
        raise InvalidArgument("name a developer (developer_id) or an app (app_id)", field="developer_id")
    return statement_answer(statements.statement(session, app_ids, start, end), start, end, format)


# Coupons ----------------------------------------------------------------------------------------


@router.post("/coupons", response_model=CouponOut, status_code=201)
def create_coupon(
    body: AdminCouponIn, finance: Finance, person: StaffPersonId, platform: PlatformDep, session: SessionDep
) -> CouponOut:
    """The platform's coupon: for one app or (``app_id`` null) every app; funded by the platform's
    promotion budget, or by the app's developer when they agreed to (``funder`` developer). Coupons
    that can cost more than ``coupon_budget_without_owner`` in 30 days, together with the member's
    others, are the owner's or the admin token's."""
    if body.app_id is not None:
        catalog.get_app(session, body.app_id)
    conflicts.not_on_its_team(session, person, body.app_id, act="makes its coupons")
    alone = person is not None and staff.hold_role(session, person) != "owner"
    coupon = coupons.create(
        session,
        app_id=body.app_id,
        issuer=coupons.PLATFORM,
        funder=body.funder,
        **body.terms(),
        by=finance,
        maker_id=person,
        budget=platform.settings.coupon_budget_without_owner if alone else None,
    )
    audit.record(
        session,
        actor=finance,
        action="create_coupon",
        target_kind="coupon",
        target_id=coupon.id,
        reason=body.reason,
        after=coupon_out(coupon).model_dump(mode="json"),
    )
    return coupon_out(coupon)


@router.get("/coupons", response_model=CouponList)
def list_coupons(finance: Finance, session: SessionDep, app_id: str | None = AppIdQuery) -> CouponList:
    """Every coupon (newest 500), or one app's."""
    found = coupons.list_coupons(session, app_id=app_id, every_app=app_id is None)
    return CouponList(items=[coupon_out(c) for c in found])


@router.post("/coupons/{coupon_id}/end", response_model=CouponOut)
def end_coupon(finance: Finance, session: SessionDep, coupon_id: str = Path(max_length=32)) -> CouponOut:
    coupon = coupons.end(session, coupons.get(session, coupon_id))
    audit.record(session, actor=finance, action="end_coupon", target_kind="coupon", target_id=coupon.id)
    return coupon_out(coupon)


@router.post("/coupons/{coupon_id}/grants", response_model=CouponGrantOut)
def grant_coupon(
    body: AdminCouponGrantIn,
    finance: Finance,
    person: StaffPersonId,
    session: SessionDep,
    coupon_id: str = Path(max_length=32),
) -> CouponGrantOut:
    coupon = coupons.get(session, coupon_id)
    conflicts.not_to_themselves(person, body.user_id)
    if identity.live_user(session, body.user_id, hold=True) is None:  # a deleted account holds nothing
        raise NotFound(f"no person {body.user_id!r}", field="user_id")
    held = coupons.grant(session, coupon, body.user_id, via="admin")
    audit.record(
        session,
        actor=finance,
        action="grant_coupon",
        target_kind="coupon",
        target_id=coupon.id,
        reason=body.reason,
        after={"user_id": body.user_id},
    )
    return CouponGrantOut(
        coupon_id=coupon.id,
        used=held.used,
        uses_left=max(coupon.per_person_limit - held.used, 0),
        granted_at=held.granted_at,
    )
