"""Payouts (issue 15, item 6): earnings wait out a hold in which refunds claw back from them, then
leave the platform once, through a provider, each step one balanced ledger transfer; on SQLite and
PostgreSQL."""

from __future__ import annotations

import secrets
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from openminis.client import MinisAPIError
from openminis.db import utcnow
from openminis.payments import reconciliation
from openminis.payouts import service as payouts
from openminis.payouts.models import SandboxPayoutTransfer
from openminis.staff import service as staff
from openminis.unit_of_work import unit_of_work
from openminis.wallet import service as ledger
from openminis.wallet.models import LedgerTransfer
from tests.creators.conftest import launch, make_creator, ready_post
from tests.payments.test_money_admin import staff_member
from tests.payouts import terms
from tests.studio import buy, csrf_of, put_product, top_up

PRICE = 1000  # coins; the app keeps 70 % (the platform's 30 % fee), less any creator's 10 % of that


def days_pass(platform, days: int) -> None:
    """Time moves: everything the ledger recorded so far happened ``days`` earlier."""
    with unit_of_work(platform.db) as session:
        for transfer in session.scalars(select(LedgerTransfer)):
            transfer.created_at -= timedelta(days=days)


def books_hold(platform) -> None:
    with platform.db.session() as session:
        problems = ledger.verify(session).problems + reconciliation.verify(session) + payouts.verify(session)
    assert problems == []


def paid_by_sandbox(platform) -> list[SandboxPayoutTransfer]:
    with platform.db.session() as session:
        return list(session.scalars(select(SandboxPayoutTransfer)))


def coins(overview: dict) -> dict:
    return next(e for e in overview["earnings"] if e["currency"] == "COIN")


def sell(client, studio, player, n: int, key: str = "k") -> list[dict]:
    put_product(client, studio, "chest", price=PRICE)
    top_up(player, "coins-6500")
    orders = [buy(player, studio.app_id, "chest", f"{key}{i}") for i in range(n)]
    assert all(o.status_code == 200 for o in orders), orders[0].text
    return [o.json() for o in orders]


def ask(payee, headers, path: str, **body):
    return payee.post(path, json=body, headers=headers)


def request_all(payee, headers, base: str, key: str = "p1", source: str = "COIN"):
    quote = ask(payee, headers, f"{base}/quote", source=source)
    assert quote.status_code == 200, quote.text
    return ask(payee, headers, base, source=source, expect=quote.json()["amount"], idempotency_key=key)


