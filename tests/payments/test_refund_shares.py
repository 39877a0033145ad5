"""The refund's line (payments/refund_shares.py): however a charge's refunds are split, each party
gives back a part of its share that never passes it and never shrinks, the parts of each refund add
up to the refund, and each share is given back exactly at the end."""

from __future__ import annotations

import itertools
import random
from fractions import Fraction

import pytest

from openminis.payments.refund_shares import given_back, parts

# The probe's sale (the app 13, the fee 6, a creator's 1 of 20), shares of one coin or none, a share
# that is the whole charge, and shares with common factors (ties in the line).
SHARES = [(13, 6, 1), (14, 6, 0), (0, 0, 5), (1, 1, 1), (70, 30, 7), (2, 4, 6, 8), (699, 300, 1), (1, 0, 1)]
RANDOM = [random.Random(seed) for seed in range(40)]
SHARES += [shares for r in RANDOM if sum(shares := tuple(r.randint(0, 40) for _ in range(r.randint(1, 5))))]


def line(shares: tuple[int, ...]) -> list[int]:
    """The line written out: every coin's party, in order of position (then party)."""
    coins = [(Fraction(2 * j - 1, 2 * share), party) for party, share in enumerate(shares) for j in range(1, share + 1)]
    return [party for _, party in sorted(coins)]


@pytest.mark.parametrize("shares", SHARES, ids=str)
def test_each_party_has_given_back_its_coins_among_the_first_of_the_line(shares):
    order = line(shares)
    for returned in range(sum(shares) + 1):
        expected = [order[:returned].count(party) for party in range(len(shares))]
        assert given_back(shares, returned) == expected


@pytest.mark.parametrize("shares", SHARES, ids=str)
def test_parts_never_pass_a_share_never_shrink_and_stay_near_the_proportion(shares):
    total = sum(shares)
    previous = [0] * len(shares)
    for returned in range(total + 1):
        now = given_back(shares, returned)
        assert sum(now) == returned
        assert all(then <= part <= share for then, part, share in zip(previous, now, shares, strict=True))
        # Within one coin of the exact proportion, either way.
        assert all(abs(part * total - share * returned) < total for part, share in zip(now, shares, strict=True))
        previous = now
    assert previous == list(shares)


def test_refunds_split_any_way_give_back_the_same_in_the_end():
    shares = (13, 6, 1)
    for cuts in itertools.combinations(range(1, 20), 3):
        points = [0, *cuts, 20]
        given = [0, 0, 0]
        for before, after in itertools.pairwise(points):
            part = parts(shares, before, after)
            assert sum(part) == after - before and min(part) >= 0
            given = [g + p for g, p in zip(given, part, strict=True)]
        assert given == [13, 6, 1]


@pytest.mark.parametrize("shares, returned", [((5, -1), 1), ((3, 2), 6), ((3, 2), -1)])
def test_a_refund_beyond_the_charge_or_a_negative_share_is_refused(shares, returned):
    with pytest.raises(ValueError):
        given_back(shares, returned)
