"""Identity in units of work: a refusal that must keep its write keeps it (a counted try at an
email code), a refused step leaves nothing of itself (an email taken at the last moment), and what
follows an account's deletion happens only once the deletion is committed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from openminis import erasure
from openminis.identity import accounts
from openminis.identity.models import EmailVerification, User
from openminis.unit_of_work import unit_of_work
from tests.concurrency import answered, race
from tests.identity.links import ask_for_link, who
from tests.studio import browser, csrf_of, mailed_code, sign_up


def register(browser_, email: str):
    return browser_.post(
        "/api/account/register",
        json={"email": email, "password": "correct horse battery"},
        headers=csrf_of(browser_),
    )


def verify(browser_, code: str):
    return browser_.post("/api/account/verify", json={"code": code}, headers=csrf_of(browser_))


def pending_of(platform, user_id: str) -> EmailVerification | None:
    with platform.db.session() as session:
        return session.get(EmailVerification, user_id)


def test_a_wrong_code_is_answered_as_an_error_and_its_try_still_counts(client, platform):
    assert register(client, "ada@example.com").status_code == 200
    code = mailed_code(client, "ada@example.com")
    wrong = verify(client, "000000" if code != "000000" else "111111")
    assert (wrong.status_code, wrong.json()["code"]) == (422, "CODE_INVALID")
    assert wrong.json()["message"] == f"wrong code; {accounts.CODE_ATTEMPTS - 1} more tries"
    assert wrong.json()["request_id"] == wrong.headers["x-request-id"]  # the app's one error answer
    assert pending_of(platform, who(client)["id"]).attempts == 1


def test_an_email_taken_at_the_last_moment_refuses_the_code_and_leaves_the_registration(client, platform, monkeypatch):
    owner = browser(client)
    sign_up(owner, "ada@example.com")
    assert register(client, "other@example.com").status_code == 200
    code = mailed_code(client, "other@example.com")
    with platform.db.session() as session:  # the registration asks for the owner's address instead
        pending = session.get(EmailVerification, who(client)["id"])
        pending.email, pending.code_hash = (
            "ada@example.com",
            accounts._code_hash(pending.user_id, "ada@example.com", code),
        )
        session.commit()
    # As when the owner proves the address in a concurrent request, between the check and the write.
    monkeypatch.setattr(accounts, "_verified_owner", lambda *_: None)

    taken = verify(client, code)

    assert (taken.status_code, taken.json()["code"]) == (409, "EMAIL_TAKEN")
    me = who(client)
    assert (me["kind"], me["email"]) == ("guest", None)
    # Nothing of the refused step happened: the registration is still there (its try counted).
    left = pending_of(platform, me["id"])
    assert (left.email, left.attempts) == ("ada@example.com", 1)
    with platform.db.session() as session:
        assert session.scalar(select(User.id).where(User.email == "ada@example.com")) == who(owner)["id"]


class Later(Exception):
    """A failure after the deletion, in the same unit of work."""


def test_a_deletion_rolled_back_keeps_the_account_and_its_kept_mail(client, platform):
    ask_for_link(client, "ada@example.com")
    user_id = who(client)["id"]

    def mailed() -> bool:
        return any(message["To"] == "ada@example.com" for message in platform.mailbox.outbox)

    with pytest.raises(Later), unit_of_work(platform.db) as session:
        erasure.erase(session, user_id=user_id, confirmation="DELETE", media=platform.storage, mailbox=platform.mailbox)
        raise Later
    assert mailed()
    with platform.db.session() as session:
        assert session.get(User, user_id).erased_at is None

    with unit_of_work(platform.db) as session:
        erasure.erase(session, user_id=user_id, confirmation="DELETE", media=platform.storage, mailbox=platform.mailbox)
        assert mailed()  # until the deletion is committed
    assert not mailed()
    with platform.db.session() as session:
        assert session.get(User, user_id).erased_at is not None


def test_two_deletions_of_one_account_at_once_delete_it_once(client, platform):
    sign_up(client, "ada@example.com")
    user_id = who(client)["id"]
    headers, cookies = csrf_of(client), dict(client.cookies)

    def delete(_worker: int, _n: int) -> str:
        # Each its own browser with the same cookie: the replayed request of a double tap.
        twin = browser(client)
        twin.cookies.update(cookies)
        sent = answered(lambda: twin.post("/api/me/delete", json={"confirm": "DELETE"}, headers=headers))
        return "deleted" if sent.status_code == 200 else f"refused {sent.status_code // 100}xx"

    assert race(2, 1, delete) == {"deleted": 1, "refused 4xx": 1}
    with platform.db.session() as session:
        assert session.get(User, user_id).erased_at is not None
