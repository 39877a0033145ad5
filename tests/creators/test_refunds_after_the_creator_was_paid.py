"""A sale a creator brought, refunded after the creator was paid their commission.

A prober (money2, finding 1): a player buys 4,950 coins of revives through a creator's post (the
creator's commission 346), 15 days pass, the creator is paid out the 346, then support refunds the
order in full: refused 402 INSUFFICIENT_FUNDS "the creator earnings account cannot give 346". The
developer's share was still on the platform, yet the buyer could not be refunded at all, by staff
or by the developer's backend, in full or in part.

The creator is no party to the refund: what their earnings no longer hold of the commission a
refund takes back (their whole balance, pending included, is what they hold) the platform covers
from its revenue, in the refund's own transfer, which records it (``commission_covered``); the
conversion's clawed-back commission counts only what the creator gave back. Only when the platform's
revenue cannot cover it either is the refund refused (402), saying so. A developer who was paid
out still cannot refund from money they no longer hold (docs/payouts.md; tests/payouts/test_payouts.py).

Against a real ``minis serve`` on SQLite and PostgreSQL, over HTTP: the purchases, the creator's
payout approved and paid by the server's worker, the refunds, some of them at once; then
``minis ledger verify``. The refund of an episode unlock (payments/refunds.py) in process.
"""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select, update

from bench.burst import funded_person
from openminis.attribution import service as attribution
from openminis.drama.models import Series
from openminis.liveserver import LiveServer
from openminis.unit_of_work import unit_of_work
from openminis.wallet import service as ledger
from openminis.wallet.models import LedgerTransfer
from openminis.wallet.service import Leg
from tests.catalog.test_staged_release import full_account
from tests.creators.conftest import launch, make_creator, ready_post, verifies
from tests.payments.test_money_admin import staff_member
from tests.payouts import terms
from tests.payouts.live import (
    OPERATOR,
    Payee,
    answered_properly,
    at_once,
    developer_selling,
    platform_on,
    retried,
    server_per_database,
    settled,
)
from tests.payouts.test_payouts import account, books_hold, days_pass, request_all
from tests.studio import browser, csrf_of, top_up

pytestmark = pytest.mark.slow  # a real server per database

REVIVES = 4950  # the fee 1485 (30 %), the creator 346 (10 % of the 3465 left), the app 3119
REVIVES_FEE, REVIVES_COMMISSION = 1485, 346
GEM = 1000  # the fee 300, the creator 70, the app 630
GEM_FEE, GEM_COMMISSION = 300, 70
CREATOR_PAYOUTS = "/api/creator/payouts"


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def server(request, tmp_path_factory) -> Iterator[LiveServer]:
    with server_per_database(request, tmp_path_factory, minimum=100) as live:
        yield live


# The browsers a test opened (the creator's, the buyers'), closed when it ends.
_opened: list[httpx.Client] = []


@pytest.fixture(autouse=True)
def _closing_browsers() -> Iterator[None]:
    yield
    while _opened:
        _opened.pop().close()


@dataclass
class Shop:
    """A developer's live app selling revives and gems, and its backend on the Open API."""

    payee: Payee
    backend: httpx.Client

    @property
    def app_id(self) -> str:
        return self.payee.app_id


@pytest.fixture(scope="module")
def shop(server) -> Iterator[Shop]:
    payee = developer_selling(server, studio="Clawback Studio", product="revives", price=REVIVES)
    rotated = payee.post(f"/api/developer/apps/{payee.app_id}/secret", grace_seconds=0)
    assert rotated.status_code == 200, rotated.text
    with closing(payee.client), httpx.Client(base_url=server.url, timeout=30) as backend:
        token = backend.post(
            "/openapi/v1/auth/token",
            json={
                "grant_type": "client_credentials",
                "client_id": payee.app_id,
                "client_secret": rotated.json()["app_secret"],
            },
        ).json()["access_token"]
        backend.headers["Authorization"] = f"Bearer {token}"
        gem = backend.put("/openapi/v1/products/gem", json={"type": "consumable", "price": GEM, "title": {"en": "Gem"}})
        assert gem.status_code == 200, gem.text
        shop = Shop(payee, backend)
        # The platform's revenue holds more than the fees of the sales each test makes (as it does
        # on a platform that has sold for a while): two sales no creator brought.
        for _ in range(2):
            bought(server, shop, None, "revives", REVIVES)
        yield shop


