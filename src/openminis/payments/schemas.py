from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, computed_field

from openminis.db import as_utc
from openminis.inputs import Input, at_most


def _iso_text(value: object) -> object:
    """A time sent in JSON is an ISO 8601 string. Parsing one needs lax mode, which would also take
    a number, or a string of digits, as Unix seconds: refused, each field being its own JSON type."""
    if isinstance(value, datetime):
        return value  # made in Python, not sent
    if not isinstance(value, str) or not value[:4].isdigit() or value[4:5] != "-":
        raise ValueError("a time is an ISO 8601 string, such as 2027-01-01T00:00:00Z")
    return value


# Lax (strict=False on the field) for the string's parsing only: _iso_text lets nothing else in.
IsoTime = Annotated[datetime, BeforeValidator(_iso_text)]


class Strict(Input):
    """What a person, a developer or staff sends about money: no field it does not know, and each of
    the type it is (an amount is a JSON number, not "99" or 99.0; a flag is true or false, not 1)."""

    model_config = ConfigDict(strict=True)


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
    # A coupon's part: what the coupon took off a purchase (or, on a refund, the part of it given back).
    discount: int | None = None
    coupon_id: str | None = None
    # A drama unlock's: what it bought, "episode 4" or "series" (one kind of transfer for both).
    what: str | None = None


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
    # A coupon the person holds and chose on the sheet: ``amount`` is then the price less its discount.
    coupon_id: str | None = Field(default=None, min_length=1, max_length=32)


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
    coupon_id: str | None = None
    discount: int = 0  # what the coupon's funder paid: the list price is amount + discount


class OrderEventOut(BaseModel):
    status: str
    at: datetime
    details: dict[str, Any]


class BackendOrderOut(OrderOut):
    """An order as the app's backend reads it: with who bought it, by their openid in the app."""

    openid: str


class OrderDetailOut(BackendOrderOut):
    history: list[OrderEventOut]


class OrderPage(BaseModel):
    # Each with its openid: without, a backend catching up on a day of missed notifications asked
    # for every order again to learn whom to give it to (a probe, dev54).
    items: list[BackendOrderOut]
    next_cursor: str | None


class RefundIn(Strict):
    amount: int | None = Field(default=None, ge=1, le=100_000_000)
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
    platform_coupons: int = 0  # paid to the app by the platform's coupons, on top of gross
    developer_coupons: int = 0  # what the developer's coupons took off (out of the app's share)
    net: int = Field(
        description="gross and the platform's coupons, less the fee and refunds: before creators' commissions on"
        " sales their posts brought, which the console's statement (the ledger's own sums) takes off"
    )


class StatementOut(BaseModel):
    # Orders alone: a drama app's unlocks, series and passes, creators' commissions, ads and payouts
    # are in the ledger's statement (GET /openapi/v1/statements/ledger), which a producer read as
    # nothing earned here (a probe, dev54).
    scope: Literal["orders"] = "orders"
    currency: Literal["COIN"] = "COIN"
    start: datetime
    end: datetime
    lines: list[StatementLineOut]


# The operator's money routes (admin.py) ---------------------------------------------------------


class TermsIn(Strict):
    app_id: str | None = Field(default=None, max_length=40, description="null: the platform's defaults")
    fee_bps: int = Field(ge=0, le=10_000)
    creator_commission_bps: int = Field(ge=0, le=10_000)
    effective_at: Annotated[IsoTime, AfterValidator(as_utc)] | None = Field(
        default=None, strict=False, description="when they take effect (no offset: UTC); null: now"
    )
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
    prices: Annotated[dict[str, PackPriceIn], at_most(250)] = Field(
        description="market (like US) -> price in minor units"
    )
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
    """A top-up's refund as its payment provider was asked to make it, or as it made it unasked."""

    key: str
    amount: int
    status: str = Field(
        description="requested | refunded | refused | failed | reinstated (the last three: the refund was undone)"
    )
    origin: str = Field(
        description="platform (asked by staff) | provider (made in the provider's dashboard) | dispute (a chargeback)"
    )
    coins_unrecovered: int = Field(description="coins it should have taken back that the person had spent: a loss")
    provider_ref: str | None = Field(description="the provider's id of the refund, or of the dispute")
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
    # A guest that signed in to an account: that account's id. Its coins went there, and what
    # reaches the guest's wallet since (a refund, a late payment) lands there too.
    signed_in_to: str | None = None
    orders: list[MoneyItemOut]
    unlocks: list[MoneyItemOut]
    passes: list[MoneyItemOut]
    topups: list[MoneyItemOut]


