"""A top-up does not outlive its person's account: deleting the account closes the top-ups still
open, and a payment that succeeds after the deletion is given back to the payer through the
provider, once, never left as coins in a wallet nobody can spend. On SQLite and PostgreSQL."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from openminis.db import utcnow
from openminis.payments import topups
from openminis.payments.models import ProviderRefund
from openminis.payments.providers.stripe import StripeProvider
from openminis.unit_of_work import unit_of_work
from openminis.wallet import service as ledger
from tests.concurrency import race
from tests.payments.test_money_admin import player_id, staff_member
from tests.payments.test_topup_checkouts_pay_the_pack_as_it_is import books_hold
from tests.payments.test_topup_checkouts_pay_the_pack_as_it_is import opened as opened_at_its_price
from tests.payments.test_topups import WEBHOOK_SECRET, completed_event, stripe_signed
from tests.studio import browser, csrf_of, shown_pack, top_up
from tests.test_bursts import ledger_verifies, serve

DELAYED, CHALLENGE = "4000000000000077", "4000000000003220"


def opened(player, pack_id: str = "coins-100") -> dict:
    return opened_at_its_price(player, pack_id)


def delete_account(player) -> None:
    answer = player.post("/api/me/delete", json={"confirm": "DELETE"}, headers=csrf_of(player))
    assert answer.status_code == 200, answer.text


def money_records(finance, user_id: str) -> dict:
    """The person's money as support's look-up shows it: balance, and each top-up by its id."""
    found = finance.get(f"/api/admin/money/people/{user_id}").json()
    return {"balance": found["balance"]} | {t["item"].removeprefix("topup:"): t for t in found["topups"]}


@pytest.fixture
def stripe(platform) -> StripeProvider:
    """Stripe, as far as opening a Checkout Session (tests/payments/test_topups.py's stand-in)."""

    def api(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"id": "cs_test_abc123", "url": "https://checkout.stripe.test/c/pay/cs"})

    provider = StripeProvider("sk_test_key", WEBHOOK_SECRET, http=httpx.Client(transport=httpx.MockTransport(api)))
    platform.providers["stripe"] = provider
    return provider


def provider_refunds(platform) -> list[ProviderRefund]:
    with platform.db.session() as session:
        return list(session.scalars(select(ProviderRefund)))


def test_a_delayed_payment_that_succeeds_after_the_account_was_deleted_is_refunded_once_and_never_credited(
    client, platform, player
):
    """A probe: a top-up with the sandbox's delayed card (pending), then the account deleted; 5 s
    later the top-up succeeded for 4.99 USD and its 550 coins were credited to the erased account,
    where nobody can spend them, and nothing refunded it. A challenge top-up stayed open."""
    finance, _ = staff_member(client, "finance")
    top_up(player, "coins-100")  # bought before the deletion: these coins stay, unspendable
    delayed = top_up(player, "coins-550", card=DELAYED)
    challenged = top_up(player, "coins-100", card=CHALLENGE)
    unpaid = opened(player)
    assert (delayed["status"], challenged["status"], unpaid["status"]) == ("pending", "requires_action", "created")
    user_id = player_id(player)

    delete_account(player)
    closed = money_records(finance, user_id)
    assert {closed[t["id"]]["status"] for t in (delayed, challenged, unpaid)} == {"cancelled"}

    # The bank transfer cannot be called back: it arrives, from the sandbox's job, after the deletion.
    platform.worker(clock=lambda: utcnow() + timedelta(seconds=6)).drain()
    platform.worker().drain()  # the refund's job asks the provider
    after = money_records(finance, user_id)
    assert after["balance"] == 100
    paid = after[delayed["id"]]
    assert (paid["status"], paid["paid"], paid["refunded"]) == ("succeeded", 499, 499)
    assert [(r["amount"], r["status"]) for r in paid["provider_refunds"]] == [(499, "refunded")]
    assert {after[t["id"]]["status"] for t in (challenged, unpaid)} == {"cancelled"}

    # The provider says it again (a webhook retried, the job run twice): nothing more is given back.
    body, headers = platform.sandbox.event(
        kind="payment_succeeded",
        provider_ref=_provider_ref(platform, delayed["id"]),
        topup_id=delayed["id"],
        amount=499,
        currency="USD",
    )
    with unit_of_work(platform.db) as session:
        topups.handle_event(session, "sandbox", platform.sandbox.parse_webhook(body, headers))
    platform.worker().drain()
    assert len(provider_refunds(platform)) == 1 and money_records(finance, user_id)["balance"] == 100
    books_hold(platform)