@dataclass
class LiveCreator:
    client: httpx.Client
    headers: dict[str, str]
    user_id: str
    post_id: str


def creator_with_a_post(server: LiveServer, shop: Shop) -> LiveCreator:
    handle = f"maker{secrets.token_hex(3)}"
    client, headers = full_account(server, f"{handle}@example.com")
    _opened.append(client)
    made = client.post("/api/creator", json={"handle": handle, "display_name": handle.title()}, headers=headers)
    assert made.status_code == 200, made.text
    user_id = made.json()["user_id"]
    with platform_on(server.env, server.data_dir) as platform:
        post_id = ready_post(platform, user_id, shop.app_id)
    account(client, headers, CREATOR_PAYOUTS, destination=f"bank-{handle}")
    return LiveCreator(client, headers, user_id, post_id)


@dataclass
class Buyer:
    client: httpx.Client
    order_id: str

    def coins(self) -> int:
        return self.client.get("/api/wallet").json()["balance"]


def bought(server: LiveServer, shop: Shop, creator: LiveCreator | None, product: str, price: int) -> Buyer:
    """A new player with 6,500 coins launches the app from the creator's post (or the feed) and
    buys ``product``."""
    player = funded_person(server, "coins-6500")
    client = httpx.Client(
        base_url=server.url, cookies=player["cookies"], headers={"X-CSRF-Token": player["csrf"]}, timeout=30
    )
    _opened.append(client)
    launch_id = secrets.token_hex(16)
    where = {"source": "post", "post_id": creator.post_id} if creator else {"source": "feed"}
    launched = client.post("/api/launches", json={"launch_id": launch_id, "app_id": shop.app_id, **where})
    assert launched.status_code == 200, launched.text
    body = {
        "product_id": product,
        "idempotency_key": "buy",
        "amount": price,
        "currency": "COIN",
        "launch_id": launch_id,
    }
    purchase = client.post(f"/api/apps/{shop.app_id}/purchases", json=body)
    assert purchase.status_code == 200, purchase.text
    return Buyer(client, purchase.json()["id"])


def paid_out(server: LiveServer, creator: LiveCreator, expected: int) -> None:
    """15 days pass; the creator asks for all that is withdrawable, the operator approves it and
    the server's worker pays it."""
    with platform_on(server.env, server.data_dir) as platform:
        days_pass(platform, 15)
    asked = request_all(creator.client, creator.headers, CREATOR_PAYOUTS, key=secrets.token_hex(4))
    assert asked.status_code == 201, asked.text
    payout = asked.json()
    assert payout["source_amount"] == expected, payout
    approved = httpx.post(
        f"{server.url}/api/admin/payouts/approve", json={"ids": [payout["id"]], "reason": "due"}, headers=OPERATOR
    )
    assert approved.status_code == 200, approved.text
    with platform_on(server.env, server.data_dir) as platform:
        settled(platform, deadline=30)
    assert creator.client.get(f"{CREATOR_PAYOUTS}/{payout['id']}").json()["status"] == "paid"


def staff_refund(order_id: str, key: str, amount: int | None = None) -> dict:
    body = {"item": f"order:{order_id}", "reason": "asked for it back", "idempotency_key": key}
    return {"method": "POST", "url": "/api/admin/money/refunds", "json": body | ({"amount": amount} if amount else {})}


def developer_refund(shop: Shop, order_id: str, key: str, amount: int | None = None) -> dict:
    body = {"reason": "the player asked", "idempotency_key": key} | ({"amount": amount} if amount else {})
    return {
        "method": "POST",
        "url": f"/openapi/v1/orders/{order_id}/refund",
        "json": body,
        "headers": {"Authorization": shop.backend.headers["Authorization"]},
    }


