"""Products and orders: paying for an item moves coins in one ledger transfer, with the order."""

from __future__ import annotations

import re
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Literal, cast

from sqlalchemy import CursorResult, Result, Table, bindparam, func, insert, or_, select, update
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from openminis import text
from openminis.attribution import service as attribution
from openminis.catalog import service as catalog
from openminis.catalog.manifest import Manifest
from openminis.catalog.package import PackageError
from openminis.db import per_dialect, take_turns, utcnow
from openminis.errors import Conflict, InvalidArgument, NotFound
from openminis.pagination import decode_cursor, encode_cursor
from openminis.payments import coupons, notifications, prices, refund_shares
from openminis.payments import terms as money_terms
from openminis.payments.models import PRODUCT_ID, Entitlement, Order, OrderEvent, PaymentSettings, Product
from openminis.wallet import service as ledger
from openminis.wallet.service import COIN, Leg

IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_.:-]{1,128}\Z")
MAX_QUANTITY = 99
DEFAULT_FEE_BPS = money_terms.DEFAULT_FEE_BPS


class AlreadyOwned(Conflict):
    code = "ALREADY_OWNED"


class OrderStateError(Conflict):
    code = "ORDER_STATE"


# Products -------------------------------------------------------------------------------------


def put_product(
    session: Session,
    app_id: str,
    *,
    product_id: str,
    type: str,
    price: int,
    title: dict[str, str],
    declared_in: str = "api",
) -> Product:
    """Create or change a product. One a manifest declares stays the manifest's when changed by
    hand (a release sets it back to what the manifest says); a manifest claims any it declares."""
    if not PRODUCT_ID.match(product_id):
        raise InvalidArgument("product id must be 1-64 letters, digits, '_', '.' or '-'", field="id")
    if type not in ("consumable", "permanent"):
        raise InvalidArgument("type must be consumable or permanent", field="type")
    if not isinstance(price, int) or isinstance(price, bool) or not 1 <= price <= 1_000_000:
        raise InvalidArgument("price is a whole number of coins from 1 to 1,000,000", field="price")
    if not title or not all(
        isinstance(k, str) and isinstance(v, str) and 0 < len(k) <= 16 and 0 < len(v) <= 80 and not text.has_controls(v)
        for k, v in title.items()
    ):
        raise InvalidArgument(
            "title maps locales (like 'en') to titles of 1-80 characters, each one line of text without control,"
            " bidi or line separator characters",
            field="title",
        )
    # Puts of one product take turns: each made it when it found none, and on PostgreSQL all but the
    # first of puts at once failed on the key, a 500 (console57). The app's row first (held_app).
    catalog.held_app(session, app_id)
    take_turns(session, "product", app_id, product_id)
    product = session.get(Product, (app_id, product_id))
    if product is None:
        product = Product(app_id=app_id, id=product_id, declared_in=declared_in)
        session.add(product)
    else:
        if product.type != type and _ever_ordered(session, app_id, product_id):
            # Turned consumable, a permanent product was sold again to the people who owned it (a probe, dev53).
            raise Conflict(
                f"{product_id} was sold as {product.type}: a product keeps its type once ordered; sell the "
                f"{type} kind under a new product id",
                code="PRODUCT_TYPE_FIXED",
                field="type",
            )
        if declared_in == "manifest" or not product.active:
            # A manifest claims any it declares; one retired (no version out declares it) and made
            # again through the console or the Open API is theirs from then on: it stayed the
            # manifest's, and the next release retired it or a rollback repriced it (attack54b).
            product.declared_in = declared_in
    product.type, product.price, product.title, product.active, product.updated_at = (
        type,
        price,
        dict(title),
        True,
        utcnow(),
    )
    return product


def _ever_ordered(session: Session, app_id: str, product_id: str) -> bool:
    ordered = select(Order.id).where(Order.app_id == app_id, Order.product_id == product_id).limit(1)
    return session.scalar(ordered) is not None


def sold_through_the_api(session: Session, app_id: str, product_ids: Collection[str]) -> list[str]:
    """Which of these products the app sells as made through the console or the Open API: a
    manifest may not declare them (a package that does is refused at upload)."""
    if not product_ids:
        return []
    made = select(Product.id).where(
        Product.app_id == app_id, Product.id.in_(set(product_ids)), Product.active, Product.declared_in == "api"
    )
    return sorted(session.scalars(made))


def refuse_products_sold_through_the_api(session: Session, manifest: Manifest) -> None:
    """Catalog's check of a new version (platform.py): a product has one owner. A manifest that
    declared one made through the console or the Open API repriced and retyped it once released,
    and a rollback retired it (a probe, dev54); the operator's uploads went past the check while it
    was the console's and the Open API's alone (attack54b)."""
    taken = sold_through_the_api(session, manifest.id, [product.id for product in manifest.products])
    if taken:
        raise PackageError(
            f"minis.json: products: {', '.join(taken)} {'is' if len(taken) == 1 else 'are'} sold through the"
            " console or the Open API, which a manifest cannot declare: give the manifest's another id, or"
            " retire the product there (DELETE /openapi/v1/products/{id}) for the manifest to sell it",
            code="PRODUCT_SOLD_THROUGH_API",
            field="products",
        )