def test_a_checkout_closed_by_the_deletion_takes_no_card_and_no_approval(client, platform, player):
    challenged = top_up(player, "coins-100", card=CHALLENGE)
    unpaid = opened(player)
    cookies = dict(player.cookies)
    delete_account(player)
    # The old cookie signs nobody in any more; and the top-ups themselves are closed.
    again = browser(client)
    again.cookies.update(cookies)
    paid = again.post(
        f"/api/wallet/topups/{unpaid['id']}/sandbox/pay",
        json={"card_number": "4242424242424242"},
        headers=csrf_of(again),
    )
    assert paid.status_code in (403, 404, 410)
    with platform.db.session() as session:
        statuses = {session.get_one(topups.TopUp, t["id"]).status for t in (challenged, unpaid)}
    assert statuses == {"cancelled"}
    books_hold(platform)


def test_a_stripe_checkout_paid_after_the_account_was_deleted_is_refunded_through_stripe(
    client, platform, player, stripe
):
    """A probe: with Stripe, a Checkout tab paid after the deletion credited the erased account."""
    started = player.post(
        "/api/wallet/topups", json=shown_pack(player, "coins-100") | {"provider": "stripe"}, headers=csrf_of(player)
    )
    assert started.status_code == 201, started.text
    topup = started.json()
    user_id = player_id(player)
    delete_account(player)

    body, headers = stripe_signed(completed_event(topup))
    assert client.post("/api/payments/webhooks/stripe", content=body, headers=headers).status_code == 200
    again = client.post("/api/payments/webhooks/stripe", content=body, headers=headers)  # Stripe retries
    assert again.status_code == 200
    [refund] = provider_refunds(platform)
    assert (refund.topup_id, refund.amount, refund.status, refund.provider) == (topup["id"], 99, "requested", "stripe")
    with platform.db.session() as session:
        assert ledger.wallet_balance(session, user_id) == 0
    books_hold(platform)


def test_a_deletion_racing_the_delayed_payment_leaves_the_coins_or_refunds_the_money_never_neither(client, platform):
    """The deletion and the delayed card's confirmation at the same moment, for several people:
    the payment is either credited before the deletion (its coins stay with the account, like any
    it bought before) or refunded after it; never credited after it, never both, never a deadlock."""
    people = [browser(client) for _ in range(4)]
    delayed = [top_up(person, "coins-550", card=DELAYED) for person in people]
    ids = [player_id(person) for person in people]
    for person, topup in zip(people, delayed, strict=True):
        csrf = csrf_of(person)

        def attempt(worker: int, _: int, person=person, csrf=csrf) -> str:
            if worker == 0:
                return str(person.post("/api/me/delete", json={"confirm": "DELETE"}, headers=csrf).status_code)
            platform.worker(clock=lambda: utcnow() + timedelta(seconds=6)).drain()
            return "drained"

        assert race(2, 1, attempt) == {"200": 1, "drained": 1}
        assert topup["status"] == "pending"
    platform.worker(clock=lambda: utcnow() + timedelta(seconds=6)).drain()
    platform.worker().drain()
    refunded = {r.topup_id: r for r in provider_refunds(platform)}
    with platform.db.session() as session:
        for user_id, topup in zip(ids, delayed, strict=True):
            coins = ledger.wallet_balance(session, user_id)
            if topup["id"] in refunded:
                assert coins == 0 and refunded[topup["id"]].status == "refunded"
            else:
                assert coins == 550
            assert session.get_one(topups.TopUp, topup["id"]).status == "succeeded"
    books_hold(platform)


