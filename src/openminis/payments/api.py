"""Host routes: the wallet, top-ups, provider webhooks, and purchases confirmed on the host's sheet."""

from __future__ import annotations

from functools import partial

import anyio
from fastapi import Path, Query, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from openminis.attribution import service as attribution
from openminis.catalog import service as catalog
from openminis.errors import NotFound
from openminis.payments import coupons, history, orders, topups
from openminis.payments.models import Coupon, Order, TopUp
from openminis.payments.schemas import (
    CardIn,
    ChallengeIn,
    ClaimedCouponOut,
    ClaimIn,
    CouponOut,
    HeldCouponList,
    HeldCouponOut,
    OrderOut,
    PackList,
    PackOut,
    PayIn,
    ProductList,
    ProductOut,
    PurchaseIn,
    PurchaseList,
    PurchaseOut,
    TopUpIn,
    TopUpList,
    TopUpOut,
    WalletHistory,
    WalletOut,
)
from openminis.platform import Platform
from openminis.ratelimit import enforce
from openminis.runtime.schemas import Ok
from openminis.unit_of_work import after_commit, unit_of_work
from openminis.wallet import service as ledger
from openminis.wallet.service import COIN
from openminis.web import limits
from openminis.web.dependencies import ChangingPerson, CurrentPerson, PlatformDep, SessionDep
from openminis.web.refusals import refusal_kept
from openminis.web.routing import Router

router = Router(prefix="/api", tags=["payments"])
AppId = Path(max_length=40)


def topup_out(topup: TopUp, redirect_url: str | None = None) -> TopUpOut:
    return TopUpOut(
        id=topup.id,
        status=topup.status,
        coins=topup.coins,
        amount=topup.amount,
        currency=topup.currency,
        provider=topup.provider,
        redirect_url=redirect_url,
    )


def order_out(order: Order) -> OrderOut:
    return OrderOut.model_validate(order, from_attributes=True)


@router.get("/wallet", response_model=WalletOut)
def wallet(visitor: CurrentPerson, session: SessionDep) -> WalletOut:
    return WalletOut(balance=ledger.wallet_balance(session, visitor.user.id))


@router.get("/wallet/history", response_model=WalletHistory)
def wallet_history(
    visitor: CurrentPerson,
    session: SessionDep,
    cursor: str | None = Query(default=None, max_length=200),
    limit: int = Query(default=20, ge=1, le=100),
) -> WalletHistory:
    """The person's own coin movements, newest first, a page at a time."""
    return history.wallet_history(session, visitor.user.id, cursor=cursor, limit=limit)


@router.get("/wallet/topups", response_model=TopUpList)
def unsettled_topups(visitor: CurrentPerson, session: SessionDep) -> TopUpList:
    """The person's top-ups the provider has not settled yet (pending, or waiting for approval)."""
    return TopUpList(items=[topup_out(topup) for topup in history.unsettled_topups(session, visitor.user.id)])


@router.get("/wallet/packs", response_model=PackList)
def coin_packs(session: SessionDep, platform: PlatformDep, market: str = "US") -> PackList:
    items = [
        PackOut(
            id=p.id,
            coins=p.coins,
            bonus_coins=p.bonus_coins,
            currency=p.prices[market]["currency"],
            amount=p.prices[market]["amount"],
        )
        for p in topups.packs(session)
        if market in p.prices
    ]
    return PackList(market=market, provider=platform.offered_provider, items=items)


@router.post("/wallet/topups", response_model=TopUpOut, status_code=201)
def start_topup(body: TopUpIn, visitor: ChangingPerson, session: SessionDep, platform: PlatformDep) -> TopUpOut:
    provider = platform.topup_provider(body.provider)
    topup, redirect = topups.start_topup(
        session,
        provider,
        user_id=visitor.user.id,
        pack_id=body.pack_id,
        market=body.market,
        amount=body.amount,
        currency=body.currency,
        coins=body.coins,
        return_url=platform.settings.public_url + "/",
    )
    return topup_out(topup, redirect)


