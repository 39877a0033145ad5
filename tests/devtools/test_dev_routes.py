"""The dev page's routes exist in ``minis dev`` alone: they sign a browser in without a password."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from openminis.devtools.app import create_dev_app
from openminis.devtools.cli import dev_settings
from openminis.devtools.server import DevServer
from openminis.platform import Platform
from openminis.storage import LocalStore


def refuse(platform: Platform, path: Path, *, developer: str | None = None) -> str:
    raise AssertionError("nothing is published in these tests")


def test_minis_serve_has_no_dev_page_and_no_password_free_sign_in(client):
    assert client.get("/dev").status_code == 404
    assert client.post("/dev/api/person", json={"person": "member"}).status_code == 404


def test_the_dev_servers_person_switch_wants_the_dev_pages_csrf_token_and_origin(platform, tmp_path):
    with TestClient(create_dev_app(DevServer(platform, tmp_path, refuse)), base_url="http://localhost:8000") as dev:
        page = dev.get("/dev")
        assert page.status_code == 200 and "frame-ancestors 'none'" in page.headers["content-security-policy"]
        token = page.text.split('"csrfToken": "', 1)[1].split('"', 1)[0]
        assert dev.post("/dev/api/person", json={"person": "member"}).status_code == 403
        forged = dev.post(
            "/dev/api/person",
            json={"person": "member"},
            headers={"X-CSRF-Token": token, "Origin": "http://star-catcher.apps.localhost:8000"},
        )
        assert forged.status_code == 403
        switched = dev.post("/dev/api/person", json={"person": "member"}, headers={"X-CSRF-Token": token})
        user = switched.json()["user"]
        assert (user["display_name"], user["kind"]) == ("Dev Player", "full")
        assert dev.post("/dev/api/checks", headers={"X-CSRF-Token": token}).status_code == 403  # a new session now


def test_an_apps_own_dev_folder_is_the_apps_not_the_dev_page(platform, tmp_path):
    with TestClient(
        create_dev_app(DevServer(platform, tmp_path, refuse)), base_url="http://star-catcher.apps.localhost:8000"
    ) as app_origin:
        assert "minis-config" not in app_origin.get("/dev").text


def test_minis_devs_platform_reaches_nothing_the_shell_configures(tmp_path, monkeypatch):
    """A probe: `minis dev` run in a shell set up for production (a live Stripe key, a storage
    bucket) paid a developer's sandbox earnings out through that key and wrote its scratch packages
    into that bucket. Its platform is of its own: sandbox money, files in its scratch dir."""
    for name, value in {
        "MINIS_STRIPE_API_KEY": "sk_live_shell",
        "MINIS_STRIPE_WEBHOOK_SECRET": "whsec_shell",
        "MINIS_STRIPE_API_BASE": "http://127.0.0.1:9/",
        "MINIS_PAYMENT_PROVIDER": "stripe",
        "MINIS_STORAGE_URL": "s3://prod-bucket/prod",
        "MINIS_STORAGE_ENDPOINT_URL": "http://127.0.0.1:9",
        "MINIS_STORAGE_ACCESS_KEY_ID": "AKIA-shell",
        "MINIS_STORAGE_SECRET_ACCESS_KEY": "shell-secret",
        "MINIS_MEDIA_BASE_URL": "https://cdn.example.com",
        "MINIS_ADS_MEDIA_URL": "https://ads-cdn.example.com",
    }.items():
        monkeypatch.setenv(name, value)
    settings = dev_settings(tmp_path, 8123)
    platform = Platform(settings)
    try:
        assert set(platform.providers) == {"sandbox"} and platform.offered_provider == "sandbox"
        assert set(platform.payout_providers) == {"sandbox"}
        assert isinstance(platform.storage, LocalStore)
        assert (settings.media_base_url, settings.ads_media_url) == ("", "")
    finally:
        platform.close()


def test_every_new_browser_on_the_dev_page_is_the_simulators_guest(platform, tmp_path):
    """A probe: the docs say the Person panel starts as the simulator's guest, the same one each
    time, with what they saved; each fresh browser was a new guest instead, and pressing Guest then
    switched to another person, whose saves were not the first one's."""
    app = create_dev_app(DevServer(platform, tmp_path, refuse))
    with (
        TestClient(app, base_url="http://localhost:8000") as first,
        TestClient(app, base_url="http://localhost:8000") as second,
    ):
        ids = []
        for browser in (first, second, first):
            page = browser.get("/dev")
            assert page.status_code == 200, page.text
            ids.append(page.text.split('"user": {"id": "', 1)[1].split('"', 1)[0])
        assert ids[0] == ids[1] == ids[2]
        token = first.get("/dev").text.split('"csrfToken": "', 1)[1].split('"', 1)[0]
        guest = first.post("/dev/api/person", json={"person": "guest"}, headers={"X-CSRF-Token": token})
        assert guest.json()["user"]["id"] == ids[0]
