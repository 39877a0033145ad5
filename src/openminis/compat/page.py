"""A game's page as a browser reads it: its elements with their attributes, and where each is.

The tokenizer of the HTML standard (html.spec.whatwg.org, "Tokenization"), for what `minis import`
decides on: start tags and their attributes (quoted, unquoted or bare, the first of a name kept,
character references resolved as in an attribute), comments as the browser ends them (``-->``,
``--!>``, ``<!-->``), bogus comments (``<?...>``, ``<!x>``, ``</ x>``, a CDATA section outside svg
and math), and the text of script (with its escaped states), style, title, textarea, xmp, iframe,
noembed, noframes, noscript (scripting is on in an app's frame) and plaintext, which holds no tags.
Of tree construction it keeps what changes how the rest is read: svg and math content, where those
elements hold markup and a CDATA section is one, and their HTML integration points, and the text of
svg's (and math's) style and script, which the browser reads as a style sheet and a script (their own
text, references resolved, a CDATA section's as written); ``<image>`` is read as ``<img>``. The
standard library's html.parser differs from a browser in each of these (Python 3.11: a comment ends
only at ``-->``, a title's text is markup, ``</script/>`` does not end a script), so a tag hidden
from it would be loaded by the browser.

Not modelled, as no page of a game relies on it: a ``<select>`` ignoring tags, a table's foster
parenting, and frameset documents.
"""

from __future__ import annotations

import re
from html.entities import html5
from typing import NamedTuple

_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_TAG_NAME = re.compile(r"[^\t\n\f\r />]*")
# Between attributes: spaces, and a "/" not before ">" (read as a space).
_SEPARATOR = re.compile(r"(?:[\t\n\f\r ]|/(?!>))*")
# An attribute: its name (which may begin with "="), then "=" and a value double-quoted,
# single-quoted or unquoted (a quote never begins an unquoted value: one not closed is no value).
_ATTRIBUTE = re.compile(
    r"([^\t\n\f\r />][^\t\n\f\r />=]*)[\t\n\f\r ]*"
    r"(?:(=)[\t\n\f\r ]*(?:\"([^\"]*)\"|'([^']*)'|([^\t\n\f\r >\"'][^\t\n\f\r >]*))?)?"
)
_COMMENT_END = re.compile(r"--!?>")
_SCRIPT_ESCAPED = re.compile(r"-->|<")
_SCRIPT_START = re.compile(r"<script(?=[\t\n\f\r />])", re.IGNORECASE | re.ASCII)
_ASCII_ALPHA = re.compile(r"[A-Za-z]")

# Elements whose text holds no tags, and how each ends (RCDATA's text also resolves references).
RAWTEXT = frozenset({"style", "xmp", "iframe", "noembed", "noframes", "noscript"})
RCDATA = frozenset({"title", "textarea"})
# An HTML start tag in svg or math content closes it ("breaks out", the standard's list).
_BREAKOUT = frozenset(
    "b big blockquote body br center code dd div dl dt em embed h1 h2 h3 h4 h5 h6 head hr i "  # noqa: SIM905
    "img li listing menu meta nobr ol p pre ruby s small span strong strike sub sup table tt u ul var".split()
)
# Elements of svg and math whose content is HTML again.
_INTEGRATION_POINTS = frozenset({"foreignobject", "desc", "title", "mi", "mo", "mn", "ms", "mtext"})

# A numeric reference to a C1 control means the Windows-1252 character (the standard's table).
_C1 = {
    0x80: "\u20ac", 0x82: "\u201a", 0x83: "\u0192", 0x84: "\u201e", 0x85: "\u2026", 0x86: "\u2020",
    0x87: "\u2021", 0x88: "\u02c6", 0x89: "\u2030", 0x8A: "\u0160", 0x8B: "\u2039", 0x8C: "\u0152",
    0x8E: "\u017d", 0x91: "\u2018", 0x92: "\u2019", 0x93: "\u201c", 0x94: "\u201d", 0x95: "\u2022",
    0x96: "\u2013", 0x97: "\u2014", 0x98: "\u02dc", 0x99: "\u2122", 0x9A: "\u0161", 0x9B: "\u203a",
    0x9C: "\u0153", 0x9E: "\u017e", 0x9F: "\u0178",
}  # fmt: skip
_REFERENCE = re.compile(r"&(?:#[xX]([0-9a-fA-F]+);?|#([0-9]+);?|([A-Za-z0-9]+;?))")


def lower(name: str) -> str:
    """ASCII letters only, as HTML lowercases names (``str.lower`` would make the Kelvin sign a k)."""
    return name if name.islower() and name.isascii() else name.translate(_LOWER)