def sync_products(session: Session, app_id: str, declared: list[dict[str, Any]]) -> None:
    """Sell what the manifests declare, on their terms; retire what a manifest declared before and
    none does now. Products made through the console or the Open API are left as they are, even
    one a manifest declares too (uploaded before it was made: uploads of such manifests are
    refused): a release repriced and retyped one, and a rollback then took it off sale (a probe,
    dev54). One retired is the manifest's to sell again."""
    keep: set[str] = set()
    made_by_hand = set(sold_through_the_api(session, app_id, [item["id"] for item in declared]))
    for item in declared:
        if item["id"] in made_by_hand:
            continue
        # A product keeps its type once ordered (put_product); a release or a rollback is never
        # refused for it: an operator's rollback must go through whatever a manifest declares.
        sold = session.get(Product, (app_id, item["id"]))
        sold_type = sold.type if sold is not None and _ever_ordered(session, app_id, item["id"]) else None
        put_product(
            session,
            app_id,
            product_id=item["id"],
            type=sold_type or item["type"],
            price=item["price"],
            title=item["title"],
            declared_in="manifest",
        )
        keep.add(item["id"])
    manifests = select(Product).where(Product.app_id == app_id, Product.active, Product.declared_in == "manifest")
    for product in session.scalars(manifests):
        if product.id not in keep:
            product.active = False


def sell_declared_products(session: Session, app_id: str, manifests: list[Manifest]) -> None:
    """Catalog's hook (platform.py): what versions of the app are out changed (a release, a staged
    one, a rollback); the app sells the products they declare. A product both declare is sold on the
    terms of the later one (the staged version's), which is also what its pay sheet shows."""
    declared: dict[str, dict[str, Any]] = {}
    for manifest in manifests:
        declared |= {product.id: product.model_dump() for product in manifest.products}
    sync_products(session, app_id, list(declared.values()))


def get_product(session: Session, app_id: str, product_id: str) -> Product:
    product = session.get(Product, (app_id, product_id))
    if product is None or not product.active:
        raise NotFound(f"app {app_id!r} sells no product {product_id!r}", field="product_id")
    return product


def list_products(session: Session, app_id: str) -> list[Product]:
    return list(session.scalars(select(Product).where(Product.app_id == app_id, Product.active).order_by(Product.id)))


def retire_product(session: Session, app_id: str, product_id: str) -> None:
    get_product(session, app_id, product_id).active = False


# Orders ---------------------------------------------------------------------------------------


# A purchase's statements, built once: building an SQLAlchemy statement and its cache key costs
# several times what running it does, and every purchase runs them. Values travel as parameters.
# (Declarative types a model's __table__ as any FromClause; a model with a __tablename__ has a Table.)
# The order's INSERT is the dialect's own: ON CONFLICT DO NOTHING lets a twin request (the same
# idempotency key) find that a first one holds the key without an error, so no savepoint is
# needed to survive it (a savepoint costs two round trips on every purchase).
_orders = cast(Table, Order.__table__)
_INSERT_ORDER = per_dialect(lambda insert: insert(_orders).on_conflict_do_nothing().returning(_orders.c.id))
_ORDER_COLUMNS = [column.name for column in _orders.columns]
# PostgreSQL: an order made paid and its two events (created, paid) in one statement where two
# round trips were two (each cost a purchase's server about 0.5 ms of CPU, bench.purchase). The
# events are written from the order's RETURNING, so nothing is written when the key is taken and
# no row comes back, as from _INSERT_ORDER. SQLite has no INSERT inside WITH: it runs the two.
_PLACE_PAID_ORDER = sql_text(
    f"""
    WITH placed AS (
        INSERT INTO orders ({", ".join(_ORDER_COLUMNS)}) VALUES ({", ".join(f":{name}" for name in _ORDER_COLUMNS)})
        ON CONFLICT DO NOTHING
        RETURNING id
    )
    INSERT INTO order_events (order_id, status, details, at)
    SELECT placed.id, event.status, event.details, :created_at
    FROM placed,
        (VALUES ('created', CAST(:created AS JSON), 1), ('paid', CAST(:paid AS JSON), 2))
            AS event(status, details, turn)
    ORDER BY event.turn
    RETURNING order_id
    """
).bindparams(
    *(bindparam(column.name, type_=column.type) for column in _orders.columns),
    bindparam("created", type_=cast(Table, OrderEvent.__table__).c.details.type),
    bindparam("paid", type_=cast(Table, OrderEvent.__table__).c.details.type),
)
_entitlements = cast(Table, Entitlement.__table__)


def _grant_statement(insert: Any) -> Any:
    statement = insert(_entitlements)
    return statement.on_conflict_do_update(
        index_elements=[_entitlements.c.user_id, _entitlements.c.app_id, _entitlements.c.product_id],
        set_={"order_id": statement.excluded.order_id, "granted_at": statement.excluded.granted_at, "revoked_at": None},
        where=_entitlements.c.revoked_at.is_not(None),
    ).returning(_entitlements.c.order_id)


_GRANT = per_dialect(_grant_statement)
_INSERT_EVENTS = insert(cast(Table, OrderEvent.__table__))
_products, _settings = Product.__table__, PaymentSettings.__table__
# The money terms in effect ``now`` (terms.py) ride along in the product's own statement: a subquery for
# the row's id and a join, no round trip of their own; so does whether a moderator took the app down.
_in_effect, _in_effect_on = money_terms.joined(bindparam("app_id"), bindparam("now"))
_PRODUCT_AND_TERMS = (
    select(
        _products.c.type,
        _products.c.price,
        catalog.taken_down(bindparam("app_id")),
        _in_effect.c.fee_bps,
        _in_effect.c.creator_commission_bps,
        _settings.c.notify_url,
    )
    .select_from(_products)
    .outerjoin(_settings, _settings.c.app_id == _products.c.app_id)
    .outerjoin(_in_effect, _in_effect_on)
    .where(_products.c.app_id == bindparam("app_id"), _products.c.id == bindparam("product_id"), _products.c.active)
)


