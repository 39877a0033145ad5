"""After an account's deletion nothing maps back to the person: no openid row comes back when a
developer reads the old orders, and no sign-in link, pending code or kept mail holds their
addresses (findings 4 and 5 of the issue-12 review)."""

from __future__ import annotations

from sqlalchemy import func, select

from openminis.identity.models import AppUser, EmailVerification, SignInLink
from openminis.payments.models import Order
from tests.identity.links import ask_for_link
from tests.identity.test_person_data import a_customer
from tests.studio import browser, csrf_of, put_product


def delete_account(player) -> None:
    deleted = player.post("/api/me/delete", json={"confirm": "DELETE"}, headers=csrf_of(player))
    assert deleted.status_code == 200, deleted.text


def test_a_deleted_persons_openid_never_maps_back_to_them(client, studio, player, platform):
    put_product(client, studio, "gem", price=10)
    me = a_customer(client, studio, player, "dora@example.com", "level-dora-1")
    with platform.db.session() as session:
        order_id = session.scalar(select(Order.id).where(Order.user_id == me["id"]))
    delete_account(player)
    backend = {"Authorization": f"Bearer {studio.backend(client).access_token()}"}

    # The old order still names its buyer by the same openid, for the developer's books...
    read = client.get(f"/openapi/v1/orders/{order_id}", headers=backend)
    assert read.status_code == 200 and read.json()["openid"] == me["openid"]
    with platform.db.session() as session:
        assert session.scalar(select(func.count()).select_from(AppUser).where(AppUser.user_id == me["id"])) == 0
    # ...but the openid no longer reaches the person: no new order can be made for them.
    made = client.post(
        "/openapi/v1/orders",
        json={"openid": me["openid"], "product_id": "gem", "quantity": 1, "idempotency_key": "after-delete"},
        headers=backend,
    )
    assert made.status_code == 404 and made.json()["code"] == "UNKNOWN_OPENID"


def test_deleting_an_account_erases_its_sign_in_links_pending_codes_and_kept_mail(client, player, platform):
    ask_for_link(player, "dora.person@example.com")
    registered = player.post(
        "/api/account/register",
        json={"email": "dora.other@example.com", "password": "longpassword1"},
        headers=csrf_of(player),
    )
    assert registered.status_code == 200, registered.text
    someone = browser(client)
    ask_for_link(someone, "someone@example.com")

    delete_account(player)

    mine = {"dora.person@example.com", "dora.other@example.com"}
    with platform.db.session() as session:
        assert [link.email for link in session.scalars(select(SignInLink))] == ["someone@example.com"]
        assert session.scalars(select(EmailVerification.email)).all() == []
    addressed = [message["To"] for message in platform.mailbox.outbox]
    assert "someone@example.com" in addressed and not mine & set(addressed)
