"""A coupon that can cost the platform much is the owner's to make, not one member of finance's
alone; and nobody holds a coupon they made.

A probe (operator48): one member of finance made a platform-funded coupon for every app, 99.99 % off
with no cap and no limit on its uses, with a code, and claimed it by its code for themselves (a grant
to themselves was refused already, OWN_GRANT): every product of every app at a coin, its developers
paid the list price from the platform's promotion budget, which a colluding developer could have
paid out. A member of finance alone now makes coupons that can cost their funder at most
``coupon_budget_without_owner`` coins in 30 days together (each one's most off per use times its uses
in all); one that would cost more, or has no bound, is the owner's (role owner) or the admin
token's. And the person who made a coupon neither claims it by its code nor is granted it, whatever
their role.
"""

from __future__ import annotations

from datetime import timedelta

from openminis.db import utcnow
from tests.identity.test_guest_coins_on_sign_in import guest_with_coins, password_sign_in
from tests.payments.test_money_admin import books_hold, player_id, staff_member
from tests.studio import ADMIN_TOKEN, browser, csrf_of, put_product

COUPONS = "/api/admin/money/coupons"
OPERATOR = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def coupon(**fields) -> dict:
    ends = (utcnow() + timedelta(days=7)).isoformat()
    return {"title": "Friday night", "ends_at": ends, "reason": "a promotion", **fields}


def made(person, headers, **fields):
    return person.post(COUPONS, json=coupon(**fields), headers=headers)


def test_one_member_of_finance_makes_coupons_that_cost_at_most_the_budget_and_the_owner_makes_the_rest(client):
    finance, finance_headers = staff_member(client, "finance")
    budget = client.app.platform.settings.coupon_budget_without_owner

    for unbounded in (
        {"code": "EVERYTHING", "percent_off_bps": 9_999},  # the probe's: no cap, no limit
        {"percent_off_bps": 5_000, "total_limit": 10},  # no cap on each use
        {"amount_off": 50},  # no limit on the uses
        {"amount_off": 1_000, "total_limit": budget // 1_000 + 1},  # one use more than the budget
        {"percent_off_bps": 2_000, "max_off": budget, "total_limit": 2},
    ):
        refused = made(finance, finance_headers, **unbounded)
        assert (refused.status_code, refused.json()["code"]) == (403, "COUPON_NEEDS_OWNER"), refused.text
        assert refused.json()["field"] == "total_limit"
    assert "without limit" in made(finance, finance_headers, amount_off=50).json()["message"]
    assert client.get(COUPONS, headers=OPERATOR).json()["items"] == []  # none was made

    # Within the budget, finance alone: a capped percent, then the rest of the budget; their coupons
    # of the last 30 days count together (one within the budget each, 50 of them were 50 budgets).
    capped = made(finance, finance_headers, percent_off_bps=9_999, max_off=500, total_limit=budget // 1_000)
    assert capped.status_code == 201, capped.text
    rest = made(finance, finance_headers, amount_off=1_000, total_limit=budget // 2_000)
    assert rest.status_code == 201, rest.text
    one_more = made(finance, finance_headers, amount_off=1, total_limit=1)
    assert (one_more.status_code, one_more.json()["code"]) == (403, "COUPON_NEEDS_OWNER"), one_more.text
    assert f"yours of the last 30 days {budget:,}" in one_more.json()["message"]
    colleague, colleague_headers = staff_member(client, "finance")  # a budget of their own
    assert made(colleague, colleague_headers, amount_off=1, total_limit=1).status_code == 201

    # The owner and the admin token make the unbounded one.
    owner, owner_headers = staff_member(client, "owner")
    assert made(owner, owner_headers, code="OWNERS", percent_off_bps=9_999).status_code == 201
    assert made(client, OPERATOR, amount_off=50).status_code == 201
    assert len(client.get(COUPONS, headers=OPERATOR).json()["items"]) == 5


def test_the_person_who_made_a_coupon_neither_claims_it_by_its_code_nor_is_granted_it(client, player):
    finance, finance_headers = staff_member(client, "finance")
    owner, owner_headers = staff_member(client, "owner")
    made_by_finance = made(finance, finance_headers, code="LAUNCH10", amount_off=10, total_limit=100).json()
    made_by_owner = made(owner, owner_headers, code="OWNERGIFT", amount_off=10).json()

    pairs = (((finance, finance_headers), (owner, owner_headers), made_by_finance),)
    pairs += (((owner, owner_headers), (finance, finance_headers), made_by_owner),)
    for (maker, _), (colleague, colleague_headers), made_coupon in pairs:
        claimed = maker.post("/api/coupons/claim", json={"code": made_coupon["code"]}, headers=csrf_of(maker))
        assert (claimed.status_code, claimed.json()["code"]) == (403, "OWN_GRANT"), claimed.text
        # Nor through a colleague's grant.
        grant = {"user_id": player_id(maker), "reason": "a gift"}
        granted = colleague.post(f"{COUPONS}/{made_coupon['id']}/grants", json=grant, headers=colleague_headers)
        assert (granted.status_code, granted.json()["code"]) == (403, "OWN_GRANT"), granted.text

    # Anyone else claims them.
    for made_coupon in (made_by_finance, made_by_owner):
        claimed = player.post("/api/coupons/claim", json={"code": made_coupon["code"]}, headers=csrf_of(player))
        assert claimed.status_code == 200, claimed.text


def test_the_maker_holds_none_of_their_coupon_through_a_guest_that_signed_in_to_their_account(client, studio):
    """The attack on the rule above (coupons49): the maker claimed their coupon in another browser as a
    guest, bought with it, and signed the guest in to their account; a colleague could still grant it
    to that guest. A guest's claim before it signs in is anyone's; from the sign-in on, the guest is
    the maker (its wallet forwards to theirs), and its open session neither uses nor is granted it."""
    put_product(client, studio, "gem", price=100)
    finance, finance_headers = staff_member(client, "finance")
    colleague, colleague_headers = staff_member(client, "finance")
    coupon = made(
        finance,
        finance_headers,
        app_id=studio.app_id,
        code="SIDEDOOR",
        amount_off=50,
        total_limit=10,
        per_person_limit=2,
    ).json()
    email = finance.get("/api/me").json()["user"]["email"]
    guest, guest_id, _ = guest_with_coins(client)
    claimed = guest.post("/api/coupons/claim", json={"code": "SIDEDOOR"}, headers=csrf_of(guest))
    assert claimed.status_code == 200, claimed.text  # a guest is nobody yet
    stale = browser(client)  # the guest's session, still open in another tab after the sign-in
    stale.cookies.update(guest.cookies)
    assert password_sign_in(guest, email).status_code == 200

    bought = buy_with(stale, studio.app_id, "gem", coupon["id"], amount=50)
    assert (bought.status_code, bought.json()["code"]) == (403, "OWN_GRANT"), bought.text
    grant = {"user_id": guest_id, "reason": "a gift"}
    granted = colleague.post(f"{COUPONS}/{coupon['id']}/grants", json=grant, headers=colleague_headers)
    assert (granted.status_code, granted.json()["code"]) == (403, "OWN_GRANT"), granted.text
    books_hold(client.app.platform)


def buy_with(person, app_id: str, product_id: str, coupon_id: str, *, amount: int):
    body = {"product_id": product_id, "idempotency_key": f"with-{coupon_id}", "amount": amount, "currency": "COIN"}
    return person.post(f"/api/apps/{app_id}/purchases", json={**body, "coupon_id": coupon_id}, headers=csrf_of(person))
