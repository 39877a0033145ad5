"""A person downloads everything kept about them, and nobody else's; deleting the account erases
who they were, keeps the money records (the ledger still verifies) and signs them out."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from openminis import erasure
from openminis.creators.models import Creator, Post
from openminis.db import utcnow
from openminis.developers import service as developers
from openminis.developers.models import Developer
from openminis.identity.models import AppUser, AuthSession, User
from openminis.jobs.models import Job
from openminis.payments.models import Order
from openminis.runtime.models import CloudSave
from openminis.wallet import service as ledger
from openminis.web.errors import status_for
from tests.console_team import join_team
from tests.creators.conftest import make_creator, ready_post
from tests.studio import balance, browser, buy, csrf_of, login_code, put_product, sign_up, top_up


def a_customer(client, studio, player, email: str, save: str) -> dict:
    """A signed-up person with coins, a purchase, a cloud save and an openid in the studio's app."""
    headers = sign_up(player, email)
    top_up(player)
    bought = buy(player, studio.app_id, "gem", f"{email.split('@')[0]}-1")
    assert bought.status_code == 200, bought.text
    assert (
        player.put(
            f"/api/apps/{studio.app_id}/storage/progress", json={"value": {"level": save}}, headers=headers
        ).status_code
        == 200
    )
    openid = studio.backend(client).code2session(login_code(player, studio.app_id))["openid"]
    return {"id": player.get("/api/me").json()["user"]["id"], "openid": openid, "save": save, "email": email}


def download(player) -> dict:
    response = player.get("/api/me/data")
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].startswith("attachment;")
    return response.json()


def test_the_download_holds_the_persons_data_and_nobody_elses(client, studio, player):
    put_product(client, studio, "gem", price=10)
    me = a_customer(client, studio, player, "ada@example.com", "level-ada-7")
    other = browser(client)
    them = a_customer(client, studio, other, "bob@example.com", "level-bob-3")

    now = utcnow()
    columns = ("type", "app_id", "user_id", "ts", "received_at")
    client.app.platform.events.append(
        [("launch", studio.app_id, me["id"], now, now), ("launch", studio.app_id, them["id"], now, now)], columns
    )

    data = download(player)
    # Their own launch and their purchase's conversion; the other person's launch is not there (below).
    assert sorted(event["type"] for event in data["events"]) == ["launch", "paid"]
    assert data["account"]["id"] == me["id"] and data["account"]["email"] == me["email"]
    assert "password_hash" not in data["account"] and data["account"]["has_password"] is True
    assert data["wallet"] == [{"kind": "user_wallet", "currency": "COIN", "balance": balance(player)}]
    assert sorted(line["kind"] for line in data["ledger"]) == ["purchase", "topup"]
    assert sum(line["amount"] for line in data["ledger"]) == balance(player)
    assert [(o["user_id"], o["app_id"], o["status"]) for o in data["orders"]] == [(me["id"], studio.app_id, "paid")]
    assert [json.loads(save["value"]) for save in data["cloud_saves"]] == [{"level": me["save"]}]
    assert [row["openid"] for row in data["app_openids"]] == [me["openid"]]
    assert {"topups", "episode_unlocks", "series_unlocks", "subscriptions", "posts", "events", "launches"} <= set(data)
    text = json.dumps(data)
    for theirs in (them["id"], them["openid"], them["save"], them["email"]):
        assert theirs not in text


