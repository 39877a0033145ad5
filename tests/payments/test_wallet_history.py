"""Me's wallet history: every coin movement of the person's own wallet, newest first, a page at a
time, with the app it happened in; top-ups the provider has not settled stay listed until they do."""

from __future__ import annotations

from datetime import timedelta

import pytest

from openminis.db import utcnow
from openminis.identity.service import new_user
from openminis.unit_of_work import unit_of_work
from openminis.wallet import service as ledger
from openminis.wallet.service import COIN, Leg
from tests.studio import browser, buy, csrf_of, put_product, shown_pack, top_up

DELAYED_CARD = "4000000000000077"


@pytest.fixture
def shop(client, studio):
    put_product(client, studio, "extra-life", price=100)
    return studio


def history(person, **params) -> dict:
    response = person.get("/api/wallet/history", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_every_movement_shows_with_its_sign_and_app_newest_first(client, shop, player):
    top_up(player)
    buy(player, shop.app_id, "extra-life", "k1", quantity=2)
    order = buy(player, shop.app_id, "extra-life", "k2").json()
    shop.backend(client).refund(order["id"], idempotency_key="r-1", amount=100, reason="sorry")

    items = history(player)["items"]
    assert [(item["kind"], item["amount"], item["app_name"]) for item in items] == [
        ("refund", 100, "Test Game"),
        ("purchase", -100, "Test Game"),
        ("purchase", -200, "Test Game"),
        ("topup", 1200, None),
    ]
    assert all(item["created_at"] for item in items)
    assert sum(item["amount"] for item in items) == player.get("/api/wallet").json()["balance"]


def test_pages_follow_each_other_without_repeating_or_skipping(client, shop, player):
    top_up(player)
    for n in range(5):
        buy(player, shop.app_id, "extra-life", f"k{n}")
    first = history(player, limit=4)
    second = history(player, limit=4, cursor=first["next_cursor"])
    assert len(first["items"]) == 4 and len(second["items"]) == 2 and second["next_cursor"] is None
    ids = [item["id"] for item in first["items"] + second["items"]]
    assert len(set(ids)) == 6 and ids == sorted(ids, reverse=True)


def test_another_persons_movements_never_show(client, shop, player, platform):
    top_up(player)
    buy(player, shop.app_id, "extra-life", "k1")
    stranger = browser(client)
    assert history(stranger) == {"items": [], "next_cursor": None}
    # A transfer between two other wallets, one of them the stranger's, shows only to its owner.
    stranger_id = stranger.get("/api/me").json()["user"]["id"]
    with unit_of_work(platform.db) as session:
        other = new_user(session, kind="guest").id
        ledger.transfer(
            session,
            key="gift-1",
            kind="topup",
            currency=COIN,
            legs=[
                Leg(ledger.account_id(session, "coin_issuance"), -7),
                Leg(ledger.account_id(session, "user_wallet", other), 7),
            ],
        )
    assert history(stranger)["items"] == []
    assert stranger_id != other
    assert [item["amount"] for item in history(player)["items"]] == [-100, 1200]


def test_a_bad_cursor_or_limit_is_a_422(client, player):
    assert player.get("/api/wallet/history", params={"cursor": "not-a-cursor"}).status_code == 422
    assert player.get("/api/wallet/history", params={"limit": 0}).status_code == 422
    assert player.get("/api/wallet/history", params={"limit": 101}).status_code == 422


def test_a_pending_top_up_is_listed_until_it_settles(client, player, platform):
    pending = top_up(player, "coins-100", card=DELAYED_CARD)
    assert pending["status"] == "pending"
    listed = player.get("/api/wallet/topups").json()["items"]
    assert [(t["id"], t["status"], t["coins"]) for t in listed] == [(pending["id"], "pending", 100)]
    assert browser(client).get("/api/wallet/topups").json()["items"] == []
    # A checkout left before any card was submitted is not waiting for anything.
    player.post("/api/wallet/topups", json=shown_pack(player, "coins-550"), headers=csrf_of(player))
    assert len(player.get("/api/wallet/topups").json()["items"]) == 1

    # The sandbox's bank confirms a delayed card a few seconds later, from a job.
    platform.worker(clock=lambda: utcnow() + timedelta(minutes=1)).drain()

    assert player.get("/api/wallet/topups").json()["items"] == []
    assert [(item["kind"], item["amount"]) for item in history(player)["items"]] == [("topup", 100)]
