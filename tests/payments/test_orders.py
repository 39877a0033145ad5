"""Buying an item: one confirmation, one charge, split between developer and platform, refundable."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from openminis.client import MinisAPIError
from openminis.db import utcnow
from openminis.identity.service import new_user
from openminis.payments import orders
from openminis.payments.models import Order
from openminis.unit_of_work import unit_of_work
from openminis.wallet import service as ledger
from openminis.wallet.service import COIN, InsufficientFunds, Leg
from tests.concurrency import race
from tests.studio import balance, buy, csrf_of, login_code, put_product, top_up


@pytest.fixture
def shop(client, studio):
    put_product(client, studio, "extra-life", price=100)
    put_product(client, studio, "no-ads", type="permanent", price=300)
    return studio


def bearer(client, app) -> dict[str, str]:
    return {"Authorization": f"Bearer {app.backend(client).access_token()}"}


def accounts(platform, app_id: str) -> tuple[int, int]:
    with platform.db.session() as session:
        earnings = ledger.balance(session, ledger.account_id(session, "app_earnings", app_id))
        revenue = ledger.balance(session, ledger.account_id(session, "platform_revenue"))
        session.commit()
    return earnings, revenue


def verified(platform) -> None:
    with platform.db.session() as session:
        check = ledger.verify(session)
    assert check.ok, check.problems


def test_a_purchase_moves_coins_to_the_developer_and_the_platform_fee(client, shop, player, platform):
    top_up(player)
    response = buy(player, shop.app_id, "extra-life", "k1", quantity=3)
    assert response.status_code == 200, response.text
    order = response.json()
    assert (order["status"], order["amount"], order["payload"]) == ("paid", 300, "for k1")
    assert balance(player) == 1200 - 300
    assert accounts(platform, shop.app_id) == (210, 90)
    verified(platform)


def test_a_retried_purchase_with_the_same_key_charges_once(client, shop, player):
    top_up(player)
    first = buy(player, shop.app_id, "extra-life", "same-key").json()
    again = buy(player, shop.app_id, "extra-life", "same-key").json()
    assert again["id"] == first["id"]
    assert balance(player) == 1100
    conflict = buy(player, shop.app_id, "extra-life", "same-key", quantity=2)
    assert conflict.status_code == 409 and conflict.json()["code"] == "IDEMPOTENCY_CONFLICT"


def test_a_purchase_the_wallet_cannot_cover_moves_nothing(client, shop, player, platform):
    top_up(player, "coins-100")
    response = buy(player, shop.app_id, "no-ads", "k1")
    assert response.status_code == 402 and response.json()["code"] == "INSUFFICIENT_FUNDS"
    assert balance(player) == 100
    assert accounts(platform, shop.app_id) == (0, 0)
    assert player.get(f"/api/apps/{shop.app_id}/purchases").json()["items"] == []


def test_a_permanent_product_is_restored_and_cannot_be_bought_twice(client, shop, player):
    top_up(player)
    order = buy(player, shop.app_id, "no-ads", "k1").json()
    owned = player.get(f"/api/apps/{shop.app_id}/purchases").json()["items"]
    assert [(p["product_id"], p["order_id"]) for p in owned] == [("no-ads", order["id"])]
    again = buy(player, shop.app_id, "no-ads", "k2")
    assert again.status_code == 409 and again.json()["code"] == "ALREADY_OWNED"
    assert balance(player) == 900


def test_a_product_keeps_its_type_once_ordered_so_an_owner_is_never_charged_again(client, shop, player):
    """Turned consumable, the permanent no-ads was sold again to the person who owned it, 300 coins
    more (a probe, dev53). A product keeps its type once ordered; before, it may change."""
    top_up(player)
    assert buy(player, shop.app_id, "no-ads", "k1").status_code == 200
    changed = client.put(
        "/openapi/v1/products/no-ads",
        json={"type": "consumable", "price": 300, "title": {"en": "No ads"}},
        headers=bearer(client, shop),
    )
    assert (changed.status_code, changed.json()["code"], changed.json()["field"]) == (409, "PRODUCT_TYPE_FIXED", "type")
    again = buy(player, shop.app_id, "no-ads", "k2")
    assert (again.status_code, again.json()["code"]) == (409, "ALREADY_OWNED")
    assert balance(player) == 900
    # Never ordered, a product's type may still change; its price may change once ordered.
    fresh = client.put(
        "/openapi/v1/products/extra-life",
        json={"type": "permanent", "price": 100, "title": {"en": "Life"}},
        headers=bearer(client, shop),
    )
    assert fresh.status_code == 200 and fresh.json()["type"] == "permanent"
    cheaper = client.put(
        "/openapi/v1/products/no-ads",
        json={"type": "permanent", "price": 250, "title": {"en": "No ads"}},
        headers=bearer(client, shop),
    )
    assert cheaper.status_code == 200 and cheaper.json()["price"] == 250


def test_a_backend_cannot_make_an_order_for_what_the_person_already_owns(client, shop, player):
    """It answered 201 with an order that could never be paid (ALREADY_OWNED at the pay sheet)."""
    top_up(player)
    assert buy(player, shop.app_id, "no-ads", "k1").status_code == 200
    openid = shop.backend(client).code2session(login_code(player, shop.app_id))["openid"]
    made = client.post(
        "/openapi/v1/orders",
        json={"openid": openid, "product_id": "no-ads", "idempotency_key": "srv-2"},
        headers=bearer(client, shop),
    )
    assert (made.status_code, made.json()["code"]) == (409, "ALREADY_OWNED"), made.text
    with client.app.platform.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Order).where(Order.product_id == "no-ads")) == 1


def test_a_backend_created_order_is_paid_by_the_person_and_caught_up_by_get(client, shop, player):
    top_up(player)
    backend = shop.backend(client)
    openid = backend.code2session(login_code(player, shop.app_id))["openid"]
    created = backend.create_order(openid, "extra-life", quantity=2, payload="server-ref-9", idempotency_key="srv-1")
    assert created["status"] == "created" and created["amount"] == 200
    paid = player.post(
        f"/api/apps/{shop.app_id}/orders/{created['id']}/pay",
        json={"amount": 200, "currency": "COIN"},
        headers=csrf_of(player),
    ).json()
    assert paid["status"] == "paid" and balance(player) == 1000
    caught_up = backend.get_order(created["id"])
    assert [event["status"] for event in caught_up["history"]] == ["created", "paid"]
    assert caught_up["openid"] == openid
    # So does the list, for every order: a backend catching up on missed notifications asked for
    # each order again to learn whom to give it to (a probe, dev54).
    [listed] = client.get("/openapi/v1/orders", headers=bearer(client, shop)).json()["items"]
    assert (listed["id"], listed["openid"]) == (created["id"], openid)
    assert backend.consume(created["id"])["status"] == "consumed"
    assert backend.consume(created["id"])["status"] == "consumed"
    refunded = backend.refund(created["id"], idempotency_key="r-1", amount=50, reason="half")
    assert (refunded["status"], refunded["refunded"]) == ("partially_refunded", 50)


def test_someone_elses_order_looks_like_no_order(client, shop, player):
    top_up(player)
    order = buy(player, shop.app_id, "extra-life", "k1").json()
    from tests.studio import browser

    stranger = browser(client)
    assert stranger.get(f"/api/apps/{shop.app_id}/orders/{order['id']}").status_code == 404
    assert stranger.get(f"/api/apps/{shop.app_id}/orders/ord_missing").status_code == 404


def test_an_order_for_an_unknown_openid_is_refused(client, shop):
    response = client.post(
        "/openapi/v1/orders",
        json={"openid": "o_nobody", "product_id": "extra-life", "idempotency_key": "x"},
        headers=bearer(client, shop),
    )
    assert response.status_code == 404 and response.json()["code"] == "UNKNOWN_OPENID"


def test_refunds_give_back_in_proportion_and_a_full_refund_takes_back_the_product(client, shop, player, platform):
    top_up(player)
    order = buy(player, shop.app_id, "no-ads", "k1").json()
    headers = bearer(client, shop)
    partial = client.post(
        f"/openapi/v1/orders/{order['id']}/refund",
        json={"amount": 100, "reason": "bug", "idempotency_key": "r1"},
        headers=headers,
    ).json()
    assert (partial["status"], partial["refunded"]) == ("partially_refunded", 100)
    assert (
        client.post(
            f"/openapi/v1/orders/{order['id']}/refund", json={"amount": 100, "idempotency_key": "r1"}, headers=headers
        ).json()["refunded"]
        == 100
    )
    too_much = client.post(
        f"/openapi/v1/orders/{order['id']}/refund", json={"amount": 201, "idempotency_key": "r2"}, headers=headers
    )
    assert too_much.status_code == 422
    full = client.post(
        f"/openapi/v1/orders/{order['id']}/refund", json={"idempotency_key": "r3"}, headers=headers
    ).json()
    assert (full["status"], full["refunded"]) == ("refunded", 300)
    assert balance(player) == 1200
    assert accounts(platform, shop.app_id) == (0, 0)  # 30 % fee of 300 = 90, given back 30 + 60
    assert player.get(f"/api/apps/{shop.app_id}/purchases").json()["items"] == []
    verified(platform)


def test_statements_sum_gross_fee_refunds_and_net_and_export_csv(client, shop, player):
    top_up(player)
    buy(player, shop.app_id, "extra-life", "a", quantity=2)
    order = buy(player, shop.app_id, "no-ads", "b").json()
    headers = bearer(client, shop)
    client.post(
        f"/openapi/v1/orders/{order['id']}/refund", json={"amount": 150, "idempotency_key": "r"}, headers=headers
    )
    start, end = (utcnow() - timedelta(hours=1)).isoformat(), (utcnow() + timedelta(hours=1)).isoformat()
    line = client.get("/openapi/v1/statements", params={"start": start, "end": end}, headers=headers).json()["lines"][0]
    assert (line["orders"], line["gross"], line["fee"], line["refunds"], line["refunded_fee"]) == (2, 500, 150, 150, 45)
    assert line["net"] == (500 - 150) - (150 - 45)
    csv = client.get("/openapi/v1/statements", params={"start": start, "end": end, "format": "csv"}, headers=headers)
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0].startswith("app_id,orders,gross,fee,refunds,refunded_fee,platform_coupons,")
    assert csv.text.splitlines()[1].startswith(f"{shop.app_id},2,500,150,150,45,0,0,245,COIN,")
    backwards = client.get("/openapi/v1/statements", params={"start": end, "end": start}, headers=headers)
    assert (backwards.status_code, backwards.json()["field"]) == (422, "end")  # its name was "to" (a probe, dev53)


def test_products_declared_in_the_manifest_are_sold(client, platform, player):
    from tests.factories import publish

    publish(
        platform,
        products=[{"id": "gem-pack", "type": "consumable", "price": 40, "title": {"en": "Gem pack", "fr": "Gemmes"}}],
    )
    assert [p["id"] for p in client.get("/api/apps/test-game/products").json()["items"]] == ["gem-pack"]
    top_up(player, "coins-100")
    assert buy(player, "test-game", "gem-pack", "k").json()["status"] == "paid"
    publish(platform, version="1.1.0", products=[])
    assert client.get("/api/apps/test-game/products").json()["items"] == []


def test_a_release_declaring_another_type_for_a_product_already_sold_keeps_its_type(client, platform, player):
    """A manifest cannot do what the Open API may not (PRODUCT_TYPE_FIXED), and a release or a
    rollback is never refused for it."""
    from tests.factories import publish

    sword = {"id": "sword", "type": "permanent", "price": 40, "title": {"en": "Sword"}}
    publish(platform, products=[sword])
    top_up(player, "coins-100")
    assert buy(player, "test-game", "sword", "k").json()["status"] == "paid"
    publish(platform, version="1.1.0", products=[{**sword, "type": "consumable", "price": 30}])
    [product] = client.get("/api/apps/test-game/products").json()["items"]
    assert (product["type"], product["price"]) == ("permanent", 30)
    assert buy(player, "test-game", "sword", "k2").json()["code"] == "ALREADY_OWNED"


def test_a_release_retires_what_a_manifest_declared_and_leaves_what_was_made_by_hand(client, platform):
    """Products made through the console or the Open API are not a manifest's to retire: every
    release took them off sale, and their coupons with them (a probe, dev52). A product a manifest
    declares is the manifest's, even once changed by hand: a release sets it back."""
    from tests.factories import publish

    gem = {"id": "gem-pack", "type": "consumable", "price": 40, "title": {"en": "Gem pack"}}
    publish(platform, products=[gem])
    with unit_of_work(platform.db) as session:  # as the Open API's PUT /products/{id} and the console do
        orders.put_product(
            session, "test-game", product_id="golden-skin", type="permanent", price=300, title={"en": "G"}
        )
        orders.put_product(session, "test-game", product_id="gem-pack", type="consumable", price=55, title={"en": "G"})

    def sold() -> dict[str, int]:
        return {p["id"]: p["price"] for p in client.get("/api/apps/test-game/products").json()["items"]}

    assert sold() == {"gem-pack": 55, "golden-skin": 300}
    publish(platform, version="1.1.0", products=[gem])
    assert sold() == {"gem-pack": 40, "golden-skin": 300}  # the manifest's price again; the hand-made one stays
    publish(platform, version="1.2.0", products=[])
    assert sold() == {"golden-skin": 300}  # what the manifest no longer declares is retired


