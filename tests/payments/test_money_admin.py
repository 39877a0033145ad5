"""The operator's money (issue 15, items 3 and 4): terms with an effective time, refunds of anything
a person paid for, support's look-up, and statements that equal the ledger, on SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from openminis.ads.money import APP_AD_EARNINGS
from openminis.db import utcnow
from openminis.drama import subscriptions
from openminis.drama.models import Episode, Series, Subscription
from openminis.identity import accounts
from openminis.payments import reconciliation, statements
from openminis.payouts import service as payouts
from openminis.staff import service as staff
from openminis.unit_of_work import unit_of_work
from openminis.wallet import service as ledger
from openminis.wallet.models import Account, LedgerEntry, LedgerTransfer
from tests.ads.conftest import Ads, Clock
from tests.creators.conftest import launch, make_creator, ready_post
from tests.studio import balance, browser, buy, csrf_of, put_product, sign_up, top_up

EPISODE_PRICE, PASS_PRICE = 40, 70


def staff_member(client, role: str):
    person = browser(client)
    email = f"{role}-{secrets.token_hex(3)}@example.com"
    headers = sign_up(person, email)
    with unit_of_work(client.app.platform.db) as session:
        staff.add(session, accounts.user_by_email(session, email).id, role, by="test")
    return person, headers


def drama_items(platform, app_id: str) -> dict[str, str]:
    """A published series of the app with one paid episode, and a weekly pass for it (rows as the
    pipeline and the Open API leave them: the media are beside the point here)."""
    series_id, episode_id = "ser_" + secrets.token_hex(6), "epi_" + secrets.token_hex(6)
    with unit_of_work(platform.db) as session:
        session.add(
            Series(
                id=series_id,
                app_id=app_id,
                title="Night Shift",
                status="published",
                free_episodes=0,
                episode_price=EPISODE_PRICE,
                published_at=utcnow(),
            )
        )
        session.flush()
        session.add(Episode(id=episode_id, series_id=series_id, number=1, status="ready", media_key="m", progress=100))
        session.flush()
        drama_pass = subscriptions.create_pass(
            session, app_id, title="Week", period_days=7, price=PASS_PRICE, series_id=series_id
        )
    return {"series": series_id, "episode": episode_id, "pass": drama_pass.id}


def unlock(player, series_id: str) -> None:
    answer = player.post(
        f"/api/dramas/{series_id}/episodes/1/unlock",
        json={"method": "coins", "amount": EPISODE_PRICE, "currency": "COIN"},
        headers=csrf_of(player),
    )
    assert answer.status_code == 200, answer.text


def subscribe(player, pass_id: str) -> dict:
    answer = player.post(
        f"/api/passes/{pass_id}/subscribe", json={"amount": PASS_PRICE, "currency": "COIN"}, headers=csrf_of(player)
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def details(platform, key: str) -> dict:
    with platform.db.session() as session:
        found = ledger.transfer_details(session, key)
    assert found is not None, key
    return found


def fee(platform, order: dict) -> int:
    return details(platform, f"order:{order['id']}:pay")["fee"]


def books_hold(platform) -> None:
    with platform.db.session() as session:
        check = ledger.verify(session)
        problems = check.problems + reconciliation.verify(session)
    assert problems == []


def set_terms(finance, headers, **body):
    answer = finance.post("/api/admin/money/terms", json={"reason": "contract", **body}, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_a_terms_time_without_an_offset_is_utc_and_one_past_year_9999_in_utc_is_refused(client, studio):
    """As every other time the platform reads: a naive time was a 500 here, and a time whose UTC
    fell past year 9999 (or before year 1) was stored on PostgreSQL, after which reading the app's
    terms was a 500 for good (rows are only added): a probe."""
    finance, headers = staff_member(client, "finance")
    naive = set_terms(
        finance,
        headers,
        app_id=studio.app_id,
        fee_bps=2500,
        creator_commission_bps=0,
        effective_at="2030-01-01T00:00:00",
    )
    assert naive["effective_at"].startswith("2030-01-01T00:00:00") and naive["effective_at"][19:] in ("Z", "+00:00")
    for out_of_range in ("9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"):
        body = {"app_id": studio.app_id, "fee_bps": 2500, "creator_commission_bps": 0, "effective_at": out_of_range}
        refused = finance.post("/api/admin/money/terms", json={"reason": "odd", **body}, headers=headers)
        assert refused.status_code == 422, refused.text
    assert finance.get("/api/admin/money/terms", params={"app_id": studio.app_id}).status_code == 200


def test_terms_never_take_effect_in_the_past_nor_at_a_number(client, platform, studio, player):
    """A probe: terms effective an hour ago were saved, and the history then said an order paid
    since had paid 50 % when it paid 30 %. A time arrives as an ISO 8601 string, not Unix seconds."""
    put_product(client, studio, "gem", price=100)
    finance, headers = staff_member(client, "finance")
    top_up(player)
    paid = buy(player, studio.app_id, "gem", "paid").json()
    body = {"app_id": studio.app_id, "fee_bps": 5000, "creator_commission_bps": 1000, "reason": "contract"}
    for when in ((utcnow() - timedelta(hours=1)).isoformat(), "0001-01-01T00:00:00Z", 1795000000, "1795000000"):
        refused = finance.post("/api/admin/money/terms", json={**body, "effective_at": when}, headers=headers)
        assert (refused.status_code, refused.json()["field"]) == (422, "effective_at"), refused.text
    shown = finance.get("/api/admin/money/terms", params={"app_id": studio.app_id}).json()
    assert (shown["app"]["fee_bps"], shown["app"]["history"]) == (3000, [])
    assert fee(platform, paid) == 30
    # A coupon's times too.
    coupon = {"title": "Gift", "ends_at": 1795000000, "reason": "launch", "amount_off": 5}
    refused = client.post("/api/admin/money/coupons", json=coupon, headers={"Authorization": "Bearer test-admin-token"})
    assert (refused.status_code, refused.json()["field"]) == (422, "ends_at"), refused.text


def test_terms_take_effect_at_their_time_and_what_was_paid_before_keeps_its_own(client, platform, studio, player):
    put_product(client, studio, "gem", price=100)
    items = drama_items(platform, studio.app_id)
    finance, headers = staff_member(client, "finance")
    top_up(player)

    # Scheduled for tomorrow: not yet in effect.
    set_terms(
        finance,
        headers,
        app_id=studio.app_id,
        fee_bps=5000,
        creator_commission_bps=1000,
        effective_at=(utcnow() + timedelta(days=1)).isoformat(),
    )
    before = buy(player, studio.app_id, "gem", "before").json()
    assert fee(platform, before) == 30  # the platform's default, 30 %

    # Effective now: the next order, unlock and pass pay it.
    set_terms(finance, headers, app_id=studio.app_id, fee_bps=2000, creator_commission_bps=500)
    after = buy(player, studio.app_id, "gem", "after").json()
    assert fee(platform, after) == 20
    unlock(player, items["series"])
    subscription = subscribe(player, items["pass"])
    assert details(platform, f"order:{after['id']}:pay")["fee_bps"] == 2000
    assert details(platform, f"unlock:{player_id(player)}:{items['episode']}")["fee"] == EPISODE_PRICE * 2000 // 10_000
    assert details(platform, f"pass:{subscription['id']}:1")["fee"] == PASS_PRICE * 2000 // 10_000
    assert details(platform, f"order:{before['id']}:pay")["fee"] == 30  # the earlier order kept its terms

    # The defaults change: an app with terms of its own keeps them.
    set_terms(finance, headers, app_id=None, fee_bps=4000, creator_commission_bps=1000)
    assert fee(platform, buy(player, studio.app_id, "gem", "later").json()) == 20
    shown = finance.get("/api/admin/money/terms", params={"app_id": studio.app_id}).json()
    assert (shown["defaults"]["fee_bps"], shown["app"]["fee_bps"]) == (4000, 2000)
    assert [row["fee_bps"] for row in shown["app"]["history"]] == [5000, 2000]  # the latest effective first
    # The developer sees the terms in effect, read-only.
    console = studio.developer.get(f"/api/developer/apps/{studio.app_id}/payment-settings").json()
    assert (console["fee_bps"], console["creator_commission_bps"]) == (2000, 500)
    log = finance.get("/api/admin/audit", params={"target_id": studio.app_id, "action": "set_terms"}).json()["items"]
    assert [entry["target_id"] for entry in log] == [studio.app_id, studio.app_id]
    assert log[0]["before"] == {"fee_bps": 3000, "creator_commission_bps": 1000}
    books_hold(platform)


def player_id(player) -> str:
    return player.get("/api/me").json()["user"]["id"]


def test_finance_refunds_in_part_then_in_full_once_per_key_and_never_more_than_was_paid(
    client, platform, studio, player
):
    put_product(client, studio, "gem", price=100)
    items = drama_items(platform, studio.app_id)
    finance, headers = staff_member(client, "finance")
    topup = top_up(player)
    start = balance(player)
    order = buy(player, studio.app_id, "gem", "k").json()
    unlock(player, items["series"])
    subscription = subscribe(player, items["pass"])
    user_id = player_id(player)

    def refund(item: str, key: str, amount: int | None = None, reason: str = "asked nicely"):
        body = {"item": item, "reason": reason, "idempotency_key": key} | ({"amount": amount} if amount else {})
        return finance.post("/api/admin/money/refunds", json=body, headers=headers)

    paid = {
        f"order:{order['id']}": 100,
        f"unlock:{user_id}:{items['episode']}": EPISODE_PRICE,
        f"pass:{subscription['id']}:1": PASS_PRICE,
    }
    for item, price in paid.items():
        part = refund(item, "part", 15)
        assert (part.status_code, part.json()["refunded"], part.json()["amount"]) == (200, 15, 15), part.text
        # A retry answers as the refund it repeats, and refunds nothing more (it answered "amount 0",
        # which a finance person retrying after a timeout read as "nothing refunded": ops52).
        assert refund(item, "part", 15).json() == part.json()
        assert refund(item, "part").json() == part.json()  # no amount: the key's refund, not "the rest"
        assert refund(item, "part", 16).status_code == 409  # a retry asking another amount is refused
        assert refund(item, "too-much", price).status_code == 422  # more than is left
        rest = refund(item, "rest")
        assert (rest.status_code, rest.json()["refunded"], rest.json()["amount"]) == (200, price, price - 15)
        assert refund(item, "again").status_code in (409, 422)  # nothing is left
    assert balance(player) == start  # every coin came back
    with platform.db.session() as session:
        assert session.get(Subscription, subscription["id"]).status == "cancelled"  # it renews no more
    # Each pass period shows its own state, not its subscription's (a period refunded in full read
    # "active" once its person subscribed again: money52).
    [period] = finance.get(f"/api/admin/money/people/{user_id}").json()["passes"]
    assert (period["item"], period["status"]) == (f"pass:{subscription['id']}:1", "refunded")

    # A top-up: its money back, and the coins it bought out of the wallet, in proportion, rounded
    # up (the 1,200 coins of 499 of its 999 cents are 599.4: 600 go).
    coins_before = balance(player)
    half = refund(f"topup:{topup['id']}", "half", topup["amount"] // 2)
    assert half.status_code == 200, half.text
    assert balance(player) == coins_before - -(-topup["coins"] * (topup["amount"] // 2) // topup["amount"])

    log = finance.get("/api/admin/audit", params={"target_id": f"order:{order['id']}"}).json()["items"]
    assert [(e["action"], e["before"]["refunded"], e["after"]["refunded"]) for e in log] == [
        ("refund", 15, 100),
        ("refund", 0, 15),
    ]
    # The developer's backend sees the order refunded, by the staff member.
    history = client.get(f"/openapi/v1/orders/{order['id']}", headers=studio_bearer(client, studio)).json()
    assert history["status"] == "refunded" and history["history"][-1]["details"]["by"].startswith("staff:")
    books_hold(platform)


def studio_bearer(client, studio) -> dict[str, str]:
    return {"Authorization": f"Bearer {studio.backend(client).access_token()}"}


def test_support_looks_people_up_but_cannot_refund_and_developers_cannot_set_their_fee(
    client, platform, studio, player
):
    put_product(client, studio, "gem", price=100)
    top_up(player)
    order = buy(player, studio.app_id, "gem", "k").json()
    email = f"buyer-{secrets.token_hex(3)}@example.com"
    sign_up(player, email)
    support, headers = staff_member(client, "support")

    found = support.get("/api/admin/money/people", params={"email": email.upper()}).json()["items"]
    assert [person["email"] for person in found] == [email]
    records = support.get(f"/api/admin/money/people/{found[0]['user_id']}").json()
    assert records["balance"] == balance(player)
    assert [(o["item"], o["paid"], o["refunded"]) for o in records["orders"]] == [(f"order:{order['id']}", 100, 0)]
    assert [t["status"] for t in records["topups"]] == ["succeeded"]
    by_name = support.get("/api/admin/money/people", params={"name": found[0]["display_name"][:5]}).json()["items"]
    assert found[0]["user_id"] in {person["user_id"] for person in by_name}

    refused = support.post(
        "/api/admin/money/refunds",
        json={"item": f"order:{order['id']}", "reason": "no", "idempotency_key": "k"},
        headers=headers,
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "NOT_STAFF")
    assert (
        support.post(
            "/api/admin/money/terms", json={"fee_bps": 0, "creator_commission_bps": 0, "reason": "x"}, headers=headers
        ).status_code
        == 403
    )
    assert player.get("/api/admin/money/terms").status_code == 403  # a person who is not staff

    # A developer cannot set their fee: not through the Open API, not in the console.
    bearer = studio_bearer(client, studio)
    assert client.put("/openapi/v1/payment-settings", json={"fee_bps": 0}, headers=bearer).status_code == 422
    assert (
        client.put(
            "/openapi/v1/payment-settings", json={"notify_url": None, "creator_commission_bps": 0}, headers=bearer
        ).status_code
        == 422
    )
    assert client.get("/openapi/v1/payment-settings", headers=bearer).json()["fee_bps"] == 3000
    assert (
        studio.developer.post(
            "/api/admin/money/terms",
            json={"app_id": studio.app_id, "fee_bps": 0, "creator_commission_bps": 0, "reason": "mine"},
            headers=studio.headers,
        ).status_code
        == 403
    )
    assert fee(platform, buy(player, studio.app_id, "gem", "k2").json()) == 30


# Statements ---------------------------------------------------------------------------------------


@pytest.fixture
def clock(platform) -> Clock:
    clock = Clock()
    platform.ads.clock = clock
    return clock


def ledger_sums(platform, app_id: str, start, end) -> dict[str, int]:
    """The same period's entries, summed straight from the ledger's tables: the app's coin and ad
    accounts, and every other account's entries in the transfers that touched them."""
    with platform.db.session() as session:
        accounts_of = dict(
            session.execute(
                select(Account.kind, Account.id).where(
                    Account.owner_id == app_id, Account.kind.in_(("app_earnings", APP_AD_EARNINGS))
                )
            ).all()
        )
        sums: dict[str, int] = {}
        for kind, account_id in accounts_of.items():
            touched = select(LedgerEntry.transfer_id).where(LedgerEntry.account_id == account_id)
            rows = session.execute(
                select(LedgerTransfer.kind, Account.kind, Account.id, func.sum(LedgerEntry.amount))
                .join(LedgerEntry, LedgerEntry.transfer_id == LedgerTransfer.id)
                .join(Account, Account.id == LedgerEntry.account_id)
                .where(
                    LedgerTransfer.id.in_(touched), LedgerTransfer.created_at >= start, LedgerTransfer.created_at < end
                )
                .group_by(LedgerTransfer.kind, Account.kind, Account.id)
            ).all()
            for transfer_kind, account_kind, entry_account, amount in rows:
                name = f"{kind}/{transfer_kind}/{'self' if entry_account == account_id else account_kind}"
                sums[name] = sums.get(name, 0) + int(amount)
    return sums


