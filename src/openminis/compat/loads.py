"""What a game's files make the browser load from outside the package, one line each naming what
loads it and the URL (``script https://cdn.example/x.js is loaded from the internet``): a page's
elements, styles and scripts; an svg, xhtml or xml document's, as the document it is; a
stylesheet's url(), image-set() and @import; a script's imports, workers and fetches.

Every file of these kinds is read, whether or not a page names it: a page may frame an svg or an
xhtml document, and a script may open any file. Each is read by its language's rules: HTML by the
HTML standard's tokenizer (``page``), XML by expat (``documents``), CSS by CSS Syntax Level 3's
(``css``), JavaScript by its tokens (``js``).
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator

from openminis import text
from openminis.compat import css, documents, js, page

HTML_DOCUMENTS = (".html", ".htm", ".shtml")
XML_DOCUMENTS = (".svg", ".xhtml", ".xht", ".xml", ".xsl", ".xslt")
SCRIPTS = (".js", ".mjs", ".cjs")
STYLESHEETS = (".css",)

# What a browser loads on its own: the attributes of each HTML element that name a file to load.
LOADS = {
    "script": ("src",),
    "img": ("src", "srcset"),
    "iframe": ("src",),
    "frame": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "video": ("src", "poster"),
    "audio": ("src",),
    "source": ("src", "srcset"),
    "track": ("src",),
    "input": ("src",),
    **{name: ("background",) for name in ("body", "table", "thead", "tbody", "tfoot", "tr", "td", "th")},
}
# Every svg (and math) element's link but a link's (<a>, which opens a page when followed) loads what
# it names: a script, an image, a use's document, a filter's image, a gradient's or pattern's template.
FOREIGN_LINKS = ("href", "xlink:href")
# svg's animations, which may set an element's link.
ANIMATIONS = frozenset({"set", "animate", "animatecolor", "animatemotion", "animatetransform"})
ANIMATION_VALUES = ("from", "to", "by", "values")
# Link types that name a page rather than load anything (the HTML standard's): a canonical or
# alternate link may point anywhere. A link of any other type (stylesheet, icon, preload,
# modulepreload, manifest...) loads its href.
NOT_LOADED_RELS = frozenset(
    "alternate author bookmark canonical external help license me next "  # noqa: SIM905
    "nofollow noopener noreferrer opener prev privacy-policy search tag terms-of-service".split()
)
# Attributes whose value is a URL that may be javascript: (its code runs when followed or loaded).
URL_ATTRIBUTES = ("href", "xlink:href", "src", "action", "formaction", "data")
# Schemes whose URLs ask no server for anything.
IN_PLACE = frozenset({"data", "blob", "about", "javascript"})
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_C0_OR_SPACE = "".join(chr(code) for code in range(0x21))
_REFRESH = re.compile(
    r"[\t\n\f\r ]*[0-9.]+[\t\n\f\r ]*[;,]?[\t\n\f\r ]*(?:url[\t\n\f\r ]*=[\t\n\f\r ]*)?(.*)", re.I | re.S
)
_LOADED = "is loaded from the internet"


def browser_url(value: str) -> str:
    """An attribute's URL as the browser reads it (the URL standard's basic parser on a page of
    http or https): leading and trailing controls and spaces dropped, tabs and newlines removed
    anywhere, a backslash read as a slash."""
    return re.sub(r"[\t\n\r]", "", value.strip(_C0_OR_SPACE)).replace("\\", "/")


def is_outside(url: str) -> bool:
    """Whether the browser asks a server other than the app's for ``url`` (as :func:`browser_url`
    gives it): a URL with a scheme (but data:, blob:, about: and javascript:) or starting ``//``."""
    scheme = _SCHEME.match(url)
    if scheme:
        return scheme[0][:-1].lower() not in IN_PLACE
    return url.startswith("//")


def checked(path: str) -> bool:
    """Whether a file at ``path`` is one the browser reads for more to load."""
    return path.lower().endswith((*HTML_DOCUMENTS, *XML_DOCUMENTS, *SCRIPTS, *STYLESHEETS))


def outside_loads(path: str, data: bytes) -> list[str]:
    """What the file at ``path`` makes the browser load from outside the package (see the module)."""
    lower = path.lower()
    if lower.endswith(HTML_DOCUMENTS):
        return list(page_loads(page.read(_decoded(data))))
    if lower.endswith(XML_DOCUMENTS):
        document = documents.read(data)
        found = [f"xml-stylesheet {url} {_LOADED}" for url in _urls(*document.stylesheets)]
        return found + list(page_loads(document.elements))
    if lower.endswith(SCRIPTS):
        return [f"{what} {url} {_LOADED}" for what, url in script_loads(_decoded(data))]
    if lower.endswith(STYLESHEETS):
        return [f"{what} {url} {_LOADED}" for what, url in style_loads(_decoded(data))]
    return []