@pytest.mark.slow
def test_200_concurrent_purchases_against_a_wallet_that_covers_100_pay_exactly_100(client, shop, platform):
    with platform.db.session() as session:
        user_id = new_user(session).id
        issuance, wallet = ledger.account(session, "coin_issuance"), ledger.wallet(session, user_id)
        ledger.transfer(
            session,
            key="grant",
            kind="grant",
            currency=COIN,
            legs=[Leg(issuance.id, -100 * 100), Leg(wallet.id, 100 * 100)],
        )
        session.commit()

    def buy_one(worker: int, n: int) -> str:
        try:
            with unit_of_work(platform.db) as session:
                orders.purchase(
                    session,
                    app_id=shop.app_id,
                    user_id=user_id,
                    product_id="extra-life",
                    quantity=1,
                    payload="",
                    idempotency_key=f"c-{worker}-{n}",
                    secret=platform.secret,
                    amount=100,
                    currency="COIN",
                )
            return "paid"
        except InsufficientFunds:
            return "refused"

    outcomes = race(workers=20, attempts=10, attempt=buy_one)
    assert outcomes == {"paid": 100, "refused": 100}
    with platform.db.session() as session:
        assert ledger.wallet(session, user_id).balance == 0
        paid = session.scalar(select(func.count()).select_from(Order).where(Order.status == "paid"))
        assert paid == 100
    verified(platform)


