"""`minis import` reads a game's HTML as a browser reads it: the platform's SDK script is found and
replaced however the page writes it (minified, unquoted, with a body, with entities), and anything
else the page would load from outside the package is refused with the error docs/compat.md
promises, never written through.

A probe (docs: findings of probe "social") found the importer's regexes needed quoted attributes
and ``></script>`` with nothing between: 10 of 14 forms of an external script were written through
with "every API it calls is supported", and a minified Instant game
(``<script src=https://connect.facebook.net/...></script>``) was not recognised; with ``--from``
it kept its SDK tag and got no shim, so in Chromium the app's CSP blocked the SDK and the game
failed with ``FBInstant is not defined``."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openminis.catalog.package import Limits, read_package
from openminis.cli import app
from openminis.settings import Settings

runner = CliRunner()
LIMITS = Limits.from_settings(Settings())

FB_SDK = "https://connect.facebook.net/en_US/fbinstant.7.1.js"
FB_GAME = b"FBInstant.initializeAsync().then(()=>FBInstant.startGameAsync());"
# The page the probe added each form to: an Instant game with its SDK tag written the usual way.
FB_PAGE = f'<!doctype html><title>T</title><script src="{FB_SDK}"></script><script src="game.js"></script>'
SHIM = '<script src="/minis-sdk.js"></script>\n<script src="/sdk/compat/{}.js"></script>'


def zipped(tmp_path: Path, files: dict[str, str | bytes], name: str = "game.zip") -> Path:
    source = tmp_path / name
    with zipfile.ZipFile(source, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return source


def run_import(*args: str):
    return runner.invoke(app, ["import", *args])


# How pages write the platform's SDK tag: each must be recognised (without --from) and replaced.
SDK_TAGS = {
    "unquoted, as minified HTML has it": "<script src={sdk}></script>",
    "with a newline between its tags": '<script src="{sdk}">\n</script>',
    "with a comment between its tags": '<script src="{sdk}">/* sdk */</script>',
    "single quotes and upper case": "<SCRIPT SRC='{sdk}' ASYNC></SCRIPT >",
    "attributes on their own lines": '<script\n  src="{sdk}"\n  defer\n></script\n>',
    "a space before the URL, which the browser trims": '<script src=" {sdk}"></script>',
    "an entity for a letter of the URL": '<script src="{entity}"></script>',
    "a slash instead of a space before src": '<script/src="{sdk}"></script>',
    "an end tag with an attribute": '<script src="{sdk}"></script foo="a>b">',
}
PLATFORM_SDKS = {
    "fbinstant": (FB_SDK, FB_GAME),
    "poki": (
        "https://game-cdn.poki.com/scripts/v2/poki-sdk.js",
        b"PokiSDK.init().then(()=>PokiSDK.gameLoadingFinished());",
    ),
}


@pytest.mark.parametrize("platform", sorted(PLATFORM_SDKS))
@pytest.mark.parametrize("form", sorted(SDK_TAGS))
def test_the_platform_sdk_script_is_recognised_and_replaced_however_the_page_writes_it(tmp_path, platform, form):
    sdk, game = PLATFORM_SDKS[platform]
    tag = SDK_TAGS[form].format(sdk=sdk, entity="&#104;" + sdk[1:])
    page = f"<!doctype html><title>Minified</title>{tag}<script src=game.js></script>"
    source = zipped(tmp_path, {"index.html": page, "game.js": game})
    out = tmp_path / "out"
    result = run_import(str(source), "--out", str(out))
    assert result.exit_code == 0, result.output
    package = read_package(out, LIMITS)
    assert package.manifest.origin_sdk == platform
    written = package.files["index.html"].decode()
    assert written == f"<!doctype html><title>Minified</title>{SHIM.format(platform)}<script src=game.js></script>"


def test_an_unquoted_sdk_tag_named_with_from_is_replaced_too(tmp_path):
    """The probe's ``unq_sdk.zip`` with ``--from fbinstant``: exit 0, no shim, the tag left."""
    page = f"<!doctype html><title>Unq</title><script src={FB_SDK}></script><script src=game.js></script>"
    source = zipped(tmp_path, {"index.html": page, "game.js": FB_GAME})
    out = tmp_path / "out"
    result = run_import(str(source), "--out", str(out), "--from", "fbinstant")
    assert result.exit_code == 0, result.output
    assert f"replaced index.html: {FB_SDK} with /sdk/compat/fbinstant.js" in result.output
    written = read_package(out, LIMITS).files["index.html"].decode()
    assert "facebook.net" not in written and SHIM.format("fbinstant") in written