class AdminRefundIn(Strict):
    item: str = Field(min_length=3, max_length=160)
    amount: int | None = Field(default=None, ge=1, le=100_000_000, description="null: all that is left")
    reason: str = Field(min_length=1, max_length=200)
    idempotency_key: str = Field(min_length=1, max_length=128)


class RetryRefundIn(Strict):
    reason: str = Field(min_length=1, max_length=200)


class AdminRefundOut(BaseModel):
    item: str
    currency: str
    paid: int
    refunded: int
    amount: int = Field(description="given back by this request (a retry of a refund made: by the refund it repeats)")


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
    platform_coupons: int = 0
    developer_coupons: int = 0
    paid_out: int = Field(default=0, description="coins taken out by payouts, less failed payouts' returns")
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


# Coupons ----------------------------------------------------------------------------------------


class CouponIn(Strict):
    """A coupon: ``amount_off`` coins, or ``percent_off_bps`` (2500 = 25 %) capped at ``max_off``."""

    title: str = Field(min_length=1, max_length=80)
    code: str | None = Field(
        default=None,
        max_length=64,
        description="what people claim it with (4-32 of A-Z, 0-9, _ or -); null: grants only",
    )
    amount_off: int | None = None
    percent_off_bps: int | None = None
    max_off: int | None = None
    product_ids: list[str] | None = Field(default=None, max_length=100, description="null: every product")
    starts_at: IsoTime | None = Field(default=None, strict=False, description="null: now")
    ends_at: IsoTime = Field(strict=False)
    per_person_limit: int = 1
    total_limit: int | None = Field(default=None, description="uses in all; null: no limit")

    def terms(self) -> dict[str, Any]:
        """The coupon's own fields, as ``coupons.create`` takes them (without who issues and funds it)."""
        return {name: getattr(self, name) for name in CouponIn.model_fields}


class AdminCouponIn(CouponIn):
    app_id: str | None = Field(default=None, max_length=40, description="null: every app (platform-funded)")
    funder: Literal["platform", "developer"] = "platform"
    reason: str = Field(min_length=1, max_length=2000)


class CouponTerms(BaseModel):
    """What a coupon takes off, where and until when: what everyone who sees a coupon sees."""

    id: str
    app_id: str | None  # null: any app
    title: str
    amount_off: int | None
    percent_off_bps: int | None
    max_off: int | None
    product_ids: list[str] | None
    ends_at: datetime


class CouponOut(CouponTerms):
    code: str | None
    issuer: str
    funder: str
    starts_at: datetime
    per_person_limit: int
    total_limit: int | None
    used: int
    status: str
    created_at: datetime

    @computed_field(  # type: ignore[prop-decorator]  # Pydantic documents this form; mypy cannot see it
        description="uses left of total_limit (null: no total limit); 0 while used up, more if a use is refunded"
    )
    @property
    def remaining(self) -> int | None:
        # "active" with every use taken read as usable to a backend (a probe, attack54); a status of
        # its own would be wrong the moment a refund gives a use back.
        return None if self.total_limit is None else max(self.total_limit - self.used, 0)


class CouponList(BaseModel):
    items: list[CouponOut]


class CouponGrantIn(Strict):
    openid: str = Field(max_length=64)


class AdminCouponGrantIn(Strict):
    user_id: str = Field(max_length=32)
    reason: str = Field(min_length=1, max_length=2000)


class CouponGrantOut(BaseModel):
    coupon_id: str
    used: int
    uses_left: int
    granted_at: datetime


class ClaimIn(Strict):
    code: str = Field(min_length=1, max_length=64)
    app_id: str | None = Field(
        default=None, max_length=40, description="the app it is claimed in: its developer's code of this name first"
    )


class ClaimedCouponOut(CouponTerms):
    """A coupon as the person who claimed it sees it, with the uses left to them. Not its totals:
    a claim told anyone who knew a code how many times an app's coupon had been used, its limits
    and who funded it (coupons56)."""

    code: str | None
    starts_at: datetime
    uses_left: int


class HeldCouponOut(CouponTerms):
    """A coupon the person holds, usable in this app now; with a product, what it takes off it."""

    uses_left: int
    funder: str
    discount: int | None = None  # coins off the asked product × quantity
    price: int | None = None  # the list price of that
    pay: int | None = None  # what the person would pay with the coupon


class HeldCouponList(BaseModel):
    items: list[HeldCouponOut]