@router.get("/wallet/topups/{topup_id}", response_model=TopUpOut)
def get_topup(visitor: CurrentPerson, session: SessionDep, topup_id: str = Path(max_length=32)) -> TopUpOut:
    return topup_out(topups.get_topup(session, topup_id, visitor.user.id))


@router.post("/wallet/topups/{topup_id}/sandbox/pay", response_model=TopUpOut)
def sandbox_pay(
    request: Request,
    body: CardIn,
    visitor: ChangingPerson,
    session: SessionDep,
    platform: PlatformDep,
    topup_id: str = Path(max_length=32),
) -> TopUpOut | Response:
    """The host's sandbox checkout: pay with a test card."""
    try:
        topup = topups.sandbox_pay(
            session, platform.sandbox, topup_id=topup_id, user_id=visitor.user.id, card_number=body.card_number
        )
    except topups.PaymentDeclined as declined:
        # The top-up failed, and that stands: answered, not raised, so the unit commits the failure.
        return anyio.from_thread.run(refusal_kept, request, declined)
    return topup_out(topup)


@router.post("/wallet/topups/{topup_id}/sandbox/challenge", response_model=TopUpOut)
def sandbox_challenge(
    body: ChallengeIn,
    visitor: ChangingPerson,
    session: SessionDep,
    platform: PlatformDep,
    topup_id: str = Path(max_length=32),
) -> TopUpOut:
    return topup_out(
        topups.sandbox_challenge(
            session, platform.sandbox, topup_id=topup_id, user_id=visitor.user.id, approve=body.approve
        )
    )


@router.post("/payments/webhooks/{provider}", response_model=Ok)
async def provider_webhook(request: Request, platform: PlatformDep, provider: str = Path(max_length=16)) -> Ok:
    """Where a payment provider posts its events. Verified by the provider's own signature scheme."""
    handler = platform.payment_provider(provider)
    body = await request.body()
    event = handler.parse_webhook(body, dict(request.headers))

    def act() -> None:
        with unit_of_work(platform.db) as session:
            topups.handle_event(session, handler.name, event)

    await run_in_threadpool(act)
    return Ok()


@router.get("/apps/{app_id}/products", response_model=ProductList)
def products(session: SessionDep, app_id: str = AppId) -> ProductList:
    """What the app sells; nothing of an app taken down, where nothing is sold (a probe, scale52:
    its launches and purchases were refused, its price list still answered)."""
    if catalog.is_taken_down(session, app_id):
        raise catalog.AppTakenDown("this app is unavailable: the platform has taken it down")
    return ProductList(
        items=[
            ProductOut(id=p.id, type=p.type, price=p.price, title=p.title)
            for p in orders.list_products(session, app_id)
        ]
    )


@router.post("/apps/{app_id}/purchases", response_model=OrderOut)
def purchase(
    body: PurchaseIn, visitor: ChangingPerson, session: SessionDep, platform: PlatformDep, app_id: str = AppId
) -> OrderOut:
    """Called by the host's pay sheet after the person confirmed, never by the app itself."""
    paid = orders.purchase(
        session,
        app_id=app_id,
        user_id=visitor.user.id,
        product_id=body.product_id,
        quantity=body.quantity,
        payload=body.payload,
        idempotency_key=body.idempotency_key,
        secret=platform.secret,
        amount=body.amount,
        currency=body.currency,
        launch_id=body.launch_id,
        window=platform.settings.attribution_window,
        coupon_id=body.coupon_id,
    )
    return _reported(session, platform, paid)


def _reported(session: Session, platform: Platform, paid: orders.Paid) -> OrderOut:
    """The order's answer; a new payment's conversion is recorded once the unit has committed."""
    if paid.new:
        order = paid.order
        after_commit(
            session,
            partial(
                attribution.report,
                platform.conversions,
                "paid",
                app_id=order.app_id,
                user_id=order.user_id,
                touch=paid.attribution,
                revenue=order.amount,
                currency=COIN,
            ),
        )
    return order_out(paid.order)


@router.get("/apps/{app_id}/orders/{order_id}", response_model=OrderOut)
def get_order(
    visitor: CurrentPerson, session: SessionDep, app_id: str = AppId, order_id: str = Path(max_length=32)
) -> OrderOut:
    order = orders.get_order(session, app_id, order_id)
    if order.user_id != visitor.user.id:
        raise NotFound(f"no order {order_id!r}")  # the same answer as a missing one: nothing leaks
    return order_out(order)