def account(payee, headers, base: str, destination: str = "studio-one-bank", currency: str = "USD"):
    answer = payee.put(
        f"{base}/account",
        json={"destination": destination, "currency": currency, "holder": "Studio One"},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


DEV = "/api/developer/payouts"


def test_earnings_wait_out_the_hold_then_are_paid_once_through_the_sandbox(client, platform, studio, player):
    dev, headers = studio.developer, studio.headers
    sold = sell(client, studio, player, 3)
    earned = 3 * (PRICE - PRICE * 3000 // 10_000)

    now = coins(dev.get(DEV).json())
    assert (now["balance"], now["pending"], now["withdrawable"], now["hold_days"]) == (earned, earned, 0, 14)
    account(dev, headers, DEV)
    refused = ask(dev, headers, f"{DEV}/quote", source="COIN")
    assert refused.status_code == 422 and refused.json()["code"] == "PAYOUT_BELOW_MINIMUM"  # nothing withdrawable
    assert "a payout is at least 10.00 USD" in refused.json()["message"], refused.json()
    # With what waits in the hold: "this would pay 0.00 USD" was all it said (a probe, dev54).
    assert f"; {earned} COIN more are in the 14-day hold" in refused.json()["message"], refused.json()

    days_pass(platform, 15)
    assert coins(dev.get(DEV).json())["withdrawable"] == earned
    quote = ask(dev, headers, f"{DEV}/quote", source="COIN").json()
    assert (quote["currency"], quote["amount"], quote["source_amount"]) == ("USD", earned, earned)  # a coin, a cent

    # A payout confirmed at another amount is refused, and nothing moves.
    stale = ask(dev, headers, DEV, source="COIN", expect=earned + 1, idempotency_key="p1")
    assert stale.status_code == 409 and stale.json()["code"] == "PAYOUT_CHANGED"
    # In the currency's units, as people read money: "1495 USD" was $14.95 (a probe, dev53).
    assert f"pays {earned // 100}.{earned % 100:02d} USD, not the {(earned + 1) // 100}." in stale.json()["message"]
    # Nor told to confirm again a payout that could not be paid at either amount (attack55b).
    small = ask(dev, headers, DEV, source="COIN", amount=5, expect=4, idempotency_key="small")
    assert (small.status_code, small.json()["code"]) == (422, "PAYOUT_BELOW_MINIMUM"), small.text
    made = request_all(dev, headers, DEV)
    assert made.status_code == 201, made.text
    payout = made.json()
    assert payout["status"] == "requested"
    again = ask(dev, headers, DEV, source="COIN", expect=earned, idempotency_key="p1")  # a retry: the same payout
    assert (again.status_code, again.json()["id"]) == (201, payout["id"])
    after = coins(dev.get(DEV).json())
    assert (after["balance"], after["withdrawable"], after["in_payout"]) == (0, 0, earned)
    # The app's statement names the payout: as "other movements", it made the net read nothing earned
    # (a probe, dev53). Net is still the change of the earnings: what was earned, less what was paid out.
    start, end = (utcnow() - timedelta(days=30)).isoformat(), (utcnow() + timedelta(days=1)).isoformat()
    line = dev.get(
        f"/api/developer/apps/{studio.app_id}/statement", params={"start": start, "end": end}, headers=headers
    ).json()["lines"][0]
    assert (line["paid_out"], line["other"], line["net"]) == (earned, 0, 0), line
    books_hold(platform)

    # Everything is in the payout: a refund of a sale would take back what the app no longer holds,
    # and the operator is told so, and what holds it: the payout they may refuse (it said only that
    # the account "cannot give", a probe, dev53). So is the developer refunding through the Open API.
    finance, finance_headers = staff_member(client, "finance")
    body = {"item": f"order:{sold[0]['id']}", "reason": "asked", "idempotency_key": "late"}
    refused = finance.post("/api/admin/money/refunds", json=body, headers=finance_headers)
    assert refused.status_code == 402 and refused.json()["code"] == "INSUFFICIENT_FUNDS", refused.text
    told = refused.json()["message"]
    assert "the app earnings account cannot give" in told
    assert f"in the developer's payout {payout['id']} (requested, {earned:,} coins)" in told, told
    assert "refuse it in Payouts (or the developer cancels it) to free them, then refund" in told, told
    with pytest.raises(MinisAPIError) as by_developer:
        studio.backend(client).refund(sold[0]["id"], idempotency_key="late", reason="asked")
    assert by_developer.value.code == "INSUFFICIENT_FUNDS" and payout["id"] in by_developer.value.message

    # Finance approves (twice: the second click changes nothing); the worker pays it.
    queue = finance.get("/api/admin/payouts").json()["items"]
    assert [p["id"] for p in queue] == [payout["id"]]
    assert queue[0]["payee_name"] == "Studio One"  # who is paid, not only an id (a probe, dev53)
    for _ in range(2):
        approved = finance.post("/api/admin/payouts/approve", json={"ids": [payout["id"]]}, headers=finance_headers)
        assert approved.status_code == 200 and approved.json()["items"][0]["status"] == "in_transit"
    platform.worker().drain()
    platform.worker().drain()
    shown = dev.get(f"{DEV}/{payout['id']}").json()
    assert shown["status"] == "paid" and shown["provider_ref"].startswith("sbxtr_")
    assert [e["status"] for e in shown["history"]] == ["requested", "in_transit", "paid"]
    assert [(t.amount, t.currency, t.key) for t in paid_by_sandbox(platform)] == [
        (earned, "USD", f"payout-{payout['id']}")
    ]
    assert coins(dev.get(DEV).json())["paid"] == earned
    # Paid out, a refund of a sale is refused saying so (it said only that the account "cannot give").
    body = {"item": f"order:{sold[1]['id']}", "reason": "asked", "idempotency_key": "after-paid"}
    refused = finance.post("/api/admin/money/refunds", json=body, headers=finance_headers)
    assert refused.status_code == 402 and refused.json()["code"] == "INSUFFICIENT_FUNDS", refused.text
    assert f"the developer's earnings were paid out (their last payout {payout['id']}" in refused.json()["message"]
    log = finance.get("/api/admin/audit", params={"target_id": payout["id"]}).json()["items"]
    assert [e["action"] for e in log] == ["approve_payout"]
    books_hold(platform)


def test_a_refund_in_the_hold_claws_back_from_pending_and_leaves_withdrawable_alone(client, platform, studio, player):
    dev = studio.developer
    old = sell(client, studio, player, 2, key="old")
    days_pass(platform, 20)
    recent = sell(client, studio, player, 1, key="new")
    net = PRICE - PRICE * 3000 // 10_000
    assert (coins(dev.get(DEV).json())["withdrawable"], coins(dev.get(DEV).json())["pending"]) == (2 * net, net)

    finance, headers = staff_member(client, "finance")
    for item in (f"order:{recent[0]['id']}", f"order:{old[0]['id']}"):
        body = {"item": item, "reason": "asked", "idempotency_key": "r", "amount": 500}
        assert finance.post("/api/admin/money/refunds", json=body, headers=headers).status_code == 200
    now = coins(dev.get(DEV).json())
    # The recent order's refund came out of what is held; the old one's out of what was withdrawable.
    assert (now["pending"], now["withdrawable"]) == (net - 350, 2 * net - 350)
    books_hold(platform)


def test_refused_rejected_and_canceled_payouts_return_exactly_what_they_took(client, platform, studio, player):
    dev, headers = studio.developer, studio.headers
    sell(client, studio, player, 3)
    days_pass(platform, 15)
    everything = coins(dev.get(DEV).json())["withdrawable"]
    finance, finance_headers = staff_member(client, "finance")

    # The provider refuses: the payout fails and its earnings are withdrawable again at once.
    account(dev, headers, DEV, destination="fail-closed-account")
    refused = request_all(dev, headers, DEV, key="a").json()
    finance.post("/api/admin/payouts/approve", json={"ids": [refused["id"]]}, headers=finance_headers)
    platform.worker().drain()
    failed = dev.get(f"{DEV}/{refused['id']}").json()
    assert failed["status"] == "failed" and "refuses" in failed["reason"]
    assert coins(dev.get(DEV).json())["withdrawable"] == everything

    # Finance rejects one; the payee cancels another; neither can then be approved.
    account(dev, headers, DEV)
    rejected = request_all(dev, headers, DEV, key="b").json()
    answer = ask(finance, finance_headers, f"/api/admin/payouts/{rejected['id']}/reject", reason="check the holder")
    assert answer.json()["status"] == "rejected"
    canceled = request_all(dev, headers, DEV, key="c").json()
    assert ask(dev, headers, f"{DEV}/{canceled['id']}/cancel").json()["status"] == "canceled"
    late = finance.post(
        "/api/admin/payouts/approve", json={"ids": [rejected["id"], canceled["id"]]}, headers=finance_headers
    )
    assert late.status_code == 409 and late.json()["code"] == "PAYOUT_STATE"
    assert coins(dev.get(DEV).json())["withdrawable"] == everything
    assert paid_by_sandbox(platform) == []
    books_hold(platform)


def test_under_the_limit_a_payout_is_approved_without_finance_and_a_silent_provider_is_asked_again(
    client, platform, studio, player
):
    dev, headers = studio.developer, studio.headers
    finance, finance_headers = staff_member(client, "finance")
    policy = finance.get("/api/admin/payouts/policy").json()
    published = terms.published(
        client,
        finance,
        finance_headers,
        {**policy, "auto_approve_below": {"USD": 100_000}, "reason": "small payouts go out at once"},
    )
    assert published.status_code == 200 and published.json()["auto_approve_below"]["USD"] == 100_000
    sell(client, studio, player, 2)
    days_pass(platform, 15)

    account(dev, headers, DEV, destination="unreachable-bank")
    payout = request_all(dev, headers, DEV).json()
    assert payout["status"] == "in_transit" and payout["approved_by"].startswith("auto")
    platform.worker().drain()
    stuck = dev.get(f"{DEV}/{payout['id']}").json()
    assert stuck["status"] == "in_transit" and "never answers" in stuck["last_error"]
    books_hold(platform)


def test_a_creator_is_paid_their_commissions_and_people_without_earnings_cannot_ask(client, platform, studio, player):
    creator = make_creator(client, f"maker{secrets.token_hex(2)}")
    put_product(client, studio, "chest", price=PRICE)
    top_up(player, "coins-6500")
    launch(player, studio.app_id, "post", post_id=ready_post(platform, creator.user_id, studio.app_id))
    assert buy(player, studio.app_id, "chest", "via-post").status_code == 200
    days_pass(platform, 15)

    base = "/api/creator/payouts"
    commission = (PRICE - PRICE * 3000 // 10_000) * 1000 // 10_000
    assert coins(creator.browser.get(base).json())["withdrawable"] == commission
    finance, finance_headers = staff_member(client, "finance")
    terms.published(
        client,
        finance,
        finance_headers,
        {**finance.get("/api/admin/payouts/policy").json(), "minimums": {"USD": 50}, "reason": "low minimum"},
    )
    account(creator.browser, creator.headers, base, destination="maker-bank")
    payout = request_all(creator.browser, creator.headers, base).json()
    assert (payout["amount"], payout["payee"]) == (commission, f"creator:{creator.user_id}")

    # Someone who is no creator has no payouts; a developer's payout is not a creator's to see.
    assert player.get(base).json()["code"] == "NOT_A_CREATOR"
    assert creator.browser.get(f"{DEV}/{payout['id']}").status_code in (403, 404)
    assert player.post(base, json={}, headers=csrf_of(player)).status_code in (404, 422)

    # The creator's data holds their payouts; deleting the account cancels the one not approved
    # and erases who held the payout account, while the money records stay and still add up.
    data = creator.browser.get("/api/me/data").json()
    assert [p["id"] for p in data["payouts"]] == [payout["id"]] and data["payout_accounts"][0]["holder"]
    deleted = creator.browser.post("/api/me/delete", json={"confirm": "DELETE"}, headers=creator.headers)
    assert deleted.status_code == 200, deleted.text
    shown = finance.get(f"/api/admin/payouts/{payout['id']}").json()
    assert (shown["status"], shown["destination"]) == ("canceled", "erased")
    books_hold(platform)


def test_a_batch_approval_and_a_rejection_of_one_of_its_payouts_take_turns(client, platform, studio, player):
    """On PostgreSQL the approval of [A, B] once took A's rows and the payout accounts, then waited
    for B, which a rejection held while it waited for the payout accounts: a deadlock. Every unit
    now takes payout rows first, by id, then accounts."""
    dev, headers = studio.developer, studio.headers
    sell(client, studio, player, 3)
    days_pass(platform, 15)
    account(dev, headers, DEV)
    made = [ask(dev, headers, DEV, source="COIN", amount=1000, expect=1000, idempotency_key=k).json() for k in "ab"]
    a, b = sorted(payout["id"] for payout in made)

    rejecter = platform.db.sessions()
    postgres = platform.db.engine.dialect.name == "postgresql"
    rejecter.execute(text("SELECT id FROM payouts WHERE id = :b" + (" FOR UPDATE" if postgres else "")), {"b": b})
    refused: list[Exception] = []

    def approve_both() -> None:
        try:
            with unit_of_work(platform.db) as session:
                payouts.approve(session, [a, b], by="finance")
        except Exception as exc:
            refused.append(exc)

    approver = threading.Thread(target=approve_both)
    approver.start()
    time.sleep(0.5)  # the approval is under way, waiting for B
    payouts.reject(rejecter, b, reason="the holder's name does not match", by="finance")
    rejecter.commit()
    rejecter.close()
    approver.join(timeout=30)
    assert [type(exc) for exc in refused] == [payouts.PayoutStateError]  # all or none: B was rejected first
    with platform.db.session() as session:
        assert (payouts.status_of(session, a), payouts.status_of(session, b)) == ("requested", "rejected")
    books_hold(platform)


def test_finance_does_not_approve_its_own_payout(client, platform, studio, player):
    creator = make_creator(client, f"maker{secrets.token_hex(2)}")
    with unit_of_work(platform.db) as session:
        staff.add(session, creator.user_id, "finance", by="test")
    put_product(client, studio, "chest", price=PRICE)
    top_up(player, "coins-6500")
    launch(player, studio.app_id, "post", post_id=ready_post(platform, creator.user_id, studio.app_id))
    assert buy(player, studio.app_id, "chest", "via-post").status_code == 200
    days_pass(platform, 15)
    colleague, colleague_headers = staff_member(client, "finance")
    policy = colleague.get("/api/admin/payouts/policy").json()
    low = {**policy, "minimums": {"USD": 50}, "reason": "low minimum"}
    assert terms.published(client, colleague, colleague_headers, low).status_code == 200
    base = "/api/creator/payouts"
    account(creator.browser, creator.headers, base, destination="maker-bank")
    payout = request_all(creator.browser, creator.headers, base).json()

    own = ask(creator.browser, creator.headers, "/api/admin/payouts/approve", ids=[payout["id"]])
    assert (own.status_code, own.json()["code"]) == (403, "OWN_PAYOUT")
    by_colleague = ask(colleague, colleague_headers, "/api/admin/payouts/approve", ids=[payout["id"]])
    assert by_colleague.status_code == 200 and by_colleague.json()["items"][0]["status"] == "in_transit"
    # Once approved by another, the payee's own approval was answered 200 (ops56): refused still.
    again = ask(creator.browser, creator.headers, "/api/admin/payouts/approve", ids=[payout["id"]])
    assert (again.status_code, again.json()["code"]) == (403, "OWN_PAYOUT")


def test_a_payouts_inputs_are_exact_and_a_repeated_decision_records_nothing(client, platform, studio, player):
    dev, headers = studio.developer, studio.headers
    sell(client, studio, player, 3)
    days_pass(platform, 15)
    hidden = dev.put(
        f"{DEV}/account", json={"destination": "bank", "currency": "USD", "holder": "\u202e\u200b"}, headers=headers
    )
    assert (hidden.status_code, hidden.json()["field"]) == (422, "holder")
    account(dev, headers, DEV)
    assert ask(dev, headers, f"{DEV}/quote", source="COIN", amount="1000").status_code == 422  # a number, not text
    made = ask(dev, headers, DEV, source="COIN", amount=1000, expect=1000, idempotency_key="k")
    assert made.status_code == 201, made.text
    other = ask(dev, headers, DEV, source="COIN", amount=1500, expect=1000, idempotency_key="k")
    assert (other.status_code, other.json()["code"]) == (409, "IDEMPOTENCY_CONFLICT")

    finance, finance_headers = staff_member(client, "finance")
    path = f"/api/admin/payouts/{made.json()['id']}/reject"
    assert ask(finance, finance_headers, path, reason="wrong holder").status_code == 200
    again = ask(finance, finance_headers, path, reason="still wrong")
    assert (again.status_code, again.json()["code"]) == (409, "PAYOUT_STATE")
    log = finance.get("/api/admin/audit", params={"target_id": made.json()["id"]}).json()["items"]
    assert [(e["action"], e["reason"]) for e in log] == [("reject_payout", "wrong holder")]
    policy = finance.get("/api/admin/payouts/policy").json()
    truthy = {**policy, "minimums": {"USD": True}, "reason": "a boolean is no amount"}
    assert finance.put("/api/admin/payouts/policy", json=truthy, headers=finance_headers).status_code == 422
