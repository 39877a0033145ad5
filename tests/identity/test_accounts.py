"""A guest becomes a full account without losing anything, and signs in anywhere."""

from __future__ import annotations

import logging
import re

from starlette.testclient import TestClient

from tests.factories import publish
from tests.identity.links import ask_for_link, confirm
from tests.studio import browser, csrf_of, sign_up


def test_upgrading_a_guest_keeps_its_id_and_its_saves(client, platform):
    publish(platform)
    guest = client.get("/api/me").json()["user"]
    headers = csrf_of(client)
    client.put("/api/apps/test-game/storage/best", json={"value": 99}, headers=headers)
    sign_up(client, "Ada@Example.com")
    me = client.get("/api/me").json()["user"]
    assert (me["id"], me["kind"], me["email"]) == (guest["id"], "full", "ada@example.com")
    assert client.get("/api/apps/test-game/storage/best").json() == {"value": 99}


def test_signing_in_on_another_browser_reaches_the_same_account(client):
    sign_up(client, "ada@example.com", "a long password")
    account = client.get("/api/me").json()["user"]["id"]
    other = browser(client)
    response = other.post(
        "/api/account/sign-in", json={"email": "ada@example.com", "password": "a long password"}, headers=csrf_of(other)
    )
    assert response.status_code == 200
    assert other.get("/api/me").json()["user"]["id"] == account


def test_a_wrong_password_and_an_unknown_email_fail_alike(client):
    sign_up(client, "ada@example.com", "a long password")
    other = browser(client)
    headers = csrf_of(other)
    wrong = other.post(
        "/api/account/sign-in", json={"email": "ada@example.com", "password": "not the password"}, headers=headers
    )
    unknown = other.post(
        "/api/account/sign-in", json={"email": "bob@example.com", "password": "not the password"}, headers=headers
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["message"] == unknown.json()["message"]


def test_brute_forcing_a_password_hits_the_rate_limit(client, platform):
    sign_up(client, "ada@example.com", "a long password")
    attacker = browser(client)
    headers = csrf_of(attacker)
    statuses = [
        attacker.post(
            "/api/account/sign-in", json={"email": "ada@example.com", "password": f"guess-{n:04d}"}, headers=headers
        ).status_code
        for n in range(platform.rates.failures.limit + 2)
    ]
    assert statuses[: platform.rates.failures.limit] == [401] * platform.rates.failures.limit
    assert statuses[-1] == 429
    # Even the right password is refused while the door is shut.
    right = attacker.post(
        "/api/account/sign-in", json={"email": "ada@example.com", "password": "a long password"}, headers=headers
    )
    assert right.status_code == 429


def test_another_spelling_of_the_address_counts_against_the_same_limit(client, platform):
    """The account is found by its address normalized (fullwidth letters as plain ones); the limit
    counted the address as typed, so each spelling had ten guesses of its own, and the right
    password got in through one while the account's door was shut (a probe, attack52)."""
    sign_up(client, "ada@example.com", "a long password")
    addresses = iter(range(1, 100))

    def guess(email: str, password: str) -> int:
        # Each guess from an address of its own (a botnet): only the account's limit holds them.
        attacker = TestClient(client.app, base_url="http://localhost:8000", client=(f"10.0.0.{next(addresses)}", 1))
        answer = attacker.post(
            "/api/account/sign-in", json={"email": email, "password": password}, headers=csrf_of(attacker)
        )
        return answer.status_code

    limit = platform.rates.failures.limit
    assert [guess("ada@example.com", f"guess-{n}") for n in range(limit)] == [401] * limit
    for spelling in ("ada@\uff45xample.com", "ADA@EXAMPLE.COM", " ada@example.com "):
        assert guess(spelling, "guess-again") == 429, spelling
        assert guess(spelling, "a long password") == 429, spelling


def test_a_one_time_link_signs_in_once(client, caplog):
    sign_up(client, "ada@example.com")
    account = client.get("/api/me").json()["user"]["id"]
    other = browser(client)
    with caplog.at_level(logging.WARNING, logger="openminis.mail"):
        assert other.post("/api/account/link", json={"email": "ada@example.com"}, headers=csrf_of(other)).json() == {
            "ok": True,
            "delivery": "log",
        }
    token = re.search(r"http://localhost:8000/account/link\?token=(\S+)", caplog.text).group(1)
    assert confirm(other, token).status_code == 200
    assert other.get("/api/me").json()["user"]["id"] == account
    assert confirm(browser(client), token).json()["code"] == "LINK_INVALID"


def test_a_link_to_a_new_email_upgrades_the_guest_who_asked_when_it_confirms_keeping_it(client):
    guest = client.get("/api/me").json()["user"]["id"]
    confirm(client, ask_for_link(client, "new@example.com"), keep_guest=True)
    me = client.get("/api/me").json()["user"]
    assert (me["id"], me["kind"], me["email"]) == (guest, "full", "new@example.com")


def test_signing_out_ends_the_session(client):
    sign_up(client, "ada@example.com")
    account = client.get("/api/me").json()["user"]["id"]
    assert client.post("/api/account/sign-out", headers=csrf_of(client)).json() == {"ok": True}
    assert client.get("/api/me").json()["user"]["id"] != account


def test_bad_emails_and_short_passwords_are_invalid_arguments(client):
    headers = csrf_of(client)
    bad_email = client.post(
        "/api/account/register", json={"email": "not-an-email", "password": "long enough"}, headers=headers
    )
    short = client.post("/api/account/register", json={"email": "a@example.com", "password": "short"}, headers=headers)
    assert (bad_email.status_code, bad_email.json()["field"]) == (422, "email")
    assert (short.status_code, short.json()["field"]) == (422, "password")


def test_an_email_can_belong_to_one_account_only(client):
    sign_up(client, "ada@example.com")
    other = browser(client)
    response = other.post(
        "/api/account/register",
        json={"email": "ADA@example.com", "password": "another password"},
        headers=csrf_of(other),
    )
    assert response.status_code == 409 and response.json()["code"] == "EMAIL_TAKEN"


def test_every_person_has_a_generated_avatar(client):
    me = client.get("/api/me").json()["user"]
    avatar = client.get(me["avatar_url"])
    assert avatar.headers["content-type"] == "image/svg+xml"
    assert avatar.text.startswith("<svg") and "<rect" in avatar.text