def _provider_ref(platform, topup_id: str) -> str | None:
    with platform.db.session() as session:
        return session.get_one(topups.TopUp, topup_id).provider_ref


def test_a_payment_heard_after_its_checkout_closed_unpaid_and_after_the_deletion_is_refunded_too(
    client, platform, player, stripe
):
    """Stripe does not promise the order of its events: a checkout heard to have expired, then
    the account deleted, then Stripe says it was paid after all. The person was charged, and their
    account is gone: the money goes back."""
    started = player.post(
        "/api/wallet/topups", json=shown_pack(player, "coins-100") | {"provider": "stripe"}, headers=csrf_of(player)
    )
    topup = started.json()
    expired = completed_event(topup, event_id="evt_expired")
    expired["type"] = "checkout.session.expired"
    expired["data"]["object"]["payment_status"] = "unpaid"
    body, headers = stripe_signed(expired)
    assert client.post("/api/payments/webhooks/stripe", content=body, headers=headers).status_code == 200
    user_id = player_id(player)
    delete_account(player)

    body, headers = stripe_signed(completed_event(topup, event_id="evt_paid"))
    assert client.post("/api/payments/webhooks/stripe", content=body, headers=headers).status_code == 200
    [refund] = provider_refunds(platform)
    assert (refund.topup_id, refund.amount) == (topup["id"], 99)
    with platform.db.session() as session:
        assert ledger.wallet_balance(session, user_id) == 0
    books_hold(platform)


@pytest.mark.slow
def test_against_a_live_server_a_delayed_payment_after_the_deletion_is_refunded_and_the_books_verify(
    tmp_path, database_url
):
    """The probe's own steps against a real ``minis serve``: its job worker confirms the delayed
    card five seconds after the deletion, on its own clock."""
    token = "topup-deletion-admin-token"
    admin = {"Authorization": f"Bearer {token}"}
    with serve(tmp_path, database_url, MINIS_ADMIN_TOKEN=token) as server:
        with httpx.Client(base_url=server.url, timeout=30) as person:
            person.headers["X-CSRF-Token"] = person.get("/api/me").json()["csrf_token"]
            user_id = person.get("/api/me").json()["user"]["id"]

            def paid(pack: str, card: str) -> dict:
                shown = next(p for p in person.get("/api/wallet/packs?market=US").json()["items"] if p["id"] == pack)
                body = {"pack_id": pack, "market": "US", "amount": shown["amount"], "currency": shown["currency"]}
                opened = person.post("/api/wallet/topups", json=body | {"coins": shown["coins"] + shown["bonus_coins"]})
                assert opened.status_code == 201, opened.text
                return person.post(
                    f"/api/wallet/topups/{opened.json()['id']}/sandbox/pay", json={"card_number": card}
                ).json()

            assert paid("coins-100", "4242424242424242")["status"] == "succeeded"
            delayed, challenged = paid("coins-550", DELAYED), paid("coins-100", CHALLENGE)
            assert (delayed["status"], challenged["status"]) == ("pending", "requires_action")
            assert person.post("/api/me/delete", json={"confirm": "DELETE"}).status_code == 200

        deadline = time.monotonic() + 90
        while True:
            found = httpx.get(f"{server.url}/api/admin/money/people/{user_id}", headers=admin, timeout=30).json()
            shown = {t["item"].removeprefix("topup:"): t for t in found["topups"]}
            refunds = shown[delayed["id"]]["provider_refunds"]
            if (refunds and refunds[0]["status"] == "refunded") or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert found["balance"] == 100
        assert (shown[delayed["id"]]["status"], shown[delayed["id"]]["refunded"]) == ("succeeded", 499)
        assert [(r["amount"], r["status"]) for r in refunds] == [(499, "refunded")]
        assert shown[challenged["id"]]["status"] == "cancelled"
        assert ledger_verifies(server)
