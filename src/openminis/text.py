"""Valid text: what may be stored, compared and sent on as text.

Python strings can hold what no database or JSON encoder accepts: lone surrogates (from a
``\\ud800`` escape in JSON, which Python's decoder lets through) and NUL (refused by PostgreSQL's
text columns). Both are refused where input arrives, so they never reach a query as a server error.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache
from typing import Any

from confusable_homoglyphs import confusables

# A JSON escape: a surrogate pair (fine), a lone surrogate or NUL (group 1), or any other escape
# (consumed whole, so an escaped backslash followed by "ud800" is not read as an escape).
_JSON_ESCAPE = re.compile(
    rb"\\(?:u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|u([dD][89a-fA-F][0-9a-fA-F]{2}|0000)|.)", re.S
)


def is_valid(value: str) -> bool:
    """No NUL and no lone surrogate."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def has_hidden_characters(value: str) -> bool:
    """Control, format (bidi overrides, zero-width characters) or surrogate characters: what makes
    a name show other than it reads, or show as nothing."""
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Cs") for ch in value)


# The characters that turn the text after them around: the bidi embeddings, overrides and isolates
# (Trojan Source, CVE-2021-42574). Not the marks, which people writing Arabic or Hebrew type.
REORDERING = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Characters that change how the text around them shows, or where its lines break, without showing
# themselves: those, the bidi marks, and the line and paragraph separators.
LAYOUT_CONTROLS = REORDERING | frozenset("\u061c\u200e\u200f\u2028\u2029")


def has_controls(value: str, *, newlines: bool = False) -> bool:
    """Control characters (C0, DEL, C1) or LAYOUT_CONTROLS: what plain text shown to a person must
    not hold, since they would hide or reorder what it says. ``newlines``: a "\\n" may stay.
    Joiners stay allowed: emoji sequences are made of them."""
    return any(
        (unicodedata.category(ch) == "Cc" and not (newlines and ch == "\n")) or ch in LAYOUT_CONTROLS for ch in value
    )


# The joiners writing needs: ZWNJ in Persian and Indic words, ZWJ in emoji sequences and Indic
# conjuncts; and the variation selectors that pick an emoji's look. Each is allowed only where it does
# that work (a joiner between two non-Latin letters, marks or symbols; a selector after a symbol or a
# keycap's digit): between Latin letters it shows nothing, and "Sky\u200cRunner" reads as "SkyRunner".
JOINERS = frozenset("\u200c\u200d")
# Characters that draw no ink though they are letters or marks: the Hangul fillers, the Braille blank,
# the combining grapheme joiner, Mongolian's free variation selectors, Khmer's inherent vowels, the
# Khitan filler.
BLANK = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f\u180b\u180c\u180d\u180f\u17b4\u17b5\U00016fe4")


def _variation_selector(ch: str) -> bool:
    return 0xFE00 <= ord(ch) <= 0xFE0F or 0xE0100 <= ord(ch) <= 0xE01EF


def _joinable(ch: str) -> bool:
    """What a joiner may stand between: a letter, mark or symbol outside Latin's ASCII, or an emoji's selector."""
    return ord(ch) > 0x7F and unicodedata.category(ch)[0] in "LMS"


def has_invisible(value: str) -> bool:
    """Characters that show as nothing where they stand (zero-width spaces, word joiners, soft
    hyphens, byte order marks, the other format characters; joiners and variation selectors out of
    the places writing and emoji use them; letters and marks that draw no ink): a name holding one
    reads as another name, or as none."""
    for at, ch in enumerate(value):
        before, after = value[at - 1 : at], value[at + 1 : at + 2]
        if ch in JOINERS:
            if not (before and after and _joinable(before) and _joinable(after)):
                return True
        elif _variation_selector(ch):
            if not before or not (unicodedata.category(before) in ("So", "Sk") or before in "#*0123456789"):
                return True
        elif unicodedata.category(ch) == "Cf" or ch in BLANK:
            return True
    return False


