"""The price a person confirmed: every paying request carries it, and nothing is charged unless it
is the price in effect.

A developer may change a price while a person's sheet is open (issue 12: shown 1, charged 90). The
sheet sends the amount and currency it showed; when the platform's price differs, the request is
refused with PRICE_CHANGED and the new price, nothing is charged, and the sheet asks again.
"""

from __future__ import annotations

from dataclasses import dataclass

from openminis.errors import Conflict, InvalidArgument
from openminis.wallet.service import COIN


@dataclass(frozen=True)
class Price:
    amount: int  # minor units: whole coins, or cents (the currency's own minor unit)
    currency: str  # "COIN", or ISO 4217 for money
    coins: int | None = None  # what a top-up buys, when the price is a coin pack's

    def out(self) -> dict[str, int | str]:
        shown: dict[str, int | str] = {"amount": self.amount, "currency": self.currency}
        if self.coins is not None:
            shown["coins"] = self.coins
        return shown


class PriceChanged(Conflict):
    """The price is no longer the one the person confirmed: nothing was charged. The body carries
    the price now in effect, for the sheet to show and the person to confirm again."""

    code = "PRICE_CHANGED"

    def __init__(self, price: Price, what: str, *, coins_only: bool = False):
        if coins_only:
            # The price was the same: "the price is now 499 USD" sent a developer looking for a
            # change that was not there (a probe, dev54). The coins are the pack's all told.
            super().__init__(
                f"{what} gives {price.coins} coins in all (its bonus coins with them) for {price.amount}"
                f" {price.currency}; nothing was charged: confirm those coins",
                field="coins",
            )
        else:
            now = f"{price.amount} {price.currency}"
            super().__init__(f"the price of {what} is now {now}; nothing was charged: confirm the new price")
        self.price = price

    def body(self) -> dict[str, object]:
        return {**super().body(), "price": self.price.out()}


def confirm(now: Price, *, amount: int | None, currency: str | None, coins: int | None = None, what: str) -> int:
    """The amount to charge: ``now.amount``, if it is what the person confirmed (``amount`` in
    ``currency``, and for a coin pack the ``coins`` too). Raises otherwise."""
    if amount is None or currency is None:
        # Clients from before prices were confirmed: refused, never charged at a price they did not send.
        raise InvalidArgument("amount and currency are required: the price the person confirmed", field="amount")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise InvalidArgument("amount is a whole number in minor units", field="amount")
    if now.coins is not None and coins is None:
        # Without them, a pack that now gives fewer coins for the same price is bought unnoticed.
        raise InvalidArgument("coins is required: the coins the pack showed", field="coins")
    if (amount, currency.upper()) != (now.amount, now.currency):
        raise PriceChanged(now, what)
    if now.coins is not None and coins != now.coins:
        raise PriceChanged(now, what, coins_only=True)
    return now.amount


def coins(amount: int) -> Price:
    return Price(amount, COIN)