def _event(session: Session, order_id: str, status: str, **details: object) -> None:
    session.execute(_INSERT_EVENTS, {"order_id": order_id, "status": status, "details": details, "at": utcnow()})


@dataclass(frozen=True)
class _Terms:
    """What an order is made under: who gets what (the money terms in effect), and whether to notify."""

    fee_bps: int
    commission_bps: int
    notify: bool


def _terms_of(fee_bps: int | None, commission_bps: int | None, notify_url: str | None) -> _Terms:
    """The terms from the outer joins (None when no terms row is in effect: the built-in defaults)."""
    if fee_bps is None or commission_bps is None:
        return _Terms(money_terms.DEFAULT.fee_bps, money_terms.DEFAULT.commission_bps, bool(notify_url))
    return _Terms(fee_bps, commission_bps, bool(notify_url))


def _notifies(session: Session, app_id: str) -> bool:
    settings = session.get(PaymentSettings, app_id)
    return settings is not None and bool(settings.notify_url)


def _new_order(
    session: Session,
    *,
    app_id: str,
    user_id: str,
    product_id: str,
    quantity: int,
    payload: str,
    idempotency_key: str,
    created_by: str,
    paid: bool = False,
    confirmed: tuple[int | None, str | None] | None = None,
    coupon_id: str | None = None,
) -> tuple[Order, _Terms | None]:
    """A new order (written; the caller's unit commits it), ``created``, or already ``paid`` when the
    person is paying right now; the same key returns the first order (and no terms: nothing is to be
    done). A person paying sends the price they ``confirmed`` (amount, currency): at any other price
    the order is refused with PRICE_CHANGED before anything is written.

    With a ``coupon_id`` (a coupon the person holds), the price is the list price less the coupon's
    discount, and a use of the coupon is taken with the order (coupons.py), or nothing is written.

    Nothing looks for an earlier order with the key before the order's INSERT, which does nothing
    when the key is taken (on PostgreSQL, after waiting for a twin in flight to commit or roll
    back): then that order is looked up and returned. A purchase saves a round trip that way, and
    nothing this request wrote before needs undoing: the order is its first write."""
    if not IDEMPOTENCY_KEY.match(idempotency_key or ""):
        raise InvalidArgument(
            "idempotency_key must be 1-128 letters, digits, '_', '.', ':' or '-'", field="idempotency_key"
        )
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidArgument(f"quantity must be 1 to {MAX_QUANTITY}", field="quantity")
    if len(payload or "") > 1024:
        raise InvalidArgument("payload is at most 1024 characters", field="payload")

    def earlier() -> Order | None:
        """The order an earlier request made with this key, checked to be this same order."""
        found = _keyed_order(session, app_id, user_id, idempotency_key)
        return None if found is None else _same_order(found, product_id, quantity, payload, confirmed, coupon_id)

    now = money_terms.paying_at(session)
    row = session.execute(_PRODUCT_AND_TERMS, {"app_id": app_id, "product_id": product_id, "now": now}).first()
    if row is None or row[2]:
        # A retried tap whose first try went through before the product was retired, or the app
        # taken down, gets that order back: the person was charged for it.
        if (done := earlier()) is not None:
            return done, None
        if row is None:
            raise NotFound(f"app {app_id!r} sells no product {product_id!r}", field="product_id")
        # Suspended by a moderator: no new sales (refunds go on).
        raise catalog.AppTakenDown("this app is unavailable: the platform has taken it down")
    product_type, price, _taken_down, *settings = row
    terms = _terms_of(*settings)
    if product_type == "permanent" and quantity != 1:
        raise InvalidArgument("a permanent product is bought one at a time", field="quantity")
    amount = price * quantity
    coupon, discount = None, 0
    if coupon_id is not None:
        # A retried tap whose first try used the coupon gets that order back, not COUPON_USED_UP.
        if (done := earlier()) is not None:
            return done, None
        try:
            coupon, discount = coupons.prepare(
                session,
                coupon_id,
                user_id=user_id,
                app_id=app_id,
                product_id=product_id,
                list_amount=amount,
                fee_bps=terms.fee_bps,
                commission_bps=terms.commission_bps,
                now=now,
            )
        except (coupons.CouponUsedUp, coupons.CouponExhausted):
            if (done := earlier()) is None:
                raise
            return done, None
    if confirmed is not None:
        # The price read here is the one charged, so a change committed after this read does not
        # reach this order (an order keeps its price), and one committed before it is refused.
        try:
            prices.confirm(
                prices.coins(amount - discount),
                amount=confirmed[0],
                currency=confirmed[1],
                what=f"{quantity} × {product_id}" + (f" with coupon {coupon_id}" if coupon_id else ""),
            )
        except prices.PriceChanged:
            # A retried tap whose first try went through at the old price gets that order back.
            if (done := earlier()) is None:
                raise
            return done, None
    values = dict(
        id="ord_" + secrets.token_hex(10),
        app_id=app_id,
        user_id=user_id,
        product_id=product_id,
        product_type=product_type,
        quantity=quantity,
        amount=amount - discount,
        # On the list price: the app and the platform get what they would have without the coupon.
        fee=amount * terms.fee_bps // 10_000,
        coupon_id=coupon_id,
        discount=discount,
        payload=payload or "",
        idempotency_key=idempotency_key,
        created_by=created_by,
        status="paid" if paid else "created",
        refunded=0,
        created_at=now,
        paid_at=now if paid else None,
    )
    events = [{"order_id": values["id"], "status": "created", "details": {"by": created_by}, "at": now}]
    if paid:
        details: dict[str, object] = {"amount": values["amount"], "fee": values["fee"]}
        if coupon is not None:
            details |= {"coupon_id": coupon.id, "discount": discount, "list_amount": amount}
        events.append({"order_id": values["id"], "status": "paid", "details": details, "at": now})
    # A Core INSERT, not the ORM's flush: it is the hot path of every purchase, and the unit of
    # work costs more than the statement. The object returned is the row's values, outside the session.
    with_events = paid and session.get_bind().dialect.name == "postgresql"
    if with_events:
        placed = session.execute(_PLACE_PAID_ORDER, values | {"created": events[0]["details"], "paid": details})
    else:
        placed = session.execute(_INSERT_ORDER[session.get_bind().dialect.name], values)
    if placed.first() is None:
        # The key is taken, by an earlier request or a twin that committed while this INSERT
        # waited for it: that order is this request's answer, and nothing was written.
        if (done := earlier()) is None:  # not the key: an order id drawn twice (80 random bits)
            raise Conflict("the order could not be made; try again", code="ORDER_RETRY")
        return done, None
    order = Order(**values)
    if coupon is not None:
        # After the order: a twin of this tap is found above, so a use refused here is refused to
        # this purchase (the request's unit rolls back, the order with it).
        coupons.take(session, coupon, user_id)
        coupons.record_use(session, order, coupon)
    if not with_events:
        session.execute(_INSERT_EVENTS, events)
    return order, terms


