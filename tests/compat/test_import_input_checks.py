"""`minis import` checks what it reads from the game: every field of each platform's config has the
type the platform gives it, a link in a zip is refused as a path out of the package is, and a
problem is told in one line naming the file, the field and what is wrong, never as a traceback or
a raw validation error.

A probe found ``{"instant_games": ["landscape"]}`` in fbapp-config.json printed a Python
traceback (AttributeError), a WeChat ``"projectname": {"x": 1}`` made an app named ``{'x': 1}``,
a ``<title>`` with a bidi character printed pydantic's whole ValidationError, and a symbolic link
in a zip was imported as a file holding the link's target."""

from __future__ import annotations

import json
import stat
import zipfile

import pytest
from typer.testing import CliRunner

from tests.compat.test_import_pages import run_import, zipped

runner = CliRunner()

FB_PAGE = (
    '<!doctype html><title>T</title><script src="https://connect.facebook.net/en_US/fbinstant.7.1.js"></script>'
    '<script src="game.js"></script>'
)
FB_GAME = b"FBInstant.initializeAsync().then(()=>FBInstant.startGameAsync());"
WX_GAME = b"wx.onTouchStart(()=>{});"


def rejected(result) -> list[str]:
    """The reasons the import gave, one a line (the first after ``rejected:``)."""
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output and "pydantic" not in result.output, result.output
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("rejected: "), result.output
    return [lines[0].removeprefix("rejected: "), *(line.strip() for line in lines[1:])]


@pytest.mark.parametrize(
    ("config", "reason"),
    [
        ({"instant_games": ["landscape"]}, "fbapp-config.json: instant_games: must be an object (was a list)"),
        ({"instant_games": "landscape"}, "fbapp-config.json: instant_games: must be an object (was a string)"),
        (
            {"instant_games": {"orientation": {"x": "landscape"}}},
            "fbapp-config.json: instant_games.orientation: must be a string (was an object)",
        ),
        (
            {"instant_games": {"orientation": ["LANDSCAPE"]}},
            "fbapp-config.json: instant_games.orientation: must be a string (was a list)",
        ),
        (
            {"instant_games": {"custom_update_templates": "x"}},
            "fbapp-config.json: instant_games.custom_update_templates: must be an object (was a string)",
        ),
        (["landscape"], "fbapp-config.json: must be an object (was a list)"),
    ],
)
def test_a_malformed_fbapp_config_is_rejected_naming_the_file_and_field(tmp_path, config, reason):
    source = zipped(tmp_path, {"index.html": FB_PAGE, "game.js": FB_GAME, "fbapp-config.json": json.dumps(config)})
    assert rejected(run_import(str(source), "--out", str(tmp_path / "out"))) == [reason]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("files", "reason"),
    [
        (
            {"project.config.json": {"projectname": {"x": 1}}},
            "project.config.json: projectname: must be a string (was an object)",
        ),
        (
            {"project.config.json": {"projectname": 123}},
            "project.config.json: projectname: must be a string (was a number)",
        ),
        (
            {"game.json": {"deviceOrientation": ["landscape"]}},
            "game.json: deviceOrientation: must be a string (was a list)",
        ),
        ({"game.json": {"subpackages": "x" * 1000}}, "game.json: subpackages: must be a list (was a string)"),
        ({"game.json": {"showStatusBar": "no"}}, "game.json: showStatusBar: must be true or false (was a string)"),
        (
            {"game.json": {"networkTimeout": {"request": "10s"}}},
            "game.json: networkTimeout.request: must be a number (was a string)",
        ),
        ({"game.json": []}, "game.json: must be an object (was a list)"),
    ],
)
def test_a_malformed_wechat_config_is_rejected_naming_the_file_and_field(tmp_path, files, reason):
    contents = {"game.json": {}, **files}
    source = zipped(tmp_path, {"game.js": WX_GAME, **{path: json.dumps(value) for path, value in contents.items()}})
    assert rejected(run_import(str(source), "--out", str(tmp_path / "out"))) == [reason]


def test_every_wrong_field_is_told_on_a_line_of_its_own(tmp_path):
    config = {"deviceOrientation": 1, "resizable": "yes"}
    source = zipped(
        tmp_path,
        {"game.js": WX_GAME, "game.json": json.dumps(config), "project.config.json": '{"projectname": ["a"]}'},
    )
    assert rejected(run_import(str(source), "--out", str(tmp_path / "out"))) == [
        "3 problems:",
        "game.json: deviceOrientation: must be a string (was a number)",
        "game.json: resizable: must be true or false (was a string)",
        "project.config.json: projectname: must be a string (was a list)",
    ]


@pytest.mark.parametrize(
    ("files", "args", "reason"),
    [
        (
            {"index.html": FB_PAGE.replace("<title>T</title>", "<title>Star \u202eQuest</title>")},
            [],
            "index.html: <title>: must be one line of visible text, without control, bidi, zero-width or line "
            "separator characters",
        ),
        (
            {"game.json": "{}", "project.config.json": json.dumps({"projectname": "a\u0000b"})},
            [],
            "project.config.json: projectname: must be one line of visible text, without control, bidi, zero-width"
            " or line separator characters",
        ),
        (
            {"index.html": FB_PAGE},
            ["--name", "Star\u2066"],
            "--name: must be one line of visible text, without control",
        ),
        ({"index.html": FB_PAGE}, ["--category", "Best Games!"], "--category: must match"),
        ({"index.html": FB_PAGE}, ["--version", "one"], "--version: "),
    ],
)
def test_a_name_or_option_the_manifest_refuses_is_told_in_one_line(tmp_path, files, args, reason):
    game = WX_GAME if "game.json" in files else FB_GAME
    source = zipped(tmp_path, {"game.js": game, **files})
    lines = rejected(run_import(str(source), "--out", str(tmp_path / "out"), *args))
    assert len(lines) == 1 and lines[0].startswith(reason), lines


def test_a_product_the_manifest_refuses_is_told_by_its_place_and_field(tmp_path):
    source = zipped(tmp_path, {"index.html": FB_PAGE, "game.js": FB_GAME})
    products = tmp_path / "products.json"
    good = {"id": "gems", "type": "consumable", "price": 20, "title": {"en": "Gems"}}
    products.write_text(json.dumps([good, {**good, "id": "bad id", "price": 0}, "gems"]))
    lines = rejected(run_import(str(source), "--out", str(tmp_path / "out"), "--products", str(products)))
    assert lines[0] == "3 problems:"
    assert lines[1].startswith("--products: product 2: id: must match")
    assert lines[2:] == [
        "--products: product 2: price: must be greater than or equal to 1",
        "--products: product 3: must be an object (was a string)",
    ]


def test_a_symbolic_link_in_a_zip_is_refused_as_a_path_out_of_the_package_is(tmp_path):
    source = tmp_path / "sym.zip"
    with zipfile.ZipFile(source, "w") as archive:
        archive.writestr("index.html", FB_PAGE)
        archive.writestr("game.js", FB_GAME)
        link = zipfile.ZipInfo("link.js")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    assert rejected(run_import(str(source), "--out", str(tmp_path / "out"))) == [
        "link.js is a symbolic link: a package holds files only; put the file it points to in its place"
    ]
    assert not (tmp_path / "out").exists()
