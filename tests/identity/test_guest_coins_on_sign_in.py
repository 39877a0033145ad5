"""A guest who signs in to an existing account brings its coins: the guest's whole balance moves to
the account in one ledger transfer, keyed by the guest, so a retry (or sign-ins at once) moves it
once, and nothing is left on a guest no cookie reaches any more.

A probe (finding 1 of the money review): a guest topped up 1200 coins, then signed in with the
password of their own account; the browser became the account with 0 coins, and the 1200 stayed on
the guest, which no cookie reached after that (signing out gives a new, empty guest). The sign-in
link to an existing account did the same, and its page said so; the password forms said nothing.
"""

from __future__ import annotations

from datetime import timedelta

from starlette.testclient import TestClient

from openminis.db import utcnow
from openminis.wallet import service as ledger
from tests.identity.links import ask_for_link, confirm, who
from tests.studio import balance, browser, csrf_of, sign_up, top_up

PASSWORD = "correct horse battery"


def account(client: TestClient, email: str) -> str:
    """An account that proved its email, signed out: the id of the account."""
    owner = browser(client)
    sign_up(owner, email, PASSWORD)
    account_id = who(owner)["id"]
    owner.post("/api/account/sign-out", headers=csrf_of(owner))
    return account_id


def guest_with_coins(client: TestClient, pack: str = "coins-1200") -> tuple[TestClient, str, int]:
    guest = browser(client)
    paid = top_up(guest, pack)
    assert paid["status"] == "succeeded", paid
    return guest, who(guest)["id"], balance(guest)


def password_sign_in(browser_: TestClient, email: str):
    return browser_.post("/api/account/sign-in", json={"email": email, "password": PASSWORD}, headers=csrf_of(browser_))


def coins_of(client: TestClient, user_id: str) -> int:
    with client.app.platform.db.session() as session:
        return ledger.wallet_balance(session, user_id)


def ledger_verifies(client: TestClient) -> bool:
    with client.app.platform.db.session() as session:
        return ledger.verify(session).ok


def test_a_guest_signing_in_with_a_password_brings_its_coins_to_the_account(client):
    account_id = account(client, "dana@example.com")
    guest, guest_id, coins = guest_with_coins(client)
    assert coins == 1200

    signed_in = password_sign_in(guest, "dana@example.com")
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["user"]["id"] == account_id
    assert balance(guest) == 1200
    assert coins_of(client, guest_id) == 0  # nothing left where no cookie reaches
    assert signed_in.json()["guest_coins_added"] == 1200  # the answer says where the coins went
    history = guest.get("/api/wallet/history").json()["items"]
    assert [(item["kind"], item["amount"]) for item in history][:1] == [("guest_coins", 1200)]
    assert ledger_verifies(client)

    # Signed out, the browser is a new guest with nothing; signed in again, the coins are there.
    guest.post("/api/account/sign-out", headers=csrf_of(guest))
    assert balance(guest) == 0
    assert password_sign_in(guest, "dana@example.com").json()["guest_coins_added"] == 0
    assert balance(guest) == 1200


def test_a_guest_confirming_a_sign_in_link_to_an_existing_account_brings_its_coins(client):
    account_id = account(client, "erin@example.com")
    guest, guest_id, coins = guest_with_coins(client, "coins-550")

    confirmed = confirm(guest, ask_for_link(guest, "erin@example.com"))
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["user"]["id"] == account_id
    assert balance(guest) == coins and coins_of(client, guest_id) == 0
    assert confirmed.json()["guest_coins_added"] == coins
    assert ledger_verifies(client)


def test_the_link_page_says_the_guests_coins_will_be_added_to_the_account(client):
    account(client, "fay@example.com")
    guest, _, coins = guest_with_coins(client, "coins-550")
    page = guest.get("/account/link", params={"token": ask_for_link(guest, "fay@example.com")})
    assert page.status_code == 200
    assert "stay with the guest" not in page.text
    assert f"The {coins} coins this browser has as a guest will be added to the account." in page.text