def _keyed_order(session: Session, app_id: str, user_id: str, idempotency_key: str) -> Order | None:
    return session.scalar(
        select(Order).where(Order.app_id == app_id, Order.user_id == user_id, Order.idempotency_key == idempotency_key)
    )


def _same_order(
    order: Order,
    product_id: str,
    quantity: int,
    payload: str,
    confirmed: tuple[int | None, str | None] | None = None,
    coupon_id: str | None = None,
) -> Order:
    if (order.product_id, order.quantity, order.payload) != (product_id, quantity, payload or "") or (
        confirmed is not None and order.coupon_id != coupon_id
    ):
        raise Conflict(
            "this idempotency key was used for a different order", code="IDEMPOTENCY_CONFLICT", field="idempotency_key"
        )
    if confirmed is None:
        return order
    if order.status == "created":
        # The app's backend made this order with the key, and nobody has paid it: a purchase that
        # answered it would report a payment that did not happen.
        raise Conflict(
            f"this idempotency key is order {order.id}, made by the app and not paid; pay that order instead",
            code="IDEMPOTENCY_CONFLICT",
            field="idempotency_key",
        )
    if (confirmed[0], (confirmed[1] or "").upper()) != (order.amount, COIN):
        raise Conflict(
            f"this idempotency key's order was paid at {order.amount} {COIN}, not {confirmed[0]} {confirmed[1]}",
            code="IDEMPOTENCY_CONFLICT",
            field="idempotency_key",
        )
    return order


def create_order(
    session: Session,
    *,
    app_id: str,
    user_id: str,
    product_id: str,
    quantity: int,
    payload: str,
    idempotency_key: str,
    created_by: str,
) -> Order:
    order, terms = _new_order(
        session,
        app_id=app_id,
        user_id=user_id,
        product_id=product_id,
        quantity=quantity,
        payload=payload,
        idempotency_key=idempotency_key,
        created_by=created_by,
    )
    if terms is not None and order.product_type == "permanent" and _owns(session, order):
        # It could never be paid (ALREADY_OWNED at the pay sheet): refused when made (a probe, dev53).
        raise AlreadyOwned(f"{product_id} is already owned by this person; restore it with minis.getPurchases()")
    return order


@dataclass(frozen=True)
class Paid:
    """A paid order and where its money went: what the route reports to analytics after the commit."""

    order: Order
    attribution: attribution.Attribution
    commission: int
    new: bool  # False when this was a retry of a payment already made


def _pay_legs(
    session: Session, order: Order, terms: _Terms, touch: attribution.Attribution, funder: str | None
) -> tuple[list[Leg], int]:
    """The buyer pays ``amount``; a coupon's funder pays its ``discount``; the app, the platform and
    a creator are credited their parts of the list price (their sum). A developer's discount comes
    out of the app's own leg (the ledger keeps one leg per account), the platform's is a leg of
    its promotion budget (coupons.py)."""
    net = order.amount + order.discount - order.fee
    commission = attribution.commission(net, terms.commission_bps, touch)
    legs = [
        Leg(ledger.account_id(session, "user_wallet", order.user_id), -order.amount),
        Leg(ledger.account_id(session, "app_earnings", order.app_id), net - commission, anchor=True),
        Leg(ledger.account_id(session, "platform_revenue"), order.fee),
        *attribution.creator_leg(session, touch, commission, COIN),
    ]
    if order.discount:
        assert funder is not None
        legs.append(Leg(ledger.account_id(session, *coupons.funder_account(funder, order.app_id)), -order.discount))
    return legs, commission