def resolve(text: str, *, attribute: bool = False) -> str:
    """``text`` with its character references resolved as a browser resolves them; in an attribute
    a legacy name without ``;`` followed by ``=`` or a letter or digit stays as written."""

    def one(match: re.Match[str]) -> str:
        hexadecimal, decimal, name = match.groups()
        if name is None:
            digits = (hexadecimal or decimal).lstrip("0")
            # More digits than any code point has: past U+10FFFF (and past what int() will read).
            number = 0x110000 if len(digits) > 8 else int(digits or "0", 16 if hexadecimal is not None else 10)
            if number == 0 or number > 0x10FFFF or 0xD800 <= number <= 0xDFFF:
                return "\ufffd"
            return _C1.get(number) or chr(number)
        for length in range(len(name), 0, -1):  # the longest name of the table that begins it
            found = html5.get(name[:length])
            if found is None:
                continue
            rest = name[length:]
            if attribute and not name[:length].endswith(";") and rest and (rest[0] == "=" or rest[0].isalnum()):
                return match[0]
            return found + rest
        return match[0]

    if "\r" in text or "\x00" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "\ufffd")
    return _REFERENCE.sub(one, text) if "&" in text else text


class Element(NamedTuple):
    """A start tag as the browser makes an element of it."""

    name: str  # lowercase; ``image`` is ``img``
    attributes: dict[str, str]  # the first of each name, references resolved
    start: int  # where ``<`` of its start tag is
    end: int  # after its start tag; for an element of text (script, style, title...), after its end tag
    text: str | None  # the text of script, style, title, textarea... (title's and textarea's resolved; svg's too)
    foreign: bool  # in svg or math content: an svg <script> holds markup, a <title> is not the page's


class _Tag(NamedTuple):
    name: str
    attributes: dict[str, str]
    self_closing: bool
    end: int


def _tag(markup: str, at: int) -> _Tag | None:
    """The tag whose name starts at ``at``, or None when the page ends inside it (the browser then
    drops it)."""
    length = len(markup)
    found = _TAG_NAME.match(markup, at)
    assert found is not None
    name, at = lower(found[0]), found.end()
    attributes: dict[str, str] = {}
    while True:
        at = _SEPARATOR.match(markup, at).end()  # type: ignore[union-attr]  # it matches "" at least
        if at >= length:
            return None
        if markup[at] == ">":
            return _Tag(name, attributes, False, at + 1)
        if markup[at] == "/":  # the separator leaves only a "/" before ">"
            return _Tag(name, attributes, True, at + 2)
        found = _ATTRIBUTE.match(markup, at)
        assert found is not None
        key, equals, double, single, unquoted = found.groups()
        at = found.end()
        value = double if double is not None else single if single is not None else unquoted
        if value is None:
            if equals and (at >= length or markup[at] != ">"):
                return None  # the page ends in the value, or in a quoted one never closed
            value = ""
        key = lower(key)
        if key not in attributes:
            attributes[key] = resolve(value, attribute=True)


def _end_tag_end(markup: str, at: int) -> int:
    """After the end tag whose name starts at ``at`` (its attributes are read as a start tag's)."""
    tag = _tag(markup, at)
    return len(markup) if tag is None else tag.end


def _appropriate_end(name: str) -> re.Pattern[str]:
    return re.compile(rf"</{name}(?=[\t\n\f\r />])", re.IGNORECASE | re.ASCII)


_END = {name: _appropriate_end(name) for name in (*RAWTEXT, *RCDATA, "script")}


def _script_text_end(markup: str, at: int) -> int:
    """Where the ``</script`` that ends a script's text starts, for text from ``at`` (the script
    data states: after ``<!--``, a ``<script`` holds the next ``</script>`` inside the text)."""
    length = len(markup)
    state = "data"  # data | escaped | double (escaped)
    while at < length:
        if state == "data":
            at = markup.find("<", at)
            if at < 0:
                return length
            if markup.startswith("</", at) and _END["script"].match(markup, at):
                return at
            if markup.startswith("<!--", at):
                state, at = "escaped", at + 4
                # "<!--" then "-"* then ">" goes back to data (the escaped-dash-dash state).
                while at < length and markup[at] == "-":
                    at += 1
                if at < length and markup[at] == ">":
                    state, at = "data", at + 1
                continue
            at += 1
            continue
        found = _SCRIPT_ESCAPED.search(markup, at)
        if found is None:
            return length
        at = found.start()
        if found[0] == "-->":
            state, at = "data", at + 3
            continue
        if state == "escaped":
            if _END["script"].match(markup, at):
                return at
            if _SCRIPT_START.match(markup, at):
                state, at = "double", at + 7
                continue
        elif _END["script"].match(markup, at):
            state, at = "escaped", at + 8
            continue
        at += 1
    return length


# Elements of svg and math whose text the browser reads: svg's style sheet and script.
_FOREIGN_TEXT = frozenset({"style", "script"})


