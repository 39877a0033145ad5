"""What a member of staff may not do for themselves: a probe, as one person who was both a developer
and a member of finance, set their own app's fee to 0, made a platform-funded coupon taking 999,999
coins off their own app's 1,000,000-coin product and granted it to themselves, and, as a buyer,
refunded their own purchase after the developer had delivered it. Each act applied at once, with
nobody else; each is now another member's to do. On both databases."""

from __future__ import annotations

from datetime import timedelta

from openminis.db import utcnow
from openminis.identity import accounts
from openminis.staff import service as staff
from openminis.unit_of_work import unit_of_work
from tests.identity.test_guest_coins_on_sign_in import guest_with_coins, password_sign_in
from tests.payments.test_money_admin import books_hold, drama_items, player_id, staff_member, unlock
from tests.studio import ADMIN_TOKEN, balance, buy, csrf_of, put_product, top_up

MONEY = "/api/admin/money"


def made_staff(client, person, role: str) -> None:
    """The person behind ``person``'s session becomes a member of staff."""
    with unit_of_work(client.app.platform.db) as session:
        staff.add(
            session, accounts.user_by_email(session, person.get("/api/me").json()["user"]["email"]).id, role, by="test"
        )


def coupon_body(**fields) -> dict:
    ends = (utcnow() + timedelta(days=7)).isoformat()
    return {
        "title": "Launch gift",
        "ends_at": ends,
        "amount_off": 50,
        "total_limit": 100,
        "reason": "launch week",
        **fields,
    }


def test_a_member_of_finance_refunds_nothing_they_paid_for_another_member_does(client, platform, studio):
    put_product(client, studio, "gem", price=100)
    items = drama_items(platform, studio.app_id)
    buyer, buyer_headers = staff_member(client, "finance")
    colleague, colleague_headers = staff_member(client, "finance")
    topup = top_up(buyer)
    order = buy(buyer, studio.app_id, "gem", "own").json()
    unlock(buyer, items["series"])
    before = balance(buyer)
    mine = [f"order:{order['id']}", f"unlock:{player_id(buyer)}:{items['episode']}", f"topup:{topup['id']}"]

    for item in mine:
        body = {"item": item, "reason": "customer request", "idempotency_key": f"self-{item}"}
        refused = buyer.post(f"{MONEY}/refunds", json=body, headers=buyer_headers)
        assert (refused.status_code, refused.json()["code"]) == (403, "OWN_REFUND"), refused.text
    assert balance(buyer) == before  # nothing came back

    body = {"item": mine[0], "reason": "customer request", "idempotency_key": "by-a-colleague"}
    refunded = colleague.post(f"{MONEY}/refunds", json=body, headers=colleague_headers)
    assert (refunded.status_code, refunded.json()["amount"]) == (200, 100), refunded.text
    assert balance(buyer) == before + 100
    books_hold(platform)


def test_a_member_of_finance_on_an_apps_team_sets_neither_its_terms_nor_its_coupons(client, platform, studio, player):
    made_staff(client, studio.developer, "finance")
    colleague, colleague_headers = staff_member(client, "finance")
    own = {"app_id": studio.app_id, "fee_bps": 0, "creator_commission_bps": 0, "reason": "promo"}

    for path, body in ((f"{MONEY}/terms", own), (f"{MONEY}/coupons", coupon_body(app_id=studio.app_id))):
        refused = studio.developer.post(path, json=body, headers=studio.headers)
        assert (refused.status_code, refused.json()["code"]) == (403, "OWN_APP"), refused.text
    terms = studio.developer.get(f"{MONEY}/terms", params={"app_id": studio.app_id}).json()
    assert terms["app"]["fee_bps"] != 0 and terms["app"]["history"] == []  # the fee stands

    # Another member of finance, on no team of it, may; and the developer may still act on other apps'.
    assert colleague.post(f"{MONEY}/terms", json=own, headers=colleague_headers).status_code == 201
    coupon = colleague.post(f"{MONEY}/coupons", json=coupon_body(app_id=studio.app_id), headers=colleague_headers)
    assert coupon.status_code == 201, coupon.text
    everyones = studio.developer.post(f"{MONEY}/coupons", json=coupon_body(), headers=studio.headers)
    assert everyones.status_code == 201, everyones.text  # every app's: theirs gains no more than any other

    # Nobody of finance grants a coupon to themselves; to someone else, yes.
    grants = f"{MONEY}/coupons/{everyones.json()['id']}/grants"
    own_id = studio.developer.get("/api/me").json()["user"]["id"]
    refused = studio.developer.post(grants, json={"user_id": own_id, "reason": "me"}, headers=studio.headers)
    assert (refused.status_code, refused.json()["code"]) == (403, "OWN_GRANT"), refused.text
    granted = studio.developer.post(
        grants, json={"user_id": player_id(player), "reason": "a fan"}, headers=studio.headers
    )
    assert granted.status_code == 200, granted.text