def _settle(
    session: Session,
    order: Order,
    terms: _Terms,
    touch: attribution.Attribution,
    *,
    secret: str,
    funder: str | None = None,
) -> int:
    """Everything a paid order brings, in the caller's transaction: the entitlement, the
    conversion, the notification and the one ledger transfer. Returns the creator's commission."""
    assert order.paid_at is not None  # set when the order was paid, before it is settled
    if order.product_type == "permanent":
        _grant(session, order)
    legs, commission = _pay_legs(session, order, terms, touch, funder)
    attribution.record(
        session,
        kind="purchase",
        ref=f"order:{order.id}",
        app_id=order.app_id,
        user_id=order.user_id,
        attribution=touch,
        currency=COIN,
        revenue=order.amount,
        developer_net=order.amount + order.discount - order.fee,
        commission=commission,
        at=order.paid_at,
    )
    if terms.notify:
        notifications.enqueue(session, secret, order, "order.paid")
    # The transfer last: it takes the app's and the platform's shared account rows, which every
    # purchase of the app waits for, so it should hold them only until the commit that follows.
    # Not nested: on any error the whole payment is undone with it (the request's unit of work
    # rolls back on the error).
    ledger.transfer(
        session,
        key=f"order:{order.id}:pay",
        kind="purchase",
        currency=COIN,
        legs=legs,
        nested=False,
        details={
            "order_id": order.id,
            "app_id": order.app_id,
            "gross": order.amount,
            "fee": order.fee,
            "commission": commission,
            "fee_bps": terms.fee_bps,
            "commission_bps": terms.commission_bps,
            **({"coupon_id": order.coupon_id, "discount": order.discount, "funder": funder} if order.discount else {}),
        },
    )
    return commission


def pay_order(
    session: Session,
    order_id: str,
    *,
    user_id: str,
    secret: str,
    amount: int | None,
    currency: str | None,
    launch_id: str | None = None,
    window: timedelta = attribution.DEFAULT_WINDOW,
) -> Paid:
    """Pay a created order (made by the developer's backend) from the person's wallet, at the
    order's own price (a later price change does not reach it), which must be the ``amount`` and
    ``currency`` the person confirmed. Paying a paid order returns it unchanged (a retried tap
    charges once)."""
    order = session.get(Order, order_id)
    if order is None or order.user_id != user_id:
        raise NotFound(f"no order {order_id!r}")
    if order.status == "created" and catalog.is_taken_down(session, order.app_id):
        # Nothing new is sold in an app a moderator took down, its backend's open orders included
        # (a paid one is still answered as paid, as a retried tap must be).
        raise catalog.AppTakenDown("this app is unavailable: the platform has taken it down")
    prices.confirm(prices.coins(order.amount), amount=amount, currency=currency, what=f"order {order.id}")
    now = utcnow()
    # A conditional update: of two concurrent payers one claims the order, the other writes nothing.
    claimed = _rowcount(
        session.execute(
            update(Order)
            .where(Order.id == order.id, Order.status == "created")
            .values(status="paid", paid_at=now)
            .execution_options(synchronize_session=False)
        )
    )
    if claimed != 1:
        session.refresh(order)
        if order.status in ("paid", "consumed", "refunded", "partially_refunded"):
            return Paid(order, attribution.NONE, 0, new=False)
        raise OrderStateError(f"order {order.id} is {order.status} and cannot be paid")
    set_committed_value(order, "status", "paid")
    set_committed_value(order, "paid_at", now)
    _event(session, order.id, "paid", amount=order.amount, fee=order.fee)
    touch = attribution.attribute(
        session, user_id=user_id, app_id=order.app_id, launch_id=launch_id, at=now, window=window
    )
    # The order was priced, and its fee taken, under the terms in effect when it was made: its
    # commission follows the same terms, however long it waited to be paid.
    made_under = money_terms.in_effect(session, order.app_id, order.created_at)
    order_terms = _Terms(made_under.fee_bps, made_under.commission_bps, _notifies(session, order.app_id))
    commission = _settle(session, order, order_terms, touch, secret=secret)
    return Paid(order, touch, commission, new=True)


def _owns(session: Session, order: Order) -> bool:
    owned = select(Entitlement.product_id).where(
        Entitlement.user_id == order.user_id,
        Entitlement.app_id == order.app_id,
        Entitlement.product_id == order.product_id,
        Entitlement.revoked_at.is_(None),
    )
    return session.scalar(owned) is not None


def _rowcount(result: Result[Any]) -> int:
    """An UPDATE's row count: its result is a CursorResult (Session.execute is typed for queries)."""
    return cast("CursorResult[Any]", result).rowcount


def _grant(session: Session, order: Order) -> None:
    """The entitlement to a permanent product, granted anew if it was revoked (a refund); owned
    already, AlreadyOwned. One statement: of two concurrent purchases of it (different keys), the
    second waits for the first's row and is refused once the first commits."""
    granted = session.execute(
        _GRANT[session.get_bind().dialect.name],
        {
            "user_id": order.user_id,
            "app_id": order.app_id,
            "product_id": order.product_id,
            "order_id": order.id,
            "granted_at": utcnow(),
            "revoked_at": None,
        },
    ).first()
    if granted is None:
        raise AlreadyOwned(f"{order.product_id} is already owned; restore it with minis.getPurchases()")