def send(server: LiveServer, request: dict) -> httpx.Response:
    headers = request.get("headers", OPERATOR)
    return httpx.request(
        request["method"], f"{server.url}{request['url']}", json=request["json"], headers=headers, timeout=30
    )


@dataclass
class Books:
    creator: int  # the creator's coin earnings, pending included
    platform: int  # the platform's coin revenue
    clawed_back: dict[str, int]  # per order, its conversion's clawed-back commission


def books(server: LiveServer, creator: LiveCreator, order_ids: list[str]) -> Books:
    with platform_on(server.env, server.data_dir) as platform, platform.db.read_session() as session:
        conversions = {order_id: attribution.find(session, f"order:{order_id}") for order_id in order_ids}
        return Books(
            creator=ledger.balances(session, attribution.CREATOR_EARNINGS, creator.user_id, ["COIN"])["COIN"],
            platform=ledger.balances(session, "platform_revenue", "", ["COIN"])["COIN"],
            clawed_back={order_id: c.clawed_back for order_id, c in conversions.items() if c is not None},
        )


def refund_details(server: LiveServer, order_id: str) -> list[dict]:
    with platform_on(server.env, server.data_dir) as platform, platform.db.read_session() as session:
        return [
            dict(details)
            for details in session.scalars(
                select(LedgerTransfer.details)
                .where(LedgerTransfer.idempotency_key.startswith(f"order:{order_id}:refund:"))
                .order_by(LedgerTransfer.id)
            )
        ]


def ledger_verifies(server: LiveServer) -> None:
    try:
        server.minis("ledger", "verify", "--data-dir", str(server.data_dir))
    except subprocess.CalledProcessError as failed:
        raise AssertionError(f"minis ledger verify: {failed.stdout}{failed.stderr}") from failed


def test_staff_refund_in_full_after_the_creator_was_paid_out_is_covered_by_the_platform(server, shop):
    creator = creator_with_a_post(server, shop)
    buyer = bought(server, shop, creator, "revives", REVIVES)
    assert buyer.coins() == 6500 - REVIVES
    paid_out(server, creator, REVIVES_COMMISSION)
    before = books(server, creator, [buyer.order_id])
    assert before.creator == 0

    answer = send(server, staff_refund(buyer.order_id, "full"))

    assert answer.status_code == 200, answer.text  # was 402: "the creator earnings account cannot give 346"
    assert (answer.json()["refunded"], answer.json()["amount"]) == (REVIVES, REVIVES)
    assert buyer.coins() == 6500
    after = books(server, creator, [buyer.order_id])
    assert after.creator == 0  # never below
    assert before.platform - after.platform == REVIVES_FEE + REVIVES_COMMISSION  # its fee, and the commission
    assert after.clawed_back == {buyer.order_id: 0}  # the creator gave nothing back
    [details] = refund_details(server, buyer.order_id)
    assert (details["fee"], details["commission"], details["commission_covered"]) == (
        REVIVES_FEE,
        0,
        REVIVES_COMMISSION,
    )
    # A retry is the same refund, and answers as it did: nothing moves again.
    again = send(server, staff_refund(buyer.order_id, "full"))
    assert (again.status_code, again.json()["amount"]) == (200, REVIVES)
    assert books(server, creator, [buyer.order_id]) == after
    ledger_verifies(server)