def test_an_order_refunded_in_full_is_not_consumed(client, shop, player):
    """A probe: consuming a refunded order answered 200, its body saying "refunded"; a backend that
    reads a 2xx from consume as "deliver the item" gave away what was paid back."""
    top_up(player)
    backend = shop.backend(client)
    order = buy(player, shop.app_id, "extra-life", "k1").json()
    backend.refund(order["id"], idempotency_key="r-1", reason="asked")
    with pytest.raises(MinisAPIError) as refused:
        backend.consume(order["id"])
    assert (refused.value.status, refused.value.code) == (409, "ORDER_STATE")
    assert backend.get_order(order["id"])["status"] == "refunded"


def test_a_backend_lists_its_orders_of_one_status(client, shop, player):
    """A probe: GET /openapi/v1/orders?status=refunded answered every order, the paid ones too."""
    top_up(player)
    backend = shop.backend(client)
    kept, refunded = (buy(player, shop.app_id, "extra-life", key).json() for key in ("k1", "k2"))
    backend.refund(refunded["id"], idempotency_key="r-1", reason="asked")
    headers = bearer(client, shop)

    def listed(**params) -> list[str]:
        answer = client.get("/openapi/v1/orders", params=params, headers=headers)
        assert answer.status_code == 200, answer.text
        return [order["id"] for order in answer.json()["items"]]

    assert listed(status="refunded") == [refunded["id"]]
    assert listed(status="paid") == [kept["id"]]
    assert listed() == [refunded["id"], kept["id"]]  # newest first
    wrong = client.get("/openapi/v1/orders", params={"status": "lost"}, headers=headers)
    assert wrong.status_code == 422 and wrong.json()["field"] == "status", wrong.text


