"""Each app is served on its own origin from immutable versioned URLs, framed only by the host."""

from __future__ import annotations

from tests.conftest import app_client
from tests.factories import publish


def test_package_files_are_served_on_the_apps_own_origin_with_immutable_caching(client, platform):
    publish(platform, allowed_domains=["api.example.com"])
    app = app_client(client, "test-game")
    response = app.get("/v/1.0.0/index.html")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert app.get("/v/1.0.0/game.js").headers["content-type"] == "text/javascript; charset=utf-8"
    assert app.get("/v/1.0.0/icon.svg").headers["content-type"] == "image/svg+xml"


def test_the_csp_lets_only_the_host_frame_the_app_and_only_declared_domains_be_reached(client, platform):
    publish(platform, allowed_domains=["api.example.com", "*.cdn.example.org"])
    policy = app_client(client, "test-game").get("/v/1.0.0/index.html").headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["frame-ancestors"] == "http://localhost:8000"
    assert (
        directives["connect-src"]
        == "'self' https://api.example.com wss://api.example.com https://*.cdn.example.org wss://*.cdn.example.org"
    )
    assert directives["object-src"] == "'none'"


def test_an_etag_revalidates_to_304(client, platform):
    publish(platform)
    app = app_client(client, "test-game")
    etag = app.get("/v/1.0.0/game.js").headers["etag"]
    assert app.get("/v/1.0.0/game.js", headers={"If-None-Match": etag}).status_code == 304


def test_text_is_compressed_when_the_browser_accepts_gzip(client, platform):
    big = "// padding\n" * 500
    publish(platform, version="1.1.0", extra_files={"big.js": big.encode()})
    response = app_client(client, "test-game").get("/v/1.1.0/big.js", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.text == big  # the client decodes it


def test_unknown_apps_versions_and_files_are_404(client, platform):
    publish(platform)
    app = app_client(client, "test-game")
    assert app.get("/v/9.9.9/index.html").status_code == 404
    assert app.get("/v/1.0.0/missing.js").status_code == 404
    assert app.get("/v/1.0.0/../../secret.key").status_code == 404
    assert app_client(client, "no-such-app").get("/v/1.0.0/index.html").status_code == 404


def test_the_app_origin_serves_the_sdk_and_redirects_to_the_latest_entry(client, platform):
    publish(platform)
    publish(platform, version="1.2.0")
    app = app_client(client, "test-game")
    sdk = app.get("/minis-sdk.js")
    assert sdk.status_code == 200 and sdk.headers["content-type"].startswith("text/javascript")
    redirect = app.get("/", follow_redirects=False)
    assert redirect.headers["location"] == "/v/1.2.0/index.html"


def test_the_host_api_is_not_reachable_on_an_app_origin(client, platform):
    publish(platform)
    app = app_client(client, "test-game")
    assert app.get("/api/me").status_code == 404
    assert app.get("/", follow_redirects=False).status_code == 302  # to the package, not the host page
    assert "minis_session" not in app.get("/api/me").headers.get("set-cookie", "")


def test_a_development_server_may_let_apps_reach_a_local_backend(client, platform):
    publish(platform, allowed_domains=["api.example.com"])
    platform.settings.dev_connect_src = "http://127.0.0.1:*"
    policy = app_client(client, "test-game").get("/v/1.0.0/index.html").headers["content-security-policy"]
    assert "connect-src 'self' https://api.example.com wss://api.example.com http://127.0.0.1:*;" in policy


def test_an_app_origin_opened_in_a_tab_sends_the_person_to_the_hosts_launcher_and_in_a_frame_serves_the_app(
    client, platform
):
    publish(platform, extra_files={"help.html": b"<!doctype html><p>help</p>"})
    app = app_client(client, "test-game")
    tab, frame = {"Sec-Fetch-Dest": "document"}, {"Sec-Fetch-Dest": "iframe"}
    for path in ("/", "/v/1.0.0/index.html"):
        opened = app.get(path, headers=tab, follow_redirects=False)
        assert (opened.status_code, opened.headers["location"]) == (303, "http://localhost:8000/play/test-game")
        assert opened.headers["cache-control"] == "no-store"
    framed = app.get("/v/1.0.0/index.html", headers=frame)
    assert framed.status_code == 200 and framed.headers["vary"] == "Sec-Fetch-Dest"
    assert app.get("/", headers=frame, follow_redirects=False).headers["location"] == "/v/1.0.0/index.html"
    # Only the app's entry is the app: its other files, and any request that does not say, are served.
    assert app.get("/v/1.0.0/help.html", headers=tab).status_code == 200
    assert app.get("/v/1.0.0/index.html").status_code == 200