def test_a_link_asked_for_in_another_browser_does_not_take_a_guests_coins(client):
    """An attack on this rule's first form: an account asked for a sign-in link to itself and sent it
    to a guest holding 1200 coins; the guest pressed Sign in, and the sender's account had the coins.
    A guest with coins signs in only with a link asked for in its own browser, or its password."""
    attacker_id = account(client, "sender@example.com")
    sender = browser(client)
    token = ask_for_link(sender, "sender@example.com")
    victim, victim_id, coins = guest_with_coins(client)

    page = victim.get("/account/link", params={"token": token})
    assert "To keep them, ask for a sign-in link on Me in this browser" in page.text
    assert "will be added to the account" not in page.text and 'type="submit"' not in page.text
    refused = confirm(victim, token)
    assert (refused.status_code, refused.json()["code"]) == (409, "LINK_FROM_ANOTHER_BROWSER")
    assert who(victim)["id"] == victim_id and balance(victim) == coins
    assert coins_of(client, attacker_id) == 0

    # The link is not spent: the browser that asked for it still signs in with it.
    assert confirm(sender, token).json()["user"]["id"] == attacker_id


def test_a_retried_sign_in_of_the_same_guest_moves_its_coins_once(client):
    """The answer to the first sign-in was lost: the browser still has the guest's cookie and signs
    in again. The coins moved once; the guest has none left to move."""
    account(client, "gus@example.com")
    guest, guest_id, _ = guest_with_coins(client)
    retry = TestClient(client.app, base_url="http://localhost:8000", cookies=dict(guest.cookies))

    assert password_sign_in(guest, "gus@example.com").json()["guest_coins_added"] == 1200
    again = password_sign_in(retry, "gus@example.com")
    assert again.status_code == 200, again.text
    assert again.json()["guest_coins_added"] == 0
    assert balance(retry) == 1200 and coins_of(client, guest_id) == 0
    assert ledger_verifies(client)


def test_an_account_signing_in_to_another_keeps_its_own_coins(client):
    """Only a guest's coins move: an account's are its own, reached again by signing in to it."""
    account(client, "hal@example.com")
    other = browser(client)
    top_up(other, "coins-550")
    sign_up(other, "ivy@example.com", PASSWORD)
    ivy = who(other)["id"]

    answer = password_sign_in(other, "hal@example.com")
    assert answer.status_code == 200 and answer.json()["guest_coins_added"] == 0
    assert balance(other) == 0 and coins_of(client, ivy) == 550


def test_a_guest_without_coins_signs_in_and_nothing_moves(client):
    account(client, "jo@example.com")
    guest = browser(client)
    answer = password_sign_in(guest, "jo@example.com")
    assert answer.status_code == 200 and answer.json()["guest_coins_added"] == 0
    assert guest.get("/api/wallet/history").json()["items"] == []


def test_a_top_up_still_being_paid_when_the_guest_signs_in_arrives_on_the_account(client, platform):
    """A guest's bank transfer (the sandbox's delayed card) was still settling when it signed in:
    its coins arrived later on the guest, which no cookie reaches any more. The guest's open top-ups
    become the account's at sign-in, so the coins land where the browser is."""
    email = "settling@example.com"
    account(client, email)
    guest, _, had = guest_with_coins(client, "coins-100")
    pending = top_up(guest, "coins-550", card="4000000000000077")
    assert pending["status"] == "pending", pending
    assert password_sign_in(guest, email).json()["guest_coins_added"] == had

    platform.worker(clock=lambda: utcnow() + timedelta(seconds=6)).drain()  # the transfer arrives
    assert balance(guest) == had + pending["coins"]
    assert guest.get(f"/api/wallet/topups/{pending['id']}").json()["status"] == "succeeded"
    assert ledger_verifies(client)
