"""What a script loads, read statically: the script's comments, strings, template literals and
regular expressions told apart as JavaScript tells them, then the calls that load a URL given as a
string literal (or a template literal, or a concatenation, beginning with one).

Nothing is evaluated: a URL built at run time is not seen (the app's Content-Security-Policy still
blocks it). What is seen: ``import ... from "..."``, ``export ... from "..."``, ``import "..."``,
``import("...")``, ``importScripts(...)``, ``fetch(...)``, ``new Worker(...)``,
``new SharedWorker(...)``, ``new EventSource(...)``, ``new WebSocket(...)``, ``new Audio(...)``,
``navigator.sendBeacon(...)`` and an XMLHttpRequest's ``open("GET", ...)``, also through
``window.``, ``self.`` or ``globalThis.``, with comments anywhere between their tokens. A regular
expression read the ``/*x*/`` in ``import(/*x*/"https://...")`` as the end of the call.

A ``/`` begins a regular expression where an expression may begin (after an operator, ``(``, ``,``,
a keyword such as ``return``...), and is a division after a name, a number, a literal, ``)`` or
``]``: the way JavaScript's grammar decides it, but for a regular expression after ``}`` (a block
ends there far more often than an object literal is divided).

A game's bundle may be megabytes: a first pass finds the literals, comments and regular
expressions, going from one quote, backtick, slash or brace to the next; the script's tokens are
read only where a name that loads something stands.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterator
from typing import NamedTuple

_NEXT = re.compile(r"[\"'`/{}]")
_STRINGS = {
    '"': re.compile(r'"[^"\\\n\r]*(?:\\(?:\r\n|[\s\S])[^"\\\n\r]*)*"?'),
    "'": re.compile(r"'[^'\\\n\r]*(?:\\(?:\r\n|[\s\S])[^'\\\n\r]*)*'?"),
}
# A template's text up to its end ("`"), a substitution ("${") or the script's end.
_TEMPLATE_TEXT = re.compile(r"[^`\\$]*(?:(?:\\[\s\S]|\$(?!\{))[^`\\$]*)*")
_LINE_COMMENT = re.compile(r"//[^\n\r\u2028\u2029]*")
# A regular expression literal: a "/", then characters, escapes and classes (in which "/" is a
# character), on one line, then "/" and its flags.
_REGEXP = re.compile(
    r"/(?:[^/\\\[\n\r\u2028\u2029]|\\[^\n\r\u2028\u2029]|\[(?:[^\]\\\n\r\u2028\u2029]|\\[^\n\r])*\])+/[\w$]*"
)
_SPACE = re.compile(r"[\s\ufeff]*")
_NAME = re.compile(r"[A-Za-z_$\u0080-\U0010ffff][\w$\u0080-\U0010ffff]*")
_NAME_CHAR = re.compile(r"[\w$\u0080-\U0010ffff]")
_NUMBER = re.compile(r"\.?[0-9](?:[\w.]|[eE][+-])*")
_PUNCTUATOR = re.compile(r"\?\.(?![0-9])|\.\.\.|[=!]==|=>|\+\+|--|&&|\|\||\?\?|.", re.S)
_ESCAPE = re.compile(r"\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|u\{([0-9a-fA-F]{1,6})\}|(\r\n|[\s\S]))")
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
_LOADING_NAMES = re.compile(
    r"(?<![\w$])(?:import|export|fetch|importScripts|Worker|SharedWorker|EventSource|WebSocket|Audio|sendBeacon"
    r"|open|src)(?![\w$])"
)
# Reserved words after which an expression begins (so a "/" begins a regular expression). Words
# that may also be names (await, yield, of, let...) are read as names: a division follows them.
_BEFORE_EXPRESSION = frozenset(
    "return typeof instanceof in new delete void throw case do else extends".split()  # noqa: SIM905
)
# The global objects a loading function may be named through (``window.fetch``, ``self.importScripts``).
_GLOBALS = frozenset({"window", "self", "globalThis", "top", "parent", "frames"})
# What each call loads, by its name: (what it is told as, whether it is a constructor, how many
# of its arguments are URLs, 0 for all).
_CALLS = {
    "fetch": ("fetch", False, 1),
    "importScripts": ("importScripts", False, 0),
    "Worker": ("new Worker", True, 1),
    "SharedWorker": ("new SharedWorker", True, 1),
    "EventSource": ("new EventSource", True, 1),
    "WebSocket": ("new WebSocket", True, 1),
    "Audio": ("new Audio", True, 1),
}
_HTTP_METHODS = frozenset({"GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"})
# How far a call's arguments or an import's bindings are read, in tokens.
_MOST_TOKENS = 2000


class Span(NamedTuple):
    start: int
    end: int
    kind: str  # comment | string | template (from its "`") | rest (a template's, from "}") | regexp


class Token(NamedTuple):
    kind: str  # name | string | template | number | regexp | punctuator
    value: str  # a string's or template's text (up to its first substitution), cooked


class Script:
    """A script's literals, comments and regular expressions, and its tokens where asked."""

    def __init__(self, code: str):
        self.code = code
        self.spans = _spans(code)
        self.starts = [span.start for span in self.spans]
        self.comment_ends = {span.end: span.start for span in self.spans if span.kind == "comment"}

    def in_literal(self, at: int) -> bool:
        """Whether ``at`` is inside a comment, a literal's text or a regular expression."""
        index = bisect.bisect_right(self.starts, at) - 1
        return index >= 0 and self.spans[index].end > at

    def previous(self, at: int) -> int:
        """Where the last character of code before ``at`` is (spaces and comments skipped), or -1."""
        code = self.code
        while True:
            at -= 1
            while at >= 0 and code[at].isspace():
                at -= 1
            if at >= 0 and at + 1 in self.comment_ends:
                at = self.comment_ends[at + 1]
                continue
            return at

    def word_before(self, at: int) -> tuple[str, int]:
        """The name whose last character is at ``at`` and where it starts (``""`` if none ends there)."""
        start = at
        while start >= 0 and _NAME_CHAR.match(self.code, start):
            start -= 1
        return self.code[start + 1 : at + 1], start + 1

    def tokens(self, at: int) -> Iterator[Token]:
        """The script's tokens from ``at`` on (which is in code), comments left out."""
        code = self.code
        length = len(code)
        while at < length:
            at = _SPACE.match(code, at).end()  # type: ignore[union-attr]  # it matches "" at least
            if at >= length:
                return
            index = bisect.bisect_left(self.starts, at)
            span = self.spans[index] if index < len(self.spans) and self.starts[index] == at else None
            if span is not None:
                if span.kind in ("string", "template", "regexp"):
                    yield Token(span.kind, _cooked(code, span))
                at = span.end
                continue
            for kind, pattern in (("name", _NAME), ("number", _NUMBER), ("punctuator", _PUNCTUATOR)):
                found = pattern.match(code, at)
                if found:
                    yield Token(kind, found[0])
                    at = found.end()
                    break


