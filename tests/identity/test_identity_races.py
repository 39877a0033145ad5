"""One person's own requests at once, against a real ``minis serve`` on SQLite and PostgreSQL: an app
that calls ``minis.login()`` twice as it starts, a double tap on Verify. Each is an ordinary
person's doing, not overload: none may answer 5xx (on PostgreSQL both did, a 500 and a 503)."""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterator
from contextlib import closing

import pytest

from openminis.liveserver import LiveServer
from tests.catalog.test_staged_release import PASSWORD, Studio, browser, csrf
from tests.publishing_live import DATABASES, acting_as, at_once, new_studio, server_per_database

pytestmark = pytest.mark.slow  # a real server per database


server = pytest.fixture(scope="module", params=DATABASES)(server_per_database)


@pytest.fixture(scope="module")
def app_id(server) -> Iterator[str]:
    studio: Studio = new_studio(server)
    with closing(studio.owner), closing(studio.staff):
        yield studio.released_app("Twice")


def as_guest(server: LiveServer) -> dict:
    """A new guest's request keyword arguments: cookie, CSRF token, the host's Origin."""
    with browser(server) as guest:
        return acting_as(server, guest, csrf(guest))


@pytest.mark.parametrize("path", ["login-code", "profile-consent"])
def test_an_apps_first_login_asked_several_times_at_once_answers_every_time(server, app_id, path):
    """The first login code (or profile consent) of a person in an app authorizes the app: four
    at once each inserted that authorization, and on PostgreSQL all but one failed on its key (500)."""
    for _ in range(3):
        guest = as_guest(server)
        answers = at_once(server, [{"method": "POST", "url": f"/api/apps/{app_id}/{path}", **guest}] * 4)
        assert Counter(a.status_code for a in answers) == {200: 4}, [a.text for a in answers]


def test_a_double_tap_on_verify_proves_the_email_once_and_answers_both_taps(server):
    """The same right code sent twice at once: one proves the address, the other finds nothing
    left to prove (409). On PostgreSQL the two deadlocked, and the loser answered 503."""
    for _ in range(3):
        email = f"twice-{secrets.token_hex(4)}@example.com"
        with browser(server) as person:
            headers = csrf(person)
            registered = person.post(
                "/api/account/register", json={"email": email, "password": PASSWORD}, headers=headers
            )
            assert registered.status_code == 200, registered.text
            code = server.mailed(email, r"verification code is (\d{6})")
            request = {"method": "POST", "url": "/api/account/verify", "json": {"code": code}}
            request |= acting_as(server, person, headers)
            answers = at_once(server, [request] * 2)
            assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
            assert person.get("/api/me").json()["user"]["email"] == email


def test_wrong_passwords_sent_at_once_are_tried_no_more_than_the_limit(server):
    """Each guess is counted before its password is checked. Checked first and counted after, forty
    wrong passwords sent at once all passed the check before any was counted: 17 were tried on one
    node and 24 on two, against a limit of 10 (a probe, scale52). Last in this module: its guesses
    shut the door on this address for a while."""
    email = f"guessed-{secrets.token_hex(4)}@example.com"
    with browser(server) as person:
        headers = csrf(person)
        registered = person.post("/api/account/register", json={"email": email, "password": PASSWORD}, headers=headers)
        assert registered.status_code == 200, registered.text
        code = server.mailed(email, r"verification code is (\d{6})")
        assert person.post("/api/account/verify", json={"code": code}, headers=headers).status_code == 200
    with browser(server) as attacker:
        guesses = [
            {"method": "POST", "url": "/api/account/sign-in", "json": {"email": email, "password": f"guess-{n:04d}"}}
            | acting_as(server, attacker, csrf(attacker))
            for n in range(40)
        ]
        answers = Counter(a.status_code for a in at_once(server, guesses))
    assert set(answers) <= {401, 429} and 0 < answers[401] <= 10, answers  # the default limit: 10 a minute
