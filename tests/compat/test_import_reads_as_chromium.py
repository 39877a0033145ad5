"""The importer reads a page as Chromium's parser does: for each page below, Chromium parses it on
an app's origin (scripting on, nothing fetched), and what its elements would load from outside the
package, by the importer's rules, is what the importer finds reading the markup itself; each URL
in a src or href is outside the package for the importer exactly when it is for Chromium's URL
parser; and the title is Chromium's ``document.title``. svg's own styles and scripts are read
as Chromium gives them their text (their own text, not their children's), and each XML document
(svg, xhtml, xml), served with its type, as Chromium reads it (namespaces, entities, an error).

A probe found the importer's regexes missed 10 of 14 ways a page loads a script (unquoted,
entities, a body between the tags...): this holds the importer to the browser on those and on the
places where Python's html.parser reads otherwise (comments closed by ``--!>``, a title's or a
style's text, ``</script/>``, script data's escaped states, svg and math content)."""

from __future__ import annotations

import pytest

from openminis.compat import documents, importer, loads, page
from tests.compat.test_import_outside_loads import DOCUMENTS, NOT_LOADED_ELSEWHERE, SVG, SVG_DOCUMENT
from tests.compat.test_import_pages import EXTERNAL, FB_PAGE, NOT_LOADED, SDK_TAGS

pytestmark = pytest.mark.browser

ORIGIN = "http://game.apps.localhost:8000"
X = "https://x.example"

TRICKY = [
    f"<svg><style><img src={X}/breaks-out.png></style></svg>",
    f"<svg><foreignObject><style><img src={X}/text.png></style></foreignObject></svg>",
    f"<svg><desc><title><img src={X}/text.png></title></desc></svg><title>Page</title>",
    f"<math><mtext><textarea><img src={X}/text.png></textarea></mtext></math>",
    f"<math><style><img src={X}/breaks-out.png></style></math>",
    f"<svg><![CDATA[<img src={X}/cdata.png>]]></svg><img src={X}/after.png>",
    f"<svg><p><img src={X}/p.png></svg>",
    f"<svg><font color=red><img src={X}/font.png></font></svg>",
    f"<svg><font><image href={X}/svg-image.png /></font></svg>",
    f'<svg><use xlink:href="{X}/sprite.svg#a"/><feImage href="{X}/f.png"/></svg>',
    f"<script><!--<script></script><img src={X}/double-escaped.png></script><img src={X}/after.png>",
    f"<script><!--</script><img src={X}/escaped-ends.png>",
    f"<script><!--<script>--></script><img src={X}/dashes-end.png>",
    f"<script><!--><img src={X}/in-script.png></script><img src={X}/after.png>",
    f"<textarea><!--</textarea><img src={X}/after-textarea.png>-->",
    f"<noscript><!--</noscript><img src={X}/after-noscript.png>-->",
    f"<iframe><img src={X}/in-iframe.png></iframe><xmp><img src={X}/in-xmp.png></xmp>",
    f"<noembed><img src={X}/a.png></noembed><noframes><img src={X}/b.png></noframes>",
    f"<plaintext><img src={X}/in-plaintext.png>",
    f'<!doctype html "><img src={X}/after-doctype.png>">',
    f"<img src={X}/at-eof.png",
    f"<a href=x <img src={X}/attribute.png>",
    f'<img src="a.png"src={X}/second.png>',
    f"<img SRC={X}/first.png src=a.png>",
    f"<img src=&quot;{X}/quote.png>",
    '<img src="&#x68;ttps://x.example/hex.png"><img src="&#104ttps://x.example/dec.png">',
    '<img src="https&#58//x.example/colon.png"><img src="https&colon//x.example/no-semicolon.png">',
    '<img src="&Tab;https://x.example/tab.png"><img src="java&#x09;script:void(0)">',
    '<img src="&amp;https://x.example/amp.png"><img src="&ampx://x.example/ampx.png">',
    f"<img/src={X}/slash.png><img src =  {X}/spaces.png >",
    f"<!---><img src={X}/after-short-comment.png>-->",
    f"<!-- <img src={X}/in-comment.png> --!-->",
    f"<? <img src={X}/bogus.png> ?><img src={X}/after-bogus.png>",
    f"</ <img src={X}/bogus-end.png>><img src={X}/after.png>",
    f"</x <img src={X}/end-tag-attribute.png>>",
    f"<table><style><img src={X}/table-style.png></style></table>",
    f"<template><img src={X}/template.png></template>",
    f"<picture><source srcset='{X}/1.png 1x, a.png 2x'><img src=a.png></picture>",
    "<img src=a.png srcset='data:image/png;base64,AAA= 1x, //x.example/2.png 2x'>",
    f"<body background={X}/bg.png><table><td background='{X}/td.png'>",
    f"<input type=image src={X}/input.png><embed src={X}/e><object data={X}/o></object>",
    f"<video poster={X}/poster.png><track src={X}/t.vtt></video><audio src=a.mp3></audio>",
    f"<link rel='alternate stylesheet' href={X}/alt.css><link rel=Canonical href={X}/c>",
    f"<link rel='shortcut icon' href={X}/favicon.ico><link href={X}/no-rel>",
    f"<style>a{{background:url( '{X}/bg.png' )}}/* url({X}/in-comment.png) */</style>",
    f'<div style="background-image: URL({X}/upper.png)"></div>',
    "<style>@import 'https:\\2f\\2fx.example/escaped.css';</style>",
    f"<script type=module>import x from '{X}/m.js'; export * from '{X}/n.js'</script>",
    f"<script>import(`{X}/dynamic.js`)</script><script>importScripts('{X}/w.js')</script>",
    '<script type="importmap">{"imports":{"a":"./a.js","b":"https:\\/\\/x.example/b.js"}}</script>',
    f"<iframe srcdoc='<img src={X}/srcdoc.png>'></iframe>",
    "<title>  A\n &amp; B  </title><title>second</title>",
    f"<TITLE>X</TITLE ><SCRIPT SRC={X}/upper.js></SCRIPT>",
    f"<script src={X}/no-end.js>",
    f'<base href="{X}/"><img src="relative.png">',
    f"<svg><style>a{{}}<a>/*</a>b{{fill:url({X}/own-text.png)}}</style></svg>",
    f"<svg><style>a{{}}<p>b{{fill:url({X}/after-breakout.png)}}</style>",
    f"<svg><style><![CDATA[a{{fill:url({X}/cdata.png)}}]]>&#x2f;* *&#x2f;</style></svg>",
    f"<svg><script>fetch('{X}/svg-script')<![CDATA[;import('{X}/m.js')]]></script></svg>",
    f'<svg><a href="{X}/svg-link"><set attributeName="href" to="{X}/set"/></a><rect fill="url({X}/f#g)"/></svg>',
]
PAGES = [
    *TRICKY,
    *(FB_PAGE + markup for markup, _ in EXTERNAL.values() if "refresh" not in markup),
    *(FB_PAGE + markup for markup in NOT_LOADED.values()),
    *(FB_PAGE + tag.format(sdk=X + "/sdk.js", entity="&#104;ttps://x.example/sdk.js") for tag in SDK_TAGS.values()),
    *(FB_PAGE + markup for markup, _ in SVG.values()),
]

