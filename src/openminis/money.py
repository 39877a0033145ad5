"""Amounts of money as people read them. The platform keeps every amount in the currency's minor
units (DESIGN.md, "Money"); a message that said "this payout pays 1495 USD" meant $14.95, and finance
copying it into a ticket was off a hundredfold (a probe, dev53)."""

from __future__ import annotations

# ISO 4217's minor units where they are not 2 (the currencies in use; a code not listed has 2).
_DECIMALS = {
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI"), 0),
    **dict.fromkeys(("VND", "VUV", "XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    "CLF": 4,
    "UYW": 4,
}


def decimals(currency: str) -> int:
    return _DECIMALS.get(currency.upper(), 2)


def as_text(minor: int, currency: str) -> str:
    """``1495, "USD"`` is "14.95 USD"; ``800, "JPY"`` is "800 JPY"; coins are "12 coins"."""
    if currency == "COIN":
        return f"{minor:,} coin" + ("" if minor == 1 else "s")
    places = decimals(currency)
    sign, whole = ("-" if minor < 0 else ""), abs(minor)
    if places == 0:
        return f"{sign}{whole:,} {currency}"
    units, cents = divmod(whole, 10**places)
    return f"{sign}{units:,}.{cents:0{places}d} {currency}"
