"""A guest that signs in to an account joins it for good, on SQLite and PostgreSQL: its coins move
there, and so does every coin that reaches the guest later, whatever credits it; a refund of its
top-up takes the coins back from the account; and every session of the guest ends.

Once the guest's coins came along at the sign-in, its session still stayed alive and its wallet
kept taking coins no cookie reached any more: a developer's refund of an order the guest had
bought, a late payment of a top-up marked failed. And staff's refund of the guest's top-up was
refused as "spent", the coins being on the account.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from starlette.testclient import TestClient

from openminis.db import utcnow
from openminis.drama.models import Subscription
from openminis.identity.models import User
from openminis.identity.service import new_session
from openminis.payments import reversals
from openminis.payments.models import TopUp
from openminis.unit_of_work import unit_of_work
from tests.identity.links import ask_for_link, confirm, who
from tests.identity.test_guest_coins_on_sign_in import PASSWORD, account, coins_of, ledger_verifies, password_sign_in
from tests.payments.test_money_admin import PASS_PRICE, drama_items, staff_member, subscribe
from tests.payments.test_topups_do_not_outlive_the_account import delete_account, provider_refunds
from tests.studio import balance, browser, buy, csrf_of, put_product, register_app, shown_pack, sign_up, top_up

DECLINED = "4000 0000 0000 0002"


def guest_with(client: TestClient, pack: str = "coins-1200") -> tuple[TestClient, str, dict]:
    """A guest that bought a pack of coins: its browser, its id and the top-up."""
    guest = browser(client)
    topup = top_up(guest, pack)
    assert topup["status"] == "succeeded", topup
    return guest, who(guest)["id"], topup


def sign_in(guest: TestClient, email: str) -> dict:
    answer = password_sign_in(guest, email)
    assert answer.status_code == 200, answer.text
    return answer.json()


def declined_top_up(guest: TestClient, pack: str) -> dict:
    """A top-up whose card was declined: failed."""
    topup = guest.post("/api/wallet/topups", json=shown_pack(guest, pack), headers=csrf_of(guest))
    assert topup.status_code == 201, topup.text
    paid = guest.post(
        f"/api/wallet/topups/{topup.json()['id']}/sandbox/pay", json={"card_number": DECLINED}, headers=csrf_of(guest)
    )
    assert paid.status_code == 402, paid.text
    return topup.json()


def refund_as_staff(finance: TestClient, item: str, key: str, amount: int | None = None):
    body = {"item": item, "reason": "asked for it", "idempotency_key": key} | ({"amount": amount} if amount else {})
    return finance.post("/api/admin/money/refunds", json=body, headers=csrf_of(finance))


def test_refunds_of_what_the_guest_bought_reach_the_account_it_signed_in_to(client, studio):
    put_product(client, studio, "gem", price=100)
    account_id = account(client, "gail@example.com")
    guest, guest_id, _ = guest_with(client)
    order = buy(guest, studio.app_id, "gem", "gem-1", quantity=3).json()
    assert balance(guest) == 900

    assert sign_in(guest, "gail@example.com")["guest_coins_added"] == 900
    assert balance(guest) == 900  # the browser is the account now

    # The developer's backend refunds part of the guest's order, then staff the rest of it.
    refunded = studio.backend(client).refund(order["id"], idempotency_key="sorry", amount=100, reason="late")
    assert refunded["status"] == "partially_refunded"
    finance, _ = staff_member(client, "finance")
    assert refund_as_staff(finance, f"order:{order['id']}", "rest").status_code == 200
    assert balance(guest) == 1200
    assert coins_of(client, guest_id) == 0
    assert coins_of(client, account_id) == 1200
    history = [(item["kind"], item["amount"]) for item in guest.get("/api/wallet/history").json()["items"]]
    assert history[:3] == [("refund", 200), ("refund", 100), ("guest_coins", 900)]
    assert ledger_verifies(client)

    # A retry of the developer's refund, after the forward, is the same refund: nothing more.
    again = studio.backend(client).refund(order["id"], idempotency_key="sorry", amount=100, reason="late")
    assert again["status"] == "refunded" and balance(guest) == 1200


def test_a_late_payment_of_a_top_up_the_guest_gave_up_on_credits_the_account(client, platform):
    account_id = account(client, "hana@example.com")
    guest = browser(client)
    guest_id = who(guest)["id"]
    declined = declined_top_up(guest, "coins-550")

    # No coins to bring: the guest's wallet is forwarded all the same.
    assert sign_in(guest, "hana@example.com")["guest_coins_added"] == 0

    with platform.db.session() as session:
        provider_ref = session.get_one(TopUp, declined["id"]).provider_ref
    body, headers = platform.sandbox.event(
        kind="payment_succeeded", provider_ref=provider_ref, topup_id=declined["id"], amount=499, currency="USD"
    )
    paid = client.post("/api/payments/webhooks/sandbox", content=body, headers=headers)
    assert paid.status_code == 200, paid.text
    assert (coins_of(client, guest_id), coins_of(client, account_id)) == (0, 550)
    assert balance(guest) == 550
    assert ledger_verifies(client)


def test_a_refund_of_the_guests_top_up_takes_its_coins_back_from_the_account(client, platform):
    account_id = account(client, "ines@example.com")
    guest, guest_id, first = guest_with(client)
    second = top_up(guest, "coins-550")
    sign_in(guest, "ines@example.com")
    assert balance(guest) == 1750
    finance, _ = staff_member(client, "finance")

    # Staff's refund of the guest's 1200-coin pack: its coins come back from the account, which has them.
    refunded = refund_as_staff(finance, f"topup:{first['id']}", "pack")
    assert refunded.status_code == 200, refunded.text
    assert (balance(guest), coins_of(client, guest_id)) == (550, 0)

    # The account spends 500 of the rest: a refund of the other pack is refused as it would be of
    # the account's own (its coins were spent), and a dispute at the bank takes what is left.
    put_coins_to_use(client, guest, 500)
    spent = refund_as_staff(finance, f"topup:{second['id']}", "second")
    assert (spent.status_code, spent.json()["code"]) == (402, "INSUFFICIENT_FUNDS"), spent.text
    with unit_of_work(platform.db) as session:
        topup = session.get_one(TopUp, second["id"])
        assert reversals.disputed(session, topup, dispute_id="dp_1", amount=topup.amount) == topup.amount
    assert (balance(guest), coins_of(client, guest_id), coins_of(client, account_id)) == (0, 0, 0)
    [dispute] = next(
        t
        for t in finance.get(f"/api/admin/money/people/{account_id}").json()[
            "topups"
        ]  # the account's since the sign-in
        if t["item"] == f"topup:{second['id']}"
    )["provider_refunds"]
    assert (dispute["origin"], dispute["coins_unrecovered"]) == ("dispute", 500)  # 50 of its 550 were there
    assert ledger_verifies(client)


def put_coins_to_use(client: TestClient, player: TestClient, coins: int) -> None:
    """The player spends ``coins`` in an app of a new studio."""
    developer = browser(client)
    headers = sign_up(developer, f"studio-{secrets.token_hex(3)}@example.com")
    assert developer.post("/api/developer", json={"name": "Shop"}, headers=headers).status_code == 200
    app = register_app(developer, headers, f"shop-{secrets.token_hex(3)}")
    put_product(client, app, "thing", price=coins)
    bought = buy(player, app.app_id, "thing", secrets.token_hex(4))
    assert bought.status_code == 200, bought.text


def test_a_pass_the_guest_bought_does_not_renew_from_the_account(client, platform, studio):
    """Only coins follow the guest: its pass stays the guest's, which no one can watch with any more;
    its renewal does not charge the account for it, and it lapses, as it did before."""
    items = drama_items(platform, studio.app_id)
    account(client, "jade@example.com")
    guest, _, _ = guest_with(client)
    subscription = subscribe(guest, items["pass"])
    sign_in(guest, "jade@example.com")
    assert balance(guest) == 1200 - PASS_PRICE

    start = utcnow()
    platform.worker(clock=lambda: start + timedelta(days=7, minutes=1)).drain()
    assert balance(guest) == 1200 - PASS_PRICE
    with platform.db.session() as session:
        assert session.get_one(Subscription, subscription["id"]).status == "lapsed"
    assert ledger_verifies(client)


def test_a_session_of_the_guest_left_after_it_signed_in_spends_nothing(client, platform):
    """The browser's cookie is the account's after the sign-in; a session of the guest's still held
    elsewhere (a request in flight, a copied cookie) is the guest, which has nothing left to spend.
    (Ending those sessions made an in-flight request a new guest, whose cookie could land after the
    sign-in's and sign the browser out.)"""
    account_id = account(client, "kira@example.com")
    guest, guest_id, _ = guest_with(client)
    with unit_of_work(platform.db) as session:  # another of the guest's tokens (a cookie copied elsewhere)
        elsewhere_token = new_session(session, session.get_one(User, guest_id))
    elsewhere = browser(client)
    elsewhere.cookies.set("minis_session", elsewhere_token)
    assert who(elsewhere)["id"] == guest_id
    before = balance(guest)
    assert before > 0

    sign_in(guest, "kira@example.com")
    assert who(guest)["id"] == account_id and balance(guest) == before
    assert who(elsewhere)["id"] == guest_id and balance(elsewhere) == 0
    assert ledger_verifies(client)


def test_a_sign_in_link_to_an_existing_account_forwards_the_guests_coins(client, studio):
    put_product(client, studio, "gem", price=100)
    account_id = account(client, "lena@example.com")
    guest, guest_id, _ = guest_with(client, "coins-100")
    order = buy(guest, studio.app_id, "gem", "gem").json()
    old_cookie = guest.cookies.get("minis_session")
    token = ask_for_link(guest, "lena@example.com")
    confirmed = confirm(guest, token)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["user"]["id"] == account_id

    stale = browser(client)
    stale.cookies.set("minis_session", old_cookie)
    assert (who(stale)["id"], balance(stale)) == (guest_id, 0)
    studio.backend(client).refund(order["id"], idempotency_key="r", amount=100, reason="sorry")
    assert (balance(guest), coins_of(client, guest_id)) == (100, 0)
    assert ledger_verifies(client)


def test_a_late_payment_of_the_guests_top_up_after_its_account_was_deleted_is_refunded(client, platform):
    """A probe: a guest's top-up was declined, the guest signed in to an account, the account was
    deleted, and then the payment succeeded: its 550 coins were forwarded to the erased account's
    wallet, where nobody spends them, and nothing was refunded. The guest's top-ups are the
    account's from the sign-in, so the deletion's rule holds for them: refunded in full, never credited."""
    account_id = account(client, "ola@example.com")
    guest = browser(client)
    guest_id = who(guest)["id"]
    declined = declined_top_up(guest, "coins-550")
    sign_in(guest, "ola@example.com")
    delete_account(guest)

    with platform.db.session() as session:
        provider_ref = session.get_one(TopUp, declined["id"]).provider_ref
    body, headers = platform.sandbox.event(
        kind="payment_succeeded", provider_ref=provider_ref, topup_id=declined["id"], amount=499, currency="USD"
    )
    assert client.post("/api/payments/webhooks/sandbox", content=body, headers=headers).status_code == 200
    [refund] = provider_refunds(platform)
    assert (refund.topup_id, refund.amount) == (declined["id"], 499)
    assert (coins_of(client, guest_id), coins_of(client, account_id)) == (0, 0)
    assert ledger_verifies(client)


def test_a_guest_that_signed_in_does_not_become_another_account(client, platform):
    """The attack on the forward: the guest's old cookie, kept after it signed in to A, registered an
    email and became a full account whose wallet still forwarded to A (what it bought went to A, it
    could spend nothing), and a guest that signed in to it had its coins go on to A. A guest that
    signed in is the account it signed in to: it signs out to start anew."""
    account(client, "mia@example.com")
    other_id = account(client, "noa@example.com")
    guest, guest_id, _ = guest_with(client)
    with unit_of_work(platform.db) as session:
        kept_token = new_session(session, session.get_one(User, guest_id))
    sign_in(guest, "mia@example.com")
    kept = browser(client)
    kept.cookies.set("minis_session", kept_token)
    assert who(kept)["id"] == guest_id

    registering = kept.post(
        "/api/account/register", json={"email": "kept@example.com", "password": PASSWORD}, headers=csrf_of(kept)
    )
    assert (registering.status_code, registering.json()["code"]) == (409, "GUEST_SIGNED_IN"), registering.text
    elsewhere = password_sign_in(kept, "noa@example.com")
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (409, "GUEST_SIGNED_IN"), elsewhere.text
    assert coins_of(client, other_id) == 0
    # Signing out makes a new guest, which may do either.
    kept.post("/api/account/sign-out", headers=csrf_of(kept))
    assert password_sign_in(kept, "noa@example.com").status_code == 200
    assert ledger_verifies(client)
