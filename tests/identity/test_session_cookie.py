"""On https the session cookie is ``__Host-minis_session``: Secure, Path=/, no Domain. Browsers
refuse a cookie of that name from anywhere but the host itself, so an app on a sibling subdomain
cannot toss one in; and the host reads no other name, so a tossed ``minis_session`` is ignored."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from openminis.app import create_app
from tests.identity.links import confirm, mailed_link_token

HTTPS_HOST = "https://minis.example"


@pytest.fixture
def https_client(platform) -> Iterator[TestClient]:
    platform.settings.public_url = HTTPS_HOST
    for cached in ("host_origin", "apps_host"):
        platform.settings.__dict__.pop(cached, None)
    with TestClient(create_app(platform=platform), base_url=HTTPS_HOST) as client:
        yield client


def attributes(set_cookie: str) -> dict[str, str]:
    parts = [part.strip() for part in set_cookie.split(";")]
    return {name.lower(): value for name, _, value in (part.partition("=") for part in parts[1:])}


def test_on_https_the_session_cookie_is_host_prefixed_secure_on_path_root_without_a_domain(https_client):
    set_cookie = https_client.get("/api/me").headers["set-cookie"]
    assert set_cookie.startswith("__Host-minis_session=")
    cookie = attributes(set_cookie)
    assert "secure" in cookie and "httponly" in cookie
    assert cookie["path"] == "/" and cookie["samesite"].lower() == "lax"
    assert "domain" not in cookie


def test_on_https_a_tossed_plain_session_cookie_is_not_read(https_client):
    attacker = TestClient(https_client.app, base_url=HTTPS_HOST)
    attackers_token = attacker.get("/api/me").cookies["__Host-minis_session"]
    attacker_id = attacker.get("/api/me").json()["user"]["id"]

    person = https_client.get("/api/me").json()["user"]["id"]
    # What a sibling subdomain can set for the parent domain: a cookie without the prefix.
    https_client.cookies.set("minis_session", attackers_token, domain="minis.example")
    assert https_client.get("/api/me").json()["user"]["id"] == person

    fresh = TestClient(https_client.app, base_url=HTTPS_HOST)
    fresh.cookies.set("minis_session", attackers_token, domain="minis.example")
    assert fresh.get("/api/me").json()["user"]["id"] not in (attacker_id, person)


def test_on_https_signing_in_by_link_and_out_uses_the_prefixed_cookie(https_client):
    csrf = {"X-CSRF-Token": https_client.get("/api/me").json()["csrf_token"]}
    asked = https_client.post("/api/account/link", json={"email": "ada@example.com"}, headers=csrf)
    assert asked.headers["set-cookie"].startswith("__Host-minis_link=") and "domain" not in attributes(
        asked.headers["set-cookie"]
    )

    signed_in = confirm(https_client, mailed_link_token(https_client, "ada@example.com"), origin=HTTPS_HOST)
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.headers["set-cookie"].startswith("__Host-minis_session=")

    out = https_client.post("/api/account/sign-out", headers={"X-CSRF-Token": signed_in.json()["csrf_token"]})
    cleared = attributes(out.headers["set-cookie"])
    assert (
        out.headers["set-cookie"].startswith('__Host-minis_session=""')
        and "secure" in cleared
        and cleared["max-age"] == "0"
    )


def test_on_plain_http_localhost_the_cookie_keeps_its_plain_name(client):
    set_cookie = client.get("/api/me").headers["set-cookie"]
    assert set_cookie.startswith("minis_session=") and "domain" not in attributes(set_cookie)
