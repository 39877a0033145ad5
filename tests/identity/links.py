"""Reading the development mailbox and confirming sign-in links, as a person's browser would."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from tests.studio import csrf_of

HOST = "http://localhost:8000"


def mailed_link_token(browser: TestClient, email: str) -> str:
    """The token of the sign-in link last mailed to ``email``."""
    for message in reversed(browser.app.platform.mailbox.outbox):
        if message["To"] == email and (found := re.search(r"/account/link\?token=(\S+)", message.get_content())):
            return found.group(1)
    raise AssertionError(f"no sign-in link was mailed to {email}")


def ask_for_link(browser: TestClient, email: str) -> str:
    response = browser.post("/api/account/link", json={"email": email}, headers=csrf_of(browser))
    assert response.status_code == 200, response.text
    return mailed_link_token(browser, email)


def confirm(browser: TestClient, token: str, *, keep_guest: bool = False, origin: str | None = HOST, csrf: bool = True):
    """What the link page's Sign in button sends."""
    headers = csrf_of(browser) if csrf else {}
    if origin is not None:
        headers["Origin"] = origin
    return browser.post("/api/account/link/confirm", json={"token": token, "keep_guest": keep_guest}, headers=headers)


def who(browser: TestClient) -> dict:
    return browser.get("/api/me").json()["user"]
