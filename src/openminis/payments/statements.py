"""Statements: what an app earned in a period, line by line, each line a sum of the ledger's own
entries (so a statement cannot disagree with the books).

Seen from the app's accounts, for the transfers made in [start, end): the coins people paid
(purchases, episode and series unlocks, pass periods), the platform's fee and the creators'
commissions taken from them, refunds and the parts of fee and commission they took back, and the
net: the change of the app's coin earnings. Ad revenue is the app's share of its ads' prices in
USD micros, less the creators' commissions on rewarded ads.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, fields
from datetime import datetime

from sqlalchemy.orm import Session

from openminis.attribution.service import CREATOR_EARNINGS
from openminis.errors import InvalidArgument
from openminis.payments import coupons
from openminis.wallet import service as ledger

APP_EARNINGS = "app_earnings"
# ads.money.APP_AD_EARNINGS (ads sits above payments, so the name is repeated here; a test holds them equal).
APP_AD_EARNINGS = "app_ad_earnings"
SALES = {"purchase": "purchases", "drama_unlock": "unlocks", "subscription": "passes"}
# payouts/service.py's transfers out of the earnings and back (payouts sits above; a test holds them its own).
PAYOUTS = ("payout_request", "payout_return")


@dataclass
class StatementLine:
    app_id: str
    purchases: int = 0  # how many
    purchases_gross: int = 0  # coins
    unlocks: int = 0  # episode and series unlocks
    unlocks_gross: int = 0
    passes: int = 0  # pass periods
    passes_gross: int = 0
    gross: int = 0  # all the coins people paid
    platform_fee: int = 0
    creator_commission: int = 0
    refunds: int = 0  # coins given back
    refunded_fee: int = 0
    refunded_commission: int = 0
    # Coupons on the app's sales, less what refunds gave back of them: the platform's (paid by its
    # promotion budget, on top of what people paid) and the developer's (out of the app's share).
    platform_coupons: int = 0
    developer_coupons: int = 0
    # Coins taken out of the earnings by payouts, less payouts that failed and came back: shown as
    # "other movements", a payout made a producer's net read 295 where the app earned 1,495 (a probe, dev53).
    paid_out: int = 0
    other: int = 0  # any other movement of the app's coin earnings
    net: int = 0  # the change of the app's coin earnings
    ad_revenue: int = 0  # USD micros: the app's share of its ads' prices
    ad_commission: int = 0  # USD micros paid to creators on rewarded ads
    ad_net: int = 0  # USD micros: the change of the app's ad earnings

    def add(self, other: StatementLine) -> None:
        for field in fields(self):
            if field.name != "app_id":
                setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))


def statement(session: Session, app_ids: list[str], start: datetime, end: datetime) -> list[StatementLine]:
    """One line per app, in the order given."""
    if end <= start:
        raise InvalidArgument("the period must end after it starts", field="end")
    lines = {app_id: StatementLine(app_id) for app_id in app_ids}
    if not app_ids:
        return []
    for move in ledger.movements(session, kinds=(APP_EARNINGS, APP_AD_EARNINGS), owners=app_ids, start=start, end=end):
        line = lines[move.owner_id]
        if move.currency != ledger.COIN:
            if move.account_kind == "self":
                line.ad_net += move.amount
                if move.transfer_kind == "ad_impression":
                    line.ad_revenue += move.amount
            elif move.account_kind == CREATOR_EARNINGS:
                line.ad_commission += move.amount
            continue
        if move.transfer_kind in SALES:
            if move.account_kind == "user_wallet":
                line.gross -= move.amount
                name = SALES[move.transfer_kind]
                setattr(line, f"{name}_gross", getattr(line, f"{name}_gross") - move.amount)
                setattr(line, name, getattr(line, name) + move.transfers)
            elif move.account_kind == "platform_revenue":
                line.platform_fee += move.amount
            elif move.account_kind == CREATOR_EARNINGS:
                line.creator_commission += move.amount
            elif move.account_kind == coupons.FUNDING:
                line.platform_coupons -= move.amount
        elif move.transfer_kind == "refund":
            if move.account_kind == "user_wallet":
                line.refunds += move.amount
            elif move.account_kind == "platform_revenue":
                line.refunded_fee -= move.amount
            elif move.account_kind == CREATOR_EARNINGS:
                line.refunded_commission -= move.amount
            elif move.account_kind == coupons.FUNDING:
                line.platform_coupons -= move.amount
        if move.account_kind == "self":
            line.net += move.amount
            if move.transfer_kind in PAYOUTS:
                line.paid_out -= move.amount
            elif move.transfer_kind not in SALES and move.transfer_kind != "refund":
                line.other += move.amount
    for app_id, funded in coupons.funded(session, app_ids, start, end).items():
        lines[app_id].developer_coupons += funded
    return [lines[app_id] for app_id in app_ids]


def total(lines: list[StatementLine], label: str = "total") -> StatementLine:
    whole = StatementLine(label)
    for line in lines:
        whole.add(line)
    return whole


COLUMNS = [field.name for field in fields(StatementLine)]


def to_csv(lines: list[StatementLine], start: datetime, end: datetime) -> str:
    """The lines as CSV: coins, and the ad columns in USD micros; the period in every row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([*COLUMNS, "start", "end"])
    for line in lines:
        values = asdict(line)
        writer.writerow([*(values[column] for column in COLUMNS), start.isoformat(), end.isoformat()])
    return buffer.getvalue()