COLLECT = """() => {
    const XHTML = "http://www.w3.org/1999/xhtml";
    const XLINK = "http://www.w3.org/1999/xlink";
    // Elements of other namespaces (in an XML document) are data: the browser loads nothing for them.
    const KNOWN = [XHTML, "http://www.w3.org/2000/svg", "http://www.w3.org/1998/Math/MathML"];
    const outside = (value) => {
        try {
            const url = new URL(value, location.href);
            const inPlace = ["data:", "blob:", "about:", "javascript:"].includes(url.protocol);
            return !inPlace && url.origin !== location.origin;
        } catch (error) {
            return false;
        }
    };
    const elements = [];
    const walk = (root) => {
        for (const element of root.querySelectorAll("*")) {
            if (!KNOWN.includes(element.namespaceURI)) continue;
            const attributes = {};
            const urls = {};
            for (const attribute of element.attributes) {
                // As the tokenizer gives it: svg's attributeName is read as attributename, an
                // XLink attribute as xlink:, whatever its prefix in an XML document.
                const name = attribute.namespaceURI === XLINK
                    ? "xlink:" + attribute.localName : attribute.name.toLowerCase();
                if (!(name in attributes)) attributes[name] = attribute.value;
                urls[attribute.value] = outside(attribute.value);
            }
            const html = element.namespaceURI === XHTML;
            const text = html
                ? ["script", "style", "title", "textarea"].includes(element.localName)
                : ["script", "style"].includes(element.localName);
            // A style sheet's or script's own text ("child text content"), not its children's.
            const own = Array.from(element.childNodes)
                .filter((node) => node.nodeType === Node.TEXT_NODE || node.nodeType === Node.CDATA_SECTION_NODE)
                .map((node) => node.data).join("");
            elements.push({
                name: element.localName.toLowerCase(), foreign: !html, attributes, urls,
                text: text ? (["title", "textarea"].includes(element.localName) ? element.textContent : own) : null,
            });
            if (element.localName === "template" && element.content) walk(element.content);
        }
    };
    walk(document);
    return {elements, title: document.title};
}"""


