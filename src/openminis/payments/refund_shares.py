"""How a refund is shared among the parties a charge paid: the app, the platform's fee, a creator's
commission.

A charge of ``total`` coins paid each party its share. When part of it is refunded, each party
gives back part of its share, and three things must hold however the refunds are split: the parts
of one refund add up to what it gives back; no party ever gives back more than it received, or
less than it already had (a refund that credited a party would pay it twice); and once everything
is refunded, each party has given back exactly its share.

Rounding each share on its own cannot keep all three with more than two parties: rounded down, the
small shares lag and the party that takes the remainder gives back more than it received before the
end (a probe: after 19 one-coin refunds of a 20-coin sale, the app had given back 14 of its 13), and
the last refund credits it. So the coins are lined up instead: every coin of the charge gets a place
in one line, each party's coins spread evenly along it (the j-th of a share of p coins at
(j - 1/2) / p of the way, as in Sainte-Laguë's apportionment; ties go to the earlier party), and
once ``returned`` coins in all are refunded, each party has given back its coins among the first
``returned`` of the line. The line does not depend on how the refunds are split, so a refund's
parts are the differences of two such counts.
"""

from __future__ import annotations

from collections.abc import Sequence


def given_back(shares: Sequence[int], returned: int) -> list[int]:
    """What each party has given back, in all, once ``returned`` of the ``sum(shares)`` coins it was
    paid are refunded: never more than its share, never less than at any smaller ``returned``, and
    summing to ``returned``."""
    if any(share < 0 for share in shares) or not 0 <= returned <= sum(shares):
        raise ValueError(f"cannot give back {returned} of shares {list(shares)}")
    return [_coins_within(shares, party, returned) for party in range(len(shares))]


def parts(shares: Sequence[int], before: int, after: int) -> list[int]:
    """Each party's part of one refund that brings the coins refunded in all from ``before`` to ``after``."""
    return [now - then for now, then in zip(given_back(shares, after), given_back(shares, before), strict=True)]


def _coins_within(shares: Sequence[int], party: int, returned: int) -> int:
    """How many of ``party``'s coins are among the first ``returned`` of the line: the places of its
    coins grow with their number, so the last that fits is found by bisection."""
    low, high = 0, shares[party]  # low coins fit; find the most
    while low < high:
        middle = (low + high + 1) // 2
        if _place(shares, party, middle) <= returned:
            low = middle
        else:
            high = middle - 1
    return low


def _place(shares: Sequence[int], party: int, coin: int) -> int:
    """The place in the line (from 1) of ``party``'s ``coin``-th coin (from 1).

    Its position is (2 * coin - 1) / (2 * share); another party's m-th coin comes before it when
    (2m - 1) / (2 * other) is smaller, or equal and that party is earlier. In whole numbers, with
    x = (2 * coin - 1) * other: (2m - 1) * share < x, that is 2m - 1 <= (x - 1) // share (<= x // share
    for an earlier party); so the coins before it number ((x - 1) // share + 1) // 2, at most ``other``."""
    share = shares[party]
    place = coin  # its own earlier coins, and itself
    for other_party, other in enumerate(shares):
        if other_party == party or other == 0:
            continue
        x = (2 * coin - 1) * other
        last = x // share if other_party < party else (x - 1) // share
        place += min(other, (last + 1) // 2)
    return place
