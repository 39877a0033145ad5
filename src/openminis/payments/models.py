from __future__ import annotations

import re
from datetime import datetime
from typing import Any, TypedDict

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openminis.db import Base, utcnow

# What a product id may be: a manifest's, the Open API's, a coupon's list of them.
PRODUCT_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}\Z")


class PackPrice(TypedDict):
    """A coin pack's price in one market, in the currency's minor units."""

    currency: str
    amount: int


class CoinPack(Base):
    """Coins sold for money, priced per market."""

    __tablename__ = "coin_packs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    coins: Mapped[int] = mapped_column(Integer)
    bonus_coins: Mapped[int] = mapped_column(Integer, default=0)
    prices: Mapped[dict[str, PackPrice]] = mapped_column(JSON)  # market -> {"currency": "USD", "amount": 499}
    active: Mapped[bool] = mapped_column(default=True)
    sort: Mapped[int] = mapped_column(Integer, default=0)


class TopUp(Base):
    """One purchase of coins through a payment provider."""

    __tablename__ = "topups"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    pack_id: Mapped[str] = mapped_column(ForeignKey("coin_packs.id"))
    coins: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    market: Mapped[str] = mapped_column(String(8))
    provider: Mapped[str] = mapped_column(String(16))
    provider_ref: Mapped[str | None] = mapped_column(String(128), default=None, index=True)
    # The provider's id of the payment once it is credited (Stripe: the payment intent): refunds and
    # disputes made at the provider name the payment, not the checkout.
    payment_ref: Mapped[str | None] = mapped_column(String(128), default=None, index=True)
    # created -> requires_action | pending -> succeeded | failed | expired; any open one -> cancelled when
    # its account is deleted (a payment that arrives after that is refunded: topups.close_open)
    status: Mapped[str] = mapped_column(String(24), default="created")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProviderEventSeen(Base):
    """Each provider webhook event is acted on once, however often the provider sends it."""

    __tablename__ = "provider_events"

    provider: Mapped[str] = mapped_column(String(16), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class Product(Base):
    """Something an app sells for coins: consumed by the backend, or owned for good."""

    __tablename__ = "products"

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    type: Mapped[str] = mapped_column(String(16))  # consumable | permanent
    price: Mapped[int] = mapped_column(Integer)  # coins
    title: Mapped[dict[str, str]] = mapped_column(JSON)  # locale -> title
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Who made it: a version's manifest ("manifest"), or the console or the Open API ("api"). A
    # release retires only the manifest's that its versions no longer declare; a product made by
    # hand stays (every release took those off sale, and their coupons with them: a probe, dev52).
    declared_in: Mapped[str] = mapped_column(String(8), default="manifest", server_default="manifest")


class PaymentSettings(Base):
    """An app's payment settings: where its notifications go. (The fee and the creators' commission
    are the operator's, in MoneyTerms.)"""

    __tablename__ = "payment_settings"

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    notify_url: Mapped[str | None] = mapped_column(String(500), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class MoneyTerms(Base):
    """The platform's fee and the creators' commission for an app (or, with no app, the platform's
    defaults) from ``effective_at`` on. Rows are only added: the terms in effect at a moment are
    the app's row with the latest ``effective_at`` at or before it, else the defaults' (terms.py),
    so a change scheduled for later takes effect by itself and what was paid before keeps its own."""

    __tablename__ = "money_terms"
    __table_args__ = (Index("ix_money_terms_app_effective", "app_id", "effective_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    app_id: Mapped[str | None] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), default=None)
    fee_bps: Mapped[int] = mapped_column(Integer)  # basis points of the gross: 3000 = 30 %
    # The creator's share of the developer's net revenue from conversions attributed to them.
    creator_commission_bps: Mapped[int] = mapped_column(Integer)
    effective_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), default="")


class ItemRefund(Base):
    """How much of a paid unlock, series, pass period or top-up has been given back. Refunds of one
    item take turns on this row, and ``refunded`` only grows by a conditional update that keeps it
    at most ``paid`` (orders keep theirs on the order). Each refund is its own ledger transfer,
    keyed ``refund:<item>:<idempotency key>``."""

    __tablename__ = "item_refunds"

    item: Mapped[str] = mapped_column(String(160), primary_key=True)  # the charge's transfer key
    kind: Mapped[str] = mapped_column(String(16))  # unlock | series | pass | topup
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    app_id: Mapped[str | None] = mapped_column(String(40), default=None)
    currency: Mapped[str] = mapped_column(String(16))
    paid: Mapped[int] = mapped_column(BigInteger)
    refunded: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProviderRefund(Base):
    """A top-up's refund as its payment provider is asked to make it. Written with the refund's
    ledger transfers, keyed by its money transfer's key (``refund:topup:<id>:<idempotency key>``,
    also the key the provider is asked with); a job asks the provider with no transaction open.
    requested -> refunded (the provider's refund id in ``provider_ref``) | refused (the refund's
    transfers are reversed, ``refund-undone:...``, and the item's refunded total lowered).

    Money the provider gave back without the platform asking (a refund made in its dashboard, a
    dispute the person won at their bank) is recorded the same way, already ``refunded``, with its
    ``origin``; a dispute the platform wins later is ``reinstated``, and a refund the provider
    accepted that fails later at the bank is ``failed``, each undone as a refused refund is
    (reversals.py)."""

    __tablename__ = "provider_refunds"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    topup_id: Mapped[str] = mapped_column(ForeignKey("topups.id"), index=True)
    provider: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(BigInteger)  # minor units of currency
    currency: Mapped[str] = mapped_column(String(3))
    # requested | refunded | refused | failed | reinstated
    status: Mapped[str] = mapped_column(String(16), default="requested")
    origin: Mapped[str] = mapped_column(String(16), default="platform")  # platform | provider | dispute
    coins: Mapped[int] = mapped_column(BigInteger, default=0)  # taken back from the wallet
    # When the provider said a refund it had made failed (``failed``): its totals from before count it.
    failed_at: Mapped[datetime | None] = mapped_column(default=None)
    # Coins its refund should have taken back but the wallet no longer held (spent): the platform's loss.
    coins_unrecovered: Mapped[int] = mapped_column(BigInteger, default=0)
    provider_ref: Mapped[str | None] = mapped_column(String(128), default=None)
    reason: Mapped[str | None] = mapped_column(String(500), default=None)  # why it was refused
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)  # why the provider has not answered
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Order(Base):
    """A purchase inside an app. Its state changes are also kept, each with a time, in OrderEvent."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("app_id", "user_id", "idempotency_key"),
        Index("ix_orders_app_created", "app_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    product_id: Mapped[str] = mapped_column(String(64))
    product_type: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(BigInteger)  # coins
    fee: Mapped[int] = mapped_column(BigInteger)  # the platform's part of amount
    payload: Mapped[str] = mapped_column(Text, default="")  # the developer's own reference, echoed back
    idempotency_key: Mapped[str] = mapped_column(String(128))
    created_by: Mapped[str] = mapped_column(String(16))  # sdk | backend
    # created -> paid -> consumed; paid|consumed -> refunded (partially or fully); created -> cancelled
    status: Mapped[str] = mapped_column(String(24), default="created")
    refunded: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(default=None)
    # A coupon's order: ``amount`` is what the person paid, ``discount`` what the coupon's funder
    # paid (the list price is their sum); ``fee`` was taken on the list price (coupons.py).
    coupon_id: Mapped[str | None] = mapped_column(String(32), default=None)
    discount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class OrderEvent(Base):
    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    status: Mapped[str] = mapped_column(String(24))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Entitlement(Base):
    """A permanent product a person owns in an app (what ``minis.getPurchases()`` restores)."""

    __tablename__ = "entitlements"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id"), primary_key=True)
    product_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class NotificationAttempt(Base):
    """One delivery attempt of a server notification, shown to the developer."""

    __tablename__ = "notification_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id"), index=True)
    event_id: Mapped[str] = mapped_column(String(40), index=True)
    event_type: Mapped[str] = mapped_column(String(40))
    order_id: Mapped[str | None] = mapped_column(String(32), default=None)
    url: Mapped[str] = mapped_column(String(500))
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # Which try this was (1 is the first), and when the next one is due: None once delivered or given up.
    attempt: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)


class Coupon(Base):
    """Money off an app's products, issued by the platform or a developer and paid for by its
    ``funder`` (coupons.py). ``used`` only grows (and shrinks on a full refund) by conditional
    updates that keep it at most ``total_limit``."""

    __tablename__ = "coupons"
    # A code is its issuer's: the platform's codes are one namespace ("*platform"), each app's
    # developer codes another (the app's id). One namespace for all let a developer take WELCOME
    # before finance did, and its 409 told them which platform codes existed (attack54).
    __table_args__ = (UniqueConstraint("code_scope", "code", name="uq_coupons_code_scope"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    app_id: Mapped[str | None] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), default=None, index=True)
    code: Mapped[str | None] = mapped_column(String(32), default=None)
    code_scope: Mapped[str | None] = mapped_column(String(40), default=None)  # "*platform" or the app's id
    title: Mapped[str] = mapped_column(String(80))
    issuer: Mapped[str] = mapped_column(String(16))  # platform | developer
    funder: Mapped[str] = mapped_column(String(16))  # platform | developer
    amount_off: Mapped[int | None] = mapped_column(Integer, default=None)  # coins
    percent_off_bps: Mapped[int | None] = mapped_column(Integer, default=None)  # 2500 = 25 %
    max_off: Mapped[int | None] = mapped_column(Integer, default=None)  # the percent's cap, coins
    product_ids: Mapped[list[str] | None] = mapped_column(JSON, default=None)  # None: every product
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    per_person_limit: Mapped[int] = mapped_column(Integer, default=1)
    total_limit: Mapped[int | None] = mapped_column(Integer, default=None)
    used: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | ended
    created_by: Mapped[str] = mapped_column(String(200), default="")
    # The person of staff who made it (None: the admin token or a developer): they hold none of it.
    maker_id: Mapped[str | None] = mapped_column(String(32), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CouponGrant(Base):
    """A coupon a person holds: claimed with its code or granted by the developer's backend or the
    operator. ``used`` counts their uses, kept at most the coupon's per-person limit."""

    __tablename__ = "coupon_grants"

    coupon_id: Mapped[str] = mapped_column(ForeignKey("coupons.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    used: Mapped[int] = mapped_column(Integer, default=0)
    via: Mapped[str] = mapped_column(String(16))  # code | backend | admin
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)


class CouponUse(Base):
    """One order paid with a coupon; ``released_at`` once a full refund gave the use back."""

    __tablename__ = "coupon_uses"

    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    coupon_id: Mapped[str] = mapped_column(ForeignKey("coupons.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(32))
    discount: Mapped[int] = mapped_column(BigInteger)
    funder: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(default=None)
