"""`minis import`: a game made for another platform becomes a valid package whose page loads the
platform's shim instead of its SDK from the internet, with a report of the APIs the shim lacks."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openminis.catalog.package import Limits, read_package
from openminis.cli import app
from openminis.compat.importer import convert, detect, read_source
from openminis.compat.origin_sdks import ORIGIN_SDKS
from openminis.settings import Settings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "compat"
runner = CliRunner()
LIMITS = Limits.from_settings(Settings())


def run_import(*args: str):
    return runner.invoke(app, ["import", *args])


@pytest.mark.parametrize("platform", ["poki", "crazygames", "playables", "fbinstant", "wechat"])
def test_each_platform_is_recognised_from_its_files(platform):
    assert detect(read_source(FIXTURES / platform, LIMITS)).name == platform


def test_a_poki_game_becomes_a_package_that_loads_the_poki_shim_served_by_the_platform(tmp_path):
    out = tmp_path / "poki-out"
    result = run_import(str(FIXTURES / "poki"), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "every API it calls is supported" in result.output
    package = read_package(out, LIMITS)
    assert package.manifest.origin_sdk == "poki"
    assert (package.manifest.id, package.manifest.name, package.manifest.icon) == (
        "poki-star-catcher",
        "Poki Star Catcher",
        "icon.svg",
    )
    page = package.files["index.html"].decode()
    assert "poki.com" not in page
    assert '<script src="/minis-sdk.js"></script>\n<script src="/sdk/compat/poki.js"></script>' in page
    # The game's own files are untouched.
    assert package.files["game.js"] == (FIXTURES / "poki" / "game.js").read_bytes()


def test_an_instant_game_takes_its_orientation_from_fbapp_config_and_sells_the_products_given(tmp_path):
    out = tmp_path / "instant.zip"
    products = FIXTURES / "fbinstant-products.json"
    result = run_import(
        str(FIXTURES / "fbinstant"), "--out", str(out), "--id", "instant-stars", "--products", str(products)
    )
    assert result.exit_code == 0, result.output
    manifest = read_package(out.read_bytes(), LIMITS).manifest
    assert (manifest.id, manifest.orientation, manifest.origin_sdk) == ("instant-stars", "portrait", "fbinstant")
    assert [(product.id, product.price) for product in manifest.products] == [("gems-5", 20)]
    # The APIs it calls that the shim has only in part are named, with what they do instead.
    assert "context.switchAsync" in result.output
    assert "no one joins a context but by its link" in result.output
    assert "every API it calls is supported" in result.output


def test_an_instant_game_that_buys_but_is_given_no_products_is_warned_that_every_purchase_will_be_refused(tmp_path):
    """The report said payments.purchaseAsync was "supported" and the package sold nothing, so
    every purchase of the game would be refused (a probe, dev54)."""
    result = run_import(str(FIXTURES / "fbinstant"), "--out", str(tmp_path / "out"), "--id", "instant-bare")
    assert result.exit_code == 0, result.output
    assert "warning the game buys with payments.purchaseAsync but sells no product" in " ".join(result.output.split())
    given = run_import(
        str(FIXTURES / "fbinstant"),
        *(
            "--out",
            str(tmp_path / "out2"),
            "--id",
            "instant-sold",
            "--products",
            str(FIXTURES / "fbinstant-products.json"),
        ),
    )
    assert given.exit_code == 0 and "warning" not in given.output, given.output


def test_apis_the_shim_lacks_are_reported_also_through_a_variable_holding_the_sdk(tmp_path):
    game = tmp_path / "crazy"
    shutil.copytree(FIXTURES / "crazygames", game)
    (game / "extra.js").write_text(
        "const sdk = window.CrazyGames.SDK;\n"
        "sdk.banner.requestBanner({id: 'b', width: 300, height: 250});\n"
        "sdk.user.getUserToken().then(console.log);\n"
        "window.CrazyGames.SDK.game.happytime();\n"
    )
    files = read_source(game, LIMITS)
    imported = convert(files)
    by_api = {use.api: use for use in imported.uses}
    assert [use.api for use in imported.unsupported] == ["banner.requestBanner", "user.getUserToken"]
    assert by_api["game.happytime"].status == "partly" and by_api["data.setItem"].files == ("game.js",)
    assert by_api["banner.requestBanner"].files == ("extra.js",)


def test_a_game_that_still_loads_something_from_the_internet_is_refused_and_nothing_is_written(tmp_path):
    game = tmp_path / "poki"
    shutil.copytree(FIXTURES / "poki", game)
    page = (game / "index.html").read_text()
    page = page.replace(
        "</head>",
        '<script src="https://cdn.example.com/phaser.min.js"></script>\n'
        '<link rel="stylesheet" href="//fonts.example.com/css">\n'
        '<link rel="canonical" href="https://poki.com/en/g/star-catcher">\n</head>',
    )
    (game / "index.html").write_text(page)
    out = tmp_path / "out"
    result = run_import(str(game), "--out", str(out))
    assert result.exit_code == 1
    assert "index.html: script https://cdn.example.com/phaser.min.js is loaded from the internet" in result.output
    assert "index.html: link //fonts.example.com/css is loaded from the internet" in result.output
    assert "poki.com/en/g" not in result.output  # a canonical link is not loaded
    assert not out.exists()


def test_a_zip_of_a_folder_is_read_and_a_page_without_icon_gets_one(tmp_path):
    source = tmp_path / "game.zip"
    with zipfile.ZipFile(source, "w") as archive:
        page = (FIXTURES / "playables" / "index.html").read_text().replace('<link rel="icon" href="icon.svg">', "")
        archive.writestr("Star Catcher/index.html", page)
        archive.writestr("Star Catcher/game.js", (FIXTURES / "playables" / "game.js").read_bytes())
        archive.writestr("Star Catcher/style.css", (FIXTURES / "playables" / "style.css").read_bytes())
    out = tmp_path / "out.zip"
    result = run_import(str(source), "--out", str(out), "--from", "playables", "--version", "2.1.0")
    assert result.exit_code == 0, result.output
    package = read_package(out.read_bytes(), LIMITS)
    assert (package.manifest.version, package.manifest.icon, package.manifest.origin_sdk) == (
        "2.1.0",
        "icon.svg",
        "playables",
    )
    assert package.files["icon.svg"].startswith(b"<svg")


def test_a_wechat_game_gets_a_page_with_a_canvas_that_loads_the_wx_shim_then_game_js(tmp_path):
    out = tmp_path / "wx"
    result = run_import(str(FIXTURES / "wechat"), "--out", str(out))
    assert result.exit_code == 0, result.output
    package = read_package(out, LIMITS)
    assert package.manifest.origin_sdk == "wechat" and package.manifest.orientation == "portrait"
    page = package.files["index.html"].decode()
    assert page.index('src="/minis-sdk.js"') < page.index('src="/sdk/compat/wechat.js"') < page.index("game.js")
    assert "<canvas" in page


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "steam"], "--from: one of poki, crazygames, playables, fbinstant, wechat"),
        (["--id", "9lives"], "cannot be an app id"),
        (["--products", "missing.json"], "missing.json"),
    ],
)
def test_bad_options_are_refused_with_a_reason(tmp_path, args, message):
    result = run_import(str(FIXTURES / "poki"), "--out", str(tmp_path / "out"), *args)
    assert result.exit_code != 0 and message in result.output
    assert not (tmp_path / "out").exists()


def test_a_folder_of_no_known_platform_asks_for_from(tmp_path):
    (tmp_path / "game").mkdir()
    (tmp_path / "game" / "index.html").write_text("<title>Plain</title><script src='main.js'></script>")
    result = run_import(str(tmp_path / "game"), "--out", str(tmp_path / "out"))
    assert result.exit_code == 1 and "name it with --from" in result.output


def test_the_conformance_table_lists_every_api_of_every_platform_as_the_importer_knows_it():
    table = (Path(__file__).resolve().parents[2] / "docs" / "compat.md").read_text()
    for sdk in ORIGIN_SDKS.values():
        section = table.split(f"## {sdk.title}", 1)[1].split("\n## ", 1)[0]
        for name, api in sdk.apis.items():
            label = {"supported": "supported", "partly": "partly", "not": "not supported"}[api.status]
            assert f"| `{name}` | {label} | {api.how} |" in section, (sdk.name, name)
        counts = [sum(api.status == status for api in sdk.apis.values()) for status in ("supported", "partly", "not")]
        assert f"{counts[0]} of {len(sdk.apis)} APIs supported, {counts[1]} partly, {counts[2]} not." in section


def test_fbinstant_get_supported_apis_names_exactly_what_the_table_supports():
    shim = (Path(__file__).resolve().parents[2] / "src/openminis/compat/shims/fbinstant.js").read_text()
    listed = shim.split("var SUPPORTED = [", 1)[1].split("];", 1)[0]
    names = {name.strip().strip('"') for name in listed.split(",") if name.strip()}
    assert names == {name for name, api in ORIGIN_SDKS["fbinstant"].apis.items() if api.status != "not"}
