"""Favourites and About, from the launcher's "..." menu: a person's favourite apps are kept on the
platform (every device sees them), listed newest first; an app's About names its developer, the
version the person runs and the privacy policy its manifest gives."""

from __future__ import annotations

import pytest

from openminis.catalog import service as catalog
from openminis.catalog.package import PackageError
from openminis.developers import service as developers
from openminis.unit_of_work import unit_of_work
from tests.factories import publish


@pytest.fixture
def games(platform):
    publish(platform, privacy_policy_url="https://studio.example.com/privacy")
    publish(platform, id="other-game", name="Other Game")
    with unit_of_work(platform.db) as session:
        studio = developers.house_developer(session, "dev_studio", name="Pixel Studio")
        developers.adopt_app(session, studio, "test-game")


def listed(client) -> list[str]:
    response = client.get("/api/me/favourites")
    assert response.status_code == 200
    return [card["app_id"] for card in response.json()["items"]]


def test_a_person_adds_and_removes_favourites_and_sees_them_newest_first(client, csrf, games):
    assert listed(client) == []
    assert client.get("/api/me/favourites/test-game").json() == {"app_id": "test-game", "favourite": False}

    added = client.put("/api/me/favourites/test-game", headers=csrf)
    assert added.status_code == 200 and added.json() == {"app_id": "test-game", "favourite": True}
    assert client.put("/api/me/favourites/test-game", headers=csrf).status_code == 200  # again: still one
    client.put("/api/me/favourites/other-game", headers=csrf)
    assert listed(client) == ["other-game", "test-game"]
    assert client.get("/api/me/favourites/test-game").json()["favourite"] is True

    removed = client.delete("/api/me/favourites/other-game", headers=csrf)
    assert removed.json() == {"app_id": "other-game", "favourite": False}
    assert client.delete("/api/me/favourites/other-game", headers=csrf).status_code == 200  # idempotent
    assert listed(client) == ["test-game"]

    client.cookies.clear()  # another person has a list of their own
    assert listed(client) == []


def test_favourites_refuse_unknown_apps_and_changes_without_the_csrf_token(client, csrf, games):
    missing = client.put("/api/me/favourites/no-such-game", headers=csrf)
    assert missing.status_code == 404 and missing.json()["code"] == "NOT_FOUND"
    too_long = client.put(f"/api/me/favourites/{'a' * 41}", headers=csrf)
    assert too_long.status_code == 422
    assert client.put("/api/me/favourites/test-game").status_code == 403
    assert listed(client) == []


def test_an_app_taken_down_leaves_the_list_and_comes_back_when_restored(client, csrf, games, platform):
    client.put("/api/me/favourites/test-game", headers=csrf)
    with unit_of_work(platform.db) as session:
        catalog.set_taken_down(session, "test-game", True)
    assert listed(client) == []
    assert client.put("/api/me/favourites/other-game", headers=csrf).status_code == 200
    assert client.put("/api/me/favourites/test-game", headers=csrf).status_code == 404
    with unit_of_work(platform.db) as session:
        catalog.set_taken_down(session, "test-game", False)
    assert listed(client) == ["other-game", "test-game"]


def test_about_names_the_developer_the_version_and_the_privacy_policy(client, games):
    about = client.get("/api/apps/test-game/about")
    assert about.status_code == 200
    assert about.json() == {
        "app_id": "test-game",
        "name": "Test Game",
        "version": "1.0.0",
        "description": "A game for tests.",
        "developer": "Pixel Studio",
        "privacy_policy_url": "https://studio.example.com/privacy",
    }
    other = client.get("/api/apps/other-game/about").json()
    assert (other["developer"], other["privacy_policy_url"]) == (None, None)
    assert client.get("/api/apps/no-such-game/about").status_code == 404


@pytest.mark.parametrize("url", ["javascript:alert(1)", "http://example.com/privacy", "https://x.example/a b"])
def test_a_manifest_privacy_policy_must_be_an_https_address(platform, url):
    with pytest.raises(PackageError, match="privacy_policy_url"):
        publish(platform, id="bad-policy", privacy_policy_url=url)
