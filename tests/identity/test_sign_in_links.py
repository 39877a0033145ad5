"""Sign-in links sign in only by an intentional act: opening one shows a page that asks, and only
its POST (with the session's CSRF token, from the host's origin) signs in, once, within minutes.
A link asked for in one browser and opened in another never hands over the asking guest."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from openminis.db import utcnow
from openminis.identity.models import SignInLink
from openminis.wallet import service as ledger
from tests.concurrency import answered, race
from tests.factories import publish
from tests.identity.links import ask_for_link, confirm, who
from tests.studio import balance, browser, csrf_of, sign_up, top_up


def test_opening_a_sign_in_link_signs_nobody_in(client):
    """The login CSRF of issue 12: an attacker's link, opened (or loaded as an image) by a
    signed-in person, used to sign them in to the attacker's account."""
    attacker = browser(client)
    sign_up(attacker, "mallory@example.com")
    token = ask_for_link(attacker, "mallory@example.com")
    sign_up(client, "ada@example.com")
    ada = who(client)["id"]

    page = client.get(f"/account/link?token={token}", follow_redirects=False)
    as_image = client.get(
        f"/account/link?token={token}", headers={"Accept": "image/avif,image/webp,*/*", "Sec-Fetch-Dest": "image"}
    )

    assert page.status_code == as_image.status_code == 200
    assert "Sign in as mallory@example.com?" in page.text
    assert "minis_session" not in page.headers.get("set-cookie", "")
    assert who(client)["id"] == ada
    assert (
        page.headers["cache-control"] == "no-store"
        and "frame-ancestors 'none'" in page.headers["content-security-policy"]
    )


def test_confirming_without_the_csrf_token_or_from_another_origin_is_refused(client):
    sign_up(client, "ada@example.com")
    ada = who(client)["id"]
    token = ask_for_link(browser(client), "mallory@example.com")

    no_csrf = confirm(client, token, csrf=False)
    foreign = confirm(client, token, origin="http://hostile.apps.localhost:8000")
    no_origin = confirm(client, token, origin=None)

    assert (no_csrf.status_code, no_csrf.json()["code"]) == (403, "CSRF_FAILED")
    assert (foreign.status_code, foreign.json()["code"]) == (403, "BAD_ORIGIN")
    assert (no_origin.status_code, no_origin.json()["code"]) == (403, "BAD_ORIGIN")
    assert who(client)["id"] == ada
    # None of them used the link up: the person it was for still can.
    assert confirm(browser(client), token).status_code == 200


def test_a_confirmed_link_signs_in_to_the_emails_account_once(client):
    sign_up(client, "ada@example.com")
    ada = who(client)["id"]
    other = browser(client)
    token = ask_for_link(other, "ada@example.com")

    page = other.get(f"/account/link?token={token}")
    assert "Sign in as ada@example.com?" in page.text and "another browser" not in page.text
    signed_in = confirm(other, token)
    assert signed_in.status_code == 200
    assert signed_in.json()["user"]["id"] == ada == who(other)["id"]

    third = browser(client)
    again = confirm(third, token)
    assert (again.status_code, again.json()["code"]) == (410, "LINK_INVALID")
    assert third.get(f"/account/link?token={token}").status_code == 410
    assert who(third)["id"] != ada


def test_a_link_confirmed_from_many_browsers_at_once_signs_in_one(client):
    sign_up(client, "ada@example.com")
    token = ask_for_link(browser(client), "ada@example.com")
    browsers = [browser(client) for _ in range(8)]
    for each in browsers:
        csrf_of(each)  # each a guest with its session before the race

    outcomes = race(8, 1, lambda worker, _n: str(answered(lambda: confirm(browsers[worker], token)).status_code))

    assert outcomes == {"200": 1, "410": 7}


