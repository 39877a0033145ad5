"""An XML document of the package (an svg, an xhtml page, an xml file) as a browser reads it, for
what it loads: its svg, math and xhtml elements as ``page.Element`` (an xhtml element is HTML to
the browser, any svg or math element foreign), and the ``xml-stylesheet`` instructions.

A page may show such a document in an ``<iframe>``, ``<object>`` or ``<embed>`` (or a script may
open it): there it is a document of its own, whose styles and scripts run and whose links load.
Elements of other namespaces are data to the browser and load nothing. A document that is not
well-formed is read up to its first error, as the browser renders it up to there. Entities are
expat's: internal ones expanded (with expat's guard against expansion bombs), external ones never
read, as the browser reads none.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from xml.parsers import expat

from openminis.compat import page

SVG = "http://www.w3.org/2000/svg"
XHTML = "http://www.w3.org/1999/xhtml"
MATHML = "http://www.w3.org/1998/Math/MathML"
XLINK = "http://www.w3.org/1999/xlink"
XML = "http://www.w3.org/XML/1998/namespace"
_KNOWN = frozenset({SVG, XHTML, MATHML})
# An xml-stylesheet instruction's pseudo-attributes (XML's "Associating Style Sheets").
_PSEUDO_ATTRIBUTE = re.compile(r"""([A-Za-z_:][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


@dataclass
class Document:
    elements: list[page.Element] = field(default_factory=list)
    stylesheets: list[str] = field(default_factory=list)  # the href of each xml-stylesheet instruction


def read(data: bytes) -> Document:
    """The document's elements of svg, math and xhtml, in the order of their start tags."""
    document = Document()
    # The open elements: the index in document.elements of each one whose text is kept (a style or
    # script), else None.
    open_elements: list[int | None] = []
    texts: dict[int, list[str]] = {}
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True

    def start(name: str, attributes: dict[str, str]) -> None:
        namespace, _, local = name.rpartition(" ")
        if namespace not in _KNOWN:
            open_elements.append(None)
            return
        element = page.Element(page.lower(local), _attributes(attributes), 0, 0, None, namespace != XHTML)
        document.elements.append(element)
        index = len(document.elements) - 1
        if element.name in ("style", "script"):
            texts[index] = []
            open_elements.append(index)
        else:
            open_elements.append(None)

    def end(name: str) -> None:
        open_elements.pop()

    def text(data: str) -> None:
        if open_elements and open_elements[-1] is not None:
            texts[open_elements[-1]].append(data)

    def instruction(target: str, data: str) -> None:
        if target == "xml-stylesheet":
            found = _PSEUDO_ATTRIBUTE.finditer(data)
            pseudo = {each[1]: each[2] if each[2] is not None else each[3] for each in found}
            if "href" in pseudo:
                document.stylesheets.append(page.resolve(pseudo["href"], attribute=True))

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.ProcessingInstructionHandler = instruction
    with contextlib.suppress(expat.ExpatError):  # read up to the error, as the browser renders it
        parser.Parse(data, True)
    for index, chunks in texts.items():
        document.elements[index] = document.elements[index]._replace(text="".join(chunks))
    return document


def _attributes(attributes: dict[str, str]) -> dict[str, str]:
    """The attributes by the names the HTML parser gives them (``xlink:href``; others lower case)."""
    named: dict[str, str] = {}
    for key, value in attributes.items():
        namespace, _, local = key.rpartition(" ")
        if namespace == XLINK:
            key = f"xlink:{local}"
        elif namespace == XML:
            key = f"xml:{local}"
        elif namespace:
            continue  # another namespace's attribute means nothing to the browser
        named.setdefault(page.lower(key), value)
    return named
