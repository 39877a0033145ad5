"""Mail to an address is limited per requester, and a stranger's requests never lock the address's
own holder out of their codes and sign-in links (finding 3 of the issue-12 review)."""

from __future__ import annotations

from starlette.testclient import TestClient

from openminis.identity.api import MAIL_PER_ADDRESS
from tests.identity.links import ask_for_link
from tests.studio import csrf_of, sign_up

HOST = "http://localhost:8000"


def from_address(client: TestClient, ip: str) -> TestClient:
    """Another browser on the same server, at its own network address."""
    return TestClient(client.app, base_url=HOST, client=(ip, 50000))


def ask(browser: TestClient, email: str) -> int:
    return browser.post("/api/account/link", json={"email": email}, headers=csrf_of(browser)).status_code


def test_a_stranger_asking_for_mail_to_an_address_does_not_block_its_owner_elsewhere(client):
    attacker = from_address(client, "203.0.113.7")
    answers = [ask(attacker, "victim@example.com") for _ in range(11)]
    assert answers[:10] == [200] * 10 and answers[10] == 429  # the attacker's own limit

    victim = from_address(client, "198.51.100.2")
    registered = victim.post(
        "/api/account/register",
        json={"email": "victim@example.com", "password": "longpassword1"},
        headers=csrf_of(victim),
    )
    assert registered.status_code == 200, registered.text
    assert ask(victim, "victim@example.com") == 200


def test_spellings_of_one_address_share_its_count(client):
    attacker = from_address(client, "203.0.113.8")
    spellings = ["victim@bücher.example", "victim@xn--bcher-kva.example", "victim@BÜCHER.example"]
    answers = [ask(attacker, spellings[n % 3]) for n in range(11)]
    assert answers[10] == 429


def test_mail_bombing_an_address_stops_at_its_cap_but_not_for_its_holder(client):
    victim = from_address(client, "198.51.100.3")
    ask_for_link(victim, "victim@example.com")  # the holder: a link pending, asked with this browser's cookie
    sent = 1
    for n in range(MAIL_PER_ADDRESS.limit * 2):
        if ask(from_address(client, f"203.0.113.{100 + n}"), "victim@example.com") == 429:
            break
        sent += 1
    assert sent == MAIL_PER_ADDRESS.limit  # strangers from many addresses together reach the cap
    assert ask(from_address(client, "192.0.2.1"), "victim@example.com") == 429
    assert ask(victim, "victim@example.com") == 200


def test_registrations_that_would_be_refused_spend_none_of_the_addresss_mails(client):
    """A short password, or an address an account already holds: refused, nothing mailed, yet each
    was counted against the address's cap; 30 of them locked its owner out of sign-in links for an
    hour, with "too many emails were sent" (a probe, attack53). Refused first, they count nothing."""
    for n in range(MAIL_PER_ADDRESS.limit + 5):
        stranger = from_address(client, f"203.0.113.{50 + n}")
        refused = stranger.post(
            "/api/account/register",
            json={"email": "owner@example.com", "password": "short"},
            headers=csrf_of(stranger),
        )
        assert (refused.status_code, refused.json()["field"]) == (422, "password"), refused.text
    owner = from_address(client, "198.51.100.9")
    assert ask(owner, "owner@example.com") == 200


def test_registering_an_address_an_account_holds_is_a_try_of_the_askers(client):
    """EMAIL_TAKEN says an account exists: refused before any limit counted it, one browser learned
    it 200 times in 2.5 s (a probe, attack53b). It spends the asker's tries, not the address's mails."""
    sign_up(from_address(client, "198.51.100.20"), "held@example.com")
    prober = from_address(client, "203.0.113.99")
    body = {"email": "held@example.com", "password": "longpassword1"}
    answers = [
        prober.post("/api/account/register", json=body, headers=csrf_of(prober)).json()["code"] for _ in range(12)
    ]
    assert answers == ["EMAIL_TAKEN"] * 10 + ["RATE_LIMITED"] * 2
