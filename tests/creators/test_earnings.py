"""A creator sees the commission earned in each currency and the conversions behind it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from openminis.attribution.models import Conversion
from openminis.db import utcnow
from openminis.wallet import service as ledger
from openminis.wallet.models import Account
from openminis.wallet.service import Leg


def test_a_new_creator_has_nothing_earned_and_no_account_is_opened_by_looking(platform, creator):
    earnings = creator.browser.get("/api/creator/earnings")
    assert earnings.status_code == 200
    assert earnings.json() == {"balances": {"COIN": 0, "USD_MICROS": 0}, "conversions": [], "next_cursor": None}
    with platform.db.session() as session:
        opened = (
            select(func.count())
            .select_from(Account)
            .where(Account.kind == "creator_earnings", Account.owner_id == creator.user_id)
        )
        assert session.scalar(opened) == 0


def test_earnings_list_the_creators_conversions_newest_first_page_by_page(platform, creator, game):
    now = utcnow()
    with platform.db.session() as session:
        for index in range(5):
            session.add(
                Conversion(
                    kind="purchase",
                    ref=f"order:ord_{index}",
                    app_id=game,
                    user_id=creator.user_id,
                    source="post",
                    creator_id=creator.user_id,
                    post_id=f"pst_{index}",
                    currency="COIN",
                    revenue=100 * (index + 1),
                    developer_net=70 * (index + 1),
                    commission=7 * (index + 1),
                    at=now - timedelta(minutes=5 - index),
                )
            )
        session.add(
            Conversion(
                kind="purchase",
                ref="order:someone-else",
                app_id=game,
                user_id=creator.user_id,
                creator_id="another",
                currency="COIN",
                revenue=1,
                at=now,
            )
        )
        ledger.transfer(
            session,
            key="test:commission",
            kind="creator_commission",
            currency="COIN",
            legs=[
                Leg(ledger.account_id(session, "coin_issuance"), -75),
                Leg(ledger.account_id(session, "creator_earnings", creator.user_id), 75),
            ],
        )
        session.commit()
    first = creator.browser.get("/api/creator/earnings", params={"limit": 3}).json()
    assert first["balances"] == {"COIN": 75, "USD_MICROS": 0}
    assert [c["post_id"] for c in first["conversions"]] == ["pst_4", "pst_3", "pst_2"]
    assert first["conversions"][0] | {"at": None} == {
        "kind": "purchase",
        "app_id": game,
        "source": "post",
        "post_id": "pst_4",
        "currency": "COIN",
        "revenue": 500,
        "commission": 35,
        "clawed_back": 0,
        "at": None,
    }
    second = creator.browser.get("/api/creator/earnings", params={"limit": 3, "cursor": first["next_cursor"]}).json()
    assert [c["post_id"] for c in second["conversions"]] == ["pst_1", "pst_0"] and second["next_cursor"] is None
    refused = creator.browser.get("/api/creator/earnings", params={"cursor": "bm9wZQ"})
    assert refused.status_code == 422 and refused.json()["field"] == "cursor"