def test_what_the_platform_covered_for_a_paid_out_creator_comes_out_of_their_next_payout(server, shop):
    """A probe (payout51): a ring of a developer, a creator and a buyer cycled one top-up through a
    sale from the creator's post, the creator's payout of the commission, and a full refund (the
    platform covering the commission) three times: the creator was paid 3 × the commission in cash,
    and the platform never had a coin of it back. What the platform covered comes out of the
    creator's next payout first, and the creator sees it (``owed``)."""
    creator = creator_with_a_post(server, shop)
    first = bought(server, shop, creator, "revives", REVIVES)
    paid_out(server, creator, REVIVES_COMMISSION)
    refunded = send(server, developer_refund(shop, first.order_id, "ring"))
    assert refunded.status_code == 200, refunded.text
    assert refund_details(server, first.order_id)[0]["commission_covered"] == REVIVES_COMMISSION
    covered = books(server, creator, [first.order_id])

    for _ in range(2):
        bought(server, shop, creator, "revives", REVIVES)
    with platform_on(server.env, server.data_dir) as platform:
        days_pass(platform, 15)
    [coins] = [e for e in creator.client.get(CREATOR_PAYOUTS).json()["earnings"] if e["currency"] == "COIN"]
    assert coins["withdrawable"] == REVIVES_COMMISSION  # was 692: both sales' commission
    assert coins["owed"] == REVIVES_COMMISSION
    quoted = creator.client.post(f"{CREATOR_PAYOUTS}/quote", json={"source": "COIN"}, headers=creator.headers)
    assert (quoted.json()["source_amount"], quoted.json()["repaid"]) == (REVIVES_COMMISSION, REVIVES_COMMISSION)
    asked = request_all(creator.client, creator.headers, CREATOR_PAYOUTS, key=secrets.token_hex(4))
    assert asked.status_code == 201, asked.text
    assert asked.json()["source_amount"] == REVIVES_COMMISSION

    after = books(server, creator, [first.order_id])
    assert after.creator == 0
    assert after.platform - covered.platform == REVIVES_FEE * 2 + REVIVES_COMMISSION  # the two fees, and the debt
    [coins] = [e for e in creator.client.get(CREATOR_PAYOUTS).json()["earnings"] if e["currency"] == "COIN"]
    assert coins["owed"] == 0
    ledger_verifies(server)


@pytest.mark.parametrize("returned_by", ["the creator", "finance"])
def test_a_payout_that_comes_back_gives_the_platform_what_it_covered_while_the_payout_held_the_coins(
    server, shop, returned_by
):
    """A probe (money48b): a creator asked for a payout of their whole commission, support refunded
    the sales meanwhile, and the platform covered the commission those refunds took back (the
    creator's earnings held none of it: the payout did); then the creator canceled the payout, or
    finance rejected it, and the coins came back to the creator, theirs to withdraw again. A payout
    that comes back gives the platform, first, what it covered for the creator and has not had back."""
    creator = creator_with_a_post(server, shop)
    refunded = bought(server, shop, creator, "revives", REVIVES)
    kept = bought(server, shop, creator, "gem", GEM)
    with platform_on(server.env, server.data_dir) as platform:
        days_pass(platform, 15)
    asked = request_all(creator.client, creator.headers, CREATOR_PAYOUTS, key=secrets.token_hex(4))
    assert asked.status_code == 201, asked.text
    payout = asked.json()
    assert (payout["status"], payout["source_amount"]) == ("requested", REVIVES_COMMISSION + GEM_COMMISSION)
    before = books(server, creator, [refunded.order_id])
    assert before.creator == 0  # the payout holds the whole commission

    answer = send(server, staff_refund(refunded.order_id, secrets.token_hex(4)))
    assert answer.status_code == 200, answer.text
    covered = books(server, creator, [refunded.order_id])
    assert before.platform - covered.platform == REVIVES_FEE + REVIVES_COMMISSION

    if returned_by == "the creator":
        back = creator.client.post(f"{CREATOR_PAYOUTS}/{payout['id']}/cancel", headers=creator.headers)
    else:
        back = httpx.post(
            f"{server.url}/api/admin/payouts/{payout['id']}/reject", json={"reason": "details"}, headers=OPERATOR
        )
    assert back.status_code == 200, back.text

    after = books(server, creator, [refunded.order_id])
    assert after.creator == GEM_COMMISSION  # was 416: the refunded sale's 346 came back to the creator too
    assert after.platform - covered.platform == REVIVES_COMMISSION
    assert kept.order_id  # its commission stays the creator's
    ledger_verifies(server)


