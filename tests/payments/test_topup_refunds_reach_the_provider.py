"""A top-up's refund reaches its payment provider: finance's refund asks the provider, from a job
with no transaction open; refused for good, the refund is undone exactly; unanswered, it is asked
again later, and once the job has given up, when finance asks again. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from sqlalchemy import func, select, update

from openminis.db import utcnow
from openminis.jobs.models import Job
from openminis.payments import reconciliation, refunds
from openminis.payments.models import ProviderRefund
from openminis.payments.providers import RefundAnswer, RefundRequest, RefundUnavailable
from openminis.staff.models import AuditEntry
from openminis.wallet import service as ledger
from tests.payments.test_money_admin import player_id, staff_member
from tests.studio import TEST_CARD, balance, csrf_of, shown_pack, top_up


def refund(finance, headers, topup: dict, key: str, amount: int | None = None):
    body = {"item": f"topup:{topup['id']}", "reason": "charged twice", "idempotency_key": key}
    answer = finance.post(
        "/api/admin/money/refunds", json=body | ({"amount": amount} if amount else {}), headers=headers
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def provider_refunds(platform) -> list[ProviderRefund]:
    with platform.db.session() as session:
        return list(session.scalars(select(ProviderRefund)))


def asked_jobs(platform) -> int:
    with platform.db.session() as session:
        return session.scalar(select(func.count()).where(Job.kind == refunds.PROVIDER_REFUND_JOB))


def books_hold(platform) -> None:
    with platform.db.session() as session:
        assert ledger.verify(session).problems + reconciliation.verify(session) == []


def shown(finance, player) -> dict:
    """The top-up as finance's look-up of the person shows it."""
    records = finance.get(f"/api/admin/money/people/{player_id(player)}").json()
    return records["topups"][0]


def test_finance_refunds_half_a_topup_and_the_provider_refunds_it_once(client, platform, player):
    finance, headers = staff_member(client, "finance")
    topup = top_up(player)
    half = topup["amount"] // 2

    assert refund(finance, headers, topup, "half", half)["amount"] == half
    [asked] = provider_refunds(platform)
    assert (asked.status, asked.amount, asked.topup_id) == ("requested", half, topup["id"])
    platform.worker().drain()

    [done] = provider_refunds(platform)
    request = RefundRequest(asked.key, topup["id"], None, half, topup["currency"])
    assert done.status == "refunded" and done.provider_ref == platform.sandbox.refund(request).provider_ref
    # A retry of the same refund: the same answer, nothing more given back, the provider not asked again.
    again = refund(finance, headers, topup, "half", half)
    assert (again["amount"], again["refunded"]) == (half, half)
    assert platform.worker().drain() == 0 and asked_jobs(platform) == 1 and len(provider_refunds(platform)) == 1
    seen = shown(finance, player)
    assert seen["refunded"] == half
    assert [(r["status"], r["provider_ref"]) for r in seen["provider_refunds"]] == [("refunded", done.provider_ref)]
    books_hold(platform)


