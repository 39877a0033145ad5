"""The prober's finding 1 (/tmp/probe-back/REPORT.md, self_payout_rate.py) against a real ``minis
serve``, over HTTP, on SQLite and PostgreSQL: a developer whom the operator made a member of
finance sent ``PUT /api/admin/payouts/policy`` with no hold, the coin's rate a hundred times over
and no approval below a billion dollars, then asked for their own payout: approved by the limit
and paid at a hundred times its worth, with nobody else involved. Now the change waits for another
member of finance, and a payout to a member of staff waits for finance whatever the limit. And
members deciding one proposal at once, or proposing at once, put one change in force."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from openminis.liveserver import LiveServer
from openminis.payouts.models import PayoutPolicy
from tests.payouts.live import (
    DEV,
    EARNED,
    OPERATOR,
    answered_properly,
    at_once,
    developer_with_a_sale,
    operator,
    platform_on,
    retried,
    sandbox_book,
    server_per_database,
    staff_person,
)
from tests.payouts.test_payouts import books_hold, days_pass

pytestmark = pytest.mark.slow  # a real server per database

POLICY = "/api/admin/payouts/policy"
PROPOSALS = f"{POLICY}/proposals"


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def server(request, tmp_path_factory) -> Iterator[LiveServer]:
    # The default minimum (USD 10.00): the terms as they come.
    with server_per_database(request, tmp_path_factory, minimum=1000) as live:
        yield live


def as_request(server: LiveServer, client: httpx.Client, headers: dict[str, str]) -> dict[str, Any]:
    """Keyword arguments of a request sent as ``client``'s person on a connection of its own."""
    cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    return {"headers": {**headers, "Origin": server.url, "Cookie": cookie}}


def audit_of(client: httpx.Client, proposal_id: str) -> list[str]:
    log = client.get("/api/admin/audit", params={"target_kind": "payout_policy", "target_id": proposal_id})
    assert log.status_code == 200, log.text
    return [entry["action"] for entry in reversed(log.json()["items"])]


def policies(server: LiveServer) -> int:
    with platform_on(server.env, server.data_dir) as platform, platform.db.read_session() as session:
        return session.scalar(select(func.count()).select_from(PayoutPolicy)) or 0


def test_a_finance_member_who_is_a_developer_cannot_pay_themselves_at_terms_of_their_own(server):
    payee = developer_with_a_sale(server)  # 4200 coins in the 14-day hold, worth $42.00
    with closing(payee.client):
        email = payee.client.get("/api/me").json()["user"]["email"]
        server.minis("staff", "add", email, "--role", "finance", "--data-dir", str(server.data_dir))
        me = payee.client
        before = me.get(POLICY).json()

        rate_fix = {
            "hold_days": 0,
            "rates": {"USD": {"COIN": 100_000_000, "USD_MICROS": 100}},
            "minimums": {"USD": 100},
            "auto_approve_below": {"USD": 100_000_000_000},
            "reason": "rate fix",
        }
        proposed = me.put(POLICY, json=rate_fix, headers=payee.headers)
        assert proposed.status_code == 202, proposed.text  # was 200: in force at once
        proposal = proposed.json()
        assert (proposal["status"], proposal["mine"]) == ("waiting", True)
        assert me.get(POLICY).json() == before
        own = me.post(f"{PROPOSALS}/{proposal['id']}/approve", json={"reason": "mine"}, headers=payee.headers)
        assert (own.status_code, own.json()["code"]) == (403, "OWN_POLICY_CHANGE"), own.text
        assert operator(server, "POST", f"{PROPOSALS}/{proposal['id']}/approve", reason="t").status_code == 403
        assert me.get(POLICY).json() == before

        # The terms in force are the old ones: the earnings are in the hold, a coin pays a cent.
        held = payee.post(f"{DEV}/quote", source="COIN")
        assert (held.status_code, held.json()["code"]) == (422, "PAYOUT_BELOW_MINIMUM"), held.text
        with platform_on(server.env, server.data_dir) as platform:
            days_pass(platform, 15)
        quote = payee.post(f"{DEV}/quote", source="COIN").json()
        assert (quote["amount"], quote["currency"]) == (EARNED, "USD")

        # Another member of finance approves the terms; the payee's own payout still waits for finance.
        colleague, colleague_headers = staff_person(server)
        with closing(colleague):
            approved = colleague.post(
                f"{PROPOSALS}/{proposal['id']}/approve", json={"reason": "agreed"}, headers=colleague_headers
            )
            assert approved.status_code == 200 and approved.json()["hold_days"] == 0, approved.text
            quote = payee.post(f"{DEV}/quote", source="COIN").json()
            assert quote["amount"] == EARNED * 100 < rate_fix["auto_approve_below"]["USD"]
            made = payee.post(DEV, source="COIN", expect=quote["amount"], idempotency_key="all")
            assert made.status_code == 201, made.text
            payout = made.json()
            assert (payout["status"], payout["approved_by"]) == ("requested", None)  # was in_transit, auto
            assert payee.payout(payout["id"])["history"][0]["details"]["staff_payee"] is True
            mine = me.post("/api/admin/payouts/approve", json={"ids": [payout["id"]]}, headers=payee.headers)
            assert (mine.status_code, mine.json()["code"]) == (403, "OWN_PAYOUT")
            time.sleep(1)  # the server's worker, were the payout approved, would have paid it by now
            assert payee.payout(payout["id"])["status"] == "requested"
            with platform_on(server.env, server.data_dir) as platform:
                assert f"payout-{payout['id']}" not in sandbox_book(platform)
            reject = f"/api/admin/payouts/{payout['id']}/reject"
            rejected = colleague.post(reject, json={"reason": "rate in review"}, headers=colleague_headers)
            assert rejected.status_code == 200 and rejected.json()["status"] == "rejected", rejected.text
            assert audit_of(colleague, proposal["id"]) == ["propose_payout_policy", "approve_payout_policy"]
        with platform_on(server.env, server.data_dir) as platform:
            books_hold(platform)