def test_refunds_racing_the_creators_cancel_of_their_payout_leave_them_nothing_of_the_refunded_sales(server, shop):
    """The race of the test above: 20 sales' refunds by staff and the creator's cancel of the payout
    holding their commission, all at once. Whichever comes first, the creator ends with none of the
    refunded sales' commission (given back from their earnings, or covered and then repaid by the
    payout's return), the platform gives back exactly the fees, and the ledger verifies."""
    sales = 20
    creator = creator_with_a_post(server, shop)
    buyers = [bought(server, shop, creator, "gem", GEM) for _ in range(sales)]
    with platform_on(server.env, server.data_dir) as platform:
        days_pass(platform, 15)
    asked = request_all(creator.client, creator.headers, CREATOR_PAYOUTS, key=secrets.token_hex(4))
    assert asked.status_code == 201, asked.text
    payout = asked.json()
    assert payout["source_amount"] == sales * GEM_COMMISSION
    ids = [buyer.order_id for buyer in buyers]
    before = books(server, creator, ids)

    cookie = "; ".join(f"{name}={value}" for name, value in creator.client.cookies.items())
    cancel = {
        "method": "POST",
        "url": f"{CREATOR_PAYOUTS}/{payout['id']}/cancel",
        "json": {},
        "headers": {**creator.headers, "Cookie": cookie},
    }
    requests = [{"headers": OPERATOR} | staff_refund(order_id, "race") for order_id in ids]
    requests.insert(sales // 2, cancel)
    answers = retried(server, requests, at_once(server, requests))

    answered_properly(answers, {200})
    assert [status for status, _, _ in answers] == [200] * (sales + 1), answers
    assert [buyer.coins() for buyer in buyers] == [6500] * sales
    after = books(server, creator, ids)
    assert after.creator == 0  # none of the refunded commission is the creator's to withdraw
    assert before.platform - after.platform == sales * GEM_FEE  # the fees; the commission came back
    with platform_on(server.env, server.data_dir) as platform, platform.db.read_session() as session:
        assert attribution.owed_by(session, creator.user_id, "COIN") == 0
    ledger_verifies(server)


def test_the_developers_refunds_in_parts_take_what_the_creator_still_holds_and_the_platform_covers_the_rest(
    server, shop
):
    creator = creator_with_a_post(server, shop)
    old = bought(server, shop, creator, "revives", REVIVES)
    paid_out(server, creator, REVIVES_COMMISSION)
    new = bought(server, shop, creator, "gem", GEM)  # 70 more, in the hold
    before = books(server, creator, [old.order_id, new.order_id])
    assert before.creator == GEM_COMMISSION

    # Part by part through the developer's backend: every part is refunded; the creator gives what
    # the line asks of them while they hold it (the 70), the platform covers the rest.
    refunded, parts = 0, [1000, 1, 2000, 949]
    for n, amount in enumerate(parts):
        answer = send(server, developer_refund(shop, old.order_id, f"part-{n}", amount))
        assert answer.status_code == 200, (n, answer.text)
        refunded += amount
        assert answer.json()["refunded"] == refunded
    rest = send(server, staff_refund(old.order_id, "the-rest"))  # staff refund the rest
    assert (rest.status_code, rest.json()["amount"]) == (200, REVIVES - refunded), rest.text
    assert old.coins() == 6500

    after = books(server, creator, [old.order_id, new.order_id])
    details = refund_details(server, old.order_id)
    given = sum(d["commission"] for d in details)
    covered = sum(d["commission_covered"] for d in details)
    assert given + covered == REVIVES_COMMISSION  # the line's whole commission, however split
    assert given == GEM_COMMISSION  # all the creator held, and not a coin more
    assert sum(d["fee"] for d in details) == REVIVES_FEE
    assert after.creator == 0
    assert after.clawed_back == {old.order_id: GEM_COMMISSION, new.order_id: 0}
    assert before.platform - after.platform == REVIVES_FEE + covered
    ledger_verifies(server)


def test_refunds_at_once_count_the_creators_coins_once(server, shop):
    """Three orders of a paid-out creator refunded at the same moment (two by staff, one by the
    developer): together they take from the creator what the creator holds, once; the platform
    covers the rest of each. Read without the creator's account locked, each took the same 70 and
    all but one were refused."""
    creator = creator_with_a_post(server, shop)
    olds = [bought(server, shop, creator, "revives", REVIVES) for _ in range(3)]
    paid_out(server, creator, 3 * REVIVES_COMMISSION)
    new = bought(server, shop, creator, "gem", GEM)
    ids = [buyer.order_id for buyer in olds]
    before = books(server, creator, ids)
    assert before.creator == GEM_COMMISSION

    requests = [
        staff_refund(ids[0], "at-once"),
        staff_refund(ids[1], "at-once"),
        developer_refund(shop, ids[2], "at-once"),
    ]
    answers = at_once(server, [{"headers": OPERATOR} | request for request in requests])

    assert [status for status, _, _ in answers] == [200, 200, 200], answers
    assert [buyer.coins() for buyer in olds] == [6500] * 3
    after = books(server, creator, [*ids, new.order_id])
    assert after.creator == 0
    assert sum(after.clawed_back[order_id] for order_id in ids) == GEM_COMMISSION
    assert after.clawed_back[new.order_id] == 0
    details = [d for order_id in ids for d in refund_details(server, order_id)]
    assert sum(d["commission"] for d in details) == GEM_COMMISSION
    assert sum(d["commission_covered"] for d in details) == 3 * REVIVES_COMMISSION - GEM_COMMISSION
    assert before.platform - after.platform == 3 * (REVIVES_FEE + REVIVES_COMMISSION) - GEM_COMMISSION
    ledger_verifies(server)


def test_when_the_platforms_revenue_cannot_cover_the_commission_the_refund_is_refused_saying_so(server, shop):
    creator = creator_with_a_post(server, shop)
    buyer = bought(server, shop, creator, "revives", REVIVES)
    paid_out(server, creator, REVIVES_COMMISSION)
    # The platform's revenue, but for a coin less than the refund takes from it (its fee's part and
    # the commission it covers), is moved out for the time of the test.
    with platform_on(server.env, server.data_dir) as platform, unit_of_work(platform.db) as session:
        revenue = ledger.account_id(session, "platform_revenue")
        moved = ledger.balance(session, revenue) - (REVIVES_FEE + REVIVES_COMMISSION - 1)
        outside = ledger.account_id(session, "coin_issuance")
        ledger.transfer(
            session,
            key="test-revenue-out",
            kind="test",
            currency="COIN",
            legs=[Leg(revenue, -moved), Leg(outside, moved)],
        )
    try:
        refused = send(server, staff_refund(buyer.order_id, "full"))
        assert refused.status_code == 402 and refused.json()["code"] == "INSUFFICIENT_FUNDS", refused.text
        assert "platform" in refused.json()["message"] and "cannot cover" in refused.json()["message"], refused.text
        refused = send(server, developer_refund(shop, buyer.order_id, "full"))
        assert refused.status_code == 402 and "cannot cover" in refused.json()["message"], refused.text
        assert buyer.coins() == 6500 - REVIVES  # nothing of it kept
        assert refund_details(server, buyer.order_id) == []
    finally:
        with platform_on(server.env, server.data_dir) as platform, unit_of_work(platform.db) as session:
            ledger.transfer(
                session,
                key="test-revenue-back",
                kind="test",
                currency="COIN",
                legs=[Leg(revenue, moved), Leg(outside, -moved)],
            )
    answer = send(server, staff_refund(buyer.order_id, "full"))
    assert answer.status_code == 200, answer.text
    ledger_verifies(server)


# An episode unlock (payments/refunds.py), in process -------------------------------------------

EPISODE = 1000  # as a gem: the fee 300, the creator 70, the app 630


def test_an_unlock_refunded_after_the_creator_was_paid_out_is_covered_by_the_platform(client, platform, drama):
    buyer = browser(client)
    top_up(buyer, "coins-1200")
    creator = make_creator(client, f"unlockfan{secrets.token_hex(2)}")
    post_id = ready_post(platform, creator.user_id, drama["app_id"])
    with platform.db.session() as session:
        session.execute(
            update(Series).where(Series.id == drama["series_id"]).values(free_episodes=1, episode_price=EPISODE)
        )
        session.commit()
    launch_id = launch(buyer, drama["app_id"], "post", post_id=post_id)
    unlocked = buyer.post(
        f"/api/dramas/{drama['series_id']}/episodes/2/unlock",
        json={"method": "coins", "launch_id": launch_id, "amount": EPISODE, "currency": "COIN"},
        headers=csrf_of(buyer),
    )
    assert unlocked.status_code == 200, unlocked.text
    with platform.db.session() as session:
        item = session.scalars(
            select(LedgerTransfer.idempotency_key).where(LedgerTransfer.kind == "drama_unlock")
        ).one()
    # Another person's unlock, no creator's: the platform's revenue holds more than this one's fee.
    other = browser(client)
    top_up(other, "coins-1200")
    body = {"method": "coins", "amount": EPISODE, "currency": "COIN"}
    unlocked = other.post(f"/api/dramas/{drama['series_id']}/episodes/2/unlock", json=body, headers=csrf_of(other))
    assert unlocked.status_code == 200, unlocked.text

    # The creator is paid the 70: 15 days pass, finance lowers the minimum and approves the payout.
    days_pass(platform, 15)
    finance, finance_headers = staff_member(client, "finance")
    policy = {**finance.get("/api/admin/payouts/policy").json(), "minimums": {"USD": 50}, "reason": "low minimum"}
    assert terms.published(client, finance, finance_headers, policy).status_code == 200
    account(creator.browser, creator.headers, CREATOR_PAYOUTS, destination="unlockfan-bank")
    payout = request_all(creator.browser, creator.headers, CREATOR_PAYOUTS).json()
    assert payout["source_amount"] == GEM_COMMISSION, payout
    approved = finance.post("/api/admin/payouts/approve", json={"ids": [payout["id"]]}, headers=finance_headers)
    assert approved.status_code == 200, approved.text
    platform.worker().drain()
    platform.worker().drain()  # the approval's send, then its answer
    assert creator.browser.get(f"{CREATOR_PAYOUTS}/{payout['id']}").json()["status"] == "paid"

    def platform_revenue() -> int:
        with platform.db.session() as session:
            return ledger.balances(session, "platform_revenue", "", ["COIN"])["COIN"]

    revenue = platform_revenue()
    coins = buyer.get("/api/wallet").json()["balance"]
    for key, amount in (("part", 400), ("rest", None)):
        body = {"item": item, "reason": "asked", "idempotency_key": key} | ({"amount": amount} if amount else {})
        answer = finance.post("/api/admin/money/refunds", json=body, headers=finance_headers)
        assert answer.status_code == 200, answer.text  # was 402: the creator earnings account cannot give
    assert buyer.get("/api/wallet").json()["balance"] == coins + EPISODE
    assert revenue - platform_revenue() == GEM_FEE + GEM_COMMISSION
    with platform.db.session() as session:
        assert ledger.balances(session, attribution.CREATOR_EARNINGS, creator.user_id, ["COIN"])["COIN"] == 0
        assert attribution.find(session, item).clawed_back == 0
        details = [
            d
            for d in session.scalars(
                select(LedgerTransfer.details).where(LedgerTransfer.idempotency_key.startswith(f"refund:{item}:"))
            )
        ]
    assert sum(d["commission"] for d in details) == 0
    assert sum(d["commission_covered"] for d in details) == GEM_COMMISSION
    assert sum(d["fee"] for d in details) == GEM_FEE
    assert verifies(platform)
    books_hold(platform)
