"""Open API routes for payments: products, orders, refunds, notifications and statements."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from functools import partial

from fastapi import Path, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from openminis.attribution import service as attribution
from openminis.catalog import service as catalog
from openminis.identity import app_identity
from openminis.payments import coupons, notifications, orders, settings_service, statements, terms
from openminis.payments.admin import statement_answer
from openminis.payments.api import coupon_out, order_out
from openminis.payments.models import Order
from openminis.payments.schemas import (
    AttemptList,
    AttemptOut,
    BackendOrderOut,
    CouponGrantIn,
    CouponGrantOut,
    CouponIn,
    CouponList,
    CouponOut,
    MoneyStatementOut,
    OrderDetailOut,
    OrderEventOut,
    OrderIn,
    OrderOut,
    OrderPage,
    PaymentSettingsIn,
    PaymentSettingsOut,
    ProductIn,
    ProductList,
    ProductOut,
    RefundIn,
    ResendOut,
    StatementLineOut,
    StatementOut,
)
from openminis.payouts import service as payouts
from openminis.platform import Platform
from openminis.ratelimit import enforce
from openminis.runtime.schemas import Ok
from openminis.unit_of_work import after_commit
from openminis.wallet.service import COIN
from openminis.web.admission import writes
from openminis.web.dates import UtcDateTime
from openminis.web.dependencies import CallingApp, PlatformDep, SessionDep
from openminis.web.limits import rate
from openminis.web.routing import Router

router = Router(tags=["payments"])
OrderId = Path(max_length=32)


def detail(session: Session, platform: Platform, order: Order) -> OrderDetailOut:
    history = [
        OrderEventOut(status=e.status, at=e.at, details=e.details) for e in orders.order_history(session, order.id)
    ]
    openid = app_identity.known_openid(session, platform.secret, order.app_id, order.user_id)
    return OrderDetailOut(**order_out(order).model_dump(), openid=openid, history=history)


@router.get("/products", response_model=ProductList)
def list_products(app_id: CallingApp, session: SessionDep) -> ProductList:
    return ProductList(
        items=[
            ProductOut(id=p.id, type=p.type, price=p.price, title=p.title)
            for p in orders.list_products(session, app_id)
        ]
    )


@router.put("/products/{product_id}", response_model=ProductOut)
def put_product(
    body: ProductIn, app_id: CallingApp, session: SessionDep, product_id: str = Path(max_length=64)
) -> ProductOut:
    """Create or change a product (the manifest's ``products`` do the same on publish)."""
    product = orders.put_product(
        session, app_id, product_id=product_id, type=body.type, price=body.price, title=body.title
    )
    return ProductOut(id=product.id, type=product.type, price=product.price, title=product.title)


@router.delete("/products/{product_id}", response_model=Ok)
def retire_product(app_id: CallingApp, session: SessionDep, product_id: str = Path(max_length=64)) -> Ok:
    orders.retire_product(session, app_id, product_id)
    return Ok()


@router.post("/orders", response_model=OrderDetailOut, status_code=201)
def create_order(body: OrderIn, app_id: CallingApp, session: SessionDep, platform: PlatformDep) -> OrderDetailOut:
    """Create an order for a person (by openid); the game then has them pay it with ``minis.pay({orderId})``."""
    # Held until the commit: an order is made before the account's deletion (and kept, a money
    # record) or finds the account deleted, never made for an account deleted meanwhile.
    user_id = app_identity.user_for_openid(session, app_id, body.openid, hold=True)
    order = orders.create_order(
        session,
        app_id=app_id,
        user_id=user_id,
        product_id=body.product_id,
        quantity=body.quantity,
        payload=body.payload,
        idempotency_key=body.idempotency_key,
        created_by="backend",
    )
    return detail(session, platform, order)


StatusQuery = Query(default=None, description="only the orders in this status")


@router.get("/orders", response_model=OrderPage)
def list_orders(
    app_id: CallingApp,
    session: SessionDep,
    platform: PlatformDep,
    cursor: str | None = Query(default=None, max_length=200),
    limit: int = Query(default=50, ge=1, le=200),
    status: orders.OrderStatus | None = StatusQuery,
) -> OrderPage:
    rows, next_cursor = orders.list_orders(session, app_id, cursor=cursor, limit=limit, status=status)
    # The buyer's openid, as an order's detail gives it (their launch of the app made it known).
    items = [
        BackendOrderOut(**order_out(o).model_dump(), openid=app_identity.openid(platform.secret, app_id, o.user_id))
        for o in rows
    ]
    return OrderPage(items=items, next_cursor=next_cursor)


@router.get("/orders/{order_id}", response_model=OrderDetailOut)
@writes  # remembers the person's openid for the app (detail): a write session
def get_order(
    app_id: CallingApp, session: SessionDep, platform: PlatformDep, order_id: str = OrderId
) -> OrderDetailOut:
    """An order with its whole history: how a backend that missed a notification catches up."""
    return detail(session, platform, orders.get_order(session, app_id, order_id))


@router.post("/orders/{order_id}/consume", response_model=OrderOut)
def consume(app_id: CallingApp, session: SessionDep, order_id: str = OrderId) -> OrderOut:
    return order_out(orders.consume(session, app_id, order_id))


@router.post("/orders/{order_id}/refund", response_model=OrderOut)
def refund(
    body: RefundIn, app_id: CallingApp, session: SessionDep, platform: PlatformDep, order_id: str = OrderId
) -> OrderOut:
    with payouts.refunds_told_of_payouts(session, app_id):
        done = orders.refund(
            session,
            app_id,
            order_id,
            amount=body.amount,
            reason=body.reason,
            idempotency_key=body.idempotency_key,
            by="developer",
            secret=platform.secret,
        )
    if not done.repeated:  # the conversion's refund is recorded once the unit has committed
        after_commit(
            session,
            partial(
                attribution.report,
                platform.conversions,
                "refund",
                app_id=app_id,
                user_id=done.order.user_id,
                touch=done.attribution,
                revenue=-done.amount,
                currency=COIN,
            ),
        )
    return order_out(done.order)


@router.get("/payment-settings", response_model=PaymentSettingsOut)
@writes  # makes the app's default settings on first read: a write session
def get_settings(app_id: CallingApp, session: SessionDep) -> PaymentSettingsOut:
    settings = settings_service.get(session, app_id)
    return PaymentSettingsOut(notify_url=settings.notify_url, fee_bps=terms.in_effect(session, app_id).fee_bps)


@router.put("/payment-settings", response_model=PaymentSettingsOut)
def put_settings(
    body: PaymentSettingsIn, app_id: CallingApp, session: SessionDep, platform: PlatformDep
) -> PaymentSettingsOut:
    """Where notifications go: https to a public address, checked now and again at every delivery."""
    settings = settings_service.set_notify_url(session, app_id, body.notify_url, egress=platform.egress)
    return PaymentSettingsOut(notify_url=settings.notify_url, fee_bps=terms.in_effect(session, app_id).fee_bps)


@router.get("/notifications", response_model=AttemptList)
def delivery_log(
    app_id: CallingApp, session: SessionDep, order_id: str | None = Query(default=None, max_length=32)
) -> AttemptList:
    """Every delivery attempt of the app's notifications, newest first: its try number, status,
    duration and when the next try is due (never the reply's body)."""
    rows = notifications.attempts(session, app_id, order_id=order_id)
    return AttemptList(items=[AttemptOut.model_validate(a, from_attributes=True) for a in rows])


def statement_response(
    lines: list[orders.StatementLine], start: datetime, end: datetime, format: str
) -> StatementOut | Response:
    out = StatementOut(start=start, end=end, lines=[StatementLineOut(**line.__dict__, net=line.net) for line in lines])
    if format != "csv":
        return out
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    # Every figure its net is made of (the coupons were missing: dev52).
    writer.writerow(
        [
            *("app_id", "orders", "gross", "fee", "refunds", "refunded_fee"),
            *("platform_coupons", "developer_coupons", "net", "currency", "start", "end"),
        ]
    )
    for line in out.lines:
        writer.writerow(
            [
                line.app_id,
                line.orders,
                line.gross,
                line.fee,
                line.refunds,
                line.refunded_fee,
                line.platform_coupons,
                line.developer_coupons,
                line.net,
                "COIN",
                start.isoformat(),
                end.isoformat(),
            ]
        )
    return Response(
        buffer.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="statement.csv"'},
    )


@router.get("/statements", response_model=StatementOut, responses={200: {"content": {"text/csv": {}}}})
def get_statement(
    start: UtcDateTime,
    end: UtcDateTime,
    app_id: CallingApp,
    session: SessionDep,
    format: str = Query(default="json", pattern="^(json|csv)$"),
) -> StatementOut | Response:
    """The app's orders in the period [start, end): gross, platform fee, refunds and net, in coins.
    Times are ISO 8601, with an offset or without one (then UTC). Orders only: everything the app
    earned is in ``/statements/ledger``."""
    return statement_response(orders.statement(session, [app_id], start, end), start, end, format)


@router.get("/statements/ledger", response_model=MoneyStatementOut, responses={200: {"content": {"text/csv": {}}}})
def get_ledger_statement(
    start: UtcDateTime,
    end: UtcDateTime,
    app_id: CallingApp,
    session: SessionDep,
    format: str = Query(default="json", pattern="^(json|csv)$"),
) -> MoneyStatementOut | Response:
    """Everything the app earned in [start, end), line by line the ledger's own sums, as the
    console's Money tab shows it: purchases, episode unlocks, series and passes, coupons, the fee,
    creators' commissions, refunds, ad revenue and payouts. A producer's backend read its drama
    app's sales as nothing in the orders' statement (a probe, dev54)."""
    return statement_answer(statements.statement(session, [app_id], start, end), start, end, format)


@router.post("/notifications/{event_id}/resend", response_model=ResendOut, status_code=202)
def resend_notification(
    app_id: CallingApp, session: SessionDep, event_id: str = Path(max_length=40, pattern=r"^evt_[0-9a-f]{1,36}$")
) -> ResendOut:
    """Send a notification again now, delivered or not (its retries follow if this try fails); an
    open circuit lets it through as the probe."""
    job = notifications.resend(session, app_id, event_id)
    return ResendOut(event_id=event_id, status=job.status, next_attempt_at=job.run_at)


# Coupons ----------------------------------------------------------------------------------------

CouponId = Path(max_length=32)


@router.post("/coupons", response_model=CouponOut, status_code=201)
def create_coupon(body: CouponIn, app_id: CallingApp, session: SessionDep, platform: PlatformDep) -> CouponOut:
    """A coupon for this app, funded by the developer (out of the app's earnings on each use)."""
    # Codes were the platform's one namespace, and COUPON_CODE_TAKEN told a code existed (they are
    # each issuer's now: coupons.create). Every coupon asked for with a code still counts against the
    # developer, as a claim counts against a person (a probe, dev53,
    # found a platform coupon's code among 100 tries in 5 s; counting only the codes found, then
    # another, attack53b, found one among 999 tries whose other fields were refused). They count
    # against the developer: counted per app, 40 apps made in a second tried 71 codes in 8 s (attack54).
    if body.code is not None:
        limit = platform.settings.rate_coupon_claims_per_person
        developer = catalog.get_app(session, app_id).developer_id or f"app:{app_id}"
        enforce(platform.limiter, f"coupon-codes:developer:{developer}", rate(limit), what="coupon codes tried")
    coupon = coupons.create(
        session,
        app_id=app_id,
        issuer=coupons.DEVELOPER,
        funder=coupons.DEVELOPER,
        **body.terms(),
        by=f"developer:{app_id}",
    )
    return coupon_out(coupon)


@router.get("/coupons", response_model=CouponList)
def list_coupons(app_id: CallingApp, session: SessionDep) -> CouponList:
    """This app's coupons (the developer's and the platform's for it), newest first."""
    return CouponList(items=[coupon_out(c) for c in coupons.list_coupons(session, app_id=app_id)])


@router.get("/coupons/{coupon_id}", response_model=CouponOut)
def get_coupon(app_id: CallingApp, session: SessionDep, coupon_id: str = CouponId) -> CouponOut:
    return coupon_out(coupons.get(session, coupon_id, app_id=app_id))


@router.post("/coupons/{coupon_id}/end", response_model=CouponOut)
def end_coupon(app_id: CallingApp, session: SessionDep, coupon_id: str = CouponId) -> CouponOut:
    """No more uses from now on: of a coupon the developer pays for, theirs or one the platform made
    for their app by agreement (a probe: they saw it in their list, paid for it, and were answered
    "no coupon" when they ended it)."""
    coupon = coupons.get(session, coupon_id, app_id=app_id)
    if coupon.funder != coupons.DEVELOPER:
        raise coupons.PlatformsCoupon(f"coupon {coupon_id} is the platform's, from its budget: the platform ends it")
    return coupon_out(coupons.end(session, coupon))


@router.post("/coupons/{coupon_id}/grants", response_model=CouponGrantOut)
def grant_coupon(
    body: CouponGrantIn, app_id: CallingApp, session: SessionDep, coupon_id: str = CouponId
) -> CouponGrantOut:
    """Give one of your coupons to a person of the app (by openid); giving it twice gives it once.
    (The platform's coupons, which it pays for, are the platform's to give.)"""
    coupon = coupons.get(session, coupon_id, app_id=app_id)
    if coupon.issuer != coupons.DEVELOPER:
        raise coupons.PlatformsCoupon(f"coupon {coupon_id} is the platform's: the platform gives it")
    # Held until the commit, so an account deleted meanwhile is given no coupon (its deletion erases them).
    user_id = app_identity.user_for_openid(session, app_id, body.openid, hold=True)
    held = coupons.grant(session, coupon, user_id, via="backend")
    return CouponGrantOut(
        coupon_id=coupon.id,
        used=held.used,
        uses_left=max(coupon.per_person_limit - held.used, 0),
        granted_at=held.granted_at,
    )