def _decoded(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def page_loads(elements: list[page.Element]) -> Iterator[str]:
    """What a page (or document) of these elements loads from outside the package."""
    for element in elements:
        if element.foreign:
            yield from _foreign_loads(element)
        else:
            yield from _html_loads(element)
        attributes = element.attributes
        if "style" in attributes:
            for _, url in style_loads(attributes["style"]):
                yield f"style {url} {_LOADED}"
        for name, value in attributes.items():
            if name.startswith("on"):  # an event handler's code
                yield from (f"{what} {url} {_LOADED}" for what, url in script_loads(value))
            elif name in URL_ATTRIBUTES and browser_url(value)[:11].lower() == "javascript:":
                code = urllib.parse.unquote(browser_url(value)[11:])
                yield from (f"{what} {url} {_LOADED}" for what, url in script_loads(code))


def _html_loads(element: page.Element) -> Iterator[str]:
    name, attributes = element.name, element.attributes
    for attribute in LOADS.get(name, ()):
        for url in _urls(attributes.get(attribute), many=attribute == "srcset"):
            yield f"{name} {url} {_LOADED}"
    if name == "link":
        rel = set(page.lower(attributes.get("rel", "")).split())
        if rel - NOT_LOADED_RELS:
            for url in _urls(attributes.get("href")):
                yield f"link {url} {_LOADED}"
            for url in _urls(attributes.get("imagesrcset"), many=True):
                yield f"link {url} {_LOADED}"
    elif name == "base":
        for url in _urls(attributes.get("href")):
            yield f"base {url} makes the page's relative URLs load from the internet"
    elif name == "meta" and page.lower(attributes.get("http-equiv", "").strip()) == "refresh":
        found = _REFRESH.match(attributes.get("content", ""))
        target = found[1].strip() if found else ""
        if target[:1] in ("'", '"'):
            target = target[1:].split(target[0], 1)[0]
        for url in _urls(target):
            yield f"meta refresh {url} opens a page from the internet"
    elif name == "style":
        for _, url in style_loads(element.text or ""):
            yield f"style {url} {_LOADED}"
    elif name == "script" and "src" not in attributes:
        kind = page.lower(attributes.get("type", "").strip())
        if kind == "importmap":
            for url in _import_map_loads(element.text or ""):
                yield f"import map {url} {_LOADED}"
        else:
            for what, url in script_loads(element.text or ""):
                yield f"{what} {url} {_LOADED}"
    elif name == "iframe" and "srcdoc" in attributes:
        yield from page_loads(page.read(attributes["srcdoc"]))


def _foreign_loads(element: page.Element) -> Iterator[str]:
    """An svg (or math) element's loads: its link, an animation of a link, a url() in a
    presentation attribute (fill, mask, filter, clip-path... read as CSS), its style sheet or script."""
    name, attributes = element.name, element.attributes
    # A link (<a>) opens its page when followed and loads nothing, in svg as in HTML.
    for attribute in FOREIGN_LINKS if name != "a" else ():
        for url in _urls(attributes.get(attribute)):
            yield f"{name} {url} {_LOADED}"
    animates_link = name in ANIMATIONS and attributes.get("attributename", "").strip() in FOREIGN_LINKS
    for attribute, value in attributes.items():
        if animates_link and attribute in ANIMATION_VALUES:
            for url in _urls(*(value.split(";") if attribute == "values" else [value])):
                yield f"{name} {attribute} {url} {_LOADED}"
        elif attribute not in (*FOREIGN_LINKS, "style") and not attribute.startswith("on") and "(" in value:
            # A url() needs its "(" as written: no escape makes one.
            for _, url in style_loads(value):
                yield f"{name} {attribute} {url} {_LOADED}"
    if name == "style" and element.text:
        for _, url in style_loads(element.text):
            yield f"style {url} {_LOADED}"
    elif name == "script" and element.text:
        for what, url in script_loads(element.text):
            yield f"{what} {url} {_LOADED}"


def _urls(*values: str | None, many: bool = False) -> list[str]:
    """The URLs outside the package among attribute values (``many``: a srcset's candidates)."""
    found = []
    for value in values:
        if value:
            candidates = re.split(r"[\t\n\f\r ,]+", value) if many else [value]
            found += [url for url in map(browser_url, candidates) if is_outside(url)]
    return found


def script_loads(code: str) -> Iterator[tuple[str, str]]:
    """What a script loads from outside the package: (what loads it, the URL)."""
    for what, literal in js.loads(code):
        url = browser_url(literal)
        if is_outside(url):
            yield what, url


def style_loads(style: str) -> Iterator[tuple[str, str]]:
    """What CSS (a style sheet, declarations or a value) loads from outside the package."""
    for what, written in css.loads(style):
        url = browser_url(written)
        if is_outside(url):
            yield what, url


def _import_map_loads(code: str) -> Iterator[str]:
    try:
        document = text.json_value(code)
    except ValueError:
        return  # the browser ignores an import map that is not JSON
    if not isinstance(document, dict):
        return
    maps = [document.get("imports")]
    scopes = document.get("scopes")
    if isinstance(scopes, dict):
        maps += list(scopes.values())
    for mapping in maps:
        if isinstance(mapping, dict):
            for target in mapping.values():
                if isinstance(target, str) and is_outside(browser_url(target)):
                    yield browser_url(target)
