"""Every visitor is a guest at once, kept by an HttpOnly cookie; state changes need the CSRF token."""

from __future__ import annotations

from starlette.testclient import TestClient


def test_the_first_visit_makes_a_guest_with_an_httponly_samesite_cookie(client):
    response = client.get("/api/me")
    cookie = response.headers["set-cookie"]
    assert "minis_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    me = response.json()
    assert me["user"]["kind"] == "guest" and me["user"]["display_name"]


def test_the_cookie_keeps_the_same_guest(client):
    first = client.get("/api/me").json()
    again = client.get("/api/me")
    assert again.json()["user"]["id"] == first["user"]["id"]
    assert "set-cookie" not in again.headers


def test_a_forged_cookie_gets_a_new_guest_not_someone_else(client):
    first = client.get("/api/me").json()["user"]["id"]
    client.cookies.set("minis_session", "forged-token")
    assert client.get("/api/me").json()["user"]["id"] != first


def test_the_host_page_gives_the_guest_and_csrf_token_in_its_config(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"
    assert '"csrfToken"' in response.text


def test_csrf_token_of_one_session_does_not_work_for_another(client):
    token = client.get("/api/me").json()["csrf_token"]
    client.cookies.clear()
    client.get("/api/me")
    response = client.post(
        "/api/launches",
        json={"launch_id": "a" * 32, "app_id": "x-app", "source": "feed"},
        headers={"X-CSRF-Token": token},
    )
    assert response.json()["code"] == "CSRF_FAILED"


def test_errors_have_one_envelope_with_a_request_id(client):
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    body = response.json()
    assert set(body) >= {"code", "message", "request_id"}
    assert response.headers["x-request-id"] == body["request_id"]


def test_a_nul_byte_anywhere_in_a_request_is_refused_cleanly(client):
    csrf = {"X-CSRF-Token": client.get("/api/me").json()["csrf_token"]}
    assert client.get("/api/search?q=%00").status_code == 422
    body = client.post(
        "/api/launches",
        content=b'{"launch_id": "a\\u0000", "app_id": "x", "source": "feed"}',
        headers={**csrf, "Content-Type": "application/json"},
    )
    assert body.status_code == 422 and body.json()["code"] == "INVALID_TEXT"
    assert (
        client.post(
            "/api/launches", json={"launch_id": "0a" * 16, "app_id": "none-app", "source": "feed"}, headers=csrf
        ).status_code
        == 404
    )


def test_a_change_sent_with_a_session_that_has_ended_is_told_so(client):
    """A probe (money49): a browser whose account was deleted, or signed out in another tab, sent
    its purchases with the ended session and read "missing or wrong X-CSRF-Token header": it had
    been made a new guest whose token the page could not have. It is told its session ended, and
    nothing is made."""
    token = client.get("/api/me").json()["csrf_token"]
    tab = TestClient(client.app, base_url="http://localhost:8000")
    tab.cookies.update(client.cookies)
    assert tab.post("/api/account/sign-out", headers={"X-CSRF-Token": token}).status_code in (200, 204)
    response = client.post(
        "/api/launches",
        json={"launch_id": "a" * 32, "app_id": "x-app", "source": "feed"},
        headers={"X-CSRF-Token": token},
    )
    assert (response.status_code, response.json()["code"]) == (401, "SESSION_ENDED"), response.text
    assert "set-cookie" not in response.headers  # no new guest until the page reloads
