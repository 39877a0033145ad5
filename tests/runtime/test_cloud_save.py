"""minis.storage: per person, per app, JSON values, with quotas and clear errors."""

from __future__ import annotations

import pytest

from openminis.runtime import service as runtime
from openminis.runtime.service import StorageLimits
from openminis.unit_of_work import unit_of_work
from tests.concurrency import race
from tests.factories import publish

URL = "/api/apps/test-game/storage"


@pytest.fixture
def game(platform):
    publish(platform)
    publish(platform, id="other-game")


def test_a_value_saved_is_read_back_by_the_same_person(client, csrf, game):
    assert client.put(f"{URL}/best", json={"value": {"score": 42, "level": [1, 2]}}, headers=csrf).json() == {
        "ok": True
    }
    assert client.get(f"{URL}/best").json() == {"value": {"score": 42, "level": [1, 2]}}


def test_an_unset_key_reads_as_null_and_remove_is_idempotent(client, csrf, game):
    assert client.get(f"{URL}/nothing").json() == {"value": None}
    client.put(f"{URL}/k", json={"value": 1}, headers=csrf)
    assert client.delete(f"{URL}/k", headers=csrf).json() == {"ok": True}
    assert client.delete(f"{URL}/k", headers=csrf).json() == {"ok": True}
    assert client.get(f"{URL}/k").json() == {"value": None}


def test_saves_are_kept_apart_per_app_and_per_person(client, csrf, game):
    client.put(f"{URL}/best", json={"value": 7}, headers=csrf)
    assert client.get("/api/apps/other-game/storage/best").json() == {"value": None}
    client.cookies.clear()
    assert client.get(f"{URL}/best").json() == {"value": None}


def test_a_value_over_the_per_key_limit_is_refused_and_the_old_value_kept(client, csrf, game, platform):
    client.put(f"{URL}/blob", json={"value": "small"}, headers=csrf)
    response = client.put(f"{URL}/blob", json={"value": "x" * platform.settings.storage_value_bytes}, headers=csrf)
    assert response.status_code == 413
    assert response.json()["code"] == "STORAGE_QUOTA_EXCEEDED"
    assert client.get(f"{URL}/blob").json() == {"value": "small"}


def test_the_per_app_quota_counts_every_key(client, csrf, game, platform):
    chunk = "y" * (platform.settings.storage_value_bytes - 200)
    written = 0
    while True:
        response = client.put(f"{URL}/part{written}", json={"value": chunk}, headers=csrf)
        if response.status_code != 200:
            break
        written += 1
    assert response.status_code == 413
    assert "quota" in response.json()["message"]
    assert written == platform.settings.storage_quota_bytes // len(chunk)
    assert client.get(f"{URL}/part{written}").json() == {"value": None}


@pytest.mark.parametrize("key", ["", "a" * 129, "with space", "slash%2Fkey", "üñí"])
def test_bad_keys_are_invalid_arguments(client, csrf, game, key):
    response = client.put(f"{URL}/{key}", json={"value": 1}, headers=csrf)
    assert response.status_code in (404, 422)
    if response.status_code == 422:
        assert response.json()["code"] == "INVALID_ARGUMENT"


def test_saving_needs_the_csrf_token_and_the_host_origin(client, csrf, game):
    assert client.put(f"{URL}/best", json={"value": 1}).json()["code"] == "CSRF_FAILED"
    from_app = client.put(
        f"{URL}/best", json={"value": 1}, headers={**csrf, "Origin": "http://test-game.apps.localhost:8000"}
    )
    assert from_app.status_code == 403 and from_app.json()["code"] == "BAD_ORIGIN"
    assert client.get(f"{URL}/best").json() == {"value": None}


def test_saving_for_an_unknown_app_is_refused(client, csrf, game):
    response = client.put("/api/apps/nope-app/storage/best", json={"value": 1}, headers=csrf)
    assert response.status_code == 422


def test_a_game_made_for_youtube_playables_keeps_playables_3_mib_save_and_others_the_usual_quota(
    client, csrf, platform
):
    """Playables promises a game 3 MiB of save (ytgame.game.saveData); an app imported from it
    (manifest origin_sdk) gets that besides the usual quota, bounded; every other app keeps 1 MiB."""
    publish(platform, id="playable-game", origin_sdk="playables")
    publish(platform, id="poki-game", origin_sdk="poki")
    chunk = "z" * 60_000
    limits = platform.storage_limits

    def fill(app_id: str) -> tuple[int, dict]:
        written = 0
        while True:
            response = client.put(f"/api/apps/{app_id}/storage/save.{written}", json={"value": chunk}, headers=csrf)
            if response.status_code != 200:
                return written, response.json()
            written += 1

    written, refused = fill("playable-game")
    assert written * len(chunk) > 3 * 1024 * 1024
    assert written == limits.playables_quota_bytes // (len(chunk) + 2 + len("save.NN"))
    assert refused["code"] == "STORAGE_QUOTA_EXCEEDED" and f"{limits.playables_quota_bytes}-byte" in refused["message"]
    assert client.get("/api/apps/playable-game/storage/save.0").json() == {"value": chunk}

    written, refused = fill("poki-game")
    assert written * len(chunk) < limits.quota_bytes
    assert refused["code"] == "STORAGE_QUOTA_EXCEEDED" and f"{limits.quota_bytes}-byte" in refused["message"]


def test_new_keys_saved_at_once_never_pass_the_key_limit(client, csrf, game, platform):
    """The quota is counted after the write, in its transaction: new keys saved at once on
    PostgreSQL each counted without the others' and stayed (30 at once against a limit of 3 kept 5,
    then 3, in two of three runs before saves took turns). The service raced from threads, both
    databases."""
    client.put(f"{URL}/first", json={"value": 1}, headers=csrf)
    client.put(f"{URL}/second", json={"value": 2}, headers=csrf)
    user_id = client.get("/api/me").json()["user"]["id"]
    limits = StorageLimits(quota_bytes=10_000, value_bytes=1_000, max_keys=3)

    def save(worker: int, n: int) -> str:
        try:
            with unit_of_work(platform.db) as session:
                runtime.set_value(
                    session, limits, user_id=user_id, app_id="test-game", key=f"new{worker}", value=worker
                )
            return "saved"
        except runtime.QuotaExceeded:
            return "quota"

    assert race(30, 1, save) == {"saved": 1, "quota": 29}
