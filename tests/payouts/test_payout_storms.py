"""Storms of payout requests and of finance's decisions against a real ``minis serve``, over HTTP,
on SQLite and PostgreSQL, as a payee's retrying script and a finance team clicking at once make
them: a payout never takes more than is withdrawable, one idempotency key makes one payout, and a
payout approved, rejected and canceled at the same moment ends one way, paid once by the
provider if paid, its earnings back in the balance if not; the books verify."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from contextlib import closing

import pytest

from openminis.liveserver import LiveServer
from tests.payouts.live import (
    DEV,
    EARNED,
    FINAL,
    OPERATOR,
    Payee,
    answered_properly,
    at_once,
    paid_once_each,
    platform_on,
    retried,
    server_per_database,
    settled,
    withdrawable_payee,
)
from tests.payouts.test_payouts import books_hold

pytestmark = pytest.mark.slow  # a real server per database, and storms of requests

MINIMUM = 100  # US cents: small payouts, so that a storm can make many of them


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def server(request, tmp_path_factory) -> Iterator[LiveServer]:
    """One live server per database for the module, with its own worker paying payouts; each test
    has a developer of its own on it."""
    with server_per_database(request, tmp_path_factory, minimum=MINIMUM) as live:
        yield live


@pytest.fixture
def payee(server) -> Iterator[Payee]:
    made = withdrawable_payee(server)
    with closing(made.client):
        assert made.coins()["withdrawable"] == EARNED
        yield made


def payout_request(payee: Payee, key: str, amount: int) -> dict:
    # A coin pays a US cent at the default rate: the payee confirmed ``amount`` cents.
    body = {"source": "COIN", "amount": amount, "expect": amount, "idempotency_key": key}
    return {"method": "POST", "url": DEV, "json": body} | payee.as_request()


def test_200_payout_requests_at_once_take_no_more_than_is_withdrawable_and_one_key_makes_one_payout(server, payee):
    quote = payee.post(f"{DEV}/quote", source="COIN", amount=700)
    assert (quote.status_code, quote.json()["amount"], quote.json()["currency"]) == (200, 700, "USD")
    # 100 retries of one key, and 100 payouts of keys of their own: each alone is withdrawable
    # (300 to 590 of the 4200 coins), all of them together more than ten times over.
    asks = [("the-one-key", 700)] * 100 + [(f"own-{n}", 300 + 10 * (n % 30)) for n in range(100)]
    random.Random(len(asks)).shuffle(asks)
    answers = at_once(server, [payout_request(payee, key, amount) for key, amount in asks])

    answered_properly(answers, {201, 409, 422})
    by_key = [(key, status, body) for (key, _), (status, body, _) in zip(asks, answers, strict=True)]
    one_key = Counter(status for key, status, _ in by_key if key == "the-one-key")
    own_keys = Counter(status for key, status, _ in by_key if key != "the-one-key")
    print(f"\n200 payout requests at once: one key {dict(one_key)}, own keys {dict(own_keys)}")
    codes = {(status, body["code"]) for _, status, body in by_key if status in (409, 422)}
    assert codes <= {(409, "IDEMPOTENCY_CONFLICT"), (422, "NOT_WITHDRAWABLE")}, codes

    made = {body["id"]: body for _, status, body in by_key if status == 201}
    one = {body["id"] for key, status, body in by_key if key == "the-one-key" and status == 201}
    assert len(one) <= 1, one  # every retry of the one key that made a payout names the same one
    if one:  # made once, every later retry answers it; none is refused as if it had not been made
        assert one_key[422] == 0, dict(one_key)
    assert all(body["status"] == "requested" and body["amount"] == body["source_amount"] for body in made.values())
    taken = sum(body["source_amount"] for body in made.values())
    assert len(made) >= 2 and taken <= EARNED, (len(made), taken)

    # The payee's view and the books agree with the answers.
    listed = {p["id"]: p for p in payee.client.get(DEV).json()["items"]}
    assert set(made) <= set(listed) and sum(p["source_amount"] for p in listed.values()) <= EARNED
    coins = payee.coins()
    assert (coins["in_payout"], coins["withdrawable"]) == (
        sum(p["source_amount"] for p in listed.values()),
        EARNED - coins["in_payout"],
    )
    with platform_on(server.env, server.data_dir) as platform:
        books_hold(platform)


def test_payouts_of_everything_withdrawable_asked_for_at_once_make_one_and_tell_the_rest_it_changed(server, payee):
    """200 requests at once of all that is withdrawable, each confirmed at the quote: one is made,
    and the others are told that the payout they confirmed changed, naming the one under way. They
    were told that their $42.00 payout was below the minimum (attack55)."""
    quote = payee.post(f"{DEV}/quote", source="COIN")
    assert (quote.status_code, quote.json()["amount"]) == (200, EARNED), quote.text
    body = {"source": "COIN", "expect": EARNED}
    asks = [
        {"method": "POST", "url": DEV, "json": body | {"idempotency_key": f"all-{n}"}} | payee.as_request()
        for n in range(200)
    ]
    answers = at_once(server, asks)

    answered_properly(answers, {201, 409})
    made = [answer for status, answer, _ in answers if status == 201]
    changed = [answer for status, answer, _ in answers if status == 409]
    assert len(made) == 1 and made[0]["source_amount"] == EARNED, made
    assert {answer["code"] for answer in changed} == {"PAYOUT_CHANGED"}, {answer["code"] for answer in changed}
    assert all(f"({made[0]['id']} under way)" in answer["message"] for answer in changed), changed[0]
    assert (payee.coins()["in_payout"], payee.coins()["withdrawable"]) == (EARNED, 0)


def test_approvals_rejections_and_cancels_at_once_end_each_payout_one_way_and_the_worker_pays_once(server, payee):
    ids = []
    for n in range(10):
        asked = payee.post(DEV, source="COIN", amount=300, expect=300, idempotency_key=f"p{n}")
        assert asked.status_code == 201 and asked.json()["status"] == "requested", asked.text
        ids.append(asked.json()["id"])
    assert payee.coins()["withdrawable"] == EARNED - 3000

    # Finance approves and rejects, the payee cancels, all at once: 100 requests over the 10
    # payouts, while the server's worker pays what was approved. Each payout is approved alone once
    # (a batch with one that cannot be approved approves nothing), and in batches; the payee
    # cancels the first six, finance rejects the six from the third: the last two are only approved.
    seed = random.randrange(1 << 30)
    print(f"\nseed {seed}")
    pick = random.Random(seed)
    decisions: list[tuple[str, list[str]]] = (
        [("approve", [payout_id]) for payout_id in ids]
        + [("approve", pick.sample(ids, pick.randint(2, 3))) for _ in range(30)]
        + [("reject", [pick.choice(ids[2:8])]) for _ in range(30)]
        + [("cancel", [pick.choice(ids[:6])]) for _ in range(30)]
    )
    pick.shuffle(decisions)
    requests = []
    for decision, which in decisions:
        if decision == "approve":
            body = {"ids": which, "reason": "storm"}
            requests.append({"method": "POST", "url": "/api/admin/payouts/approve", "json": body, "headers": OPERATOR})
        elif decision == "reject":
            url, body = f"/api/admin/payouts/{which[0]}/reject", {"reason": "storm"}
            requests.append({"method": "POST", "url": url, "json": body, "headers": OPERATOR})
        else:
            requests.append({"method": "POST", "url": f"{DEV}/{which[0]}/cancel"} | payee.as_request())
    storm = at_once(server, requests)

    answered_properly(storm, {200, 409})
    outcomes = Counter((decision, status) for (decision, _), (status, _, _) in zip(decisions, storm, strict=True))
    print(f"100 decisions at once: {dict(outcomes)}")
    # What was answered "not now" is sent again after the Retry-After, as finance's page and the
    # payee's do: then every request has had its say (and every payout a decision).
    answers = retried(server, requests, storm)
    assert {status for status, _, _ in answers} <= {200, 409}, [a for a in answers if a[0] not in (200, 409)][:3]
    assert {body["code"] for status, body, _ in answers if status == 409} <= {"PAYOUT_STATE"}

    with platform_on(server.env, server.data_dir) as platform:
        settled(platform, deadline=30)
        payouts = paid_once_each(platform)
        books_hold(platform)
    mine = {payout_id: payouts[payout_id] for payout_id in ids}
    assert {p.status for p in mine.values()} <= FINAL - {"failed"}, {p.id: p.status for p in mine.values()}
    assert [mine[payout_id].status for payout_id in ids[8:]] == ["paid", "paid"]

    # Each payout ended one way, and the way every 200 said it would.
    for payout_id, payout in mine.items():
        history = [e["status"] for e in payee.payout(payout_id)["history"]]
        assert [s for s in history if s in FINAL] == [payout.status], (payout_id, history)
    for (decision, which), (status, _, _) in zip(decisions, answers, strict=True):
        if status == 200:
            want = {"approve": "paid", "reject": "rejected", "cancel": "canceled"}[decision]
            assert all(mine[payout_id].status == want for payout_id in which), (decision, which)

    # What was rejected or canceled is withdrawable again; what was paid is paid.
    paid = sum(p.source_amount for p in mine.values() if p.status == "paid")
    coins = payee.coins()
    assert (coins["withdrawable"], coins["in_payout"], coins["paid"]) == (EARNED - paid, 0, paid)