def test_an_expired_link_is_refused(client, platform):
    sign_up(client, "ada@example.com")
    other = browser(client)
    token = ask_for_link(other, "ada@example.com")
    with platform.db.session() as session:
        session.execute(update(SignInLink).values(expires_at=utcnow() - timedelta(seconds=1)))
        session.commit()

    page = other.get(f"/account/link?token={token}")
    assert page.status_code == 410 and "doesn’t work any more" in page.text
    refused = confirm(other, token)
    assert (refused.status_code, refused.json()["code"]) == (410, "LINK_INVALID")
    assert who(other)["kind"] == "guest"


def test_a_link_asked_for_in_one_browser_and_opened_in_another_does_not_upgrade_the_asking_guest(client, platform):
    """Pre-hijacking by link: the attacker's guest asks for a link to the victim's email (no account
    yet); the victim opens it in their own browser. The attacker's guest must not become the account."""
    publish(platform)
    attacker = client
    attacker_guest = who(attacker)["id"]
    attacker.put("/api/apps/test-game/storage/planted", json={"value": "by mallory"}, headers=csrf_of(attacker))
    token = ask_for_link(attacker, "victim@example.com")

    victim = browser(client)
    page = victim.get(f"/account/link?token={token}")
    assert "asked for in another browser" in page.text
    assert "Keep these in the new account" not in page.text
    signed_in = confirm(victim, token, keep_guest=True)  # asking to keep is not enough in another browser

    assert signed_in.status_code == 200
    account = who(victim)
    assert (account["kind"], account["email"]) == ("full", "victim@example.com")
    assert account["id"] != attacker_guest
    assert victim.get("/api/apps/test-game/storage/planted").json() == {"value": None}
    assert (who(attacker)["id"], who(attacker)["kind"], who(attacker)["email"]) == (attacker_guest, "guest", None)


def test_the_asking_guest_becomes_the_account_only_in_its_own_browser_and_when_it_chooses(client, platform):
    publish(platform)
    guest = who(client)["id"]
    client.put("/api/apps/test-game/storage/best", json={"value": 99}, headers=csrf_of(client))
    token = ask_for_link(client, "new@example.com")

    page = client.get(f"/account/link?token={token}")
    assert "Keep these in the new account" in page.text and "your saves, progress and purchases" in page.text
    assert confirm(client, token, keep_guest=True).status_code == 200

    me = who(client)
    assert (me["id"], me["kind"], me["email"]) == (guest, "full", "new@example.com")
    assert client.get("/api/apps/test-game/storage/best").json() == {"value": 99}


def test_the_asking_guest_who_declines_to_keep_its_progress_gets_a_new_account(client):
    guest = who(client)["id"]
    token = ask_for_link(client, "fresh@example.com")

    assert confirm(client, token, keep_guest=False).status_code == 200

    me = who(client)
    assert (me["kind"], me["email"]) == ("full", "fresh@example.com") and me["id"] != guest


def test_a_guest_who_declines_to_keep_its_progress_still_brings_its_coins(client, platform):
    """Coins are money the person paid: declining to keep a guest's saves and name in the new
    account left them on the guest, which no cookie reaches once the browser is the account (last
    stop's seen-and-left: 1200 coins stranded by an unticked box)."""
    top_up(client)
    token = ask_for_link(client, "fresh-coins@example.com")
    page = client.get(f"/account/link?token={token}")
    assert "The 1200 coins this browser has as a guest come with you either way" in page.text

    signed_in = confirm(client, token, keep_guest=False)
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["guest_coins_added"] == 1200
    assert balance(client) == 1200  # the new account's wallet
    with platform.db.session() as session:
        check = ledger.verify(session)
    assert check.ok, check.problems


def test_the_link_page_and_its_confirmation_need_a_real_token(client):
    missing = client.get("/account/link")
    too_long = client.get("/account/link?token=" + "a" * 200)
    assert missing.status_code == 410
    assert too_long.status_code == 422
    assert confirm(client, "made-up").json()["code"] == "LINK_INVALID"
    assert confirm(client, "x" * 101).status_code == 422