def _revoke(session: Session, order: Order) -> None:
    """A fully refunded permanent product is no longer owned (unless a later order owns it)."""
    session.execute(
        update(Entitlement)
        .where(
            Entitlement.user_id == order.user_id,
            Entitlement.app_id == order.app_id,
            Entitlement.product_id == order.product_id,
            Entitlement.order_id == order.id,
        )
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def purchase(
    session: Session,
    *,
    app_id: str,
    user_id: str,
    product_id: str,
    quantity: int,
    payload: str,
    idempotency_key: str,
    secret: str,
    amount: int | None,
    currency: str | None,
    launch_id: str | None = None,
    window: timedelta = attribution.DEFAULT_WINDOW,
    coupon_id: str | None = None,
) -> Paid:
    """``minis.pay`` after the person confirmed ``amount`` (in ``currency``) on the host's sheet:
    the order is made paid at that price, with its coins moved, in one transaction; at any other
    price nothing happens but PRICE_CHANGED."""
    order, terms = _new_order(
        session,
        app_id=app_id,
        user_id=user_id,
        product_id=product_id,
        quantity=quantity,
        payload=payload,
        idempotency_key=idempotency_key,
        created_by="sdk",
        paid=True,
        confirmed=(amount, currency),
        coupon_id=coupon_id,
    )
    if terms is None:
        return Paid(order, attribution.NONE, 0, new=False)  # a retry of a purchase that went through: nothing written
    assert order.paid_at is not None  # a new order made paid
    touch = attribution.attribute(
        session, user_id=user_id, app_id=app_id, launch_id=launch_id, at=order.paid_at, window=window
    )
    use = coupons.use_of(session, order.id) if order.coupon_id else None
    commission = _settle(session, order, terms, touch, secret=secret, funder=use.funder if use else None)
    return Paid(order, touch, commission, new=True)


@dataclass(frozen=True)
class CouponQuote:
    held: coupons.Held
    price: int | None  # the list price of the product asked about (None: no product asked)
    discount: int | None  # what the coupon takes off it


def coupon_quotes(
    session: Session, user_id: str, app_id: str, *, product_id: str | None, quantity: int = 1
) -> list[CouponQuote]:
    """The person's coupons usable in this app now; for a product, only those for it, each with
    the discount it gives on ``quantity`` of it under the terms in effect (what a purchase with it
    charges, unless the price or the terms change first)."""
    if product_id is None:
        return [CouponQuote(held, None, None) for held in coupons.held(session, user_id, app_id)]
    if not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidArgument(f"quantity must be 1 to {MAX_QUANTITY}", field="quantity")
    price = get_product(session, app_id, product_id).price * quantity
    terms = money_terms.in_effect(session, app_id)
    quotes = []
    for held in coupons.held(session, user_id, app_id, product_id=product_id):
        off = coupons.discount(held.coupon, price, fee_bps=terms.fee_bps, commission_bps=terms.commission_bps)
        if off >= 1:
            quotes.append(CouponQuote(held, price, off))
    return sorted(quotes, key=lambda quote: -(quote.discount or 0))


def given_back_of_order(*, amount: int, funded: int, fee: int, commission: int, refunded: int) -> list[int]:
    """What the parties an order's sale paid (the app, the platform's fee, a creator's commission)
    have given back once ``refunded`` of its ``amount`` is: what went back to the person and the
    platform's coupon budget (its ``funded`` discount, in proportion) comes from them, each its part
    (refund_shares.py). A developer's discount is inside the app's own share: not given back again."""
    returned = refunded + funded * refunded // amount
    return refund_shares.given_back((amount + funded - fee - commission, fee, commission), returned)


def get_order(session: Session, app_id: str, order_id: str) -> Order:
    order = session.get(Order, order_id)
    if order is None or order.app_id != app_id:
        raise NotFound(f"no order {order_id!r} in this app")
    return order


def get_order_any(session: Session, order_id: str) -> Order:
    """An order in any app (the operator's)."""
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound(f"no order {order_id!r}", field="item")
    return order


def order_history(session: Session, order_id: str) -> list[OrderEvent]:
    return list(session.scalars(select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id)))


def consume(session: Session, app_id: str, order_id: str) -> Order:
    """The backend delivered a consumable; consuming twice is harmless. An order refunded in full is
    not consumed (409): a backend that took a 2xx for "deliver it" gave away what was paid back (a
    probe). One refunded in part was still paid for: it answers as it is."""
    order = get_order(session, app_id, order_id)
    if order.product_type != "consumable":
        raise OrderStateError("only consumable products are consumed")
    changed = _rowcount(
        session.execute(
            update(Order)
            .where(Order.id == order.id, Order.status == "paid")
            .values(status="consumed")
            .execution_options(synchronize_session=False)
        )
    )
    if changed == 1:
        _event(session, order.id, "consumed")
    session.refresh(order)
    if order.status == "refunded":
        raise OrderStateError(f"order {order.id} is refunded in full: deliver nothing")
    if order.status not in ("consumed", "partially_refunded"):
        raise OrderStateError(f"order {order.id} is {order.status}; only paid orders are consumed")
    return order


@dataclass(frozen=True)
class Refunded:
    order: Order
    amount: int  # coins given back by this refund (a repeated key: by the refund it made)
    attribution: attribution.Attribution
    repeated: bool = False  # a retry of a refund made: nothing written, nothing to report again


