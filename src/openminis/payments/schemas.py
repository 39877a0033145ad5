from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WalletOut(BaseModel):
    balance: int


class WalletMovementOut(BaseModel):
    """One movement of the person's coins: ``amount`` is what it did to their wallet (+ in, - out)."""

    id: int
    kind: str  # topup, purchase, refund, drama_unlock, subscription, topup_refund, ...
    amount: int
    app_id: str | None
    app_name: str | None
    created_at: datetime


class WalletHistory(BaseModel):
    items: list[WalletMovementOut]
    next_cursor: str | None


class PackOut(BaseModel):
    id: str
    coins: int
    bonus_coins: int
    currency: str
    amount: int


class PackList(BaseModel):
    market: str
    # The provider top-ups go through here (None: none is configured, top-ups are refused).
    provider: str | None = None
    items: list[PackOut]


# The price the person confirmed, sent with every paying request: at any other price the platform
# answers 409 PRICE_CHANGED with the price now, and charges nothing (payments/prices.py).
ConfirmedAmount = Field(
    ge=0, le=100_000_000, description="the price the person confirmed, in minor units (whole coins for COIN)"
)
ConfirmedCurrency = Field(
    min_length=3, max_length=4, description="the currency of that price: COIN, or ISO 4217 for a top-up"
)


class TopUpIn(Strict):
    pack_id: str = Field(max_length=32)
    market: str = Field(default="US", max_length=8)
    amount: int = ConfirmedAmount
    currency: str = ConfirmedCurrency
    # Required: without it a pack that now gives fewer coins for the same price was bought unnoticed.
    coins: int = Field(ge=1, le=100_000_000, description="the coins the pack showed (its coins and bonus coins)")
    # Only the provider the platform offers (PackList.provider) is accepted.
    provider: Literal["sandbox", "stripe"] | None = None


class TopUpOut(BaseModel):
    id: str
    status: str
    coins: int
    amount: int
    currency: str
    provider: str
    redirect_url: str | None = None


class TopUpList(BaseModel):
    items: list[TopUpOut]


class CardIn(Strict):
    card_number: str = Field(min_length=12, max_length=23)


class ChallengeIn(Strict):
    approve: bool


class ProductIn(Strict):
    type: Literal["consumable", "permanent"]
    price: int = Field(ge=1, le=1_000_000)
    title: dict[str, str] = Field(min_length=1, max_length=20)


class ProductOut(BaseModel):
    id: str
    type: str
    price: int
    title: dict[str, str]


class ProductList(BaseModel):
    items: list[ProductOut]


class _OrderFields(Strict):
    product_id: str = Field(max_length=64)
    quantity: int = Field(default=1, ge=1, le=99)
    payload: str = Field(default="", max_length=1024)
    idempotency_key: str = Field(min_length=1, max_length=128)


class PurchaseIn(_OrderFields):
    amount: int = ConfirmedAmount  # price × quantity, as the pay sheet showed it
    currency: str = ConfirmedCurrency
    # The launch the app asked from: the purchase is attributed to its source (and creator).
    launch_id: str | None = Field(default=None, max_length=32)


class PayIn(Strict):
    amount: int = ConfirmedAmount  # the order's amount, as the pay sheet showed it
    currency: str = ConfirmedCurrency
    launch_id: str | None = Field(default=None, max_length=32)


class OrderIn(_OrderFields):
    openid: str = Field(max_length=64)


class OrderOut(BaseModel):
    id: str
    app_id: str
    product_id: str
    product_type: str
    quantity: int
    amount: int
    refunded: int
    status: str
    payload: str
    created_at: datetime
    paid_at: datetime | None


class OrderEventOut(BaseModel):
    status: str
    at: datetime
    details: dict[str, Any]


class OrderDetailOut(OrderOut):
    openid: str
    history: list[OrderEventOut]


class OrderPage(BaseModel):
    items: list[OrderOut]
    next_cursor: str | None


class RefundIn(Strict):
    amount: int | None = Field(default=None, ge=1)
    reason: str = Field(default="", max_length=200)
    idempotency_key: str = Field(min_length=1, max_length=128)


class PurchaseOut(BaseModel):
    product_id: str
    order_id: str
    granted_at: datetime


class PurchaseList(BaseModel):
    items: list[PurchaseOut]


class PaymentSettingsIn(Strict):
    notify_url: str | None = Field(
        default=None,
        max_length=500,
        description=(
            "https URL to a public address (loopback and http only where the platform allows them, in development)"
        ),
    )


class PaymentSettingsOut(BaseModel):
    notify_url: str | None
    fee_bps: int


class ConsolePaymentSettingsOut(PaymentSettingsOut):
    """What the developer console shows: the notify URL the team sets, and the terms the operator
    sets (the platform's fee, the creators' commission), read-only there."""

    creator_commission_bps: int = Field(description="creators' share of the developer's net, basis points")


