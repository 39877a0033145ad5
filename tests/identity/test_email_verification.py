"""No pre-hijacking: an email is an account's only once its owner proved it with the code mailed to
it (or a sign-in link they confirmed). Whoever registered an address without proving it has no
claim on it: the owner registers or signs in anyway, and the squatter's claim goes."""

from __future__ import annotations

from sqlalchemy import select

from openminis.identity.accounts import CODE_ATTEMPTS
from openminis.identity.models import User
from openminis.identity.service import new_user
from tests.concurrency import answered, race
from tests.identity.links import ask_for_link, confirm, who
from tests.studio import browser, csrf_of, mailed_code, sign_up


def register(browser_, email: str, password: str = "correct horse battery"):
    return browser_.post(
        "/api/account/register", json={"email": email, "password": password}, headers=csrf_of(browser_)
    )


def verify(browser_, code: str):
    return browser_.post("/api/account/verify", json={"code": code}, headers=csrf_of(browser_))


def password_sign_in(browser_, email: str, password: str = "correct horse battery"):
    return browser_.post("/api/account/sign-in", json={"email": email, "password": password}, headers=csrf_of(browser_))


def unproved_account(platform, email: str, password: str) -> str:
    """A row as the old code left it: an email and a password, never proved."""
    with platform.db.session() as session:
        user = new_user(session, kind="full", email=email)
        user.password_hash = platform.passwords.hash(password)
        user_id = user.id
        session.commit()
    return user_id


def test_registering_gives_the_email_only_when_the_mailed_code_comes_back(client):
    guest = who(client)["id"]
    sent = register(client, "Ada@Example.com")
    assert sent.json() == {"ok": True, "email": "ada@example.com", "delivery": "log"}
    me = who(client)
    assert (me["kind"], me["email"], me["pending_email"]) == ("guest", None, "ada@example.com")
    assert password_sign_in(browser(client), "ada@example.com").status_code == 401  # no account yet

    wrong = verify(client, "000000" if mailed_code(client, "ada@example.com") != "000000" else "111111")
    assert (wrong.status_code, wrong.json()["code"], wrong.json()["field"]) == (422, "CODE_INVALID", "code")
    assert verify(client, mailed_code(client, "ada@example.com")).status_code == 200

    me = who(client)
    assert (me["id"], me["kind"], me["email"], me["email_verified"], me["pending_email"]) == (
        guest,
        "full",
        "ada@example.com",
        True,
        None,
    )
    assert password_sign_in(browser(client), "ada@example.com").json()["user"]["id"] == guest


def test_an_unverified_registration_cannot_take_over_a_verified_owners_account(client):
    sign_up(client, "ada@example.com", "ada's own password")
    ada = who(client)["id"]
    attacker = browser(client)

    taken = register(attacker, "ada@example.com", "mallory's password")
    assert (taken.status_code, taken.json()["code"]) == (409, "EMAIL_TAKEN")
    assert password_sign_in(attacker, "ada@example.com", "mallory's password").status_code == 401
    # Ada's own sign-in link still reaches Ada's account, not anything the attacker made.
    other = browser(client)
    assert confirm(other, ask_for_link(other, "ada@example.com")).json()["user"]["id"] == ada


def test_the_owner_registers_an_email_a_squatter_registered_but_never_verified_and_the_squatter_loses_it(client):
    squatter = browser(client)
    assert register(squatter, "victim@example.com", "mallory's password").status_code == 200
    squatters_code = mailed_code(client, "victim@example.com")  # went to the victim's mailbox, but say it leaked later

    victim = client
    assert register(victim, "victim@example.com", "victim's password").status_code == 200
    assert verify(victim, mailed_code(client, "victim@example.com")).status_code == 200
    assert who(victim)["email"] == "victim@example.com"

    late = verify(squatter, squatters_code)
    assert (late.status_code, late.json()["code"]) == (409, "NOTHING_TO_VERIFY")
    assert (who(squatter)["kind"], who(squatter)["pending_email"]) == ("guest", None)
    assert password_sign_in(browser(client), "victim@example.com", "mallory's password").status_code == 401


def test_the_owners_sign_in_link_does_not_land_in_a_squatters_waiting_registration(client):
    squatter = browser(client)
    squatter_guest = who(squatter)["id"]
    register(squatter, "victim@example.com", "mallory's password")

    victim = client
    signed_in = confirm(victim, ask_for_link(victim, "victim@example.com"))
    assert signed_in.status_code == 200
    assert signed_in.json()["user"]["id"] != squatter_guest
    assert (who(squatter)["kind"], who(squatter)["pending_email"]) == ("guest", None)
    assert password_sign_in(browser(client), "victim@example.com", "mallory's password").status_code == 401


def test_an_account_registered_before_verification_gives_up_the_email_when_its_owner_proves_it(client, platform):
    squatter_id = unproved_account(platform, "victim@example.com", "mallory's password")
    assert password_sign_in(browser(client), "victim@example.com", "mallory's password").status_code == 200

    victim = client
    signed_in = confirm(victim, ask_for_link(victim, "victim@example.com"))

    assert signed_in.json()["user"]["id"] != squatter_id
    assert password_sign_in(browser(client), "victim@example.com", "mallory's password").status_code == 401
    with platform.db.session() as session:
        assert session.scalar(select(User.email).where(User.id == squatter_id)) is None


def test_an_account_registered_before_verification_can_prove_its_own_email(client, platform):
    unproved_account(platform, "old@example.com", "an old password")
    password_sign_in(client, "old@example.com", "an old password")
    assert who(client)["email_verified"] is False

    assert client.post("/api/account/verification", headers=csrf_of(client)).json()["email"] == "old@example.com"
    assert verify(client, mailed_code(client, "old@example.com")).json()["email_verified"] is True


def test_a_code_is_void_after_five_wrong_tries_even_when_guessed_at_once(client):
    register(client, "ada@example.com")
    code = mailed_code(client, "ada@example.com")
    wrong = [f"{n:06d}" for n in range(20) if f"{n:06d}" != code][:12]
    headers = csrf_of(client)

    def guess(worker: int, _n: int) -> str:
        return answered(
            lambda: client.post("/api/account/verify", json={"code": wrong[worker]}, headers=headers)
        ).json()["code"]

    outcomes = race(12, 1, guess)

    assert outcomes == {"CODE_INVALID": CODE_ATTEMPTS, "CODE_EXPIRED": 12 - CODE_ATTEMPTS}
    assert verify(client, code).json()["code"] == "CODE_EXPIRED"
    assert who(client)["kind"] == "guest"
    # A new code (a new email) starts again.
    assert client.post("/api/account/verification", headers=headers).status_code == 200
    assert verify(client, mailed_code(client, "ada@example.com")).status_code == 200


def test_an_account_registered_before_verification_proves_its_email_by_a_link_it_asked_for_itself(client, platform):
    old_id = unproved_account(platform, "old@example.com", "an old password")
    password_sign_in(client, "old@example.com", "an old password")

    token = ask_for_link(client, "old@example.com")
    assert "your account stays as it is" in client.get(f"/account/link?token={token}").text
    signed_in = confirm(client, token)

    assert (signed_in.json()["user"]["id"], signed_in.json()["user"]["email_verified"]) == (old_id, True)
    assert password_sign_in(browser(client), "old@example.com", "an old password").json()["user"]["id"] == old_id
