"""A person who follows a link to the host gets a page in the host's look when it leads nowhere:
a mistyped or unknown address (404), a malformed one (422), a used or expired sign-in link (410),
a server error (500). APIs, and any client asking for JSON, keep the JSON error envelope."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.factories import publish

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def is_error_page(response, status: int, title: str) -> None:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert f"<title>{title} · openminis</title>" in response.text
    assert 'href="/static/host.css"' in response.text  # the host's look
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


@pytest.mark.parametrize(
    ("path", "status", "title"),
    [
        ("/no/such/page", 404, "This page isn’t here"),
        ("/watch/s123/first", 422, "This link isn’t right"),
        ("/watch/s123/0", 422, "This link isn’t right"),
        ("/play/" + "x" * 41, 422, "This link isn’t right"),
        ("/p/" + "p" * 40, 422, "This link isn’t right"),
        ("/sdk/nothing.js", 404, "This page isn’t here"),
    ],
)
def test_a_browser_following_a_bad_host_link_gets_a_page_in_the_hosts_look(client, path, status, title):
    is_error_page(client.get(path, headers=BROWSER), status, title)


def test_apis_and_json_clients_keep_the_json_envelope(client):
    for path in ("/api/no-such-thing", "/api/dramas/nope", "/openapi/v1/nothing"):
        answer = client.get(path, headers=BROWSER)  # even when a browser opens an API URL
        assert answer.headers["content-type"].startswith("application/json"), path
        assert answer.json()["code"] == "NOT_FOUND"
    answer = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert answer.status_code == 404 and answer.json()["code"] == "NOT_FOUND"
    answer = client.get("/watch/s123/first")  # a script's */* is no browser navigation
    assert answer.status_code == 422 and answer.json()["field"] == "episode"


def test_a_used_or_expired_sign_in_link_says_so_with_410(client):
    page = client.get("/account/link", params={"token": "not-a-token"}, headers=BROWSER)
    assert page.status_code == 410
    assert "This sign-in link doesn’t work any more" in page.text


def test_a_link_to_something_gone_still_opens_the_host_but_answers_404(client, platform):
    publish(platform, id="real-game", name="Real Game")
    assert client.get("/play/real-game", headers=BROWSER).status_code == 200
    for path in ("/play/no-such-game", "/watch/nope/1", "/p/nope"):
        page = client.get(path, headers=BROWSER)
        # The host page itself (it tells the person and shows the feed), with the status a crawler needs.
        assert page.status_code == 404, path
        assert 'id="minis-config"' in page.text


def test_a_server_error_on_a_host_page_is_a_page_with_a_reference_and_json_for_apis(platform, client):
    from openminis.app import create_app, create_host_app
    from openminis.web.routing import Router

    router = Router()

    @router.get("/boom")
    @router.get("/api/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    host = create_host_app(platform)
    host.include_router(router)
    with TestClient(create_app(platform=platform, host=host), raise_server_exceptions=False) as broken:
        page = broken.get("/boom", headers=BROWSER)
        is_error_page(page, 500, "Something went wrong on our side")
        assert "Reference: <code>" in page.text and "a bug" not in page.text
        assert broken.get("/api/boom", headers=BROWSER).json()["code"] == "INTERNAL"
    # An app's own origin keeps its answers as they were: the host's page is not its to show.
    missing = client.get("http://real-game.apps.localhost:8000/v/9.9.9/nothing.html", headers=BROWSER)
    assert not missing.headers["content-type"].startswith("text/html") or "openminis</title>" not in missing.text