class AttemptOut(BaseModel):
    event_id: str
    event_type: str
    order_id: str | None
    url: str
    status_code: int | None
    error: str | None = Field(
        description="why it failed: the HTTP status or the connection's error, never the reply's body"
    )
    duration_ms: int
    at: datetime
    attempt: int = Field(description="which try this was, 1 the first")
    next_attempt_at: datetime | None = Field(description="when the next try is due; null once delivered or given up")


class AttemptList(BaseModel):
    items: list[AttemptOut]


class ResendOut(BaseModel):
    event_id: str
    status: str = Field(description="queued: it goes out now; running: a try is in flight")
    next_attempt_at: datetime


class StatementLineOut(BaseModel):
    app_id: str
    orders: int
    gross: int
    fee: int
    refunds: int
    refunded_fee: int
    net: int


class StatementOut(BaseModel):
    currency: Literal["COIN"] = "COIN"
    start: datetime
    end: datetime
    lines: list[StatementLineOut]


# The operator's money routes (admin.py) ---------------------------------------------------------


class TermsIn(Strict):
    app_id: str | None = Field(default=None, max_length=40, description="null: the platform's defaults")
    fee_bps: int = Field(ge=0, le=10_000)
    creator_commission_bps: int = Field(ge=0, le=10_000)
    effective_at: datetime | None = Field(default=None, description="when they take effect; null: now")
    reason: str = Field(min_length=1, max_length=2000)


class TermsOut(BaseModel):
    id: int
    app_id: str | None
    fee_bps: int
    creator_commission_bps: int
    effective_at: datetime
    created_at: datetime
    created_by: str


class TermsNow(BaseModel):
    app_id: str | None
    fee_bps: int
    creator_commission_bps: int
    history: list[TermsOut]


class TermsView(BaseModel):
    defaults: TermsNow
    app: TermsNow | None = None


class PackPriceIn(Strict):
    currency: str = Field(min_length=3, max_length=3)
    amount: int = Field(ge=1, le=100_000_000)


class PackIn(Strict):
    coins: int = Field(ge=1, le=10_000_000)
    bonus_coins: int = Field(default=0, ge=0, le=10_000_000)
    prices: dict[str, PackPriceIn] = Field(description="market (like US) -> price in minor units")
    active: bool = True
    sort: int = Field(default=0, ge=0, le=10_000)
    reason: str = Field(default="", max_length=2000)


class AdminPackOut(BaseModel):
    id: str
    coins: int
    bonus_coins: int
    prices: dict[str, dict[str, Any]]
    active: bool
    sort: int


class AdminPackList(BaseModel):
    items: list[AdminPackOut]


class PersonOut(BaseModel):
    user_id: str
    email: str | None
    display_name: str
    kind: str


class PeopleOut(BaseModel):
    items: list[PersonOut]


class ProviderRefundOut(BaseModel):
    """A top-up's refund as its payment provider was asked to make it."""

    key: str
    amount: int
    status: str = Field(description="requested | refunded | refused (refused: the refund was undone)")
    provider_ref: str | None = Field(description="the provider's id of the refund")
    reason: str | None = Field(description="why the provider refused it")
    last_error: str | None = Field(description="why the provider has not answered yet")
    updated_at: datetime


class MoneyItemOut(BaseModel):
    """Something the person paid for, as support sees it, with its refund state."""

    item: str = Field(description="what a refund names: order:<id>, unlock:..., series:..., pass:<sub>:<n>, topup:<id>")
    kind: str
    app_id: str | None
    title: str
    currency: str
    paid: int
    refunded: int
    status: str
    at: datetime
    provider_refunds: list[ProviderRefundOut] = Field(default_factory=list, description="a top-up's refunds")


class PersonMoneyOut(BaseModel):
    person: PersonOut
    balance: int
    orders: list[MoneyItemOut]
    unlocks: list[MoneyItemOut]
    passes: list[MoneyItemOut]
    topups: list[MoneyItemOut]


class AdminRefundIn(Strict):
    item: str = Field(min_length=3, max_length=160)
    amount: int | None = Field(default=None, ge=1, le=100_000_000, description="null: all that is left")
    reason: str = Field(min_length=1, max_length=200)
    idempotency_key: str = Field(min_length=1, max_length=128)


class AdminRefundOut(BaseModel):
    item: str
    currency: str
    paid: int
    refunded: int
    amount: int = Field(description="given back by this request (0: a retry of a refund made)")


class MoneyStatementLineOut(BaseModel):
    app_id: str
    purchases: int
    purchases_gross: int
    unlocks: int
    unlocks_gross: int
    passes: int
    passes_gross: int
    gross: int
    platform_fee: int
    creator_commission: int
    refunds: int
    refunded_fee: int
    refunded_commission: int
    other: int
    net: int
    ad_revenue: int
    ad_commission: int
    ad_net: int


class MoneyStatementOut(BaseModel):
    currency: Literal["COIN"] = "COIN"
    ad_currency: Literal["USD_MICROS"] = "USD_MICROS"
    start: datetime
    end: datetime
    lines: list[MoneyStatementLineOut]
    total: MoneyStatementLineOut
