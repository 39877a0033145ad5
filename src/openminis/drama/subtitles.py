"""An episode's subtitles: one WebVTT file per language, checked on upload, kept in the object
store beside the episode's media and served through the same signed media URLs.

The check follows the WebVTT spec's parser closely enough that a file the player would drop (or
show wrongly) is refused with the line at fault: the ``WEBVTT`` header, blocks separated by blank
lines, every cue's timing line (``[hh:]mm:ss.ttt --> [hh:]mm:ss.ttt [settings]``) with an end
after its start and cues in order of their start, and at least one cue.
"""

from __future__ import annotations

import re
import secrets
from functools import partial
from typing import NamedTuple

from sqlalchemy.orm import Session

from openminis.drama.catalog import find_episode, owned_series
from openminis.drama.models import Episode
from openminis.errors import InvalidArgument, NotFound
from openminis.storage import ObjectStore
from openminis.unit_of_work import after_commit

MAX_BYTES = 256 * 1024  # a 10-minute episode's dialogue is a few KB; this leaves room for styling
MAX_LANGUAGES = 16
# BCP 47, as far as subtitles need it: a language, then an optional script and region ("zh-Hant-TW").
LANGUAGE = re.compile(r"^([A-Za-z]{2,3})(?:-([A-Za-z]{4}))?(?:-([A-Za-z]{2}|[0-9]{3}))?\Z")
# Hours: two or more digits in the spec; at most six here, where a 5,000-digit hour was a 500
# (Python's limit on converting long digit strings); no episode comes near two digits anyway.
TIMESTAMP = r"(?:(\d{2,6}):)?([0-5]\d):([0-5]\d)\.(\d{3})"
TIMING = re.compile(rf"^{TIMESTAMP}[ \t]+-->[ \t]+{TIMESTAMP}(?:[ \t]+.*)?\Z")
HEADER = re.compile(r"^WEBVTT(?:[ \t].*)?\Z")
BLOCK = re.compile(r"^(NOTE|STYLE|REGION)(?:[ \t]|$)")


class SubtitlesRejected(InvalidArgument):
    code = "SUBTITLES_REJECTED"


def language_tag(raw: str) -> str:
    """The tag in its usual case ("pt-br" -> "pt-BR"), or a refusal naming the expected form."""
    found = LANGUAGE.match(raw)
    if not found:
        raise InvalidArgument(
            f"{raw[:40]!r} is not a language tag; use one like 'en', 'es' or 'pt-BR'", field="language"
        )
    language, script, region = found.groups()
    return "-".join(
        part for part in (language.lower(), script.title() if script else "", region.upper() if region else "") if part
    )