def refund(
    session: Session,
    app_id: str,
    order_id: str,
    *,
    amount: int | None,
    reason: str,
    idempotency_key: str,
    by: str,
    secret: str,
) -> Refunded:
    """Give coins back, in full or in part. Developer, platform and a creator give back their parts
    in proportion (what the creator was paid out of theirs, the platform covers: attribution.claw_back);
    a full refund takes back a permanent product. A repeated key refunds once."""
    if not IDEMPOTENCY_KEY.match(idempotency_key or ""):
        raise InvalidArgument(
            "idempotency_key must be 1-128 letters, digits, '_', '.', ':' or '-'", field="idempotency_key"
        )
    get_order(session, app_id, order_id)
    # Refunds of one order take turns on its row: the key's transfer is looked for, and the
    # refunded total read, only once the row is ours. Without the lock, concurrent retries of
    # one key each found no transfer yet and each added their amount to the order, while the
    # ledger (whose key is unique) moved the coins once (issue 12: refunded 100, paid back 10).
    # SQLite's transactions already take turns (db.py: BEGIN IMMEDIATE).
    order = session.scalars(
        select(Order).where(Order.id == order_id).with_for_update().execution_options(populate_existing=True)
    ).one()
    key = f"order:{order.id}:refund:{idempotency_key}"
    done = ledger.transfer_details(session, key)
    if done is not None:
        # A retry is the same request: one that states another amount or reason than the key's
        # refund recorded would otherwise answer 200 and refund nothing (what it leaves out, e.g.
        # no amount for "the rest", does not contradict it). Older refunds recorded no reason.
        recorded_reason = done.get("reason")
        if (amount is not None and amount != done.get("amount")) or (
            reason and recorded_reason is not None and reason[:200] != recorded_reason
        ):
            raise Conflict(
                f"this idempotency key refunded {done.get('amount')} coins (reason {recorded_reason!r});"
                " a retry must ask the same",
                code="IDEMPOTENCY_CONFLICT",
                field="idempotency_key",
            )
        # Nothing written: the unit's end (right after the route returns) releases the row's lock.
        return Refunded(order, int(done["amount"]), attribution.NONE, repeated=True)
    if order.status not in ("paid", "consumed", "partially_refunded"):
        raise OrderStateError(f"order {order.id} is {order.status}; only paid orders are refunded")
    amount = order.amount - order.refunded if amount is None else amount
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 1:
        raise InvalidArgument("amount is a whole number of coins, at least 1", field="amount")
    # The refunded total only grows by a conditional update too: a second guard, in the database,
    # that refunds never give back more than was paid.
    claimed = _rowcount(
        session.execute(
            update(Order)
            .where(Order.id == order.id, Order.refunded + amount <= Order.amount)
            .values(refunded=Order.refunded + amount)
            .execution_options(synchronize_session=False)
        )
    )
    if claimed != 1:
        left = order.amount - order.refunded
        raise InvalidArgument(f"at most {left} coins of this order are left to refund", field="amount")
    session.refresh(order)
    before = order.refunded - amount
    # A coupon's discount is given back in proportion, by cumulative rounding (the parts of every
    # refund add up to the discount). The platform's coupons paid it from their budget, which gets
    # its part back; a developer's discount came out of the app's own share (one leg, as at the
    # purchase), so the app's share in the line is already net of it: counted on both sides, the
    # app gave back coins it never received (a probe: 402 for a coupon that took its whole share).
    discount_part = order.discount * order.refunded // order.amount - order.discount * before // order.amount
    use = coupons.use_of(session, order.id) if order.discount else None
    funded = order.discount if use is not None and use.funder == coupons.PLATFORM else 0
    funded_part = funded * order.refunded // order.amount - funded * before // order.amount
    conversion = attribution.find(session, f"order:{order.id}")
    commission = conversion.commission if conversion is not None and conversion.creator_id is not None else 0
    line = partial(given_back_of_order, amount=order.amount, funded=funded, fee=order.fee, commission=commission)
    app_part, fee_part, clawed = (
        now - then for now, then in zip(line(refunded=order.refunded), line(refunded=before), strict=True)
    )
    funder_legs = (
        [Leg(ledger.account_id(session, *coupons.funder_account(coupons.PLATFORM, order.app_id)), funded_part)]
        if funded_part
        else []
    )
    full = order.refunded == order.amount
    # The coupon's rows and the entitlement's before the ledger's accounts, as a purchase takes them:
    # in the other order, full refunds racing purchases with the same coupon (or a re-buy of the
    # item) deadlocked on PostgreSQL, and most of a storm of both was answered 503.
    if full:
        if use is not None:
            coupons.release(session, order)  # the person may use the coupon again (while it lasts)
        if order.product_type == "permanent":
            _revoke(session, order)
    wallet = ledger.account_id(session, "user_wallet", order.user_id)
    app = ledger.account_id(session, "app_earnings", order.app_id)
    platform = ledger.account_id(session, "platform_revenue")
    creator_legs: list[Leg] = []
    covered = 0
    if clawed and conversion is not None and conversion.creator_id is not None:
        # What the creator's earnings no longer hold of their part (paid out) the platform covers.
        taken = attribution.claw_back(
            session,
            conversion,
            clawed,
            payer=wallet,
            accounts=[app, *(leg.account_id for leg in funder_legs)],
            platform_gives=fee_part,
        )
        clawed, covered = taken.given, taken.covered
        creator_legs = [Leg(taken.creator, -clawed)] if clawed else []
    ledger.transfer(
        session,
        key=key,
        kind="refund",
        currency=COIN,
        legs=[
            Leg(wallet, amount),
            Leg(app, -app_part, anchor=True),
            Leg(platform, -(fee_part + covered)),
            *creator_legs,
            *funder_legs,
        ],
        details={
            "order_id": order.id,
            "app_id": order.app_id,
            "amount": amount,
            "fee": fee_part,
            "commission": clawed,  # what the creator gave back
            "commission_covered": covered,  # what the platform gave back for them
            "reason": reason[:200],
            **({"discount": discount_part, "funder": use.funder, "coupon_id": use.coupon_id} if use else {}),
        },
        reverses=f"order:{order.id}:pay",
    )
    order.status = "refunded" if full else "partially_refunded"
    coupon_part = {"discount": discount_part} if use is not None else {}
    _event(session, order.id, order.status, amount=amount, fee=fee_part, reason=reason[:200], by=by, **coupon_part)
    if _notifies(session, order.app_id):
        notifications.enqueue(
            session,
            secret,
            order,
            "order.refunded",
            extra={"refund": {"amount": amount, "reason": reason[:200]}},
            unique=idempotency_key,
        )
    return Refunded(order, amount, attribution.of(conversion))


