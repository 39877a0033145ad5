"""A pass sells nothing to a person who owns every series it covers (its one series, or every
published series of its app): it is not offered to them, a subscribe is refused with ALREADY_OWNED
and nothing charged, and a renewal after they bought the series ends the pass instead of charging
for it. A pass for every series of the app is offered and sold while it covers one they do not own.

Probes: a person who had bought the whole series was shown its week pass, and subscribing charged
them 100 coins, then 100 more every week, for episodes they already owned (money51); the same with
the app's pass, the app having that one series (attack51).
"""

from __future__ import annotations

from datetime import timedelta

from openminis.db import utcnow
from openminis.drama.models import Subscription
from openminis.wallet import service as ledger
from tests.drama.conftest import published_series
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


def renews(player) -> list[bool]:
    return [item["renews"] for item in player.get("/api/subscriptions").json()["items"]]


def offered(player, series_id: str) -> set[str]:
    return {p["id"] for p in player.get(f"/api/dramas/{series_id}").json()["passes"]}


def another_series(client, studio, clips, platform, transcoded, monkeypatch) -> dict:
    """A second published series of the app, one episode long."""
    fields = {"title": "Day Shift", "synopsis": "The morning after.", "series_price": 60}
    return published_series(client, studio, clips, platform, transcoded, monkeypatch, episodes=1, **fields)


def refused(player, pass_id: str) -> None:
    answer = subscribe(player, pass_id)
    assert answer.status_code == 409, answer.text
    assert answer.json()["code"] == "ALREADY_OWNED"


def test_an_owner_of_the_series_is_neither_offered_nor_sold_its_pass(client, series, studio, player, platform):
    series_pass = new_pass(client, studio, series["id"])
    app_pass = new_pass(client, studio, None)
    top_up(player)  # 1200 coins
    assert offered(player, series["id"]) == {series_pass["id"], app_pass["id"]}

    buy_series(player, series["id"])  # the app's one series
    assert offered(player, series["id"]) == set()
    refused(player, series_pass["id"])
    refused(player, app_pass["id"])
    assert balance(player) == 1200 - SERIES_PRICE
    with platform.db.session() as session:
        check = ledger.verify(session)
        assert check.ok, check.problems


def test_the_apps_pass_is_sold_to_an_owner_of_one_series_while_it_covers_another(
    client, series, studio, player, platform, clips, transcoded, monkeypatch
):
    app_pass = new_pass(client, studio, None)
    other = another_series(client, studio, clips, platform, transcoded, monkeypatch)
    top_up(player)
    buy_series(player, series["id"])
    assert offered(player, series["id"]) == {app_pass["id"]}  # it covers the other series
    subscribed = subscribe(player, app_pass["id"])
    assert subscribed.status_code == 200, subscribed.text
    assert balance(player) == 1200 - SERIES_PRICE - PRICE

    buy_series(player, other["id"])  # now every series of the app: the pass ends at its period
    assert offered(player, other["id"]) == set()
    start = utcnow()
    platform.worker(clock=lambda: start + timedelta(days=7, minutes=1)).drain()
    assert balance(player) == 1200 - 2 * SERIES_PRICE - PRICE
    with platform.db.session() as session:
        assert session.get(Subscription, subscribed.json()["id"]).status == "lapsed"


def test_a_pass_whose_series_the_person_bought_since_ends_at_its_period_instead_of_renewing(
    client, series, studio, player, platform
):
    series_pass = new_pass(client, studio, series["id"])
    top_up(player)
    subscribed = subscribe(player, series_pass["id"])
    assert subscribed.status_code == 200, subscribed.text
    assert renews(player) == [True]
    buy_series(player, series["id"])  # the pass first, then the series: both are charged, as they were bought
    assert balance(player) == 1200 - PRICE - SERIES_PRICE
    assert renews(player) == [False]  # Me says it ends (a probe read "Renews on" for a pass that would lapse)

    start = utcnow()
    platform.worker(clock=lambda: start + timedelta(days=7, minutes=1)).drain()
    assert balance(player) == 1200 - PRICE - SERIES_PRICE  # nothing for a week of what they own
    with platform.db.session() as session:
        assert session.get(Subscription, subscribed.json()["id"]).status == "lapsed"
        check = ledger.verify(session)
        assert check.ok, check.problems
