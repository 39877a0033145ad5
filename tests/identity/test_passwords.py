"""Password hashes cost what the settings say: OWASP's argon2id parameters unless set otherwise."""

from __future__ import annotations

from argon2 import PasswordHasher

from openminis.identity.models import User
from openminis.identity.passwords import Passwords
from openminis.settings import Settings
from tests.studio import browser, csrf_of, sign_up


def test_by_default_passwords_are_hashed_with_owasps_argon2id_parameters(monkeypatch):
    for name in ("MINIS_PASSWORD_TIME_COST", "MINIS_PASSWORD_MEMORY_KIB", "MINIS_PASSWORD_PARALLELISM"):
        monkeypatch.delenv(name, raising=False)  # the tests' own cheap cost (tests/conftest.py)
    made = Passwords.from_settings(Settings()).hash("correct horse battery")
    assert made.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_the_settings_set_the_cost_and_a_hash_made_at_another_cost_still_verifies():
    cheap = Passwords.from_settings(Settings(password_time_cost=1, password_memory_kib=8, password_parallelism=1))
    made = cheap.hash("correct horse battery")
    assert made.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    older = PasswordHasher(time_cost=3, memory_cost=64, parallelism=2).hash("correct horse battery")
    assert cheap.verify(older, "correct horse battery") and cheap.needs_rehash(older)
    assert not cheap.verify(older, "not the password")
    assert not cheap.verify(None, "correct horse battery")  # an unknown email: a stand-in is verified
    assert not cheap.needs_rehash(made)


def test_a_hash_made_at_another_cost_signs_in_and_is_made_again_at_the_current_one(client, platform):
    sign_up(client, "ada@example.com", "a long password")
    with platform.db.session() as session:
        user = session.query(User).filter_by(email="ada@example.com").one()
        user.password_hash = PasswordHasher(time_cost=2, memory_cost=64, parallelism=2).hash("a long password")
        session.commit()
    other = browser(client)
    response = other.post(
        "/api/account/sign-in", json={"email": "ada@example.com", "password": "a long password"}, headers=csrf_of(other)
    )
    assert response.status_code == 200, response.text
    with platform.db.session() as session:
        rehashed = session.query(User).filter_by(email="ada@example.com").one().password_hash
    assert rehashed.startswith("$argon2id$v=19$m=8,t=1,p=1$")