def test_the_admin_token_acts_for_nobody_and_so_is_refused_nothing_of_this(client, platform, studio, player):
    """The operator's automation is no person: it has no purchase and no team."""
    operator = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    own = {"app_id": studio.app_id, "fee_bps": 2500, "creator_commission_bps": 1000, "reason": "contract"}
    assert client.post(f"{MONEY}/terms", json=own, headers=operator).status_code == 201
    put_product(client, studio, "gem", price=100)
    top_up(player)
    order = buy(player, studio.app_id, "gem", "k").json()
    body = {"item": f"order:{order['id']}", "reason": "chargeback", "idempotency_key": "op"}
    assert client.post(f"{MONEY}/refunds", json=body, headers=operator).status_code == 200


def test_what_a_guest_bought_before_signing_in_to_a_staff_members_account_is_theirs_to_leave(client, platform, studio):
    """The attack on the rule: a member of finance bought as a guest in another browser, signed that
    browser in to their account (the guest's wallet forwards to theirs, its orders stay the
    guest's), and refunded the guest's order and unlock to themselves: 140 coins back."""
    put_product(client, studio, "gem", price=100)
    items = drama_items(platform, studio.app_id)
    finance, headers = staff_member(client, "finance")
    email = finance.get("/api/me").json()["user"]["email"]
    guest, guest_id, _ = guest_with_coins(client)
    order = buy(guest, studio.app_id, "gem", "as-a-guest").json()
    unlock(guest, items["series"])
    finance.post("/api/account/sign-out", headers=headers)  # (password_sign_in knows the tests' one password)
    finance = guest
    assert password_sign_in(guest, email).status_code == 200
    headers = csrf_of(guest)
    before = balance(finance)
    for item in (f"order:{order['id']}", f"unlock:{guest_id}:{items['episode']}"):
        body = {"item": item, "reason": "customer request", "idempotency_key": "self"}
        refused = finance.post(f"{MONEY}/refunds", json=body, headers=headers)
        assert (refused.status_code, refused.json()["code"]) == (403, "OWN_REFUND"), refused.text
    assert balance(finance) == before
    books_hold(platform)


def test_an_invitation_to_an_apps_team_counts_as_being_on_it(client, platform, studio):
    """The attack on the rule: invited to the team, a member of finance set the app's fee to 0 and
    made it a platform-funded coupon, then accepted the invitation."""
    finance, headers = staff_member(client, "finance")
    email = finance.get("/api/me").json()["user"]["email"]
    invited = studio.developer.post(
        f"/api/developer/apps/{studio.app_id}/team/invitations",
        json={"email": email, "role": "viewer"},
        headers=studio.headers,
    )
    assert invited.status_code == 201, invited.text
    own = {"app_id": studio.app_id, "fee_bps": 0, "creator_commission_bps": 0, "reason": "promo"}
    for path, body in ((f"{MONEY}/terms", own), (f"{MONEY}/coupons", coupon_body(app_id=studio.app_id))):
        refused = finance.post(path, json=body, headers=headers)
        assert (refused.status_code, refused.json()["code"]) == (403, "OWN_APP"), refused.text
