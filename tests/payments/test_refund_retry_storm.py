"""Finance's "ask the provider again" for a top-up's refund (POST /api/admin/money/refunds/{key}/retry),
attacked over HTTP against a real ``minis serve`` on SQLite and PostgreSQL, as a finance team
clicking at once and an outsider sending what they like: 200 asks at once while the server's own
worker answers the refund, and keys no refund has. Every answer is 200, 409 or "not now" (never
another 5xx); the refund is made once, its coins taken back once, and the books hold."""

from __future__ import annotations

import secrets
import time
from collections import Counter
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import select

from bench.burst import funded_person
from openminis.jobs.models import Job
from openminis.liveserver import LiveServer
from openminis.payments import reconciliation, refunds
from openminis.payments.models import ProviderRefund, TopUp
from openminis.unit_of_work import unit_of_work
from openminis.wallet import service as ledger
from tests.payouts.live import OPERATOR, answered_properly, at_once, operator, platform_on, server_per_database

ASKS = 200


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def server(request, tmp_path_factory) -> Iterator[LiveServer]:
    with server_per_database(request, tmp_path_factory, minimum=100) as live:
        yield live


def topped_up(server: LiveServer) -> tuple[dict, TopUp]:
    """A person who bought a coin pack in the sandbox, and that top-up."""
    person = funded_person(server)
    with httpx.Client(base_url=server.url, cookies=person["cookies"], timeout=30) as client:
        user_id = client.get("/api/me").json()["user"]["id"]
    with platform_on(server.env, server.data_dir) as platform, platform.db.read_session() as session:
        [topup] = session.scalars(select(TopUp).where(TopUp.user_id == user_id)).all()
        return person, topup


def coins(server: LiveServer, person: dict) -> int:
    with httpx.Client(base_url=server.url, cookies=person["cookies"], timeout=30) as client:
        return client.get("/api/wallet").json()["balance"]


def wait_for_answer(platform, key: str) -> ProviderRefund:
    """The refund once the server's worker has run every job asking for it and recorded an answer."""
    deadline = time.monotonic() + 60
    while True:
        with platform.db.read_session() as session:
            waiting = session.scalars(
                select(Job).where(Job.kind == refunds.PROVIDER_REFUND_JOB, Job.status.in_(("queued", "running")))
            ).all()
            found = session.get(ProviderRefund, key)
        if not waiting and found is not None and found.status != "requested":
            return found
        assert time.monotonic() < deadline, (len(waiting), found and found.status)
        time.sleep(0.2)


def retry(key: str) -> dict:
    return {
        "method": "POST",
        "url": f"/api/admin/money/refunds/{quote(key, safe='')}/retry",
        "json": {"reason": "the provider is back"},
        "headers": OPERATOR,
    }


def test_200_asks_at_once_while_the_worker_answers_make_the_refund_once(server):
    person, topup = topped_up(server)
    before = coins(server, person)
    idempotency_key = "storm-" + secrets.token_hex(4)
    refunded = operator(
        server,
        "POST",
        "/api/admin/money/refunds",
        item=f"topup:{topup.id}",
        reason="charged twice",
        idempotency_key=idempotency_key,
    )
    assert refunded.status_code == 200, refunded.text
    key = f"refund:topup:{topup.id}:{idempotency_key}"
    with platform_on(server.env, server.data_dir) as platform:
        wait_for_answer(platform, key)
        # As its job leaves it after three days of a provider down: still requested, never answered.
        with unit_of_work(platform.db) as session:
            stuck = session.get_one(ProviderRefund, key)
            stuck.status, stuck.provider_ref, stuck.last_error = "requested", None, "gave up retrying: HTTP 503"
    # At once, while the server's own worker asks the sandbox provider for the asks that came first.
    answers = at_once(server, [retry(key)] * ASKS)
    answered_properly(answers, {200, 409})
    statuses = Counter(status for status, _, _ in answers)
    print(f"\n{ASKS} asks again at once: {dict(statuses)}")
    # Nothing answers the refund before an ask: the first asks find it waiting; once the worker
    # has recorded the provider's answer, the rest are told it was answered.
    assert statuses[200] >= 1
    assert {body["code"] for status, body, _ in answers if status == 409} <= {"REFUND_STATE"}

    with platform_on(server.env, server.data_dir) as platform:
        found = wait_for_answer(platform, key)
        assert found.status == "refunded" and found.amount == topup.amount and found.provider_ref is not None
        with platform.db.read_session() as session:
            assert session.scalar(select(ProviderRefund.key).where(ProviderRefund.topup_id == topup.id)) == key
            assert ledger.verify(session).problems + reconciliation.verify(session) == []
    # The coins the pack bought were taken back once, whatever the asks.
    assert found.coins > 0 and coins(server, person) == before - found.coins


def test_keys_no_refund_has_are_refused_with_a_clear_4xx(server):
    keys = ["refund:topup:tu_none:x", "x" * 201, "refund:topup:é:ü", "refund:topup:1' OR '1'='1", "..%2f..", " "]
    answers = at_once(server, [retry(key) for key in keys])
    assert all(status in (404, 422) for status, _, _ in answers), answers
    # Without the reason the audit log needs, and without a staff member, nothing is asked.
    no_reason = httpx.post(
        f"{server.url}/api/admin/money/refunds/refund:topup:tu_none:x/retry", json={}, headers=OPERATOR, timeout=30
    )
    assert no_reason.status_code == 422
    stranger = httpx.post(
        f"{server.url}/api/admin/money/refunds/refund:topup:tu_none:x/retry", json={"reason": "x"}, timeout=30
    )
    assert stranger.status_code in (401, 403)
