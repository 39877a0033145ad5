"""What follows a payment happens only once it committed: a purchase or a refund whose request
fails after the service ran leaves no order, no transfer and no conversion event; a declined card's
failed top-up stands though the answer is an error; the first look at the coin packs saves them in
a unit of its own; an account opened in a savepoint of a unit that rolls back is not remembered."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Annotated

import pytest
from fastapi import Depends
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from openminis.app import create_host_app
from openminis.errors import Conflict
from openminis.payments import api as payments_api
from openminis.payments import openapi as payments_openapi
from openminis.payments import orders, reconciliation
from openminis.payments.models import CoinPack, Order
from openminis.payments.schemas import PurchaseIn, RefundIn
from openminis.platform import Platform
from openminis.unit_of_work import unit_of_work
from openminis.wallet import service as ledger
from openminis.wallet.models import Account
from openminis.wallet.service import COIN, Leg
from openminis.web.dependencies import get_platform, get_session
from tests.studio import balance, buy, put_product, top_up


class Failed(Conflict):
    code = "FAILED_AFTER_THE_SERVICE"


@pytest.fixture
def late_failures(platform):
    """The platform's app with routes that run the real purchase and refund routes in the
    request's unit of work and then raise, as a route failing late would."""
    app = create_host_app(platform)

    def purchase(
        user_id: str,
        app_id: str,
        body: dict,
        session: Annotated[Session, Depends(get_session)],
        platform: Annotated[Platform, Depends(get_platform)],
    ) -> dict:
        visitor = SimpleNamespace(user=SimpleNamespace(id=user_id))
        payments_api.purchase(PurchaseIn(**body), visitor, session, platform, app_id=app_id)
        raise Failed("the route failed after the purchase")

    def refund(
        app_id: str,
        order_id: str,
        body: dict,
        session: Annotated[Session, Depends(get_session)],
        platform: Annotated[Platform, Depends(get_platform)],
    ) -> dict:
        payments_openapi.refund(RefundIn(**body), app_id, session, platform, order_id=order_id)
        raise Failed("the route failed after the refund")

    app.add_api_route("/test/purchase", purchase, methods=["POST"])
    app.add_api_route("/test/refund", refund, methods=["POST"])
    with TestClient(app, base_url="http://localhost:8000") as client:
        yield client


def conversions(platform, type: str) -> int:
    platform.conversions.flush()
    return platform.events.query("SELECT count(*) FROM events WHERE type = ?", [type])[0][0]


def orders_of(platform, app_id: str) -> list[tuple[str, int]]:
    with platform.db.session() as session:
        return [(o.status, o.refunded) for o in session.scalars(select(Order).where(Order.app_id == app_id))]


def verifies(platform) -> None:
    with platform.db.session() as session:
        assert ledger.verify(session).problems + reconciliation.verify(session) == []


def test_a_purchase_that_does_not_commit_charges_nothing_and_records_no_conversion(
    client, studio, player, platform, late_failures
):
    put_product(client, studio, "gem", price=100)
    top_up(player)
    user_id = player.get("/api/me").json()["user"]["id"]
    body = {"product_id": "gem", "idempotency_key": "late", "amount": 100, "currency": "COIN"}

    failed = late_failures.post("/test/purchase", params={"user_id": user_id, "app_id": studio.app_id}, json=body)
    assert (failed.status_code, failed.json()["code"]) == (409, "FAILED_AFTER_THE_SERVICE")
    assert orders_of(platform, studio.app_id) == []
    assert balance(player) == 1200
    assert conversions(platform, "paid") == 0

    # The same key through the host's route commits: charged once, and only now recorded.
    paid = buy(player, studio.app_id, "gem", "late", amount=100)
    assert paid.status_code == 200 and paid.json()["status"] == "paid"
    assert balance(player) == 1100
    assert conversions(platform, "paid") == 1
    verifies(platform)