def test_a_page_that_loads_no_sdk_of_the_platform_named_is_refused(tmp_path):
    """Without the SDK's tag there is no place for the shim: the game would call an undefined SDK."""
    source = zipped(tmp_path, {"index.html": "<title>X</title><script src=game.js></script>", "game.js": FB_GAME})
    result = run_import(str(source), "--out", str(tmp_path / "out"), "--from", "fbinstant")
    assert result.exit_code == 1
    assert "no <script> of index.html loads the Facebook Instant Games SDK" in result.output
    assert not (tmp_path / "out").exists()


# What pages load from outside the package, each added to the probe's page (whose SDK tag is
# replaced): (the markup or file, the error it gives).
EXTERNAL = {
    # The probe's forms.
    "script with a body": ('<script src="https://evil.example/x.js">/**/</script>', "script https://evil.example/x.js"),
    "unquoted script": ("<script src=https://evil.example/x.js></script>", "script https://evil.example/x.js"),
    "leading space": ('<script src=" https://evil.example/x.js"></script>', "script https://evil.example/x.js"),
    "backslashes for slashes": (
        '<script src="https:\\\\evil.example/x.js"></script>',
        "script https://evil.example/x.js",
    ),
    "slash and backslash": ('<script src="/\\evil.example/x.js"></script>', "script //evil.example/x.js"),
    "an entity in the scheme": (
        '<script src="&#104;ttps://evil.example/x.js"></script>',
        "script https://evil.example/x.js",
    ),
    "unquoted stylesheet": ("<link rel=stylesheet href=https://evil.example/s.css>", "link https://evil.example/s.css"),
    "module import": (
        '<script type=module>import "https://evil.example/m.js"</script>',
        "module import https://evil.example/m.js",
    ),
    "iframe": ('<iframe src="https://evil.example/"></iframe>', "iframe https://evil.example/"),
    "img": ('<img src="https://evil.example/p.png">', "img https://evil.example/p.png"),
    "async and a space before >": ('<script src="https://evil.example/x.js" async defer ></script >', "script"),
    "upper case": ('<SCRIPT SRC="https://evil.example/x.js"></SCRIPT>', "script https://evil.example/x.js"),
    "end tag on two lines": ('<script src="https://evil.example/x.js"></script\n>', "script https://evil.example/x.js"),
    "attributes on their own lines": ('<script\nsrc="https://evil.example/x.js"\n></script>', "script https://evil"),
    # Other ways a page loads something.
    "a tab inside the URL": ('<script src="ht\ttps://evil.example/x.js"></script>', "script https://evil.example/x.js"),
    "a named entity": ('<img src="https&colon;//evil.example/p.png">', "img https://evil.example/p.png"),
    "a script after a comment closed with --!>": (
        "<!-- old --!><script src=https://evil.example/x.js></script>",
        "script https://evil.example/x.js",
    ),
    "a script after an empty comment": ("<!--><script src=https://evil.example/x.js></script>-->", "script https://"),
    "a script after a title holding a comment's start": (
        "<title>a<!--</title><script src=https://evil.example/x.js></script>-->",
        "script https://evil.example/x.js",
    ),
    "a script after a style holding a comment's start": (
        "<style><!--</style><script src=https://evil.example/x.js></script>-->",
        "script https://evil.example/x.js",
    ),
    "a script after an end tag with a slash": (
        "<script>1</script/><script src=https://evil.example/x.js></script>",
        "script https://evil.example/x.js",
    ),
    "a script after a CDATA section outside svg": (
        "<![CDATA[ x ><script src=https://evil.example/x.js></script> ]]>",
        "script https://evil.example/x.js",
    ),
    "srcset": ('<img src="a.png" srcset="a.png 1x, https://evil.example/p2.png 2x">', "img https://evil.example/p2"),
    "source": ('<video><source src="https://evil.example/v.mp4"></video>', "source https://evil.example/v.mp4"),
    "video poster": ('<video poster="//evil.example/p.png"></video>', "video //evil.example/p.png"),
    "audio": ("<audio src=https://evil.example/a.mp3></audio>", "audio https://evil.example/a.mp3"),
    "embed": ("<embed src=https://evil.example/e.swf>", "embed https://evil.example/e.swf"),
    "object": ("<object data=https://evil.example/o></object>", "object https://evil.example/o"),
    "image, read as img": ("<image src=https://evil.example/p.png>", "img https://evil.example/p.png"),
    "preload": ('<link rel="preload" as="script" href="https://evil.example/x.js">', "link https://evil.example/x.js"),
    "base": ('<base href="https://evil.example/">', "base https://evil.example/"),
    "meta refresh": (
        '<meta http-equiv="refresh" content="0; url=https://evil.example/">',
        "meta refresh https://evil.example/",
    ),
    "svg script": ('<svg><script href="https://evil.example/x.js"></script></svg>', "script https://evil.example/x.js"),
    "svg image": ('<svg><image xlink:href="https://evil.example/p.png"/></svg>', "image https://evil.example/p.png"),
    "style attribute": ('<div style="background:url(https://evil.example/p.png)">', "style https://evil.example/p.png"),
    "style element import": (
        "<style>@import url('https://fonts.example/css');</style>",
        "style https://fonts.example/css",
    ),
    "import map": (
        '<script type="importmap">{"imports": {"lib": "https://evil.example/lib.js"}}</script>',
        "import map https://evil.example/lib.js",
    ),
    "dynamic import": ("<script>import('https://evil.example/m.js').then(m => m.go())</script>", "module import"),
    "iframe srcdoc": ('<iframe srcdoc="<script src=https://evil.example/x.js></script>"></iframe>', "script https://"),
}