def read(markup: str) -> list[Element]:
    """The page's elements in the order of their start tags."""
    elements: list[Element] = []
    # The text of each svg or math style and script (by index in elements): its own text, not
    # its children's, as the browser reads a style sheet or script ("child text content").
    texts: dict[int, list[str]] = {}
    # The open svg and math elements, from the outermost: (name, whether its content is HTML, index).
    foreign: list[tuple[str, bool, int]] = []
    length = len(markup)
    at = text_from = 0

    def take(end: int) -> None:
        """The text from ``text_from`` up to ``end`` to the innermost open foreign element, when it
        keeps its text."""
        if foreign and foreign[-1][2] in texts and end > text_from:
            texts[foreign[-1][2]].append(resolve(markup[text_from:end]))

    while True:
        at = markup.find("<", at)
        if at < 0 or at + 1 >= length:
            take(length)
            break
        start, next_char = at, markup[at + 1]
        if next_char not in "!?/" and not _ASCII_ALPHA.match(next_char):
            at += 1  # a "<" of the text
            continue
        take(start)
        end = _construct(markup, start, elements, foreign, texts)
        if end is None:  # the page ends inside a tag, which the browser drops
            break
        at = text_from = end
    for index, chunks in texts.items():
        elements[index] = elements[index]._replace(text="".join(chunks))
    return elements


def _construct(
    markup: str,
    at: int,
    elements: list[Element],
    foreign: list[tuple[str, bool, int]],
    texts: dict[int, list[str]],
) -> int | None:
    """Reads the tag, comment, CDATA section or doctype at ``at`` (a "<"), and tells after it,
    or None when the page ends inside a tag."""
    length = len(markup)
    start, next_char = at, markup[at + 1]
    in_foreign = bool(foreign) and not foreign[-1][1]
    if next_char == "!":
        if markup.startswith("--", at + 2):
            body = at + 4
            if markup.startswith(">", body):
                return body + 1
            if markup.startswith("->", body):
                return body + 2
            found = _COMMENT_END.search(markup, body)
            return found.end() if found else length
        if in_foreign and markup.startswith("[CDATA[", at + 2):
            close = markup.find("]]>", at + 9)
            end = close if close >= 0 else length
            if foreign[-1][2] in texts:
                texts[foreign[-1][2]].append(markup[at + 9 : end])  # a CDATA section's text is as written
            return end + 3 if close >= 0 else length
        # A doctype ends at its first ">", as a bogus comment does.
        close = markup.find(">", at + 2)
        return close + 1 if close >= 0 else length
    if next_char == "?":
        close = markup.find(">", at + 2)
        return close + 1 if close >= 0 else length
    if next_char == "/":
        if at + 2 >= length:
            return length
        if markup[at + 2] == ">":
            return at + 3
        if _ASCII_ALPHA.match(markup, at + 2):
            tag = _tag(markup, at + 2)
            if tag is None:
                return None
            _close(foreign, tag.name)
            return tag.end
        close = markup.find(">", at + 2)
        return close + 1 if close >= 0 else length
    tag = _tag(markup, at + 1)
    if tag is None:
        return None
    at = tag.end
    name = tag.name
    if in_foreign and (name in _BREAKOUT or (name == "font" and {"color", "face", "size"} & tag.attributes.keys())):
        while foreign and not foreign[-1][1]:
            foreign.pop()
        in_foreign = bool(foreign) and not foreign[-1][1]
    if in_foreign or name in ("svg", "math"):
        elements.append(Element(name, tag.attributes, start, at, None, True))
        if not tag.self_closing:
            if name in _FOREIGN_TEXT and in_foreign:
                texts[len(elements) - 1] = []
            foreign.append((name, in_foreign and name in _INTEGRATION_POINTS, len(elements) - 1))
        return at
    if name == "image":
        name = "img"
    if name == "plaintext":
        elements.append(Element(name, tag.attributes, start, length, markup[at:], False))
        return length
    if name == "script" or name in RAWTEXT or name in RCDATA:
        if name == "script":
            close = _script_text_end(markup, at)
        else:
            found = _END[name].search(markup, at)
            close = found.start() if found else length
        text = markup[at:close]
        end = _end_tag_end(markup, close + 2) if close < length else length
        elements.append(Element(name, tag.attributes, start, end, resolve(text) if name in RCDATA else text, False))
        return end
    elements.append(Element(name, tag.attributes, start, at, None, False))
    return at


def _close(foreign: list[tuple[str, bool, int]], name: str) -> None:
    """An end tag closes the innermost open svg or math element of its name, and those inside it."""
    for index in range(len(foreign) - 1, -1, -1):
        if foreign[index][0] == name:
            del foreign[index:]
            return
    if name in ("br", "p") and foreign and not foreign[-1][1]:  # they break out as start tags do
        while foreign and not foreign[-1][1]:
            foreign.pop()