def test_a_refund_the_provider_refuses_is_undone_exactly(client, platform, player, monkeypatch):
    finance, headers = staff_member(client, "finance")
    topup = top_up(player)
    coins = balance(player)
    refused = RefundAnswer("refused", reason="the card's account is closed")
    monkeypatch.setattr(platform.sandbox, "refund", lambda request: refused)

    refund(finance, headers, topup, "half", topup["amount"] // 2)
    assert balance(player) < coins
    platform.worker().drain()

    assert balance(player) == coins  # the coins taken back are the person's again
    [undone] = provider_refunds(platform)
    assert (undone.status, undone.reason) == ("refused", "the card's account is closed")
    seen = shown(finance, player)
    assert seen["refunded"] == 0 and seen["provider_refunds"][0]["status"] == "refused"
    books_hold(platform)
    # The tally is back to nothing: the whole top-up can still be refunded, once.
    monkeypatch.undo()
    assert refund(finance, headers, topup, "all")["amount"] == topup["amount"]
    platform.worker().drain()
    assert sorted(r.status for r in provider_refunds(platform)) == ["refunded", "refused"]
    books_hold(platform)


def unavailable(request: RefundRequest) -> RefundAnswer:
    raise RefundUnavailable("the provider answered HTTP 503")


def test_an_unavailable_provider_leaves_the_refund_requested_and_is_asked_again_later(
    client, platform, player, monkeypatch
):
    finance, headers = staff_member(client, "finance")
    topup = top_up(player)
    monkeypatch.setattr(platform.sandbox, "refund", unavailable)
    refund(finance, headers, topup, "all")
    platform.worker().drain()
    [waiting] = provider_refunds(platform)
    assert (waiting.status, waiting.last_error) == ("requested", "the provider answered HTTP 503")
    books_hold(platform)

    monkeypatch.undo()
    assert platform.worker().drain() == 0  # not before its retry is due
    platform.worker(clock=lambda: utcnow() + timedelta(minutes=5)).drain()
    [done] = provider_refunds(platform)
    assert (done.status, done.last_error) == ("refunded", None) and done.provider_ref.startswith("sbxre_")
    books_hold(platform)


def test_a_refund_keeps_the_coins_it_took_back_and_verify_holds_it_to_its_coin_transfer(client, platform, player):
    # The coins a top-up's later refunds give back are counted from these (refunds.coins_due).
    finance, headers = staff_member(client, "finance")
    topup = top_up(player)
    refund(finance, headers, topup, "third", topup["amount"] // 3)
    [made] = provider_refunds(platform)
    assert made.coins == topup["coins"] * (topup["amount"] // 3) // topup["amount"] > 0
    books_hold(platform)
    with platform.db.session() as session:
        session.execute(update(ProviderRefund).values(coins=ProviderRefund.coins - 1))
        session.commit()
    with platform.db.session() as session:
        said = reconciliation.verify(session)
    drifted = f"refund {made.key} says it took back {made.coins - 1} coins but its coin transfer moved {made.coins}"
    assert said == [drifted]


def test_a_refund_whose_job_gave_up_is_asked_again_when_finance_says_so(client, platform, player, monkeypatch):
    finance, headers = staff_member(client, "finance")
    topup = top_up(player)
    monkeypatch.setattr(platform.sandbox, "refund", unavailable)
    refund(finance, headers, topup, "all")
    # Still down when the job's three days are over: it gives up, and nothing would ask again.
    platform.worker(clock=lambda: utcnow() + timedelta(days=4)).drain()
    [stuck] = provider_refunds(platform)
    assert stuck.status == "requested" and stuck.last_error.startswith("gave up retrying")
    assert platform.worker(clock=lambda: utcnow() + timedelta(days=30)).drain() == 0
    assert shown(finance, player)["provider_refunds"][0]["last_error"] == stuck.last_error

    monkeypatch.undo()
    path = f"/api/admin/money/refunds/{quote(stuck.key)}/retry"
    support, support_headers = staff_member(client, "support")  # looks people up, refunds nothing
    assert support.post(path, json={"reason": "the provider is back"}, headers=support_headers).status_code == 403
    assert finance.post(path, json={}, headers=headers).status_code == 422  # says why, for the audit log
    asked = finance.post(path, json={"reason": "the provider is back"}, headers=headers)
    assert asked.status_code == 200, asked.text
    assert (asked.json()["key"], asked.json()["status"]) == (stuck.key, "requested")
    platform.worker().drain()

    [done] = provider_refunds(platform)
    assert (done.status, done.last_error) == ("refunded", None) and done.provider_ref.startswith("sbxre_")
    with platform.db.session() as session:
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "retry_refund")).all()
    assert (entry.target_id, entry.reason) == (f"topup:{topup['id']}", "the provider is back")
    assert entry.before["key"] == done.key
    # Answered, it is asked no more; a key that names no refund is not found.
    again = finance.post(path, json={"reason": "once more"}, headers=headers)
    assert again.status_code == 409 and again.json()["code"] == "REFUND_STATE"
    missing = "/api/admin/money/refunds/refund:topup:tu_none:x/retry"
    assert finance.post(missing, json={"reason": "x"}, headers=headers).status_code == 404
    books_hold(platform)


def test_any_part_of_a_top_up_however_small_takes_back_the_coins_of_it_rounded_up(client, platform, player):
    """The coins of a part of the price go back with it, rounded up: rounded down (the person's
    way), 99 one-cent refunds of a 1-coin pack sold at 100 cents gave back 99 cents and took no coin
    (a probe). Here the first yen of 100 coins sold at 160 yen takes a coin, and the rest the others."""
    finance, headers = staff_member(client, "finance")
    pack = shown_pack(player, "coins-100", market="JP")
    assert (pack["currency"], pack["coins"]) == ("JPY", 100) and pack["amount"] > pack["coins"]
    made = player.post("/api/wallet/topups", json=pack, headers=csrf_of(player)).json()
    topup = player.post(
        f"/api/wallet/topups/{made['id']}/sandbox/pay", json={"card_number": TEST_CARD}, headers=csrf_of(player)
    ).json()
    assert balance(player) == 100

    refund(finance, headers, topup, "one-yen", 1)
    assert balance(player) == 99
    refund(finance, headers, topup, "the-rest")
    assert balance(player) == 0
    books_hold(platform)
