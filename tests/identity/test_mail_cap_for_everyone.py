"""The mail an address receives is capped for everyone, a browser that waits on a code for it
included, so its codes cannot be guessed by asking for new ones and its mailbox cannot be flooded.

A probe (finding 4 of the money review): a guest registered someone else's address, which made its
browser a "holder" of the address, exempt from the per-address cap (MAIL_PER_ADDRESS). Then 5 wrong
guesses and a new code, again and again: from one network address, 20 codes mailed to the victim
and 100 real guesses in 66 s (about 1,200 mails an hour; a 6-digit code falls in about 8 IP-days,
and with it the address's account, before its owner makes it). Only the per-IP limits applied.
"""

from __future__ import annotations

import secrets
import time
from itertools import count
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from bench.burst import burst
from openminis.identity.accounts import CODE_ATTEMPTS
from openminis.identity.api import MAIL_PER_ADDRESS, MAIL_PER_HOLDER, MAIL_TO_HOLDERS
from tests.studio import csrf_of
from tests.test_bursts import serve
from tests.test_ratelimit import REDIS_URL

HOST = "http://localhost:8000"
VICTIM = "victim@example.com"
_ips = count(1)


def from_new_address(browser: TestClient) -> TestClient:
    """The same browser (its cookies) at another network address, as an attacker rotating them."""
    n = next(_ips)
    return TestClient(
        browser.app,
        base_url=HOST,
        client=(f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}", 50000),
        cookies=dict(browser.cookies),
    )


def mails_to(client: TestClient, email: str) -> int:
    return sum(1 for message in client.app.platform.mailbox.outbox if message["To"] == email)


def guessing(attacker: TestClient, rounds: int) -> tuple[int, int]:
    """The probe's loop: the code's tries spent on wrong guesses, then a new code asked for; each
    request from a network address of its own. The codes mailed and the guesses that counted."""
    headers = csrf_of(attacker)
    mailed = guesses = 0
    for _ in range(rounds):
        for _ in range(CODE_ATTEMPTS + 1):
            # Never right (a test must not guess the code by luck), yet a try the code counts.
            wrong = {"code": f"{guesses:05d}x"}
            answer = from_new_address(attacker).post("/api/account/verify", json=wrong, headers=headers)
            assert answer.status_code == 422, answer.text
            guesses += answer.json()["code"] == "CODE_INVALID"
        resent = from_new_address(attacker).post("/api/account/verification", headers=headers)
        assert resent.status_code in (200, 429), resent.text
        mailed += resent.status_code == 200
    return mailed, guesses


def register(browser: TestClient, email: str = VICTIM) -> int:
    headers = csrf_of(browser)
    return (
        from_new_address(browser)
        .post("/api/account/register", json={"email": email, "password": "mallory's password"}, headers=headers)
        .status_code
    )


def test_a_browser_that_registered_an_address_gets_few_codes_for_it_whatever_network_addresses_it_asks_from(
    client,
):
    """The probe's loop, each request from a network address of its own (the per-IP limits never
    bind): its codes stop at MAIL_PER_HOLDER an hour, though the address's cap is far off."""
    attacker = TestClient(client.app, base_url=HOST)
    assert register(attacker) == 200
    resent, guesses = guessing(attacker, rounds=MAIL_PER_HOLDER.limit + 5)

    assert resent == MAIL_PER_HOLDER.limit  # then 429, from any network address
    mailed = 1 + resent
    assert mails_to(client, VICTIM) == mailed < MAIL_PER_ADDRESS.limit
    assert guesses <= CODE_ATTEMPTS * mailed  # each code dies after its tries


def test_the_mails_to_an_address_are_capped_for_every_browser_together(client):
    """Many browsers (each a guest of its own, at network addresses of its own) register the
    victim's address, then each asks for new codes: the address receives at most MAIL_PER_ADDRESS
    mails an hour from them all, and MAIL_TO_HOLDERS more asked by browsers that wait on a code."""
    cap = MAIL_PER_ADDRESS.limit + MAIL_TO_HOLDERS.limit
    holders = []
    for _ in range(MAIL_PER_ADDRESS.limit + 5):
        attacker = TestClient(client.app, base_url=HOST)
        if register(attacker) == 200:
            holders.append(attacker)
    assert len(holders) == MAIL_PER_ADDRESS.limit
    mailed, guesses = len(holders), 0
    for attacker in holders:
        resent, guessed = guessing(attacker, rounds=3)
        mailed, guesses = mailed + resent, guesses + guessed
    assert mailed == cap
    assert guesses <= CODE_ATTEMPTS * cap


def test_a_code_dies_after_its_wrong_guesses_and_only_a_new_mail_gives_another(client):
    attacker = TestClient(client.app, base_url=HOST)
    assert register(attacker) == 200
    headers = csrf_of(attacker)
    answers = [
        from_new_address(attacker).post("/api/account/verify", json={"code": "999999x"}, headers=headers).json()["code"]
        for _ in range(CODE_ATTEMPTS + 3)
    ]
    assert answers == ["CODE_INVALID"] * CODE_ATTEMPTS + ["CODE_EXPIRED"] * 3
    assert from_new_address(attacker).post("/api/account/verification", headers=headers).status_code == 200
    again = from_new_address(attacker).post("/api/account/verify", json={"code": "999999x"}, headers=headers)
    assert again.json()["code"] == "CODE_INVALID"


@pytest.mark.slow  # a real server and 40 requests at once
def test_a_burst_of_new_code_requests_from_one_browser_gets_its_share_and_no_more(tmp_path, database_url):
    """The attack on this rule's first form: one browser's 40 requests for a new code at once all
    passed the check of its share before any was counted, and 15 mails went out where 10 are its share."""
    victim = f"victim-{secrets.token_hex(4)}@example.com"  # the limits are kept in Redis, shared
    with serve(tmp_path, database_url, MINIS_REDIS_URL=REDIS_URL) as server:
        with httpx.Client(base_url=server.url, timeout=30, headers={"Origin": server.url}) as browser_:
            csrf = browser_.get("/api/me").json()["csrf_token"]
            body = {"email": victim, "password": "mallory's password"}
            assert browser_.post("/api/account/register", json=body, headers={"X-CSRF-Token": csrf}).is_success
            person = {"cookies": dict(browser_.cookies), "csrf": csrf}
        answers = burst(server, person, "POST", "/api/account/verification", [None] * 40)
        assert {status for status, *_ in answers} <= {200, 429, 503}
        time.sleep(1)  # the mails of the answered requests are in the log
        mailed = Path(server.log.name).read_text().count(f"mail to {victim} (")
        assert mailed <= 1 + MAIL_PER_HOLDER.limit, mailed  # the registration's code, then its share