def test_a_refund_that_does_not_commit_gives_nothing_back_and_records_no_conversion(
    client, studio, player, platform, late_failures
):
    put_product(client, studio, "gem", price=100)
    top_up(player)
    order = buy(player, studio.app_id, "gem", "k", amount=100).json()
    body = {"amount": 40, "reason": "late", "idempotency_key": "r1"}

    failed = late_failures.post("/test/refund", params={"app_id": studio.app_id, "order_id": order["id"]}, json=body)
    assert failed.status_code == 409
    assert orders_of(platform, studio.app_id) == [("paid", 0)]
    assert balance(player) == 1100
    assert conversions(platform, "refund") == 0

    headers = {"Authorization": f"Bearer {studio.backend(client).access_token()}"}
    refunded = client.post(f"/openapi/v1/orders/{order['id']}/refund", json=body, headers=headers)
    assert refunded.status_code == 200 and refunded.json()["refunded"] == 40
    assert orders_of(platform, studio.app_id) == [("partially_refunded", 40)]
    assert balance(player) == 1140
    assert conversions(platform, "refund") == 1
    verifies(platform)


def test_a_purchase_after_earlier_work_in_the_unit_keeps_that_work_when_its_key_was_taken(
    client, studio, player, platform
):
    """A purchase whose key is taken writes nothing (its order's INSERT does nothing and the order
    with the key is the answer), so the unit's earlier work stays, with no savepoint."""
    put_product(client, studio, "gem", price=100)
    top_up(player)
    user_id = player.get("/api/me").json()["user"]["id"]
    first = buy(player, studio.app_id, "gem", "twin", amount=100).json()

    def again(session: Session) -> orders.Paid:
        return orders.purchase(
            session,
            app_id=studio.app_id,
            user_id=user_id,
            product_id="gem",
            quantity=1,
            payload="for twin",  # as buy() sends it
            idempotency_key="twin",
            secret=platform.secret,
            amount=100,
            currency="COIN",
        )

    with unit_of_work(platform.db) as session:
        earlier = ledger.account_id(session, "user_wallet", "someone-earlier")  # written before the purchase
        paid = again(session)
    assert (paid.new, paid.order.id) == (False, first["id"])
    with platform.db.session() as session:
        assert session.get(Account, earlier) is not None
    assert balance(player) == 1100
    verifies(platform)


def test_the_first_look_at_the_coin_packs_shows_the_defaults_and_saves_them_after(client, platform):
    with platform.db.session() as session:
        assert session.scalar(select(func.count()).select_from(CoinPack)) == 0
    shown = client.get("/api/wallet/packs").json()["items"]
    assert [p["id"] for p in shown] == ["coins-100", "coins-550", "coins-1200", "coins-6500"]
    with platform.db.session() as session:
        assert session.scalar(select(func.count()).select_from(CoinPack)) == 4
    assert client.get("/api/wallet/packs").json()["items"] == shown


def test_an_account_opened_in_a_savepoint_of_a_unit_that_rolls_back_is_not_remembered(platform):
    with pytest.raises(RuntimeError), unit_of_work(platform.db) as session:
        with session.begin_nested():
            ghost = ledger.account_id(session, "user_wallet", "ghost")
        raise RuntimeError("the work failed after the savepoint was released")
    with platform.db.session() as session:
        assert session.get(Account, ghost) is None

    with unit_of_work(platform.db) as session:
        ledger.account_id(session, "user_wallet", "another")  # SQLite may give it the rolled-back row's id
        wallet = ledger.account_id(session, "user_wallet", "ghost")
        ledger.transfer(
            session,
            key="grant-ghost",
            kind="grant",
            currency=COIN,
            legs=[Leg(ledger.account_id(session, "coin_issuance"), -5), Leg(wallet, 5)],
        )
    with platform.db.session() as session:
        assert (ledger.wallet_balance(session, "ghost"), ledger.wallet_balance(session, "another")) == (5, 0)
        assert ledger.verify(session).ok
