"""``minis init``: each template is a working starting point, valid as the platform reads it."""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import json
import os
import subprocess
import sys
import time

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from openminis.catalog.package import Limits, read_package
from openminis.cli import app
from openminis.client import NOTIFY_LABEL, init_data_key
from openminis.drama.synth import make_clip
from openminis.identity import init_data
from openminis.liveserver import LiveServer
from openminis.payments import notifications
from openminis.settings import Settings
from tests.browser.drama_studio import APP_ID, TITLE, DramaStudio

runner = CliRunner()
LIMITS = Limits.from_settings(Settings())


def init(tmp_path, template: str, name: str = "star-catcher"):
    target = tmp_path / name
    result = runner.invoke(app, ["init", name, "--template", template, "--dir", str(target)])
    assert result.exit_code == 0, result.output
    return target


def test_the_game_template_is_a_valid_package_with_the_apps_id_and_name(tmp_path):
    package = read_package(init(tmp_path, "game"), LIMITS)
    assert (package.manifest.id, package.manifest.name, package.manifest.kind) == (
        "star-catcher",
        "Star Catcher",
        "game",
    )
    assert [product.id for product in package.manifest.products] == ["extra-life"]
    game = package.files["game.js"].decode()
    for call in ("minis.init()", "minis.ready()", "minis.storage.get", "minis.ads.createRewarded", "minis.pay("):
        assert call in game


def test_the_drama_template_is_a_drama_package_and_a_producers_series_folder(tmp_path):
    target = init(tmp_path, "drama")
    package = read_package(target / "app", LIMITS)
    assert package.manifest.kind == "drama" and "minis.drama.getSeries" in package.files["player.js"].decode()
    series = json.loads((target / "series" / "series.json").read_text())
    assert series["title"] == "Star Catcher" and series["free_episodes"] >= 0
    assert "POST /openapi/v1/series" in (target / "README.md").read_text()
    compile((target / "upload_series.py").read_text(), "upload_series.py", "exec")


@pytest.fixture
def backend(tmp_path, monkeypatch):
    """The backend template's app, imported as its README runs it."""
    target = init(tmp_path, "backend")
    monkeypatch.setenv("MINIS_APP_SECRET", "s3cret")
    spec = importlib.util.spec_from_file_location("minis_backend_template", target / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    module.minis.close()
    sys.modules.pop("minis_backend_template", None)


def test_the_backend_template_knows_the_player_from_the_signed_launch_and_refuses_a_forged_one(backend):
    client = TestClient(backend.app)
    signed = init_data.sign(
        [init_data_key("s3cret").hex()], app_id="star-catcher", openid="o_player", launch_id="l1", source="feed"
    )
    assert client.post("/session", json={"init_data": signed}).json()["openid"] == "o_player"
    forged = signed.replace("o_player", "o_someone")
    assert client.post("/session", json={"init_data": forged}).status_code == 401


def test_the_backend_template_delivers_a_paid_order_once_however_often_it_is_notified(backend):
    client = TestClient(backend.app)
    order = {"id": "ord_1", "openid": "o_player", "product_id": "extra-life", "quantity": 1, "status": "paid"}
    body = json.dumps({"id": "evt_1", "type": "order.paid", "created": int(time.time()), "data": {"order": order}})
    key = hmac.new(b"s3cret", NOTIFY_LABEL, hashlib.sha256).hexdigest()
    header = notifications.sign([key], body.encode(), int(time.time()))
    first = client.post("/minis/notify", content=body, headers={"Minis-Signature": header})
    copied = client.post("/minis/notify", content=body, headers={"Minis-Signature": header})
    forged = client.post("/minis/notify", content=body.replace("ord_1", "ord_2"), headers={"Minis-Signature": header})
    # A copy of one delivery is refused; the platform's retry, signed afresh, is answered and
    # delivers nothing twice (the template once acknowledged a copy: dev54).
    retried = client.post(
        "/minis/notify",
        content=body,
        headers={"Minis-Signature": notifications.sign([key], body.encode(), int(time.time()) + 1)},
    )
    assert (first.status_code, copied.status_code, forged.status_code, retried.status_code) == (204, 400, 400, 204)
    assert backend.delivered["o_player"] == [{"order_id": "ord_1", "product_id": "extra-life", "quantity": 1}]


def test_init_refuses_a_folder_in_use_and_an_id_that_is_not_one(tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    in_use = runner.invoke(app, ["init", "star-catcher", "--dir", str(tmp_path / "taken")])
    bad_id = runner.invoke(app, ["init", "Star_Catcher", "--dir", str(tmp_path / "new")])
    assert in_use.exit_code == 1 and "not an empty folder" in in_use.output
    assert bad_id.exit_code == 1 and not (tmp_path / "new").exists()
    assert (tmp_path / "taken" / "notes.txt").read_text() == "mine"


def test_the_drama_templates_upload_script_says_what_the_platform_refused_and_makes_a_series_once(tmp_path):
    """A probe (dev51): the script printed only "422 Unprocessable Entity" for a mistake in
    series.json (the platform's answer named the field), and a second run published the series
    again, a duplicate. Run as its README says, against a live server."""
    target = init(tmp_path, "drama", name="harbor-dramas")
    make_clip(target / "series" / "episodes" / "01.mp4", seconds=1, lines=["One"], width=360, height=640)
    with LiveServer(tmp_path / "data") as server:
        studio = DramaStudio.open(server)  # the producer's app, with a series titled TITLE already

        def run(about: dict, **env: str) -> subprocess.CompletedProcess[str]:
            (target / "series" / "series.json").write_text(json.dumps(about))
            environment = {"MINIS_APP_ID": APP_ID, "MINIS_APP_SECRET": studio.secret, "MINIS_URL": server.url}
            return subprocess.run(
                [sys.executable, "upload_series.py"],
                cwd=target,
                env=os.environ | environment | env,
                capture_output=True,
                text=True,
                timeout=120,
            )

        wrong = run({"title": "Another night", "episode_price": "30"})
        assert wrong.returncode != 0
        assert "POST /openapi/v1/series was refused (422): INVALID_ARGUMENT" in wrong.stderr, wrong.stderr
        assert "(field episode_price)" in wrong.stderr, wrong.stderr

        again = run({"title": TITLE})
        assert again.returncode != 0
        assert f"already ({studio.series_id})" in again.stderr and f"MINIS_SERIES_ID={studio.series_id}" in again.stderr
        series = httpx.get(f"{server.url}/openapi/v1/series", headers=studio.headers, timeout=30).json()["items"]
        assert [s["id"] for s in series] == [studio.series_id]  # neither run made one
