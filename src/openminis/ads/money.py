"""Ad money: micros of US dollars, on the ledger in a currency of their own.

An impression costs a fraction of a cent (a $5.00 CPM is half a cent per impression), so every ad
amount is an integer number of millionths of a dollar, ledger currency ``"USD_MICROS"``: bids
and budgets are given in micros of USD, e.g. a $5.00 CPM is ``5_000_000``. Ad money never meets
coins: it moves between its own accounts, from an advertiser's funds to the app's ad earnings
and the platform's ad revenue.
"""

from __future__ import annotations

from datetime import timedelta

USD_MICROS = "USD_MICROS"
MICROS_PER_DOLLAR = 1_000_000
# The platform's reserve: a paid bid is at least this CPM and a paid impression clears at no less,
# so that every paid impression costs at least one micro.
MIN_PAID_CPM = 1_000

# A rewarded ad earns its reward (and its creator's commission) only if it is completed within
# this long of its impression. The app's ad earnings of this last stretch stay in the payout hold
# (payouts/service.py), so the commission, taken at completion, is always there to take.
REWARD_WINDOW = timedelta(hours=1)

# Ledger account kinds. ``advertiser_funding`` is the outside world (it may go negative).
ADVERTISER_FUNDING = "advertiser_funding"
ADVERTISER_FUNDS = "advertiser_funds"
APP_AD_EARNINGS = "app_ad_earnings"
PLATFORM_AD_REVENUE = "platform_ad_revenue"


def impression_price(cpm: int) -> int:
    """What one impression costs at a CPM: a thousandth of it, rounded down (never above the bid)."""
    return cpm // 1000


def split(price: int, developer_share_bps: int) -> tuple[int, int]:
    """(developer, platform): the developer's part rounded down, the platform takes the rest."""
    developer = price * developer_share_bps // 10_000
    return developer, price - developer
