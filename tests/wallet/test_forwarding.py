"""A forwarded wallet (a guest's, once it signed in to an account): what lands on it lands on the
account's, in transfers the ledger verifies, on SQLite and PostgreSQL, whoever remembers what of
the accounts; debits other than coins taken back find it empty."""

from __future__ import annotations

import pytest
from sqlalchemy import text, update

from openminis.errors import Conflict, InvalidArgument
from openminis.identity import accounts
from openminis.identity.models import User
from openminis.identity.service import new_user
from openminis.platform import Platform
from openminis.wallet import service as ledger
from openminis.wallet.models import Account, LedgerEntry
from openminis.wallet.service import COIN, InsufficientFunds, Leg
from tests.concurrency import race
from tests.wallet.test_ledger import fund


@pytest.fixture
def guest_and_account(platform) -> tuple[int, int]:
    """A guest's wallet with 300 coins and an account's with 100: the wallets' ids."""
    with platform.db.session() as session:
        guest, account = new_user(session).id, new_user(session, kind="full").id
        session.commit()
    return fund(platform, guest, 300), fund(platform, account, 100)


def close(platform, guest: int, account: int) -> int:
    with platform.db.session() as session:
        moved = ledger.close_into(session, guest, account, key=f"close:{guest}", kind="guest_coins")
        session.commit()
        return moved


def credit(platform, wallet: int, coins: int, key: str, kind: str = "refund") -> None:
    with platform.db.session() as session:
        issuance = ledger.account_id(session, "coin_issuance")
        ledger.transfer(session, key=key, kind=kind, currency=COIN, legs=[Leg(issuance, -coins), Leg(wallet, coins)])
        session.commit()


def debit(platform, wallet: int, coins: int, key: str, kind: str) -> None:
    with platform.db.session() as session:
        issuance = ledger.account_id(session, "coin_issuance")
        ledger.transfer(session, key=key, kind=kind, currency=COIN, legs=[Leg(wallet, -coins), Leg(issuance, coins)])
        session.commit()


def balances(platform, *wallets: int) -> tuple[int, ...]:
    with platform.db.session() as session:
        return tuple(ledger.balance(session, wallet, forwarded=False) for wallet in wallets)


def verified(platform) -> list[str]:
    with platform.db.session() as session:
        return ledger.verify(session).problems


def test_closing_a_wallet_moves_what_it_holds_and_forwards_what_comes_after(platform, guest_and_account):
    guest, account = guest_and_account
    assert close(platform, guest, account) == 300
    assert close(platform, guest, account) == 0  # once: the key's transfer is made
    credit(platform, guest, 40, "late-refund")
    assert balances(platform, guest, account) == (0, 440)
    with platform.db.session() as session:
        entries = session.query(LedgerEntry.account_id, LedgerEntry.amount).all()
        assert (guest, 40) not in entries and (account, 40) in entries  # the entry names where it landed
        assert ledger.balance(session, guest) == 440  # what a refund of the guest's coins may take
    assert verified(platform) == []


def test_a_debit_follows_the_forward_only_to_take_coins_back(platform, guest_and_account):
    guest, account = guest_and_account
    close(platform, guest, account)
    with pytest.raises(InsufficientFunds):  # a pass of the guest's renewing: not the account's to pay
        debit(platform, guest, 70, "renewal", kind="subscription")
    debit(platform, guest, 250, "refund-coins", kind="topup_refund")
    assert balances(platform, guest, account) == (0, 150)
    with pytest.raises(InsufficientFunds):  # up to what the account holds, as for its own coins
        debit(platform, guest, 151, "refund-coins-2", kind="topup_refund")
    assert balances(platform, guest, account) == (0, 150)
    assert verified(platform) == []


