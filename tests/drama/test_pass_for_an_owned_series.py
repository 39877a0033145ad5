"""A pass for one series sells nothing to a person who owns that series: it is not offered to them,
a subscribe is refused with ALREADY_OWNED and nothing charged, and a renewal after they bought the
series ends the pass instead of charging for it. A pass for every series of the app still covers
the app's other series, so it is offered and sold as before.

A probe (money51): a person who had bought the whole series was shown its week pass, and
subscribing charged them 100 coins, then 100 more every week, for episodes they already owned.
"""

from __future__ import annotations

from datetime import timedelta

from openminis.db import utcnow
from openminis.drama.models import Subscription
from openminis.wallet import service as ledger
from tests.studio import balance, csrf_of, top_up

PRICE = 100
SERIES_PRICE = 60  # tests/drama/conftest.py's series


def new_pass(client, studio, series_id: str | None) -> dict:
    body = {"title": "Week", "period_days": 7, "price": PRICE} | ({"series_id": series_id} if series_id else {})
    created = client.post("/openapi/v1/passes", json=body, headers=studio.headers)
    assert created.status_code == 201, created.text
    return created.json()


def buy_series(player, series_id: str) -> None:
    bought = player.post(
        f"/api/dramas/{series_id}/purchase",
        json={"amount": SERIES_PRICE, "currency": "COIN"},
        headers=csrf_of(player),
    )
    assert bought.status_code == 200, bought.text


def subscribe(player, pass_id: str):
    return player.post(
        f"/api/passes/{pass_id}/subscribe", json={"amount": PRICE, "currency": "COIN"}, headers=csrf_of(player)
    )


def offered(player, series_id: str) -> set[str]:
    return {p["id"] for p in player.get(f"/api/dramas/{series_id}").json()["passes"]}


def test_an_owner_of_the_series_is_neither_offered_nor_sold_its_pass(client, series, studio, player, platform):
    series_pass = new_pass(client, studio, series["id"])
    app_pass = new_pass(client, studio, None)
    top_up(player)  # 1200 coins
    assert offered(player, series["id"]) == {series_pass["id"], app_pass["id"]}

    buy_series(player, series["id"])
    assert offered(player, series["id"]) == {app_pass["id"]}  # it covers the app's other series too
    refused = subscribe(player, series_pass["id"])
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "ALREADY_OWNED"
    assert balance(player) == 1200 - SERIES_PRICE

    assert subscribe(player, app_pass["id"]).status_code == 200
    assert balance(player) == 1200 - SERIES_PRICE - PRICE
    with platform.db.session() as session:
        check = ledger.verify(session)
        assert check.ok, check.problems


def test_a_pass_whose_series_the_person_bought_since_ends_at_its_period_instead_of_renewing(
    client, series, studio, player, platform
):
    series_pass = new_pass(client, studio, series["id"])
    top_up(player)
    subscribed = subscribe(player, series_pass["id"])
    assert subscribed.status_code == 200, subscribed.text
    buy_series(player, series["id"])  # the pass first, then the series: both are charged, as they were bought
    assert balance(player) == 1200 - PRICE - SERIES_PRICE

    start = utcnow()
    platform.worker(clock=lambda: start + timedelta(days=7, minutes=1)).drain()
    assert balance(player) == 1200 - PRICE - SERIES_PRICE  # nothing for a week of what they own
    with platform.db.session() as session:
        assert session.get(Subscription, subscribed.json()["id"]).status == "lapsed"
        check = ledger.verify(session)
        assert check.ok, check.problems
