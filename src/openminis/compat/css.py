"""What CSS loads, read as a browser reads it: by the tokenizer of CSS Syntax Level 3 (tinycss2),
so escapes (``\\75rl(``, ``@\\69mport``), comments, strings and url tokens are what they are to the
browser. A regular expression read ``/*`` inside a string as a comment's start, and did not see a
url written with an escape.

Loads are ``url(...)`` (a url token, or the url function of a string), ``src("...")``, the strings
of ``image-set()`` and the other image functions (a string there is a URL) and ``@import``. The
prelude of ``@namespace`` names a namespace and loads nothing."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

# tinycss2 has no type information (no py.typed); its tokens are read by their ``type``.
import tinycss2  # type: ignore[import-untyped]

# Functions of one URL, written as a string: url("...") and CSS Values 4's src("...").
_URL_FUNCTIONS = frozenset({"url", "src"})
# Functions whose string arguments are images' URLs (CSS Images 4).
_IMAGE_FUNCTIONS = frozenset({"image-set", "-webkit-image-set", "image", "cross-fade", "-webkit-cross-fade"})
_BLOCKS = frozenset({"() block", "[] block", "{} block"})
_NOTHING = frozenset({"whitespace", "comment"})


def loads(css: str) -> Iterator[tuple[str, str]]:
    """Each URL the stylesheet (or declarations, or a property's value) ``css`` loads, with what
    loads it (``url``, ``@import``, ``image-set``...), as written: the caller tells which are
    outside the package."""
    return _walk(tinycss2.parse_component_value_list(css, skip_comments=True))


def _walk(tokens: Iterable[Any]) -> Iterator[tuple[str, str]]:
    items = [token for token in tokens if token.type not in _NOTHING]
    skipping = False  # in a @namespace prelude, up to its ";" (or a block)
    for index, token in enumerate(items):
        if token is None:
            continue
        kind = token.type
        if skipping:
            if kind in _BLOCKS or (kind == "literal" and token.value == ";"):
                skipping = False
            else:
                continue
        if kind == "at-keyword":
            if token.lower_value == "namespace":
                skipping = True
            elif token.lower_value == "import" and index + 1 < len(items):
                url = _url_of(items[index + 1])
                if url is not None:
                    yield "@import", url
                    items[index + 1] = None  # told: not again as a url
            continue
        if kind == "url":
            yield "url", token.value
        elif kind == "function":
            name = token.lower_name
            if name in _URL_FUNCTIONS:
                url = _url_of(token)
                if url is not None:
                    yield "url", url
                continue
            if name in _IMAGE_FUNCTIONS:
                for argument in token.arguments:
                    if argument.type == "string":
                        yield name.removeprefix("-webkit-"), argument.value
            yield from _walk(token.arguments)
        elif kind in _BLOCKS:
            yield from _walk(token.content)


def _url_of(token: Any) -> str | None:
    """The URL a string, a url token or a url function (of a string) names, else None."""
    if token.type in ("string", "url"):
        return str(token.value)
    if token.type == "function" and token.lower_name in _URL_FUNCTIONS:
        strings = [argument for argument in token.arguments if argument.type not in _NOTHING]
        if strings and strings[0].type == "string":
            return str(strings[0].value)
    return None
