"""The developer console's payment routes, on the person's session: the app's products, its
payment settings (the notify URL; the fee and the creators' commission are the operator's, shown
only) and the delivery log of its notifications with a resend. The same services as the Open API's
routes (openapi.py), each call behind the team role that allows it (developers/team.py)."""

from __future__ import annotations

from fastapi import Path, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from openminis.developers import team
from openminis.payments import notifications, orders, settings_service, statements, terms
from openminis.payments.admin import statement_answer
from openminis.payments.models import PaymentSettings, Product
from openminis.payments.schemas import (
    AttemptList,
    AttemptOut,
    ConsolePaymentSettingsOut,
    MoneyStatementOut,
    PaymentSettingsIn,
    ProductIn,
    ProductList,
    ProductOut,
    ResendOut,
)
from openminis.runtime.schemas import Ok
from openminis.web.admission import writes
from openminis.web.dates import UtcDateTime
from openminis.web.dependencies import ChangingDeveloper, CurrentDeveloper, PlatformDep, SessionDep
from openminis.web.routing import Router

router = Router(prefix="/api/developer/apps/{app_id}", tags=["developers"])
AppId = Path(max_length=40)
ProductId = Path(max_length=64)


def product_out(product: Product) -> ProductOut:
    return ProductOut(id=product.id, type=product.type, price=product.price, title=product.title)


def settings_out(session: Session, settings: PaymentSettings) -> ConsolePaymentSettingsOut:
    now = terms.in_effect(session, settings.app_id)
    return ConsolePaymentSettingsOut(
        notify_url=settings.notify_url, fee_bps=now.fee_bps, creator_commission_bps=now.commission_bps
    )


@router.get("/products", response_model=ProductList)
def list_products(developer: CurrentDeveloper, session: SessionDep, app_id: str = AppId) -> ProductList:
    team.member_app(session, developer, app_id, act="see")
    return ProductList(items=[product_out(p) for p in orders.list_products(session, app_id)])


@router.put("/products/{product_id}", response_model=ProductOut)
def put_product(
    body: ProductIn,
    developer: ChangingDeveloper,
    session: SessionDep,
    app_id: str = AppId,
    product_id: str = ProductId,
) -> ProductOut:
    """Create or change a product: its type, price in coins and title per language."""
    team.member_app(session, developer, app_id, act="sell")
    product = orders.put_product(
        session, app_id, product_id=product_id, type=body.type, price=body.price, title=body.title
    )
    return product_out(product)


@router.delete("/products/{product_id}", response_model=Ok)
def retire_product(
    developer: ChangingDeveloper, session: SessionDep, app_id: str = AppId, product_id: str = ProductId
) -> Ok:
    """Take a product off sale (what people bought stays theirs)."""
    team.member_app(session, developer, app_id, act="sell")
    orders.retire_product(session, app_id, product_id)
    return Ok()


@router.get("/payment-settings", response_model=ConsolePaymentSettingsOut)
@writes  # makes the app's default settings on first read, as the Open API's twin does: a write session
def get_settings(developer: CurrentDeveloper, session: SessionDep, app_id: str = AppId) -> ConsolePaymentSettingsOut:
    team.member_app(session, developer, app_id, act="see")
    return settings_out(session, settings_service.get(session, app_id))


@router.put("/payment-settings", response_model=ConsolePaymentSettingsOut)
def put_settings(
    body: PaymentSettingsIn,
    developer: ChangingDeveloper,
    session: SessionDep,
    platform: PlatformDep,
    app_id: str = AppId,
) -> ConsolePaymentSettingsOut:
    """Where the app's notifications go (null: nowhere). The body has no fee: the operator sets it."""
    team.member_app(session, developer, app_id, act="notify")
    return settings_out(
        session, settings_service.set_notify_url(session, app_id, body.notify_url, egress=platform.egress)
    )


@router.get("/notifications", response_model=AttemptList)
def delivery_log(
    developer: CurrentDeveloper,
    session: SessionDep,
    app_id: str = AppId,
    order_id: str | None = Query(default=None, max_length=32),
) -> AttemptList:
    """Every delivery attempt of the app's notifications, newest first."""
    team.member_app(session, developer, app_id, act="see")
    rows = notifications.attempts(session, app_id, order_id=order_id)
    return AttemptList(items=[AttemptOut.model_validate(a, from_attributes=True) for a in rows])


@router.post("/notifications/{event_id}/resend", response_model=ResendOut, status_code=202)
def resend_notification(
    developer: ChangingDeveloper,
    session: SessionDep,
    app_id: str = AppId,
    event_id: str = Path(max_length=40, pattern=r"^evt_[0-9a-f]{1,36}$"),
) -> ResendOut:
    """Send a notification again now, delivered or not (its retries follow if this try fails)."""
    team.member_app(session, developer, app_id, act="notify")
    job = notifications.resend(session, app_id, event_id)
    return ResendOut(event_id=event_id, status=job.status, next_attempt_at=job.run_at)


@router.get("/statement", response_model=MoneyStatementOut, responses={200: {"content": {"text/csv": {}}}})
def statement(
    developer: CurrentDeveloper,
    session: SessionDep,
    start: UtcDateTime,
    end: UtcDateTime,
    app_id: str = AppId,
    format: str = Query(default="json", pattern="^(json|csv)$"),
) -> MoneyStatementOut | Response:
    """The app's statement for [start, end), line by line the ledger's own sums (statements.py)."""
    team.member_app(session, developer, app_id, act="see")
    return statement_answer(statements.statement(session, [app_id], start, end), start, end, format)
