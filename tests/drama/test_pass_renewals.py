"""A pass renews once per period, and a cancel answered "cancelled" is never followed by a charge.

Two probes (money49). A renewal job queued for a period that the person bought since, by
subscribing again after the period ended and before the job ran (a worker behind), charged the next
period at once and started a second chain of renewals: two charges a period from then on. And on
PostgreSQL a cancel that committed while a renewal ran, after the renewal had read the pass active,
was answered "cancelled" and the renewal charged the next period anyway (1 person of 30).
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy import update

from openminis.db import utcnow
from openminis.drama import access
from openminis.drama.models import Subscription
from openminis.jobs.models import Job
from openminis.unit_of_work import unit_of_work
from openminis.wallet import service as ledger
from tests.studio import balance, csrf_of, top_up

PRICE = 100


def weekly_pass(client, studio) -> dict:
    created = client.post(
        "/openapi/v1/passes", json={"title": "Weekly", "period_days": 7, "price": PRICE}, headers=studio.headers
    )
    assert created.status_code == 201, created.text
    return created.json()


def subscribe(player, pass_id: str) -> dict:
    answer = player.post(
        f"/api/passes/{pass_id}/subscribe", json={"amount": PRICE, "currency": "COIN"}, headers=csrf_of(player)
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def subscription(platform, subscription_id: str) -> Subscription:
    with platform.db.session() as session:
        return session.get(Subscription, subscription_id)


def test_a_renewal_queued_for_a_period_bought_since_charges_nothing(client, series, studio, player, platform):
    drama_pass = weekly_pass(client, studio)
    top_up(player)  # 1200 coins
    first = subscribe(player, drama_pass["id"])
    # The period ends and its renewal has not run yet (a worker behind): the pass is offered again,
    # and the person buys the next period themselves.
    with unit_of_work(platform.db) as session:
        ended = utcnow() - timedelta(minutes=1)
        session.execute(update(Subscription).where(Subscription.id == first["id"]).values(current_period_end=ended))
    again = subscribe(player, drama_pass["id"])
    assert (again["period"], balance(player)) == (2, 1200 - 2 * PRICE)

    start = utcnow()
    platform.worker(clock=lambda: start + timedelta(days=7, minutes=1)).drain()  # both jobs are due
    assert (subscription(platform, first["id"]).period, balance(player)) == (3, 1200 - 3 * PRICE)
    platform.worker(clock=lambda: start + timedelta(days=14, minutes=2)).drain()
    assert (subscription(platform, first["id"]).period, balance(player)) == (4, 1200 - 4 * PRICE)  # one a week
    with platform.db.session() as session:
        check = ledger.verify(session)
        assert check.ok, check.problems


def test_a_cancel_waits_for_a_renewal_under_way_and_a_renewal_for_a_cancel(client, series, studio, player, platform):
    """The renewal takes the person's turn in the pass's app before it reads the pass, as a
    subscribe does; a cancel takes it too. So a cancel sent while a renewal runs is answered after
    it, with the period it charged, and a renewal after a cancel finds it cancelled."""
    drama_pass = weekly_pass(client, studio)
    top_up(player)
    subscribed = subscribe(player, drama_pass["id"])
    answered: list[dict] = []
    with unit_of_work(platform.db) as session:  # a renewal under way: it holds the person's turn
        held = session.get(Subscription, subscribed["id"])  # (on SQLite, its first read takes the write lock)
        access.one_purchase_at_a_time(session, held.user_id, studio.app.app_id)
        cancelling = threading.Thread(
            target=lambda: answered.append(
                player.post(f"/api/subscriptions/{subscribed['id']}/cancel", headers=csrf_of(player)).json()
            )
        )
        cancelling.start()
        time.sleep(1)
        assert answered == []  # it waits for the renewal
    cancelling.join(timeout=30)
    assert answered[0]["status"] == "cancelled", answered

    start = utcnow()
    platform.worker(clock=lambda: start + timedelta(days=7, minutes=1)).drain()
    assert balance(player) == 1200 - PRICE  # cancelled: not renewed


def test_a_renewal_that_runs_late_charges_one_period_from_now_not_the_weeks_that_passed(
    client, series, studio, player, platform
):
    """The attack on the fix above (attack49): with the worker 15 days behind, the renewal moved the
    period on from its old end, still in the past, and queued the next one already due: four charges
    within seconds, two weeks of them for time the pass gave no access."""
    drama_pass = weekly_pass(client, studio)
    top_up(player)
    subscribed = subscribe(player, drama_pass["id"])
    late = utcnow() - timedelta(days=15)
    with unit_of_work(platform.db) as session:
        session.execute(update(Subscription).where(Subscription.id == subscribed["id"]).values(current_period_end=late))
        session.execute(update(Job).where(Job.kind == "drama.renew").values(run_at=late))
    platform.worker().drain()
    renewed = subscription(platform, subscribed["id"])
    assert (renewed.period, balance(player)) == (2, 1200 - 2 * PRICE)
    assert renewed.current_period_end > utcnow() + timedelta(days=6)  # a whole week from now


def test_a_producer_lists_its_passes_and_retires_one_whose_subscribers_keep_it(
    client, series, studio, player, platform
):
    """A producer made passes and could neither see nor stop them (a probe, dev54). Retired, a
    pass is offered to no one and refuses new subscribers; a person subscribed keeps it, renewed."""
    drama_pass = weekly_pass(client, studio)
    top_up(player)
    kept = subscribe(player, drama_pass["id"])
    listed = client.get("/openapi/v1/passes", headers=studio.headers).json()["items"]
    assert [(p["id"], p["active"]) for p in listed] == [(drama_pass["id"], True)]
    retired = client.post(f"/openapi/v1/passes/{drama_pass['id']}/retire", headers=studio.headers)
    assert retired.status_code == 200 and retired.json()["active"] is False, retired.text
    assert client.get("/openapi/v1/passes", headers=studio.headers).json()["items"][0]["active"] is False
    assert [p["id"] for p in player.get(f"/api/dramas/{series['id']}").json()["passes"]] == []
    from tests.studio import browser

    newcomer = browser(client)
    top_up(newcomer)
    refused = newcomer.post(
        f"/api/passes/{drama_pass['id']}/subscribe",
        json={"amount": PRICE, "currency": "COIN"},
        headers=csrf_of(newcomer),
    )
    assert refused.status_code == 404, refused.text
    with unit_of_work(platform.db) as session:  # the period ends: the subscriber's renewal still runs
        ended = utcnow() - timedelta(minutes=1)
        session.execute(update(Subscription).where(Subscription.id == kept["id"]).values(current_period_end=ended))
        session.execute(update(Job).where(Job.kind == "drama.renew").values(run_at=ended))
    platform.worker().drain()
    assert subscription(platform, kept["id"]).period == 2
    other_app = client.post("/openapi/v1/passes/pass_000000000000/retire", headers=studio.headers)
    assert other_app.status_code == 404
