"""The payout terms the platform publishes: the hold, the rates, the minimums, and the limit
under which payouts are approved without finance. Rows are only added; the latest is in effect,
and each payout records the rate it was requested at.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from openminis.db import take_turns, utcnow
from openminis.errors import InvalidArgument
from openminis.payouts.models import PayoutPolicy

COIN, USD_MICROS = "COIN", "USD_MICROS"
SOURCES = (COIN, USD_MICROS)  # the earnings currencies that pay out
MILLION = 1_000_000

# A coin pays what it costs a person in the pack of 100 (USD 0.99 for 100, so a cent); ad
# earnings are dollars already. Operators publish their own in /admin.
DEFAULT_HOLD_DAYS = 14
DEFAULT_RATES = {
    "USD": {COIN: 1_000_000, USD_MICROS: 100},
    "EUR": {COIN: 920_000, USD_MICROS: 92},
    "GBP": {COIN: 790_000, USD_MICROS: 79},
}
DEFAULT_MINIMUMS = {"USD": 1000, "EUR": 1000, "GBP": 1000}
DEFAULT_AUTO_APPROVE_BELOW = {"USD": 0, "EUR": 0, "GBP": 0}  # 0: finance approves every payout


@dataclass(frozen=True)
class Policy:
    hold_days: int
    rates: dict[str, dict[str, int]]
    minimums: dict[str, int]
    auto_approve_below: dict[str, int]

    def rate(self, source: str, currency: str) -> int:
        rate = self.rates.get(currency, {}).get(source)
        if not rate:
            raise InvalidArgument(f"the platform pays no {source} earnings in {currency}", field="currency")
        return rate

    def converted(self, source: str, amount: int, currency: str) -> tuple[int, int]:
        """What ``amount`` of earnings pays in ``currency`` (floored to a minor unit), and the least
        earnings that pay exactly that: only those are taken, the rest stays in the balance."""
        rate = self.rate(source, currency)
        money = amount * rate // MILLION
        taken = -(-money * MILLION // rate)  # ceiling: the fewest units that pay ``money``
        return money, taken

    def auto_approves(self, currency: str, amount: int) -> bool:
        return amount < self.auto_approve_below.get(currency, 0)


DEFAULT = Policy(DEFAULT_HOLD_DAYS, DEFAULT_RATES, DEFAULT_MINIMUMS, DEFAULT_AUTO_APPROVE_BELOW)


def current(session: Session) -> Policy:
    row = session.scalars(select(PayoutPolicy).order_by(PayoutPolicy.id.desc()).limit(1)).first()
    if row is None:
        return DEFAULT
    return Policy(row.hold_days, dict(row.rates), dict(row.minimums), dict(row.auto_approve_below))


def publish(
    session: Session,
    *,
    hold_days: int,
    rates: dict[str, dict[str, int]],
    minimums: dict[str, int],
    auto_approve_below: dict[str, int],
    by: str,
) -> tuple[Policy, Policy]:
    """New payout terms, in effect at once for payouts requested from now on. ``rates`` is the
    whole table (the currencies paid in); ``minimums`` and ``auto_approve_below`` change only the
    currencies they name: the others keep theirs (a currency new to the rates starts at 0).
    Returns the terms before and after."""
    if not 0 <= hold_days <= 365:
        raise InvalidArgument("the hold is 0 to 365 days", field="hold_days")
    if not rates:
        raise InvalidArgument("publish a rate for at least one currency", field="rates")
    for currency, per_source in rates.items():
        _currency(currency, "rates")
        if not per_source or set(per_source) - set(SOURCES):
            raise InvalidArgument(f"rates of {currency} are per earnings currency: {', '.join(SOURCES)}", field="rates")
        for source, rate in per_source.items():
            _count(rate, f"rates.{currency}.{source}", least=1)
    for name, amounts in (("minimums", minimums), ("auto_approve_below", auto_approve_below)):
        for currency, amount in amounts.items():
            if currency not in rates:
                raise InvalidArgument(f"{name} names {currency}, which has no rate", field=name)
            _count(amount, f"{name}.{currency}", least=0)
    # Two changes at once take turns: each keeps what the other named, never the terms from before both.
    take_turns(session, "payout-policy")
    before = current(session)
    row = PayoutPolicy(
        hold_days=hold_days,
        rates=rates,
        minimums={currency: minimums.get(currency, before.minimums.get(currency, 0)) for currency in rates},
        auto_approve_below={
            currency: auto_approve_below.get(currency, before.auto_approve_below.get(currency, 0)) for currency in rates
        },
        created_at=utcnow(),
        created_by=by[:200],
    )
    session.add(row)
    session.flush()
    return before, current(session)


def _currency(code: str, field: str) -> None:
    if len(code) != 3 or not code.isascii() or not code.isalpha() or not code.isupper():
        raise InvalidArgument(f"{code!r} is not an ISO 4217 currency code (three capital letters)", field=field)


def _count(value: object, field: str, *, least: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not least <= value <= 10**12:
        raise InvalidArgument(f"{field} is a whole number from {least} to 10^12", field=field)