@pytest.fixture(scope="module")
def chromium_pages(browser):
    """Each page as Chromium read it: its elements (template contents too) and its title."""
    context = browser.new_context()
    tab = context.new_page()

    def answer(route):
        path = route.request.url.removeprefix(ORIGIN)
        if route.request.resource_type == "document" and path.startswith("/page/"):
            route.fulfill(status=200, content_type="text/html", body=PAGES[int(path.removeprefix("/page/"))])
        else:
            route.abort()

    tab.route("**/*", answer)
    read = []
    for number in range(len(PAGES)):
        tab.goto(f"{ORIGIN}/page/{number}", wait_until="domcontentloaded")
        read.append(tab.evaluate(COLLECT))
    context.close()
    return read


@pytest.mark.parametrize("number", range(len(PAGES)))
def test_the_importer_finds_what_chromium_would_load_from_outside_the_package(chromium_pages, number):
    markup = PAGES[number]
    chromium = chromium_pages[number]
    elements = [
        page.Element(found["name"], found["attributes"], 0, 0, found["text"], found["foreign"])
        for found in chromium["elements"]
    ]
    assert sorted(set(loads.page_loads(page.read(markup)))) == sorted(set(loads.page_loads(elements))), markup
    for found in chromium["elements"]:
        for name, value in found["attributes"].items():
            if name in ("src", "href", "xlink:href", "data", "poster", "background"):
                assert loads.is_outside(loads.browser_url(value)) == found["urls"][value], (name, value)
    ours = next((e for e in page.read(markup) if e.name == "title" and not e.foreign), None)
    assert (importer._title(markup) if ours else "") == chromium["title"], markup


# XML documents, as Chromium reads them served with their type: (the file, its text).
XML_DOCUMENTS = [
    *((path, document) for path, document, _ in DOCUMENTS.values()),
    *((path, document) for path, document in NOT_LOADED_ELSEWHERE.values() if path.endswith((".svg", ".xml"))),
    (
        "prefix.svg",
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink">'
        f'<image x:href="{X}/prefix.png"/><a x:href="{X}/a"/></svg>',
    ),
    ("no-namespace.svg", f'<svg><image href="{X}/no-namespace.png"/><style>a{{b:url({X}/s.png)}}</style></svg>'),
    (
        "entity.svg",
        f'<!DOCTYPE svg [<!ENTITY u "{X}/entity.png">]>'
        '<svg xmlns="http://www.w3.org/2000/svg"><image href="&u;"/></svg>',
    ),
    ("broken.svg", SVG_DOCUMENT.format(f'<image href="{X}/before.png"/><oops></svg><image href="{X}/after.png"/>')),
    ("styles.svg", SVG_DOCUMENT.format(f"<style>a{{}}<desc>/*</desc>b{{fill:url({X}/own.png)}}</style>")),
    (
        "page.xhtml",
        '<html xmlns="http://www.w3.org/1999/xhtml"><body>'
        f'<img src="{X}/img.png"/><link rel="stylesheet" href="{X}/s.css"/>'
        f'<svg xmlns="http://www.w3.org/2000/svg"><use href="{X}/use"/></svg></body></html>',
    ),
]
TYPES = {".svg": "image/svg+xml", ".xhtml": "application/xhtml+xml", ".xml": "application/xml"}


@pytest.fixture(scope="module")
def chromium_documents(browser):
    """Each XML document as Chromium read it, served with its type."""
    context = browser.new_context()
    tab = context.new_page()

    def answer(route):
        path = route.request.url.removeprefix(ORIGIN)
        if route.request.resource_type == "document" and path.startswith("/doc/"):
            name, body = XML_DOCUMENTS[int(path.removeprefix("/doc/"))]
            route.fulfill(status=200, content_type=TYPES[name[name.rindex(".") :]], body=body)
        else:
            route.abort()

    tab.route("**/*", answer)
    read = []
    for number in range(len(XML_DOCUMENTS)):
        tab.goto(f"{ORIGIN}/doc/{number}", wait_until="domcontentloaded")
        read.append(tab.evaluate(COLLECT))
    context.close()
    return read


@pytest.mark.parametrize("number", range(len(XML_DOCUMENTS)))
def test_the_importer_reads_an_xml_document_as_chromium_does(chromium_documents, number):
    path, body = XML_DOCUMENTS[number]
    elements = [
        page.Element(found["name"], found["attributes"], 0, 0, found["text"], found["foreign"])
        for found in chromium_documents[number]["elements"]
    ]
    ours = documents.read(body.encode()).elements
    assert sorted(set(loads.page_loads(ours))) == sorted(set(loads.page_loads(elements))), (path, body)
