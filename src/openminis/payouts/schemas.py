from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictInt

from openminis.inputs import Input, at_most

Source = Literal["COIN", "USD_MICROS"]
MARKETS = 64  # the currencies or markets a payout policy's table may name
IdempotencyKey = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:-]+$")


class Strict(Input):
    """What a creator or finance sends: no field it does not know."""


class EarningsOut(BaseModel):
    currency: Source = Field(description="COIN (sales, unlocks, passes, commissions) or USD_MICROS (ad revenue)")
    balance: int
    pending: int = Field(description="in the hold: refunds may still claw it back")
    withdrawable: int
    in_payout: int = Field(description="requested or on its way")
    paid: int
    hold_days: int
    owed: int = Field(
        default=0,
        description="a creator's commission the platform gave back for them on refunds after it was paid out:"
        " the next payout gives it back first (withdrawable is net of it)",
    )


class PolicyOut(BaseModel):
    hold_days: int
    rates: dict[str, dict[str, int]] = Field(
        description="per payout currency, minor units paid per million units of each earnings currency"
    )
    minimums: dict[str, int]
    auto_approve_below: dict[str, int]


class PolicyIn(Strict):
    hold_days: StrictInt = Field(ge=0, le=365)
    # Bounded (a few currencies each), so that a body of many is refused before it is read.
    rates: Annotated[dict[str, Annotated[dict[str, StrictInt], at_most(MARKETS)]], at_most(MARKETS)]
    minimums: Annotated[dict[str, StrictInt], at_most(MARKETS)] = Field(default_factory=dict)
    auto_approve_below: Annotated[dict[str, StrictInt], at_most(MARKETS)] = Field(default_factory=dict)
    reason: str = Field(min_length=1, max_length=2000)


class PolicyChangesOut(BaseModel):
    hold_days: int
    rates: dict[str, dict[str, int]]
    minimums: dict[str, int] = Field(description="only the currencies named: the others keep theirs")
    auto_approve_below: dict[str, int] = Field(description="only the currencies named: the others keep theirs")


class ProposalOut(BaseModel):
    """A change of the payout terms that loosens them: in force once another member of finance
    approves it."""

    id: str
    status: Literal["waiting", "approved", "withdrawn", "refused"]
    proposed_by: str
    proposed_at: datetime
    reason: str
    mine: bool = Field(description="you proposed it: another member of finance approves it")
    changes: PolicyChangesOut = Field(description="what the change names")
    terms: PolicyOut = Field(description="waiting: the terms approving it makes now; else those it made, or would have")
    loosens: list[str] = Field(description="what of those terms is looser than the terms in force")
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None


class ProposalList(BaseModel):
    items: list[ProposalOut]


class NoteIn(Strict):
    reason: str = Field(default="", max_length=2000)


class AccountIn(Strict):
    destination: str = Field(min_length=1, max_length=128, description="the account at the provider")
    currency: str = Field(min_length=3, max_length=3)
    holder: str = Field(min_length=1, max_length=120)


class AccountOut(BaseModel):
    id: str
    provider: str
    destination: str
    currency: str
    holder: str
    created_at: datetime


class QuoteIn(Strict):
    source: Source
    amount: StrictInt | None = Field(
        default=None, ge=1, le=10**15, description="earnings units; null: all withdrawable"
    )


class QuoteOut(BaseModel):
    source_currency: str
    source_amount: int
    currency: str
    amount: int
    rate: int
    minimum: int
    repaid: int = Field(
        default=0,
        description="of the earnings, what the request gives back to the platform first: a creator's owed commission"
        " (in source_currency, besides source_amount)",
    )


class PayoutIn(Strict):
    source: Source
    amount: StrictInt | None = Field(default=None, ge=1, le=10**15)
    expect: StrictInt = Field(ge=1, le=10**13, description="the payout the payee confirmed, in minor units")
    idempotency_key: str = IdempotencyKey


class PayoutEventOut(BaseModel):
    status: str
    by: str
    at: datetime
    details: dict[str, object]


class PayoutOut(BaseModel):
    id: str
    payee: str
    payee_name: str | None = Field(default=None, description="the studio's name, or the creator's name and @handle")
    status: str
    source_currency: str
    source_amount: int
    currency: str
    amount: int
    provider: str
    destination: str | None = None
    provider_ref: str | None
    reason: str | None
    last_error: str | None
    approved_by: str | None
    created_at: datetime
    updated_at: datetime
    history: list[PayoutEventOut] = []


class PayoutsOut(BaseModel):
    earnings: list[EarningsOut]
    account: AccountOut | None
    provider: str | None = Field(description="the provider a new payout account is opened with")
    policy: PolicyOut
    items: list[PayoutOut]


class PayoutList(BaseModel):
    items: list[PayoutOut]


class ApproveIn(Strict):
    ids: list[str] = Field(min_length=1, max_length=200)
    reason: str = Field(default="", max_length=2000)


class ReasonIn(Strict):
    reason: str = Field(min_length=1, max_length=2000)