def _spans(code: str) -> list[Span]:
    """The script's comments, string and template literals and regular expressions, in order."""
    spans: list[Span] = []
    comment_ends: dict[int, int] = {}
    regexp_ends: set[int] = set()
    # One entry per open "{": whether it opened a template's substitution (its "}" resumes the template).
    braces: list[bool] = []
    length = len(code)
    at = 0
    while True:
        found = _NEXT.search(code, at)
        if found is None:
            return spans
        at = found.start()
        char = code[at]
        if char in _STRINGS:
            end = _STRINGS[char].match(code, at).end()  # type: ignore[union-attr]  # a quote at least
            spans.append(Span(at, end, "string"))
        elif char == "`" or (char == "}" and braces and braces[-1]):
            if char == "}":
                braces.pop()
            end = _TEMPLATE_TEXT.match(code, at + 1).end()  # type: ignore[union-attr]  # "" at least
            if code.startswith("${", end):
                braces.append(True)
                end += 2
            elif end < length:
                end += 1  # the closing "`"
            spans.append(Span(at, end, "template" if char == "`" else "rest"))
        elif char == "{":
            braces.append(False)
            end = at + 1
        elif char == "}":
            if braces:
                braces.pop()
            end = at + 1
        elif code.startswith("//", at):
            end = _LINE_COMMENT.match(code, at).end()  # type: ignore[union-attr]  # "//" at least
            spans.append(Span(at, end, "comment"))
            comment_ends[end] = at
        elif code.startswith("/*", at):
            close = code.find("*/", at + 2)
            end = length if close < 0 else close + 2
            spans.append(Span(at, end, "comment"))
            comment_ends[end] = at
        else:
            regexp = _REGEXP.match(code, at) if _regexp_may_begin(code, at, comment_ends, regexp_ends) else None
            if regexp:
                end = regexp.end()
                spans.append(Span(at, end, "regexp"))
                regexp_ends.add(end)
            else:
                end = at + 1  # a division
        at = end