def _milliseconds(hours: str | None, minutes: str, seconds: str, millis: str) -> int:
    return ((int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + int(millis)


class Checked(NamedTuple):
    """A WebVTT file that passed ``check``: its text, and where its last cue starts (ms) and is."""

    text: str
    last_start: int
    last_line: int


def _clock(milliseconds: int) -> str:
    """A time as WebVTT writes it: mm:ss.ttt, with hours (hh:mm:ss.ttt) from an hour on."""
    hours, rest = divmod(milliseconds, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    clock = f"{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"
    return f"{hours:02d}:{clock}" if hours else clock


def check(data: bytes) -> Checked:
    """The file's text (BOM removed, line ends made LF) if it is WebVTT with at least one cue;
    raises SubtitlesRejected naming the first problem otherwise."""
    if len(data) > MAX_BYTES:
        raise SubtitlesRejected(f"subtitles are at most {MAX_BYTES // 1024} KB; this file is {len(data) // 1024} KB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SubtitlesRejected("subtitles are UTF-8 text; this file is not") from None
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if "\0" in text:
        raise SubtitlesRejected("subtitles are text; this file holds a NUL character")
    lines = text.split("\n")
    if not HEADER.match(lines[0]):
        raise SubtitlesRejected("a WebVTT file starts with the line 'WEBVTT'", code="NOT_WEBVTT")
    # The header block runs to the first blank line; then blocks separated by blank lines.
    index = 1
    while index < len(lines) and lines[index].strip():
        if "-->" in lines[index]:
            raise SubtitlesRejected(f"line {index + 1}: a cue needs a blank line after the header")
        index += 1
    cues, last_start, last_line = 0, -1, 0
    while index < len(lines):
        if not lines[index].strip():
            index += 1
            continue
        start_line = index
        block = []
        while index < len(lines) and lines[index].strip():
            block.append(lines[index])
            index += 1
        first = block[0]
        kind = BLOCK.match(first)
        if kind and "-->" not in first:
            if cues and kind.group(1) != "NOTE":
                raise SubtitlesRejected(f"line {start_line + 1}: {kind.group(1)} blocks come before the first cue")
            continue
        # A cue: an optional identifier line, then its timing line, then its text.
        timing_at = 0 if "-->" in first else 1
        if timing_at >= len(block) or "-->" not in block[timing_at]:
            raise SubtitlesRejected(
                f"line {start_line + 1}: a cue needs a timing line such as '00:01.000 --> 00:04.000'"
            )
        timing = TIMING.match(block[timing_at].strip())
        line_number = start_line + timing_at + 1
        if not timing:
            raise SubtitlesRejected(
                f"line {line_number}: {block[timing_at][:60]!r} is not a cue timing ('mm:ss.ttt --> mm:ss.ttt')"
            )
        start, end = _milliseconds(*timing.groups()[:4]), _milliseconds(*timing.groups()[4:8])
        if end <= start:
            raise SubtitlesRejected(f"line {line_number}: the cue ends before it starts")
        if start < last_start:
            raise SubtitlesRejected(f"line {line_number}: cues are in order of their start time")
        if any("-->" in line for line in block[timing_at + 1 :]):
            raise SubtitlesRejected(f"line {line_number}: a cue needs a blank line before the next one")
        last_start, last_line = start, line_number
        cues += 1
    if not cues:
        raise SubtitlesRejected("the file has no cues", code="NO_CUES")
    return Checked(text if text.endswith("\n") else text + "\n", last_start, last_line)


def subtitles_key(episode_id: str, language: str) -> str:
    """A new object key for a language's file: a replacement never overwrites the one being served."""
    return f"media/drama/subtitles/{episode_id}/{language}-{secrets.token_hex(4)}.vtt"


def _episode(session: Session, app_id: str, series_id: str, number: int) -> Episode:
    """The episode, its row held until the unit ends and read afresh under the lock: each upload
    changes the episode's map of languages, and two at once each wrote back the map it had read
    (a probe: of ten languages at once, two to five stayed, and replaced files were never deleted)."""
    series = owned_series(session, app_id, series_id)
    found = find_episode(session, series.id, number)
    if found is not None:
        found = session.get_one(Episode, found.id, with_for_update=True, populate_existing=True)
    if found is None or found.status == "removed":
        raise NotFound(f"no episode {number} in this series; upload its video first")
    return found


def attach(
    session: Session, store: ObjectStore, app_id: str, series_id: str, number: int, language: str, data: bytes
) -> Episode:
    """Check and store ``data`` as episode ``number``'s subtitles in ``language`` (replacing any
    before); the replaced file is deleted once the episode names the new one."""
    tag = language_tag(language)
    text, last_start, last_line = check(data)
    episode = _episode(session, app_id, series_id, number)
    if episode.status == "ready" and last_start >= episode.duration_ms:
        # Its words would never show: subtitles for another cut, or another episode (dev54). An
        # episode being transcoded (a new file too) has no length yet: the player is left to it.
        raise SubtitlesRejected(
            f"line {last_line}: the cue starts at {_clock(last_start)}, after the episode ends at"
            f" {_clock(episode.duration_ms)}: are these subtitles for this episode?"
        )
    current = dict(episode.subtitles or {})
    if tag not in current and len(current) >= MAX_LANGUAGES:
        raise InvalidArgument(f"an episode has subtitles in at most {MAX_LANGUAGES} languages", field="language")
    key = subtitles_key(episode.id, tag)
    store.put_bytes(key, text.encode("utf-8"))
    previous = current.get(tag)
    current[tag] = key
    episode.subtitles = current  # a new dict: SQLAlchemy sees a JSON column change only on assignment
    session.flush()
    if previous:
        after_commit(session, partial(store.delete, previous))
    return episode


def detach(session: Session, store: ObjectStore, app_id: str, series_id: str, number: int, language: str) -> Episode:
    tag = language_tag(language)
    episode = _episode(session, app_id, series_id, number)
    current = dict(episode.subtitles or {})
    previous = current.pop(tag, None)
    if previous is None:
        raise NotFound(f"episode {number} has no subtitles in {tag!r}")
    episode.subtitles = current
    session.flush()
    after_commit(session, partial(store.delete, previous))
    return episode


def served_key(episode: Episode, path: str) -> str | None:
    """The object behind a media path ``subtitles/{language}.vtt``, if the episode has that language."""
    language = path.removeprefix("subtitles/").removesuffix(".vtt")
    return (episode.subtitles or {}).get(language)


def languages(episode: Episode) -> list[str]:
    return sorted(episode.subtitles or {})