@router.post("/apps/{app_id}/orders/{order_id}/pay", response_model=OrderOut)
def pay_order(
    body: PayIn,
    visitor: ChangingPerson,
    session: SessionDep,
    platform: PlatformDep,
    app_id: str = AppId,
    order_id: str = Path(max_length=32),
) -> OrderOut:
    orders.get_order(session, app_id, order_id)
    paid = orders.pay_order(
        session,
        order_id,
        user_id=visitor.user.id,
        secret=platform.secret,
        amount=body.amount,
        currency=body.currency,
        launch_id=body.launch_id,
        window=platform.settings.attribution_window,
    )
    return _reported(session, platform, paid)


@router.get("/apps/{app_id}/purchases", response_model=PurchaseList)
def owned(visitor: CurrentPerson, session: SessionDep, app_id: str = AppId) -> PurchaseList:
    items = orders.purchases(session, app_id=app_id, user_id=visitor.user.id)
    return PurchaseList(
        items=[PurchaseOut(product_id=e.product_id, order_id=e.order_id, granted_at=e.granted_at) for e in items]
    )


def coupon_out(coupon: Coupon) -> CouponOut:
    return CouponOut.model_validate(coupon, from_attributes=True)


@router.post("/coupons/claim", response_model=ClaimedCouponOut)
def claim_coupon(
    body: ClaimIn, request: Request, visitor: ChangingPerson, session: SessionDep, platform: PlatformDep
) -> ClaimedCouponOut:
    """The person claims a coupon by its code (claiming it again changes nothing). Every try counts
    toward the person's and the address's claim rates, so codes cannot be guessed by brute force."""
    settings = platform.settings
    for key, rate in (
        (f"coupon-claims:person:{visitor.user.id}", settings.rate_coupon_claims_per_person),
        (f"coupon-claims:ip:{limits.client_ip(request)}", settings.rate_coupon_claims_per_ip),
    ):
        enforce(platform.limiter, key, limits.rate(rate), what="coupon codes tried")
    coupon, held = coupons.claim(session, visitor.user.id, body.code, app_id=body.app_id)
    return ClaimedCouponOut(
        id=coupon.id,
        app_id=coupon.app_id,
        code=coupon.code,
        title=coupon.title,
        amount_off=coupon.amount_off,
        percent_off_bps=coupon.percent_off_bps,
        max_off=coupon.max_off,
        product_ids=coupon.product_ids,
        starts_at=coupon.starts_at,
        ends_at=coupon.ends_at,
        uses_left=max(coupon.per_person_limit - held.used, 0),
    )


@router.get("/apps/{app_id}/coupons", response_model=HeldCouponList)
def usable_coupons(
    visitor: CurrentPerson,
    session: SessionDep,
    app_id: str = AppId,
    product_id: str | None = Query(default=None, max_length=64),
    quantity: int = Query(default=1, ge=1, le=orders.MAX_QUANTITY),
) -> HeldCouponList:
    """The person's coupons usable in this app now (the pay sheet's, and ``minis.getCoupons``);
    with a product, those for it and what each takes off ``quantity`` of it."""
    quotes = orders.coupon_quotes(session, visitor.user.id, app_id, product_id=product_id, quantity=quantity)
    return HeldCouponList(
        items=[
            HeldCouponOut(
                id=q.held.coupon.id,
                title=q.held.coupon.title,
                app_id=q.held.coupon.app_id,
                amount_off=q.held.coupon.amount_off,
                percent_off_bps=q.held.coupon.percent_off_bps,
                max_off=q.held.coupon.max_off,
                product_ids=q.held.coupon.product_ids,
                ends_at=q.held.coupon.ends_at,
                uses_left=q.held.uses_left,
                funder=q.held.coupon.funder,
                discount=q.discount,
                price=q.price,
                pay=None if q.price is None or q.discount is None else q.price - q.discount,
            )
            for q in quotes
        ]
    )