def _regexp_may_begin(code: str, at: int, comment_ends: dict[int, int], regexp_ends: set[int]) -> bool:
    """Whether a "/" at ``at`` begins a regular expression, by the code before it."""
    while True:
        at -= 1
        while at >= 0 and code[at].isspace():
            at -= 1
        if at >= 0 and at + 1 in comment_ends:
            at = comment_ends[at + 1]
            continue
        break
    if at < 0:
        return True
    char = code[at]
    if char in ")]\"'`":
        return False
    if char in "+-":
        return not (at > 0 and code[at - 1] == char)  # after a++ or b-- a division
    if char == "/":
        return at + 1 not in regexp_ends
    if _NAME_CHAR.match(char):
        start = at
        while start >= 0 and _NAME_CHAR.match(code, start):
            start -= 1
        return code[start + 1 : at + 1] in _BEFORE_EXPRESSION
    return True  # after an operator, "(", ",", ";", "{", "}"...


def _cooked(code: str, span: Span) -> str:
    """A literal's text, its escapes resolved (a template's up to its first substitution)."""
    if span.kind == "string":
        closed = span.end - span.start >= 2 and code[span.end - 1] == code[span.start]
        return _unescape(code[span.start + 1 : span.end - 1 if closed else span.end])
    if span.kind == "template":
        end = span.end
        if code.startswith("${", end - 2):
            end -= 2
        elif code[end - 1 : end] == "`" and end - 1 > span.start:
            end -= 1
        return _unescape(code[span.start + 1 : end])
    return code[span.start : span.end]


def _unescape(text: str) -> str:
    """A literal's text with its escapes resolved as JavaScript resolves them."""
    if "\\" not in text:
        return text

    def one(found: re.Match[str]) -> str:
        hex2, hex4, code_point, other = found.groups()
        number = hex2 or hex4 or code_point
        if number is not None:
            return chr(min(int(number, 16), 0x10FFFF))
        if other in ("\n", "\r", "\r\n", "\u2028", "\u2029"):
            return ""  # a line continuation
        return _SIMPLE_ESCAPES.get(other, other)

    return _ESCAPE.sub(one, text)


def loads(code: str) -> Iterator[tuple[str, str]]:
    """Each URL the script loads through a literal, with what loads it (``module import``,
    ``fetch``, ``new Worker``...), as written (the text of the literal that begins it): the caller
    tells which are outside the package."""
    script: Script | None = None
    for found in _LOADING_NAMES.finditer(code):
        script = script or Script(code)
        at = found.start()
        if script.in_literal(at):
            continue
        name = found[0]
        before = script.previous(at)
        member = before >= 0 and code[before] == "."
        if name == "import" and not member:
            yield from (("module import", url) for url in _import(script.tokens(found.end())))
        elif name == "export" and not member:
            url = _from_clause(script.tokens(found.end()))
            if url is not None:
                yield "module import", url
        elif name in _CALLS:
            what, constructor, which = _CALLS[name]
            if _called_as_global(script, before, constructor=constructor):
                arguments = _arguments(script.tokens(found.end()))
                for url in arguments[:which] if which else arguments:
                    if url is not None:
                        yield what, url
        elif name == "sendBeacon" and member and script.word_before(script.previous(before))[0] == "navigator":
            url = next(iter(_arguments(script.tokens(found.end()))), None)
            if url is not None:
                yield "sendBeacon", url
        elif name == "src" and member:
            # An element's source set by assignment (a script's, an image's, a frame's): it loads.
            tokens = script.tokens(found.end())
            assigned, value = next(tokens, None), next(tokens, None)
            if assigned == Token("punctuator", "=") and value is not None and value.kind in ("string", "template"):
                yield "src =", value.value
        elif name == "open" and member:
            arguments = _arguments(script.tokens(found.end()))
            if len(arguments) > 1 and (arguments[0] or "").upper() in _HTTP_METHODS and arguments[1] is not None:
                yield "XMLHttpRequest open", arguments[1]