def shows_anything(value: str) -> bool:
    """Whether any character of ``value`` draws: one not a space, a format character, a blank letter
    or a variation selector (a suspension's note of one zero-width space said nothing: a probe)."""
    return any(
        not ch.isspace() and unicodedata.category(ch) != "Cf" and ch not in BLANK and not _variation_selector(ch)
        for ch in value
    )


def is_valid_utf8(data: bytes) -> bool:
    """UTF-8 (which excludes encoded surrogates) with no NUL."""
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def is_valid_json_text(body: bytes) -> bool:
    """A JSON document's bytes whose strings all decode to valid text: UTF-8, and no escape that
    decodes to a lone surrogate or NUL. Checked on the bytes, without parsing the document."""
    return is_valid_utf8(body) and not any(match.group(1) for match in _JSON_ESCAPE.finditer(body))


def json_value(raw: str | bytes, *, unique_keys: bool = False) -> Any:
    """``json.loads`` for input: a document nested deeper than the parser can go raises ValueError,
    as one that is not JSON or not UTF-8 does (both ValueErrors already), not RecursionError, which
    no caller expects of input (a manifest of 100,000 ``[`` was a server error). ``unique_keys``:
    a key twice in one object raises ValueError too, where a reader that takes the first and one
    that takes the last (as ``json.loads`` does) must not see two documents."""
    try:
        return json.loads(raw, object_pairs_hook=_unique if unique_keys else None)
    except RecursionError:
        raise ValueError("the JSON is nested too deeply") from None


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise ValueError(f"the key {key!r} appears twice in one object")
        found[key] = value
    return found


def looks_like(name: str) -> str:
    """What a name looks like, to tell one that only looks like another ("Demo" with a Cyrillic o,
    a dotless i or small capitals, "Studio" with a dot above its o, "Dem0", "Derno", "Moon  Works."):
    each letter written as the Latin letter it can be taken for (Unicode's confusables, TR39, and a
    Latin letter's own name: "LATIN LETTER SMALL CAPITAL D" is a d), in one case, without the marks
    on Latin letters, with the look-alikes 0/o, 1/l/i and rn/m made one, and without spaces and
    punctuation. Other scripts keep their marks (a Japanese dakuten, a Devanagari vowel sign), and
    symbols and emoji count: names that differ there differ to the eye. A name of nothing but
    spaces and punctuation is itself, without its spaces. For comparing names only; nothing shows it."""
    seen: list[str] = []
    after_latin = False
    for ch in unicodedata.normalize("NFKD", name):
        kind = unicodedata.category(ch)[0]
        if kind in "PZC":  # punctuation, spaces, and what shows nothing
            after_latin = False
        elif kind == "M":  # a mark: an accent on a Latin letter reads past; others make their letter
            if not after_latin:
                seen.append(ch)
        else:
            letter = _seen_as(ch)
            seen.append(letter)
            after_latin = letter.isascii() and letter.isalpha()
    folded = "".join(seen).translate(_ALIKE).replace("rn", "m")
    return folded or unicodedata.normalize("NFKC", "".join(name.split())).casefold()


# Latin letters and digits that read as one another in many typefaces (TR39's skeleton makes them one).
_ALIKE = str.maketrans({"0": "o", "1": "l", "i": "l", "|": "l"})
_LATIN_NAME = re.compile(
    r"^LATIN (?:SMALL |CAPITAL )?LETTER (?:SMALL CAPITAL |DOTLESS |SCRIPT |TURNED )?([A-Z])(?: |$)"
)


@lru_cache(maxsize=4096)
def _seen_as(ch: str) -> str:
    if ch.isascii():
        return ch.casefold()
    found = confusables.is_confusable(ch, greedy=True, preferred_aliases=["latin"]) or []
    latin = [glyph["c"] for each in found for glyph in each["homoglyphs"] if glyph["c"].isascii()]
    if latin:
        return str(latin[0]).casefold()
    named = _LATIN_NAME.match(unicodedata.name(ch, ""))
    return named.group(1).casefold() if named else ch.casefold()
