"""Hot accounts: a sale's credits to an app's earnings and the platform's revenue are pending
entries, folded into the balances in batches, so that sales never queue on those two rows; every
read counts what is pending, a debit spends it, and nothing is lost or counted twice, also when
sales, refunds and the posting job run at once."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import func, select, text

from openminis.wallet import service as ledger
from openminis.wallet.models import Account, LedgerEntry
from openminis.wallet.posting import post_all
from openminis.wallet.service import COIN, InsufficientFunds, Leg
from tests.concurrency import race


def cached(session, account_id: int) -> int:
    return session.scalar(
        select(Account.balance).where(Account.id == account_id).execution_options(populate_existing=True)
    )


def pending(session) -> int:
    return session.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.pending))


def sell(session, shop, key: str, price: int = 10, fee: int = 3) -> None:
    wallet, earnings, revenue = shop
    ledger.transfer(
        session,
        key=key,
        kind="purchase",
        currency=COIN,
        legs=[Leg(wallet, -price), Leg(earnings, price - fee), Leg(revenue, fee)],
        nested=False,
    )


def test_a_sale_credits_earnings_as_pending_entries_that_every_read_counts(platform, shop):
    wallet, earnings, revenue = shop
    with platform.db.session() as session:
        sell(session, shop, "sale:1")
        session.commit()
        # The person's wallet moved at once; the two shared rows were not touched.
        assert cached(session, wallet) == 990
        assert (cached(session, earnings), cached(session, revenue)) == (0, 0)
        assert pending(session) == 2
        assert (ledger.balance(session, earnings), ledger.balance(session, revenue)) == (7, 3)
        assert ledger.balances(session, "app_earnings", "hot-app", [COIN]) == {COIN: 7}
        assert [
            a.balance for a in ledger.owned(session, kinds=["app_earnings"], owners=["hot-app"], currency=COIN)
        ] == [7]
        check = ledger.verify(session)
        assert check.ok, check.problems

    assert post_all(platform.db, platform.settings.posting_batch) == 2
    with platform.db.session() as session:
        assert (cached(session, earnings), cached(session, revenue)) == (7, 3)
        assert pending(session) == 0
        assert (ledger.balance(session, earnings), ledger.balance(session, revenue)) == (7, 3)
        assert ledger.verify(session).ok
    assert post_all(platform.db, platform.settings.posting_batch) == 0  # folded once


def test_a_debit_of_earnings_spends_pending_credits_and_never_more(platform, shop):
    wallet, earnings, revenue = shop
    with platform.db.session() as session:
        for n in range(3):
            sell(session, shop, f"sale:{n}")  # 21 coins of earnings, all pending
        session.commit()
        give_back = [Leg(wallet, 21), Leg(earnings, -21)]
        with pytest.raises(InsufficientFunds):
            ledger.transfer(
                session, key="refund:too-much", kind="refund", currency=COIN, legs=[Leg(wallet, 22), Leg(earnings, -22)]
            )
        session.rollback()
        ledger.transfer(session, key="refund:all", kind="refund", currency=COIN, legs=give_back)
        session.commit()
        assert ledger.balance(session, earnings) == 0
        assert cached(session, earnings) == 0  # the debit folded what was pending, then spent it
        assert ledger.balance(session, revenue) == 9  # still pending: nothing debited it
        check = ledger.verify(session)
        assert check.ok, check.problems


def test_verify_finds_a_pending_entry_on_an_account_that_may_not_have_one(platform, shop):
    wallet, _earnings, _revenue = shop
    with platform.db.session() as session:
        session.execute(
            text("UPDATE ledger_entries SET pending = :yes WHERE account_id = :id"), {"yes": True, "id": wallet}
        )
        session.commit()
        problems = ledger.verify(session).problems
    assert any("pending, which it may not" in p for p in problems)


@pytest.mark.slow
def test_sales_refunds_and_posting_at_once_lose_nothing_and_count_nothing_twice(platform, shop):
    """On PostgreSQL the threads really interleave: sales write pending credits while refunds fold
    and debit the earnings and two posting jobs fold in batches, on the same rows."""
    wallet, earnings, revenue = shop
    refunds = itertools.count()

    def work(worker: int, n: int) -> str:
        with platform.db.session() as session:
            if worker < 2:  # two posting jobs
                folded = ledger.post_pending(session, limit=7)
                session.commit()
                return "posted" if folded else "idle"
            if worker == 2:  # a refund desk: gives 4 of a sale's 7 back, when the earnings cover it
                try:
                    ledger.transfer(
                        session,
                        key=f"refund:{next(refunds)}",
                        kind="refund",
                        currency=COIN,
                        legs=[Leg(wallet, 4), Leg(earnings, -4)],
                    )
                    session.commit()
                    return "refunded"
                except InsufficientFunds:
                    session.rollback()
                    return "nothing to refund"
            sell(session, shop, f"sale:{worker}:{n}")
            session.commit()
            return "sold"

    outcomes = race(workers=12, attempts=10, attempt=work)
    assert outcomes["sold"] == 90
    post_all(platform.db, platform.settings.posting_batch)
    with platform.db.session() as session:
        refunded = outcomes["refunded"] * 4
        assert ledger.balance(session, wallet) == 1000 - 900 + refunded
        assert ledger.balance(session, earnings) == 90 * 7 - refunded
        assert ledger.balance(session, revenue) == 90 * 3
        assert pending(session) == 0
        assert (cached(session, earnings), cached(session, revenue)) == (90 * 7 - refunded, 90 * 3)
        check = ledger.verify(session)
        assert check.ok, check.problems