def _import(tokens: Iterator[Token]) -> Iterator[str]:
    """The module an ``import`` loads, from the tokens after it: a call's first argument, a bare
    specifier, or a from clause's."""
    following = next(tokens, None)
    if following is None:
        return
    if following == Token("punctuator", "("):
        url = next(iter(_arguments(tokens, opened=True)), None)
        if url is not None:
            yield url
    elif following.kind in ("string", "template"):
        yield following.value
    else:
        url = _from_clause(tokens, first=following)
        if url is not None:
            yield url


def _from_clause(tokens: Iterator[Token], first: Token | None = None) -> str | None:
    """The specifier of an import's or export's ``from "..."``, from the tokens of its bindings
    (names, ``*``, ``as``, braces and commas), or None."""
    previous: Token | None = None
    for count, token in enumerate(itertools.chain([first] if first else [], tokens)):
        if count > _MOST_TOKENS:
            return None
        if previous is not None and previous == Token("name", "from") and token.kind == "string":
            return token.value
        if token.kind == "name" or (token.kind == "punctuator" and token.value in "{},*"):
            previous = token
            continue
        if token.kind == "string" and previous == Token("name", "as"):
            previous = token
            continue  # import {"a-b" as ab}, export {x as "y"}
        if token.kind == "string" and previous is not None and previous.kind == "punctuator":
            previous = token
            continue  # export {"a-b" as c}
        return None
    return None


def _called_as_global(script: Script, before: int, *, constructor: bool) -> bool:
    """Whether the name after ``before`` (the last character of code before it) is the global
    function (``fetch``, ``window.fetch``; for a constructor, after ``new``) rather than a member
    of another object."""
    code = script.code
    while before >= 0 and code[before] == ".":
        if before > 0 and code[before - 1] == "?":
            before -= 1
        word, start = script.word_before(script.previous(before))
        if word not in _GLOBALS:
            return False
        before = script.previous(start)
    if not constructor:
        return True
    return before >= 0 and script.word_before(before)[0] == "new"


def _arguments(tokens: Iterator[Token], *, opened: bool = False) -> list[str | None]:
    """For a call, from the tokens after its name (after its ``(`` when ``opened``): each
    argument's leading literal text (a string, a template's text up to its first substitution),
    or None for an argument that begins otherwise."""
    if not opened and next(tokens, None) != Token("punctuator", "("):
        return []
    arguments: list[str | None] = []
    depth = 0
    starting = True
    # An argument made as ``new URL("...")`` or ``new Request("...")`` loads the URL it is made of:
    # how far into those tokens the argument is (1: after new, 2: after the name, 3: after its "(").
    made = 0
    for count, token in enumerate(tokens):
        if count > _MOST_TOKENS:
            break
        made = _made_of(made, token, depth)
        if made == 4 and arguments:
            arguments[-1], made = token.value, 0
        if token.kind == "punctuator" and token.value in ("(", "[", "{"):
            if depth == 0 and starting and token.value == "(":  # fetch(("https://..."))
                continue
            depth += 1
        elif token.kind == "punctuator" and token.value in (")", "]", "}"):
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and token == Token("punctuator", ","):
            starting = True
            continue
        if starting:
            arguments.append(token.value if token.kind in ("string", "template") else None)
            made = 1 if token == Token("name", "new") and depth == 0 else 0
            starting = False
    return arguments


def _made_of(made: int, token: Token, depth: int) -> int:
    """The next step of reading ``new URL(`` or ``new Request(`` at an argument's start (see
    ``_arguments``): 4 when ``token`` is the literal it is made of, 0 when it is not that form."""
    if made == 1:
        return 2 if token in (Token("name", "URL"), Token("name", "Request")) else 0
    if made == 2:
        return 3 if token == Token("punctuator", "(") and depth == 0 else 0
    if made == 3:
        return 4 if token.kind in ("string", "template") else 0
    return 0
