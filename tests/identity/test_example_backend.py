"""The documented 20-line backend logs a player in, and refuses a login that does not match the launch."""

from __future__ import annotations

import importlib.util

import pytest
from starlette.testclient import TestClient

from tests.conftest import ROOT
from tests.studio import browser, csrf_of, login_code


@pytest.fixture
def example_backend(client, studio, monkeypatch):
    monkeypatch.setenv("MINIS_APP_ID", studio.app_id)
    monkeypatch.setenv("MINIS_APP_SECRET", studio.secret)
    spec = importlib.util.spec_from_file_location("example_backend", ROOT / "examples" / "backend" / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.minis.http = client  # the platform under test, instead of a network hop
    return TestClient(module.app)


def launch_data(player, app_id: str, launch_id: str) -> str:
    response = player.post(
        "/api/launches", json={"launch_id": launch_id, "app_id": app_id, "source": "feed"}, headers=csrf_of(player)
    )
    return response.json()["init_data"]


def test_the_example_backend_logs_in_the_player_who_launched(client, studio, player, example_backend):
    body = {"code": login_code(player, studio.app_id), "init_data": launch_data(player, studio.app_id, "a" * 32)}
    response = example_backend.post("/login", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["verified"] is True
    assert response.json()["openid"].startswith("o_")


def test_the_example_backend_refuses_a_code_and_launch_of_different_people(client, studio, player, example_backend):
    someone_else = browser(client)
    body = {"code": login_code(someone_else, studio.app_id), "init_data": launch_data(player, studio.app_id, "b" * 32)}
    response = example_backend.post("/login", json=body)
    assert response.status_code == 401
    assert "different people" in response.json()["detail"]