def test_a_product_made_through_the_open_api_is_not_a_manifests_to_reprice_or_retire(client, studio, player):
    """A version declaring "sword", a 300-coin permanent product the developer made through the Open
    API, sold it as a 5-coin consumable once released, and a rollback then took it off sale with its
    coupon (a probe, dev54). Such an upload is refused; one uploaded before the product was made
    is released without touching it. Retired there, the product is the manifest's to sell."""
    from tests.factories import package_files, zip_bytes
    from tests.studio import ADMIN_TOKEN, release_upload

    backend = bearer(client, studio)
    cheap_sword = {"id": "sword", "type": "consumable", "price": 5, "title": {"en": "Sword"}}
    put_product(client, studio, "sword", type="permanent", price=300)

    def upload(version: str, products: list[dict]):
        files = package_files(id=studio.app_id, version=version, products=products)
        return client.post(
            "/openapi/v1/app/versions", content=zip_bytes(files), headers={**backend, "Content-Type": "application/zip"}
        )

    refused = upload("1.1.0", [cheap_sword])
    assert (refused.status_code, refused.json()["code"], refused.json()["field"]) == (
        422,
        "PRODUCT_SOLD_THROUGH_API",
        "products",
    ), refused.text
    assert "sword is sold through the console or the Open API" in refused.json()["message"]
    # Nor by the operator's upload, which went past the check (attack54b).
    by_operator = client.post(
        "/api/admin/packages",
        content=zip_bytes(package_files(id=studio.app_id, version="1.1.1", products=[cheap_sword])),
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "application/zip"},
    )
    assert (by_operator.status_code, by_operator.json()["code"]) == (422, "PRODUCT_SOLD_THROUGH_API"), by_operator.text

    def sold() -> dict[str, tuple[str, int]]:
        return {
            p["id"]: (p["type"], p["price"]) for p in client.get(f"/api/apps/{studio.app_id}/products").json()["items"]
        }

    # Uploaded before the product was made, then released: the product stays the Open API's.
    shield = {"id": "shield", "type": "consumable", "price": 5, "title": {"en": "Shield"}}
    assert upload("1.2.0", [shield]).status_code == 201
    put_product(client, studio, "shield", type="permanent", price=250)
    release_upload(studio.developer, studio.headers, studio.app_id, "1.2.0")
    assert sold() == {"sword": ("permanent", 300), "shield": ("permanent", 250)}
    rolled = studio.developer.post(
        f"/api/developer/apps/{studio.app_id}/rollback",
        json={"version": "1.0.0", "note": "back"},
        headers=studio.headers,
    )
    assert rolled.status_code == 200, rolled.text
    assert sold() == {"sword": ("permanent", 300), "shield": ("permanent", 250)}  # a rollback retires neither

    # Retired through the Open API, the sword is the next manifest's to sell.
    assert client.delete("/openapi/v1/products/sword", headers=backend).status_code == 200
    assert upload("1.3.0", [cheap_sword]).status_code == 201
    release_upload(studio.developer, studio.headers, studio.app_id, "1.3.0")
    assert sold()["sword"] == ("consumable", 5)
    # Retired by a release that no longer declares it, then made again through the Open API, it is
    # the Open API's: it stayed the manifest's, and a release or rollback repriced or retired it (attack54b).
    assert upload("1.4.0", []).status_code == 201
    release_upload(studio.developer, studio.headers, studio.app_id, "1.4.0")
    assert "sword" not in sold()
    remade = client.put(
        "/openapi/v1/products/sword",
        json={"type": "consumable", "price": 300, "title": {"en": "Sword"}},
        headers=backend,
    )
    assert remade.status_code == 200, remade.text
    assert upload("1.5.0", [cheap_sword]).json()["code"] == "PRODUCT_SOLD_THROUGH_API"
    assert upload("1.6.0", []).status_code == 201
    release_upload(studio.developer, studio.headers, studio.app_id, "1.6.0")
    assert sold()["sword"] == ("consumable", 300)