def purchases(session: Session, *, app_id: str, user_id: str) -> list[Entitlement]:
    return list(
        session.scalars(
            select(Entitlement)
            .where(Entitlement.app_id == app_id, Entitlement.user_id == user_id, Entitlement.revoked_at.is_(None))
            .order_by(Entitlement.granted_at)
        )
    )


OrderStatus = Literal["created", "paid", "consumed", "partially_refunded", "refunded"]


def list_orders(
    session: Session, app_id: str, *, cursor: str | None, limit: int, status: OrderStatus | None = None
) -> tuple[list[Order], str | None]:
    """The app's orders, newest first, a page at a time; with ``status``, only those in it."""
    statement = select(Order).where(Order.app_id == app_id)
    if status is not None:
        statement = statement.where(Order.status == status)
    if cursor:
        created, order_id = decode_cursor(cursor, str)
        statement = statement.where(
            or_(Order.created_at < created, (Order.created_at == created) & (Order.id < order_id))
        )
    rows = list(session.scalars(statement.order_by(Order.created_at.desc(), Order.id.desc()).limit(limit + 1)))
    page = rows[:limit]
    return page, (encode_cursor(page[-1].created_at, page[-1].id) if len(rows) > limit else None)


# Statements -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementLine:
    app_id: str
    orders: int
    gross: int
    fee: int
    refunds: int
    refunded_fee: int
    # What coupons took off these orders, less refunds' parts: the platform's coupons are paid to
    # the app on top of ``gross`` (what people paid); the developer's came out of the app's share.
    platform_coupons: int = 0
    developer_coupons: int = 0

    @property
    def net(self) -> int:
        return (self.gross + self.platform_coupons - self.fee) - (self.refunds - self.refunded_fee)


def statement(session: Session, app_ids: list[str], start: datetime, end: datetime) -> list[StatementLine]:
    """Per app, for orders paid and refunds made in [start, end): gross, platform fee, refunds, net (coins)."""
    if end <= start:
        raise InvalidArgument("the period must end after it starts", field="end")
    lines = []
    for app_id in app_ids:
        paid = session.execute(
            select(func.count(), func.coalesce(func.sum(Order.amount), 0), func.coalesce(func.sum(Order.fee), 0))
            .join(OrderEvent, OrderEvent.order_id == Order.id)
            .where(Order.app_id == app_id, OrderEvent.status == "paid", OrderEvent.at >= start, OrderEvent.at < end)
        ).one()
        refund_events = session.scalars(
            select(OrderEvent)
            .join(Order, OrderEvent.order_id == Order.id)
            .where(
                Order.app_id == app_id,
                OrderEvent.status.in_(("refunded", "partially_refunded")),
                OrderEvent.at >= start,
                OrderEvent.at < end,
            )
        ).all()
        lines.append(
            StatementLine(
                app_id=app_id,
                orders=paid[0],
                gross=int(paid[1]),
                fee=int(paid[2]),
                refunds=sum(e.details.get("amount", 0) for e in refund_events),
                refunded_fee=sum(e.details.get("fee", 0) for e in refund_events),
                platform_coupons=coupons.funded(session, [app_id], start, end, funder=coupons.PLATFORM).get(app_id, 0),
                developer_coupons=coupons.funded(session, [app_id], start, end).get(app_id, 0),
            )
        )
    return lines


def orders_of(session: Session, user_id: str, *, limit: int = 200) -> list[Order]:
    """A person's orders in every app, newest first (the operator's support)."""
    return list(
        session.scalars(
            select(Order).where(Order.user_id == user_id).order_by(Order.created_at.desc(), Order.id).limit(limit)
        )
    )


def gross_by_app(session: Session, *, since: datetime) -> dict[str, int]:
    """Coins people paid per app for orders paid since ``since``, less what was refunded of them:
    the hub's "top grossing" (one grouped query; exact integers, as the ledger moved them)."""
    rows = session.execute(
        select(Order.app_id, func.sum(Order.amount - Order.refunded))
        .where(Order.paid_at.is_not(None), Order.paid_at >= since)
        .group_by(Order.app_id)
    )
    return {app_id: int(total) for app_id, total in rows if total and total > 0}
