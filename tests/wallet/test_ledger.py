"""The ledger: balanced, idempotent transfers; no wallet below zero, also under concurrency."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from openminis.errors import Conflict, InvalidArgument
from openminis.identity.service import new_user
from openminis.wallet import service as ledger
from openminis.wallet.service import COIN, InsufficientFunds, Leg
from tests.concurrency import race


def fund(platform, user_id: str, coins: int) -> int:
    """Issue coins to a user's wallet; returns the wallet's account id."""
    with platform.db.session() as session:
        issuance = ledger.account(session, "coin_issuance")
        wallet = ledger.wallet(session, user_id)
        ledger.transfer(
            session,
            key=f"fund:{user_id}:{coins}",
            kind="grant",
            currency=COIN,
            legs=[Leg(issuance.id, -coins), Leg(wallet.id, coins)],
        )
        session.commit()
        return wallet.id


@pytest.fixture
def people(platform):
    with platform.db.session() as session:
        ids = [new_user(session).id for _ in range(2)]
        session.commit()
    return ids


def test_a_transfer_moves_value_and_the_ledger_verifies(platform, people):
    wallet_id = fund(platform, people[0], 500)
    with platform.db.session() as session:
        earnings = ledger.account(session, "developer_earnings", "dev-1")
        ledger.transfer(
            session, key="buy:1", kind="purchase", currency=COIN, legs=[Leg(wallet_id, -120), Leg(earnings.id, 120)]
        )
        session.commit()
        assert ledger.balance(session, wallet_id) == 380
        assert ledger.balance(session, earnings.id) == 120
        check = ledger.verify(session)
        assert check.ok, check.problems
        assert check.transfers == 2


def test_a_repeated_key_returns_the_first_transfer_and_moves_nothing_more(platform, people):
    wallet_id = fund(platform, people[0], 100)
    with platform.db.session() as session:
        earnings = ledger.account(session, "developer_earnings", "dev-1")
        legs = [Leg(wallet_id, -30), Leg(earnings.id, 30)]
        first = ledger.transfer(session, key="buy:same", kind="purchase", currency=COIN, legs=legs)
        session.commit()
        again = ledger.transfer(session, key="buy:same", kind="purchase", currency=COIN, legs=legs)
        session.commit()
        assert again.id == first.id
        assert ledger.balance(session, wallet_id) == 70
        with pytest.raises(Conflict):
            ledger.transfer(
                session,
                key="buy:same",
                kind="purchase",
                currency=COIN,
                legs=[Leg(wallet_id, -31), Leg(earnings.id, 31)],
            )


def test_a_wallet_never_goes_below_zero_and_a_refused_transfer_writes_nothing(platform, people):
    wallet_id = fund(platform, people[0], 50)
    with platform.db.session() as session:
        earnings = ledger.account(session, "developer_earnings", "dev-1")
        with pytest.raises(InsufficientFunds):
            ledger.transfer(
                session,
                key="too-much",
                kind="purchase",
                currency=COIN,
                legs=[Leg(wallet_id, -51), Leg(earnings.id, 51)],
            )
        session.commit()
        assert ledger.balance(session, wallet_id) == 50
        assert ledger.balance(session, earnings.id) == 0
        assert ledger.verify(session).transfers == 1


@pytest.mark.parametrize(
    "legs",
    [[Leg(1, -10), Leg(2, 9)], [Leg(1, -10)], [Leg(1, 10), Leg(1, -10)], [Leg(1, -1.5), Leg(2, 1.5)]],
    ids=["unbalanced", "one-account", "same-account", "fractional"],
)
def test_malformed_transfers_are_refused(session, legs):
    with pytest.raises(InvalidArgument):
        ledger.transfer(session, key="bad", kind="purchase", currency=COIN, legs=legs)


def test_the_database_itself_refuses_an_overdraft(platform, people):
    wallet_id = fund(platform, people[0], 10)
    with platform.db.session() as session, pytest.raises(Exception, match=r"(?i)check|constraint"):
        session.execute(text("UPDATE accounts SET balance = -1 WHERE id = :id"), {"id": wallet_id})
        session.commit()


def test_verify_finds_a_cached_balance_that_disagrees_with_its_entries(platform, people):
    wallet_id = fund(platform, people[0], 10)
    with platform.db.session() as session:
        session.execute(text("UPDATE accounts SET balance = 11 WHERE id = :id"), {"id": wallet_id})
        session.commit()
        problems = ledger.verify(session).problems
    assert any("caches 11 but its entries sum to 10" in p for p in problems)
    assert any("sum to 1, not 0" in p for p in problems)


@pytest.mark.slow
def test_200_concurrent_spends_against_a_wallet_that_covers_100_pay_exactly_100(platform, people):
    wallet_id = fund(platform, people[0], 100 * 7)
    with platform.db.session() as session:
        earnings_id = ledger.account(session, "developer_earnings", "dev-1").id
        fee_id = ledger.account(session, "platform_revenue").id
        session.commit()

    def spend(worker: int, n: int) -> str:
        with platform.db.session() as session:
            try:
                ledger.transfer(
                    session,
                    key=f"spend:{worker}:{n}",
                    kind="purchase",
                    currency=COIN,
                    legs=[Leg(wallet_id, -7), Leg(earnings_id, 5), Leg(fee_id, 2)],
                )
                session.commit()
                return "paid"
            except InsufficientFunds:
                session.rollback()
                return "refused"

    outcomes = race(workers=20, attempts=10, attempt=spend)
    assert outcomes == {"paid": 100, "refused": 100}
    with platform.db.session() as session:
        assert ledger.balance(session, wallet_id) == 0
        assert ledger.balance(session, earnings_id) == 500
        check = ledger.verify(session)
        assert check.ok, check.problems