def test_deleting_an_account_erases_personal_data_keeps_money_records_verified_and_signs_out(
    client, studio, player, platform
):
    put_product(client, studio, "gem", price=10)
    me = a_customer(client, studio, player, "cleo@example.com", "level-cleo-9")
    coins = balance(player)
    headers = csrf_of(player)
    old_cookie = player.cookies["minis_session"]

    unconfirmed = player.post("/api/me/delete", json={"confirm": "yes"}, headers=headers)
    assert unconfirmed.status_code == 422 and unconfirmed.json()["code"] == "CONFIRMATION_REQUIRED"
    deleted = player.post("/api/me/delete", json={"confirm": "DELETE"}, headers=headers)
    assert deleted.status_code == 200, deleted.text
    assert "minis_session" not in player.cookies  # signed out: the cookie is cleared

    with platform.db.session() as session:
        user = session.get(User, me["id"])
        assert (user.email, user.password_hash, user.display_name, user.kind) == (
            None,
            None,
            erasure.ERASED_NAME,
            "erased",
        )
        assert user.erased_at is not None
        for table in (AuthSession, CloudSave, AppUser):
            assert session.scalar(select(func.count()).select_from(table).where(table.user_id == me["id"])) == 0
        # The money records stay, under the same id, and still add up.
        assert (
            session.scalar(
                select(func.count()).select_from(Order).where(Order.user_id == me["id"], Order.status == "paid")
            )
            == 1
        )
        assert ledger.wallet_balance(session, me["id"]) == coins
        assert ledger.verify(session).ok
        # The app that knew the person by an openid is told.
        told = [job.payload["event"] for job in session.scalars(select(Job).where(Job.lane == studio.app_id))]
        assert [event["data"]["openid"] for event in told if event["type"] == "account.deleted"] == [me["openid"]]

    # The old cookie signs nobody in; the email and password no longer open anything.
    stale = browser(client)
    stale.cookies.set("minis_session", old_cookie)
    assert stale.get("/api/me").json()["user"]["id"] != me["id"]
    signed_in = stale.post(
        "/api/account/sign-in", json={"email": me["email"], "password": "correct horse battery"}, headers=csrf_of(stale)
    )
    assert 400 <= signed_in.status_code < 500
    # A second deletion (the same request replayed with the old cookie) is refused with a 4xx.
    again = browser(client)
    again.cookies.set("minis_session", old_cookie)
    replayed = again.post("/api/me/delete", json={"confirm": "DELETE"}, headers=headers)
    assert 400 <= replayed.status_code < 500
    with platform.db.session() as session:
        try:
            erasure.erase(session, user_id=me["id"], confirmation="DELETE", media=platform.storage)
        except erasure.AccountDeleted as refused:
            assert status_for(refused) == 410
        else:
            raise AssertionError("a deleted account was deleted twice")


def test_deleting_a_creators_account_erases_their_posts_and_the_posts_media(client, studio, platform):
    creator = make_creator(client, "maker")
    post_id = ready_post(platform, creator.user_id, studio.app_id)
    with platform.db.session() as session:
        media = platform.settings.data_dir / "media" / "posts" / session.get(Post, post_id).media_key
    media.mkdir(parents=True)
    (media / "720p.mp4").write_bytes(b"a face and a voice")
    assert [post["id"] for post in download(creator.browser)["posts"]] == [post_id]

    assert (
        creator.browser.post("/api/me/delete", json={"confirm": "DELETE"}, headers=creator.headers).status_code == 200
    )
    assert not media.exists()
    with platform.db.session() as session:
        post = session.get(Post, post_id)
        assert (post.caption, post.media_key, post.status) == ("", None, "removed")
        assert session.get(Creator, creator.user_id).display_name == erasure.ERASED_NAME
    assert post_id not in client.get("/api/feed?limit=50").text


def test_deleting_an_account_erases_the_email_a_studio_of_theirs_was_named_by(client, studio, platform):
    """A studio made as its person accepted an invitation (or by `minis publish --developer EMAIL`)
    is named by their email, a name they did not choose. It stays with its apps and earnings after
    the deletion, and kept the address: shown on its apps' pages and on its payouts (money57)."""
    person, headers = join_team(studio, "jane.doe.private@example.com", "viewer")
    developer_id = person.get("/api/developer").json()["id"]
    chosen, chosen_headers = join_team(studio, "chosen@example.com", "viewer")
    assert chosen.patch("/api/developer", json={"name": "Chosen Games"}, headers=chosen_headers).status_code == 200
    chosen_id = chosen.get("/api/developer").json()["id"]

    for browser_, headers_ in ((person, headers), (chosen, chosen_headers)):
        assert browser_.post("/api/me/delete", json={"confirm": "DELETE"}, headers=headers_).status_code == 200
    with platform.db.session() as session:
        released = session.get(Developer, developer_id)
        assert (released.user_id, released.name) == (None, developers.ERASED_STUDIO_NAME)
        kept = session.get(Developer, chosen_id)  # a name they chose is the studio's, not personal data
        assert (kept.user_id, kept.name) == (None, "Chosen Games")


def test_a_long_email_accepts_an_invitation_and_its_studio_name_goes_with_the_account(client, studio, platform):
    """A studio name is at most 80 characters and an email up to 254: a person with a longer address
    was refused every invitation they accepted, for a name they never typed (attack57b)."""
    email = "a" * 60 + "@" + "b" * 30 + ".example.com"
    person, headers = join_team(studio, email, "viewer")
    named = person.get("/api/developer").json()
    assert named["name"] == email[:79] + "…"
    assert person.post("/api/me/delete", json={"confirm": "DELETE"}, headers=headers).status_code == 200
    with platform.db.session() as session:
        assert session.get(Developer, named["id"]).name == developers.ERASED_STUDIO_NAME
