"""Add to home screen: a released app's web app manifest opens /play/{app} standalone with scene
home_screen, and its icons (made from the app's icon at that version) are cached for good. Nothing
for an app people cannot open: unknown, taken down, only a preview. The app origin lists a released
version's files for the offline worker, which it serves with the install page."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from openminis.catalog import service as catalog
from openminis.catalog.package import read_package
from openminis.unit_of_work import unit_of_work
from tests.conftest import app_client
from tests.factories import LIMITS, package_files, publish, zip_bytes

IMMUTABLE = "public, max-age=31536000, immutable"


def png(colour: tuple[int, int, int], size: int = 64) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(out, format="PNG")
    return out.getvalue()


def draft(platform, **overrides) -> None:
    """A version uploaded by its developer and not released (a preview's version)."""
    package = read_package(zip_bytes(package_files(**overrides)), LIMITS)
    with unit_of_work(platform.db) as session:
        catalog.publish_version(session, platform.packages, package, actor="dev_test")


def test_a_released_app_has_a_manifest_that_opens_it_standalone_from_the_home_screen(client, platform):
    publish(platform, name="A Game With A Long Name", orientation="landscape")
    response = client.get("/home-screen/test-game/manifest.webmanifest")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/manifest+json"
    assert response.headers["cache-control"] == "public, max-age=300"
    manifest = response.json()
    assert manifest["name"] == "A Game With A Long Name"
    assert len(manifest["short_name"]) <= 12
    assert manifest["start_url"] == "/play/test-game?scene=home_screen"
    assert manifest["scope"] == "/play/test-game"
    assert manifest["display"] == "standalone"
    assert manifest["orientation"] == "landscape"
    assert {icon["sizes"] for icon in manifest["icons"]} == {"192x192", "512x512"}
    assert [icon.get("purpose") for icon in manifest["icons"]].count("maskable") == 2
    for icon in manifest["icons"]:
        assert icon["src"].startswith("/home-screen/test-game/1.0.0/")
        drawn = client.get(icon["src"])
        assert drawn.status_code == 200, icon["src"]
        assert drawn.headers["content-type"] == "image/png"
        assert drawn.headers["cache-control"] == IMMUTABLE
        size = int(icon["sizes"].split("x")[0])
        assert Image.open(io.BytesIO(drawn.content)).size == (size, size)


def test_the_play_page_links_the_apps_manifest(client, platform):
    publish(platform)
    link = '<link rel="manifest" href="/home-screen/test-game/manifest.webmanifest">'
    assert link in client.get("/play/test-game").text
    assert 'rel="manifest"' not in client.get("/play/no-such-game").text
    assert 'rel="manifest"' not in client.get("/").text


def test_a_raster_icon_is_scaled_and_a_maskable_one_sits_in_the_safe_zone_on_its_colour(client, platform):
    publish(platform, icon="icon.png", extra_files={"icon.png": png((200, 30, 40))})
    plain = Image.open(io.BytesIO(client.get("/home-screen/test-game/1.0.0/icon-192.png").content)).convert("RGB")
    assert plain.getpixel((2, 2)) == (200, 30, 40)  # the icon fills it
    maskable = Image.open(io.BytesIO(client.get("/home-screen/test-game/1.0.0/icon-512-maskable.png").content))
    assert maskable.convert("RGB").getpixel((2, 2)) == (200, 30, 40)  # full bleed, in the icon's colour
    assert maskable.getpixel((2, 2))[3] == 255


def test_an_svg_icon_gives_a_tile_of_the_apps_initial(client, platform):
    publish(platform)  # the factory's icon is an SVG, which Pillow does not draw
    tile = Image.open(io.BytesIO(client.get("/home-screen/test-game/1.0.0/icon-192.png").content)).convert("RGB")
    assert len(set(tile.getdata())) > 1  # a letter on a colour, not a blank square


def test_a_broken_or_huge_icon_falls_back_to_the_tile_never_a_5xx(client, platform):
    huge = io.BytesIO()
    Image.new("L", (5000, 5000)).save(huge, format="PNG")
    publish(platform, icon="icon.png", extra_files={"icon.png": b"\x89PNG not really"})
    publish(platform, id="huge-icon", icon="icon.png", extra_files={"icon.png": huge.getvalue()})
    assert client.get("/home-screen/test-game/1.0.0/icon-192.png").status_code == 200
    assert client.get("/home-screen/huge-icon/1.0.0/icon-512.png").status_code == 200


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/home-screen/no-such-game/manifest.webmanifest", 404),
        ("/home-screen/no-such-game/1.0.0/icon-192.png", 404),
        ("/home-screen/test-game/9.9.9/icon-192.png", 404),
        ("/home-screen/test-game/1.0.0/icon-100.png", 404),
        ("/home-screen/test-game/1.0.0/icon.svg", 404),
        (f"/home-screen/{'a' * 41}/manifest.webmanifest", 422),
        ("/home-screen/Test_Game!/manifest.webmanifest", 422),
        ("/home-screen/test-game/..%2F..%2Fsecret/icon-192.png", 404),
        (f"/home-screen/test-game/{'1' * 65}/icon-192.png", 422),
    ],
)
def test_bad_or_unknown_input_is_refused_never_a_5xx(client, platform, path, status):
    publish(platform)
    response = client.get(path)
    assert response.status_code == status, response.text