@pytest.mark.parametrize("form", sorted(EXTERNAL))
def test_a_page_that_loads_anything_from_outside_the_package_is_refused_and_nothing_is_written(tmp_path, form):
    markup, error = EXTERNAL[form]
    source = zipped(tmp_path, {"index.html": FB_PAGE + markup, "game.js": FB_GAME})
    out = tmp_path / "out"
    result = run_import(str(source), "--out", str(out))
    assert result.exit_code == 1, result.output
    assert f"error index.html: {error}" in result.output
    assert "not written" in result.output and not out.exists()


@pytest.mark.parametrize(
    ("path", "code", "error"),
    [
        ("lib/m.mjs", 'import {a} from "https://evil.example/m.js";\nexport const b = a;', "module import https://"),
        ("game2.js", 'export * from "//evil.example/m.js";', "module import //evil.example/m.js"),
        ("worker.js", "importScripts('https://evil.example/w.js');", "importScripts https://evil.example/w.js"),
        ("style.css", "@font-face{src:url(https://fonts.example/f.woff2)}", "url https://fonts.example/f.woff2"),
        ("style.css", '@import "https://fonts.example/css";', "@import https://fonts.example/css"),
    ],
)
def test_a_script_or_stylesheet_of_the_game_that_loads_from_outside_is_refused(tmp_path, path, code, error):
    source = zipped(tmp_path, {"index.html": FB_PAGE, "game.js": FB_GAME, path: code})
    result = run_import(str(source), "--out", str(tmp_path / "out"))
    assert result.exit_code == 1, result.output
    assert f"error {path}: {error}" in result.output


# What a page names without loading it: these stay.
NOT_LOADED = {
    "a link to follow": '<a href="https://poki.com/en/g/x">more games</a>',
    "a canonical link": "<link rel=canonical href=https://example.com/g>",
    "an alternate link": '<link rel="alternate" hreflang="de" href="https://example.com/de">',
    "a commented-out script": "<!-- <script src=https://cdn.example/x.js></script> -->",
    "a conditional comment": "<!--[if lt IE 9]><script src=https://cdn.example/h.js></script><![endif]-->",
    "a tag in a script's string": "<script>var s = '<script src=https://cdn.example/x.js><\\/script>';</script>",
    "a tag in a textarea": "<textarea><img src=https://cdn.example/p.png></textarea>",
    "a tag in noscript": "<noscript><img src=https://cdn.example/p.png></noscript>",
    "a data URL": '<img src="data:image/png;base64,iVBORw0KGgo=">',
    "an svg namespace": '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><path d="M0 0"/></svg>',
    "a css namespace": "<style>@namespace svg url(http://www.w3.org/2000/svg); a{color:red}</style>",
    "a form's action": '<form action="https://example.com/f"></form>',
    "an import map of the package": '<script type="importmap">{"imports": {"lib": "./lib.js"}}</script>',
}


@pytest.mark.parametrize("form", sorted(NOT_LOADED))
def test_what_a_page_names_without_loading_it_stays(tmp_path, form):
    source = zipped(tmp_path, {"index.html": FB_PAGE + NOT_LOADED[form], "game.js": FB_GAME})
    out = tmp_path / "out"
    result = run_import(str(source), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert NOT_LOADED[form] in read_package(out, LIMITS).files["index.html"].decode()


def test_pages_the_importer_does_not_change_keep_their_bytes(tmp_path):
    """A page in another encoding than UTF-8, with no SDK tag, is copied as it is."""
    other = "<title>Hilfe</title><p>Größe</p>".encode("latin-1")
    source = zipped(tmp_path, {"index.html": FB_PAGE, "help.html": other, "game.js": FB_GAME})
    out = tmp_path / "out"
    result = run_import(str(source), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert (out / "help.html").read_bytes() == other


def test_the_name_is_the_title_as_the_browser_shows_it(tmp_path):
    page = "<svg><title>Icon</title></svg><title>\n  Star &amp;\n Moon &#x2605; </title>" + FB_PAGE
    source = zipped(tmp_path, {"index.html": page, "game.js": FB_GAME})
    out = tmp_path / "out"
    result = run_import(str(source), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert read_package(out, LIMITS).manifest.name == "Star & Moon ★"