def test_a_retry_of_a_transfer_names_the_accounts_as_its_caller_knows_them(platform, guest_and_account):
    guest, account = guest_and_account
    credit(platform, guest, 10, "before")  # recorded on the guest's wallet
    close(platform, guest, account)
    credit(platform, guest, 20, "after")  # recorded on the account's
    credit(platform, guest, 10, "before")
    credit(platform, guest, 20, "after")
    assert balances(platform, guest, account) == (0, 430)
    with pytest.raises(Conflict):
        credit(platform, guest, 21, "after")
    assert verified(platform) == []


def test_a_forward_is_followed_to_its_end_and_never_in_a_loop(platform, guest_and_account):
    guest, account = guest_and_account
    with platform.db.session() as session:
        later = new_user(session, kind="full").id
        session.commit()
    other = fund(platform, later, 5)
    close(platform, guest, account)
    close(platform, account, other)  # the account, made a guest again, signed in to another
    credit(platform, guest, 7, "late")
    assert balances(platform, guest, account, other) == (0, 0, 412)
    with platform.db.session() as session, pytest.raises(Conflict):
        ledger.forward(session, other, guest)  # would come back to itself
    with platform.db.session() as session, pytest.raises(InvalidArgument):
        ledger.forward(session, other, ledger.account_id(session, "coin_issuance"))  # a wallet to a wallet only
    assert verified(platform) == []


def test_verify_finds_a_forwarded_wallet_that_holds_coins(platform, guest_and_account):
    guest, account = guest_and_account
    with platform.db.session() as session:
        session.execute(update(Account).where(Account.id == guest).values(forward_to=account))
        session.commit()
    assert any("forwards to" in problem and "holds 300" in problem for problem in verified(platform))


def test_a_process_that_remembers_the_guests_wallet_still_finds_it_forwarded(platform, settings, guest_and_account):
    """Two serving processes: each remembers account ids (wallet/service.py), one moves the guest
    to the account, the other credits the guest after it, from what it remembers."""
    guest, account = guest_and_account
    other = Platform(settings)
    try:
        with other.db.session() as session:  # the other process has met the guest's wallet
            assert ledger.account_id(session, "user_wallet", guest_owner(session, guest)) == guest
            session.commit()
        close(platform, guest, account)
        credit(other, guest, 60, "refund-elsewhere")
    finally:
        other.close()
    assert balances(platform, guest, account) == (0, 460)
    assert verified(platform) == []


def guest_owner(session, wallet: int) -> str:
    return session.get_one(Account, wallet).owner_id


def test_credits_racing_the_move_all_land_on_the_account(platform, guest_and_account):
    """Refunds to the guest while it signs in: each lands before the move (and moves with it) or
    after (and follows the forward), none on the guest after its balance was read."""
    guest, account = guest_and_account

    def attempt(worker: int, n: int) -> str:
        if worker == 0 and n == 0:
            close(platform, guest, account)
            return "closed"
        credit(platform, guest, 1, f"refund-{worker}-{n}")
        return "credited"

    outcomes = race(8, 5, attempt)
    assert outcomes == {"closed": 1, "credited": 39}
    assert balances(platform, guest, account) == (0, 439)
    assert verified(platform) == []
    with platform.db.session() as session:
        forwarded = session.execute(text("SELECT forward_to FROM accounts WHERE id = :id"), {"id": guest}).scalar()
        assert forwarded == account


def test_verify_finds_an_account_whose_wallet_forwards_to_anothers(platform, guest_and_account):
    """Only a guest that became another account forwards its wallet: an account's that forwards
    gives what is paid to it to another person (access55 made one by a race, since mended)."""
    guest, account = guest_and_account
    close(platform, guest, account)
    with platform.db.session() as session:
        guest_id, account_id = guest_owner(session, guest), guest_owner(session, account)
        assert accounts.verify(session) == []  # a guest forwarding, as it should
        session.execute(update(User).where(User.id == guest_id).values(kind="full"))
        assert accounts.verify(session) == [
            f"account {guest_id}'s wallet forwards to {account_id}'s: what is paid to it goes there"
        ]