def test_nothing_for_a_preview_an_unreleased_app_or_one_taken_down(client, platform):
    publish(platform)
    draft(platform, version="2.0.0")  # the next version, not released: a preview's
    draft(platform, id="unreleased-game", name="Unreleased")
    assert client.get("/home-screen/test-game/2.0.0/icon-192.png").status_code == 404
    manifest = client.get("/home-screen/test-game/manifest.webmanifest").json()
    assert all("/1.0.0/" in icon["src"] for icon in manifest["icons"])  # still the released one
    assert client.get("/home-screen/unreleased-game/manifest.webmanifest").status_code == 404
    assert client.get("/home-screen/unreleased-game/1.0.0/icon-192.png").status_code == 404
    with unit_of_work(platform.db) as session:
        catalog.set_taken_down(session, "test-game", True)
    assert client.get("/home-screen/test-game/manifest.webmanifest").status_code == 404
    assert client.get("/home-screen/test-game/1.0.0/icon-192.png").status_code == 404
    assert app_client(client, "test-game").get("/minis-offline/1.0.0.json").status_code == 404


def test_the_app_origin_lists_a_released_versions_files_for_the_offline_worker(client, platform):
    publish(platform)
    draft(platform, version="2.0.0")
    app = app_client(client, "test-game")
    listing = app.get("/minis-offline/1.0.0.json")
    assert listing.status_code == 200
    assert listing.headers["cache-control"] == IMMUTABLE
    body = listing.json()
    assert body["keep"] is True
    assert sorted(body["files"]) == [f"/v/1.0.0/{name}" for name in ("game.js", "icon.svg", "index.html", "minis.json")]
    assert body["extra"] == ["/minis-sdk.js"]
    assert app.get("/minis-offline/2.0.0.json").status_code == 404  # never released
    assert app.get("/minis-offline/9.9.9.json").status_code == 404
    assert app_client(client, "no-such-game").get("/minis-offline/1.0.0.json").status_code == 404


def test_the_offline_workers_are_served_fresh_and_scoped_apart_from_push(client, platform):
    publish(platform)
    host_worker = client.get("/sw.js")
    assert host_worker.status_code == 200
    assert host_worker.headers["cache-control"] == "no-cache"
    assert "service-worker-allowed" not in host_worker.headers  # its scope /play/ is under its path's
    assert client.get("/push-sw.js").status_code == 200
    offline = client.get("/offline")
    assert offline.status_code == 200 and 'href="/"' in offline.text
    app = app_client(client, "test-game")
    worker = app.get("/minis-sw.js")
    assert worker.status_code == 200 and worker.headers["cache-control"] == "no-cache"
    install = app.get("/minis-offline/install")
    assert install.status_code == 200
    assert 'data-host="http://localhost:8000"' in install.text
    assert "frame-ancestors http://localhost:8000" in install.headers["content-security-policy"]
    assert app.get("/minis-offline/install.js").status_code == 200
    assert app.get("/minis-offline/forget").status_code == 200
    assert app.get("/minis-offline/anything-else").status_code == 404
