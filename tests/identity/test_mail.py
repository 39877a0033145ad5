"""Sign-in links by email: through a real SMTP server on loopback (aiosmtpd) when MINIS_SMTP_URL is
set; a server that is down or refuses leaves no link behind and says so."""

from __future__ import annotations

import re
from email import message_from_bytes
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from pydantic import ValidationError
from sqlalchemy import func, select

from openminis.identity.mail import SmtpServer
from openminis.identity.models import SignInLink
from openminis.liveserver import free_port
from openminis.settings import Settings
from tests.identity.links import confirm
from tests.studio import browser, csrf_of


class Inbox:
    """What the SMTP server was handed."""

    def __init__(self):
        self.messages: list[Message] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


def only_account(server, session, envelope, mechanism, auth_data):
    # handled=False: the server answers a refused login with 535, as real ones do (aiosmtpd's
    # default, handled=True, answers nothing and leaves the client to its timeout).
    return AuthResult(
        success=isinstance(auth_data, LoginPassword)
        and (auth_data.login, auth_data.password) == (b"minis", b"s3cret p@ss"),
        handled=False,
    )


@pytest.fixture
def smtp(platform):
    """A real SMTP server on a free loopback port, and the platform sending through it."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    platform.settings.smtp_url = f"smtp://127.0.0.1:{controller.port}"
    platform.settings.mail_from = "Openminis <signin@minis.test>"
    platform.__dict__.pop("mailbox", None)
    yield inbox
    controller.stop()


def links(platform) -> int:
    with platform.db.session() as session:
        return session.scalar(select(func.count()).select_from(SignInLink))


def body(message: Message) -> str:
    return message.get_payload(decode=True).decode()


def test_a_verification_code_and_a_sign_in_link_arrive_by_email_and_sign_in(client, smtp):
    client.post(
        "/api/account/register",
        json={"email": "ada@example.com", "password": "a long password"},
        headers=csrf_of(client),
    )
    [verification] = smtp.messages
    assert verification["Subject"] == "Your openminis verification code"
    code = re.search(r"verification code is (\d{6})", body(verification)).group(1)
    verified = client.post("/api/account/verify", json={"code": code}, headers=csrf_of(client))
    assert (verified.json()["email"], verified.json()["kind"]) == ("ada@example.com", "full")
    account = client.get("/api/me").json()["user"]["id"]

    other = browser(client)
    response = other.post("/api/account/link", json={"email": "Ada@Example.com"}, headers=csrf_of(other))
    assert response.json() == {"ok": True, "delivery": "email"}
    message = smtp.messages[-1]
    assert smtp.recipients == [["ada@example.com"], ["ada@example.com"]]
    assert (message["From"], message["To"], message["Subject"]) == (
        "Openminis <signin@minis.test>",
        "ada@example.com",
        "Your openminis sign-in link",
    )
    token = re.search(r"/account/link\?token=(\S+)", body(message)).group(1)
    assert confirm(other, token).status_code == 200
    assert other.get("/api/me").json()["user"]["id"] == account


def test_the_smtp_server_may_require_a_login(client, platform):
    inbox = Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=only_account,
        auth_required=True,
        auth_require_tls=False,
    )
    controller.start()
    try:
        for password, status in (("wrong", 503), ("s3cret%20p%40ss", 200)):
            platform.settings.smtp_url = f"smtp://minis:{password}@127.0.0.1:{controller.port}"
            platform.__dict__.pop("mailbox", None)
            response = client.post("/api/account/link", json={"email": "grace@example.com"}, headers=csrf_of(client))
            assert response.status_code == status, response.text
        assert len(inbox.messages) == 1  # the refused login sent nothing
        assert links(platform) == 1  # and kept no link
    finally:
        controller.stop()


def test_a_mail_server_that_is_down_leaves_no_link_and_says_so(client, platform):
    platform.settings.smtp_url = f"smtp://127.0.0.1:{free_port()}"  # nothing listens there
    platform.__dict__.pop("mailbox", None)
    response = client.post("/api/account/link", json={"email": "grace@example.com"}, headers=csrf_of(client))
    assert response.status_code == 503
    assert response.json()["code"] == "MAIL_UNAVAILABLE"
    assert "try again" in response.json()["message"]
    assert links(platform) == 0


def test_without_a_mail_server_the_link_goes_to_the_log(client):
    response = client.post("/api/account/link", json={"email": "grace@example.com"}, headers=csrf_of(client))
    assert response.json() == {"ok": True, "delivery": "log"}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.com", SmtpServer("smtp", "mail.example.com", 25)),
        (
            "smtp+starttls://me%40corp:p%3Ass@mail.example.com",
            SmtpServer("smtp+starttls", "mail.example.com", 587, "me@corp", "p:ss"),
        ),
        ("smtps://mail.example.com:2465", SmtpServer("smtps", "mail.example.com", 2465)),
    ],
)
def test_smtp_urls(url, expected):
    assert SmtpServer.parse(url) == expected


@pytest.mark.parametrize(
    ("url", "reason"),
    [("http://mail.example.com", "must start with"), ("smtp://", "no host"), ("smtp://mail:99999", "port")],
)
def test_a_wrong_smtp_url_stops_the_start_with_its_reason(url, reason):
    with pytest.raises(ValidationError, match=reason):
        Settings(smtp_url=url)