def test_members_approving_one_proposal_at_once_put_it_in_force_once_and_one_proposal_waits(server):
    asker, asker_headers = staff_person(server)  # proposes the first change; the members decide it
    members = [staff_person(server) for _ in range(4)]
    try:
        # Terms tighter than any before them (dollars only, at a cent a coin, after 14 days) apply
        # at once, whatever the module's tests left.
        usd = {"USD": {"COIN": 1_000_000, "USD_MICROS": 100}}
        strict = {"hold_days": 14, "rates": usd, "minimums": {"USD": 1000}, "auto_approve_below": {"USD": 0}}
        assert operator(server, "PUT", POLICY, **strict, reason="strict").status_code == 200
        terms = operator(server, "GET", POLICY).json()
        shorter = {**terms, "hold_days": 13, "reason": "a day less"}
        proposed = asker.put(POLICY, json=shorter, headers=asker_headers)
        assert proposed.status_code == 202, proposed.text
        rows = policies(server)
        approve = f"{PROPOSALS}/{proposed.json()['id']}/approve"
        requests = [
            {"method": "POST", "url": approve, "json": {"reason": f"yes {n}"}} | as_request(server, client, headers)
            for n, (client, headers) in enumerate(members)
        ]
        answers = retried(server, requests, at_once(server, requests))
        answered_properly(answers, {200, 409})
        statuses = sorted(status for status, _, _ in answers)
        assert statuses == [200, 409, 409, 409], answers
        assert {body["code"] for status, body, _ in answers if status == 409} == {"PROPOSAL_DECIDED"}
        assert policies(server) == rows + 1
        assert operator(server, "GET", POLICY).json()["hold_days"] == 13
        assert audit_of(members[0][0], proposed.json()["id"]) == ["propose_payout_policy", "approve_payout_policy"]

        # Each member proposes a looser change at once: one waits, the others are told it does.
        terms = operator(server, "GET", POLICY).json()
        puts = [
            {"method": "PUT", "url": POLICY, "json": {**terms, "hold_days": n, "reason": f"hold {n}"}}
            | as_request(server, client, headers)
            for n, (client, headers) in enumerate(members)
        ]
        answers = retried(server, puts, at_once(server, puts))
        answered_properly(answers, {202, 409})
        assert sorted(status for status, _, _ in answers) == [202, 409, 409, 409], answers
        assert {body["code"] for status, body, _ in answers if status == 409} == {"POLICY_CHANGE_WAITING"}
        waiting = next(body for status, body, _ in answers if status == 202)
        shown = httpx.get(f"{server.url}{PROPOSALS}", headers=OPERATOR).json()["items"]
        assert [p["id"] for p in shown] == [waiting["id"]]
        assert operator(server, "GET", POLICY).json() == terms
        proposer = next(m for m, (status, _, _) in zip(members, answers, strict=True) if status == 202)
        withdrawn = proposer[0].post(f"{PROPOSALS}/{waiting['id']}/withdraw", json={}, headers=proposer[1])
        assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn", withdrawn.text
        assert policies(server) == rows + 1
    finally:
        for client, _ in [(asker, asker_headers), *members]:
            client.close()