def test_every_statement_line_equals_the_ledgers_entries_for_its_accounts_and_period(
    client, platform, studio, player, clock
):
    put_product(client, studio, "gem", price=100)
    items = drama_items(platform, studio.app_id)
    finance, headers = staff_member(client, "finance")
    creator = make_creator(client, f"maker{secrets.token_hex(2)}")
    start = utcnow() - timedelta(seconds=1)
    top_up(player)
    launch_id = launch(player, studio.app_id, "post", post_id=ready_post(platform, creator.user_id, studio.app_id))
    orders = [buy(player, studio.app_id, "gem", f"k{n}").json() for n in range(3)]
    unlock(player, items["series"])
    subscription = subscribe(player, items["pass"])
    refunds = [
        (f"order:{orders[0]['id']}", 33),
        (f"order:{orders[1]['id']}", None),
        (f"pass:{subscription['id']}:1", 9),
    ]
    for item, amount in refunds:
        body = {"item": item, "reason": "mix", "idempotency_key": "r"} | ({"amount": amount} if amount else {})
        assert finance.post("/api/admin/money/refunds", json=body, headers=headers).status_code == 200
    # Ads: a rewarded ad watched to the end after the creator's post, so the creator earns on it too.
    ads = Ads(client, studio)
    ads.campaign(ads.advertiser("Acme"), bid_cpm=5_000_000)
    ads.campaign(ads.advertiser("Brightside"), bid_cpm=4_000_000)
    decision = ads.show(player, ads.unit(), launch_id=launch_id)
    clock.advance(seconds=30)
    assert ads.step(player, decision["ad_id"], "complete", watched_ms=30_000, visible=True).json()["rewarded"]
    end = utcnow() + timedelta(seconds=1)

    answer = finance.get(
        "/api/admin/money/statements",
        params={"app_id": studio.app_id, "start": start.isoformat(), "end": end.isoformat()},
    )
    assert answer.status_code == 200, answer.text
    (line,) = answer.json()["lines"]
    sums = ledger_sums(platform, studio.app_id, start, end)

    def of(*names: str) -> int:
        return sum(sums.get(name, 0) for name in names)

    sales = ("purchase", "drama_unlock", "subscription")
    assert (
        line["gross"] == -of(*(f"app_earnings/{k}/user_wallet" for k in sales)) == 3 * 100 + EPISODE_PRICE + PASS_PRICE
    )
    assert line["purchases_gross"] == -of("app_earnings/purchase/user_wallet") == 300
    assert line["unlocks_gross"] == -of("app_earnings/drama_unlock/user_wallet") == EPISODE_PRICE
    assert line["passes_gross"] == -of("app_earnings/subscription/user_wallet") == PASS_PRICE
    assert (line["purchases"], line["unlocks"], line["passes"]) == (3, 1, 1)
    assert line["platform_fee"] == of(*(f"app_earnings/{k}/platform_revenue" for k in sales)) > 0
    assert line["creator_commission"] == of(*(f"app_earnings/{k}/creator_earnings" for k in sales)) > 0
    assert line["refunds"] == of("app_earnings/refund/user_wallet") == 33 + 100 + 9
    assert line["refunded_fee"] == -of("app_earnings/refund/platform_revenue") > 0
    assert line["refunded_commission"] == -of("app_earnings/refund/creator_earnings") > 0
    assert line["net"] == sum(v for k, v in sums.items() if k.startswith("app_earnings/") and k.endswith("/self"))
    assert line["net"] == (
        line["gross"]
        - line["platform_fee"]
        - line["creator_commission"]
        - line["refunds"]
        + line["refunded_fee"]
        + line["refunded_commission"]
    )
    assert line["other"] == 0
    assert line["ad_revenue"] == of(f"{APP_AD_EARNINGS}/ad_impression/self") > 0
    assert line["ad_commission"] == of(f"{APP_AD_EARNINGS}/creator_commission/creator_earnings") > 0
    assert line["ad_net"] == line["ad_revenue"] - line["ad_commission"]
    with platform.db.session() as session:  # the app's balances moved by exactly the statement's net
        assert ledger.balance(session, ledger.account_id(session, "app_earnings", studio.app_id)) == line["net"]

    # Per developer: all their apps, and the same numbers; a period before any of it is all zeros.
    developer_id = studio.developer.get("/api/developer").json()["id"]
    mine = finance.get(
        "/api/admin/money/statements",
        params={"developer_id": developer_id, "start": start.isoformat(), "end": end.isoformat()},
    ).json()
    assert mine["total"] | {"app_id": studio.app_id} == line
    earlier = finance.get(
        "/api/admin/money/statements",
        params={"app_id": studio.app_id, "start": (start - timedelta(days=1)).isoformat(), "end": start.isoformat()},
    ).json()["lines"][0]
    assert {k: v for k, v in earlier.items() if k != "app_id"} == dict.fromkeys(statements.COLUMNS[1:], 0)
    # CSV, for finance and for the developer's own app in the console.
    csv_text = finance.get(
        "/api/admin/money/statements",
        params={"app_id": studio.app_id, "start": start.isoformat(), "end": end.isoformat(), "format": "csv"},
    ).text
    assert csv_text.splitlines()[0].startswith("app_id,purchases,purchases_gross")
    assert csv_text.splitlines()[1].split(",")[statements.COLUMNS.index("net")] == str(line["net"])
    console = studio.developer.get(
        f"/api/developer/apps/{studio.app_id}/statement", params={"start": start.isoformat(), "end": end.isoformat()}
    )
    assert console.status_code == 200 and console.json()["lines"][0] == line
    # And for the app's backend, through the Open API: its orders' statement said a drama app's
    # sales were nothing (a probe, dev54); the ledger's is the same line, and the orders' says its scope.
    period = {"start": start.isoformat(), "end": end.isoformat()}
    backend = {"Authorization": f"Bearer {studio.backend(client).access_token()}"}
    ledger_line = client.get("/openapi/v1/statements/ledger", params=period, headers=backend)
    assert ledger_line.status_code == 200 and ledger_line.json()["lines"][0] == line, ledger_line.text
    ledger_csv = client.get("/openapi/v1/statements/ledger", params={**period, "format": "csv"}, headers=backend)
    assert ledger_csv.text.splitlines()[1].split(",")[statements.COLUMNS.index("net")] == str(line["net"])
    assert client.get("/openapi/v1/statements", params=period, headers=backend).json()["scope"] == "orders"
    assert statements.APP_AD_EARNINGS == APP_AD_EARNINGS
    books_hold(platform)


def test_a_statements_paid_out_line_counts_the_payouts_own_transfers():
    """payments sits below payouts, so statements.py names the payout transfers that move an app's
    earnings out and back again; renamed in payouts/service.py, they would fall into "other"."""
    assert set(statements.PAYOUTS) <= set(payouts.STEP_KINDS)
    assert set(statements.PAYOUTS) == {"payout_request", "payout_return"}
