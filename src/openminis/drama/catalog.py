"""Series and episodes: a producer's drama app creates series, uploads episodes, publishes."""

from __future__ import annotations

import secrets
from collections.abc import Collection, Iterable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TypedDict, Unpack

from sqlalchemy import ColumnElement, SQLColumnExpression, exists, func, select
from sqlalchemy.orm import Session, aliased

from openminis.catalog import service as catalog
from openminis.db import share_turns, take_turns, utcnow
from openminis.drama.models import Episode, Series, WatchProgress
from openminis.errors import Conflict, InvalidArgument, NotFound
from openminis.jobs import service as jobs
from openminis.storage import ObjectStore
from openminis.unit_of_work import after_commit

TRANSCODE_JOB = "drama.transcode"
SERIES_FIELDS = {
    "title",
    "synopsis",
    "genres",
    "language",
    "age_rating",
    "free_episodes",
    "episode_price",
    "series_price",
    "ad_unlock",
    "ad_unlocks_per_day",
}


class SeriesFields(TypedDict, total=False):
    """What a producer sets on a series (SERIES_FIELDS, with their types)."""

    title: str
    synopsis: str
    genres: list[str]
    language: str
    age_rating: str
    free_episodes: int
    episode_price: int
    series_price: int | None
    ad_unlock: bool
    ad_unlocks_per_day: int


def _check(fields: SeriesFields) -> None:
    if "title" in fields and not 1 <= len(fields["title"].strip()) <= 120:
        raise InvalidArgument("title is 1-120 characters", field="title")
    for name in ("free_episodes", "ad_unlocks_per_day"):
        if name in fields and not 0 <= fields[name] <= 1000:
            raise InvalidArgument(f"{name} is 0 to 1000", field=name)
    prices = {"episode_price": fields.get("episode_price"), "series_price": fields.get("series_price")}
    for name, coins in prices.items():
        if coins is not None and not 1 <= coins <= 100_000:
            raise InvalidArgument(f"{name} is 1 to 100,000 coins", field=name)


def create_series(session: Session, app_id: str, **fields: Unpack[SeriesFields]) -> Series:
    app = catalog.get_app(session, app_id)
    if app.kind != "drama":
        raise InvalidArgument("series belong to drama apps; register the app with kind 'drama'", field="app_id")
    unknown = set(fields) - SERIES_FIELDS
    if unknown:
        raise InvalidArgument(f"unknown fields: {', '.join(sorted(unknown))}")
    _check(fields)
    series = Series(id="ser_" + secrets.token_hex(8), app_id=app_id, **fields)
    session.add(series)
    session.flush()
    return series


def update_series(session: Session, app_id: str, series_id: str, **fields: Unpack[SeriesFields]) -> Series:
    series = owned_series(session, app_id, series_id)
    _check(fields)
    for name, value in fields.items():
        if name in SERIES_FIELDS:
            setattr(series, name, value)
    session.flush()
    return series


def owned_series(session: Session, app_id: str, series_id: str) -> Series:
    series = session.get(Series, series_id)
    if series is None or series.app_id != app_id:
        raise NotFound(f"no series {series_id!r} in this app")
    return series


def published_series(session: Session, series_id: str) -> Series:
    """A series people may see: published, and its app not taken down (every viewer's path,
    unlocks and playback included, starts here)."""
    series = session.get(Series, series_id)
    if series is None or series.status != "published" or catalog.is_taken_down(session, series.app_id):
        raise NotFound(f"no series {series_id!r}")
    return series


# The turn a drama app's sales share, and a takedown in it (of the app, a series or an episode) takes alone.
SALES = "drama-sales"


def selling_series(session: Session, series_id: str) -> Series:
    """``published_series`` for a sale of it (an episode unlocked with coins or an ad, the whole
    series): from here to the sale's commit a takedown of the series, of one of its episodes or of
    its app waits for it, and one committed before is read (``selling``)."""
    app_id = _app_of(session, series_id)
    if app_id is None:
        raise NotFound(f"no series {series_id!r}")
    selling(session, app_id)
    return published_series(session, series_id)


def selling(session: Session, app_id: str) -> None:
    """A sale in the drama app ``app_id`` (an unlock, a series, a pass) from here to its commit:
    taken before it reads what it sells, so that a takedown in the app waits for the sales under
    way and every sale after the takedown reads it. PostgreSQL: the app's sales' turn, shared with
    the other sales; SQLite's writers take turns already. An unlock read the series as published,
    waited behind the person's other purchases, and was charged after the takedown had committed
    (drama57: 9 of 36); so were unlocks, series and passes after their app's takedown, and passes
    after their series' (attack57b)."""
    share_turns(session, SALES, app_id)


def stopping_sales(session: Session, app_id: str) -> None:
    """A takedown's or a restore's side of ``selling``: it waits for the app's sales in flight."""
    take_turns(session, SALES, app_id)


def _taking_down(session: Session, series_id: str) -> None:
    app_id = _app_of(session, series_id)
    if app_id is not None:
        stopping_sales(session, app_id)


def _app_of(session: Session, series_id: str) -> str | None:
    """The series' app, read as a value (no Series loaded before its sale's turn): fixed for good."""
    return session.scalar(select(Series.app_id).where(Series.id == series_id))


def search_series(session: Session, query: str, *, limit: int = 20) -> list[Series]:
    """Published series whose title or synopsis holds ``query`` (case-insensitive, wildcards
    literal), newest first; a taken-down app's are left out."""
    pattern = "%" + query.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    statement = (
        select(Series)
        .where(
            Series.status == "published",
            func.lower(Series.title).like(pattern, escape="\\")
            | func.lower(Series.synopsis).like(pattern, escape="\\"),
        )
        .order_by(Series.published_at.desc(), Series.created_at.desc())
        .limit(limit)
    )
    found = list(session.scalars(statement))
    down = catalog.taken_down_app_ids(session, {series.app_id for series in found})
    return [series for series in found if series.app_id not in down]


def viewers_since(session: Session, series_ids: Collection[str], since: datetime) -> dict[str, int]:
    """How many people watched each series since ``since`` (series nobody watched are left out)."""
    if not series_ids:
        return {}
    rows = session.execute(
        select(WatchProgress.series_id, func.count())
        .where(WatchProgress.series_id.in_(list(series_ids)), WatchProgress.updated_at >= since)
        .group_by(WatchProgress.series_id)
    ).all()
    return {series_id: count for series_id, count in rows}


def list_series(session: Session, *, app_id: str | None = None, published: bool = True) -> list[Series]:
    statement = select(Series)
    if app_id:
        statement = statement.where(Series.app_id == app_id)
    if published:
        statement = statement.where(Series.status == "published")
    found = list(session.scalars(statement.order_by(Series.published_at.desc(), Series.created_at.desc())))
    if published:
        down = catalog.taken_down_app_ids(session, {series.app_id for series in found})
        found = [series for series in found if series.app_id not in down]
    return found


# Viewers see a series' ready episodes up to the first one that holds its place without ever
# having been ready: being transcoded for the first time, or failed (a new file for a ready episode
# keeps it off the list only while it is transcoded, and a moderator's removal is a gap viewers may
# see). A published series takes its next episode only, but its episode 8 may fail after 9 was
# uploaded: 9 waits for 8 rather than play as the eighth.
_HOLDING = ("uploaded", "processing", "failed")


def _holds_its_place(episode: Episode) -> bool:
    return episode.status in _HOLDING and episode.media_key is None


def _shown(in_order: Iterable[Episode]) -> list[Episode]:
    """Of one series' episodes in order, the ready ones before the first that holds its place."""
    shown = []
    for found in in_order:
        if _holds_its_place(found):
            break
        if found.status == "ready":
            shown.append(found)
    return shown


def _no_hold_before(
    number: SQLColumnExpression[int] | int, series_id: SQLColumnExpression[str] | str
) -> ColumnElement[bool]:
    """No episode before ``number`` of the series holds its place (``_holds_its_place``, in SQL)."""
    earlier = aliased(Episode)
    return ~exists().where(
        earlier.series_id == series_id,
        earlier.number < number,
        earlier.status.in_(_HOLDING),
        earlier.media_key.is_(None),
    )


def episodes(session: Session, series_id: str, *, ready_only: bool = False) -> list[Episode]:
    """The series' episodes in order; ``ready_only``: those viewers see (``_shown``)."""
    found = list(session.scalars(select(Episode).where(Episode.series_id == series_id).order_by(Episode.number)))
    return _shown(found) if ready_only else found


def ready_episodes(session: Session, series_ids: Collection[str]) -> dict[str, list[Episode]]:
    """The episodes viewers see of each of these series, in order, in one query (a list of series)."""
    found: dict[str, list[Episode]] = {series_id: [] for series_id in series_ids}
    if found:
        statement = select(Episode).where(Episode.series_id.in_(found)).order_by(Episode.series_id, Episode.number)
        for episode in session.scalars(statement):
            found[episode.series_id].append(episode)
    return {series_id: _shown(in_order) for series_id, in_order in found.items()}


def episode(session: Session, series_id: str, number: int) -> Episode:
    """Episode ``number`` as viewers see it: ready, with no episode before it holding its place."""
    found = session.scalar(
        select(Episode).where(
            Episode.series_id == series_id,
            Episode.number == number,
            Episode.status == "ready",
            _no_hold_before(number, series_id),
        )
    )
    if found is None:
        raise NotFound(f"no episode {number} in this series")
    return found


def get_episode(session: Session, episode_id: str) -> Episode:
    """An episode by its id, whatever its state (an upload's progress)."""
    return session.get_one(Episode, episode_id)


def accept_upload(
    session: Session, media: ObjectStore, app_id: str, series_id: str, number: int, *, title: str, source: Path
) -> Episode:
    """Take an uploaded file for episode ``number`` (put in the object store under
    ``media/drama/uploads/``, where any node's job worker finds it) and queue its transcoding.
    A new upload of an episode with media replaces the media only once the new file is ready; the
    episode is processing (not served) meanwhile, and ready with its media again if the new file
    is refused (drama/pipeline.py)."""
    series = owned_series(session, app_id, series_id)
    if not 1 <= number <= 10_000:
        raise InvalidArgument("episode numbers are 1 to 10,000", field="number")
    # Uploads of one episode take turns: two at once each found no row (or a ready one), and both
    # inserted it (a 500 on the unique number) or both queued a transcode (a probe).
    take_turns(session, "episode-upload", series.id, str(number))
    found = session.scalar(select(Episode).where(Episode.series_id == series.id, Episode.number == number))
    if found is None:
        _refuse_a_gap_before(session, series, number)
        found = Episode(id="ep_" + secrets.token_hex(8), series_id=series.id, number=number)
        session.add(found)
    elif found.status == "processing":
        raise Conflict(f"episode {number} is still being processed", code="EPISODE_PROCESSING")
    elif found.status == "removed":
        # A new file would be published over the takedown once transcoded; an appeal is the way back.
        raise Conflict(f"episode {number} was taken down by the platform", code="TAKEN_DOWN")
    found.title = title[:120] if title else f"Episode {number}"
    found.status, found.progress, found.error, found.updated_at = "processing", 0, None, utcnow()
    session.flush()  # a refused row refuses the upload before its file is moved in
    upload = f"{found.id}-{secrets.token_hex(4)}{source.suffix.lower()}"
    media.put_file(upload_key(upload), source)
    try:
        jobs.enqueue(
            session,
            TRANSCODE_JOB,
            {"episode_id": found.id, "upload": upload},
            unique_key=f"transcode:{upload}",
        )
        session.flush()
    except BaseException:
        media.delete(upload_key(upload))  # no job will ever take it
        raise
    return found


def _refuse_a_gap_before(session: Session, series: Series, number: int) -> None:
    """A published series takes its next episode, not one further on: episode 12 of a series of
    four was shown at once as its fifth (a probe, dev54). A draft takes any number; it is not
    published with numbers missing (``publish``). A series a moderator took down is still
    published to its viewers once put back (attack56: episode 12, uploaded meanwhile, was then
    shown and sold as the sixth)."""
    if series.status not in ("published", "removed"):
        return
    # A failed episode holds no place: counted, it let episode 9 in after a failed 8 (attack55b).
    # One being transcoded does, so that a script uploading in order is not refused.
    standing = select(func.max(Episode.number)).where(Episode.series_id == series.id, Episode.status != "failed")
    last = session.scalar(standing) or 0
    if number > last + 1:
        missing = f"episode {last + 1}" if number == last + 2 else f"episodes {last + 1} to {number - 1}"
        raise Conflict(
            f"this published series ends at episode {last}: upload {missing} first, so that viewers go in order",
            code="EPISODE_GAP",
            field="number",
        )


def delete_failed_episode(session: Session, media: ObjectStore, app_id: str, series_id: str, number: int) -> None:
    """Delete an episode whose file was refused: it stayed in the series and its reports for good
    (a probe, dev54). Only such an episode: one ready, or being transcoded, people may watch or
    have paid for (a new file replaces a ready one's media)."""
    series = owned_series(session, app_id, series_id)
    take_turns(session, "episode-upload", series.id, str(number))  # after an upload of it under way
    found = session.scalar(select(Episode).where(Episode.series_id == series.id, Episode.number == number))
    if found is None:
        raise NotFound(f"series {series_id!r} has no episode {number}")
    if found.status != "failed" or found.media_key is not None:
        raise Conflict(
            f"episode {number} is {found.status}: only an episode whose file was refused is deleted"
            " (upload a new file to replace a ready one's)",
            code="EPISODE_STATE",
        )
    later = select(func.min(Episode.number)).where(Episode.series_id == series.id, Episode.number > number)
    after = session.scalar(later) if series.status in ("published", "removed") else None
    if after is not None:
        # Deleted, it would leave a gap viewers see (attack55b: episode 9 shown as the eighth).
        raise Conflict(
            f"episode {after} comes after it in this published series: upload a new file for episode {number}",
            code="EPISODE_GAP",
        )
    kept = list((found.subtitles or {}).values())
    session.delete(found)
    session.flush()
    for key in kept:
        after_commit(session, partial(media.delete, key))


def upload_key(upload: str) -> str:
    """Where an uploaded episode waits for its transcode, in the object store."""
    return f"media/drama/uploads/{upload}"


def media_folder(media_key: str) -> str:
    """Where a transcoded episode's renditions, playlists, poster and thumbnails are."""
    return f"media/drama/{media_key}"


def publish(session: Session, app_id: str, series_id: str) -> Series:
    """Put a draft series before viewers, with its ready episodes. Refused while an episode whose
    file failed comes before a ready one: viewers would go from episode 1 to 3 (a probe saw such a
    series published). A failed episode at the end is left out, as one still being transcoded is."""
    series = owned_series(session, app_id, series_id)
    states = session.execute(
        select(Episode.number, Episode.status, Episode.error).where(Episode.series_id == series.id)
    ).all()
    ready = [number for number, status, _ in states if status == "ready"]
    if not ready:
        raise Conflict("a series needs at least one ready episode to be published", code="NOTHING_READY")
    if series.status == "removed":
        raise Conflict("the platform took this series down; it cannot be published again", code="TAKEN_DOWN")
    if series.status == "published":
        return series
    last = max(ready)
    waiting = sorted(number for number, status, _ in states if status in ("uploaded", "processing") and number < last)
    if waiting:
        # Published meanwhile, the series would skip the episode if its file then failed (attack54b).
        listed = ", ".join(f"episode {number}" for number in waiting)
        raise Conflict(
            f"{listed}, before the last ready one, still being transcoded: publish once ready",
            code="EPISODE_PROCESSING",
        )
    missing = sorted(set(range(1, last)) - {number for number, _, _ in states})
    if missing:
        listed = ", ".join(str(number) for number in missing[:20]) + (", ..." if len(missing) > 20 else "")
        raise Conflict(
            f"viewers would skip episodes that were never uploaded (episode {listed}); upload them, then publish",
            code="EPISODES_MISSING",
        )
    gaps = sorted((number, error) for number, status, error in states if status == "failed" and number < last)
    if gaps:
        said = "; ".join(f"episode {number}: {(error or 'its file was refused')[:160]}" for number, error in gaps)
        raise Conflict(
            f"viewers would skip failed episodes between ready ones ({said}); upload them again, then publish",
            code="EPISODES_FAILED",
        )
    series.status, series.published_at = "published", utcnow()
    return series


def has_episode(session: Session, series_id: str, number: int, *, ready_only: bool = False) -> bool:
    """Whether the series has episode ``number`` (at any stage, or only once ready)."""
    statement = select(Episode.id).where(Episode.series_id == series_id, Episode.number == number)
    if ready_only:
        statement = statement.where(Episode.status == "ready", _no_hold_before(number, series_id))
    else:
        statement = statement.where(Episode.status != "removed")  # taken down: gone for links too
    return session.scalar(statement) is not None


def series_by_id(session: Session, series_ids: Collection[str]) -> dict[str, Series]:
    """The series with these ids (whatever their status), by id, in one query."""
    if not series_ids:
        return {}
    return {series.id: series for series in session.scalars(select(Series).where(Series.id.in_(set(series_ids))))}


# Moderation: a moderator takes a series or an episode down (moderation/ calls these) ------------


def set_series_removed(session: Session, series_id: str, removed: bool) -> dict[str, object]:
    """Take a published series down ("removed") or put it back ("published"); returns its status
    before. Every viewer's path reads only published series (published_series, list_series)."""
    _taking_down(session, series_id)
    series = session.get(Series, series_id)
    if series is None:
        raise NotFound(f"no series {series_id!r}")
    before: dict[str, object] = {"status": series.status}
    if removed and series.status == "draft":
        raise Conflict(f"series {series_id!r} is not published", code="NOT_PUBLISHED")
    if series.status in ("published", "removed"):
        series.status = "removed" if removed else "published"
    session.flush()
    return before


def find_episode(session: Session, series_id: str, number: int) -> Episode | None:
    """Episode ``number`` of a series, whatever its state."""
    return session.scalar(select(Episode).where(Episode.series_id == series_id, Episode.number == number))


def set_episode_removed(session: Session, series_id: str, number: int, removed: bool) -> dict[str, object]:
    """Take a ready episode down ("removed") or put it back ("ready"); returns its status before."""
    _taking_down(session, series_id)
    found = find_episode(session, series_id, number)
    if found is None:
        raise NotFound(f"no episode {number} in series {series_id!r}")
    before: dict[str, object] = {"status": found.status}
    if removed and found.status not in ("ready", "removed"):
        raise Conflict(f"episode {number} is not published (it is {found.status})", code="NOT_PUBLISHED")
    if found.status in ("ready", "removed"):
        found.status = "removed" if removed else "ready"
    session.flush()
    return before


def find_series(session: Session, series_id: str) -> Series | None:
    return session.get(Series, series_id)


def playable(session: Session, episode: Episode) -> bool:
    """Whether an episode's media may be served: ready, in a published series of an app that is
    not taken down (the media route asks at every request, so a takedown holds at once)."""
    if episode.status != "ready":
        return False
    # The series and whether an episode before this one holds its place, in one query: the media
    # route asks for every file it serves.
    found = session.execute(
        select(Series.status, Series.app_id, _no_hold_before(episode.number, episode.series_id)).where(
            Series.id == episode.series_id
        )
    ).first()
    if found is None:
        return False
    status, app_id, in_order = found
    return status == "published" and bool(in_order) and not catalog.is_taken_down(session, app_id)


def covers(session: Session, base_url: str, series_ids: Collection[str]) -> dict[str, str]:
    """Each series' cover: the poster of its first ready episode, in one query (a series with no
    ready episode has none)."""
    if not series_ids:
        return {}
    ready = (
        select(Episode.series_id, Episode.id, Episode.media_key)
        .where(
            Episode.series_id.in_(set(series_ids)),
            Episode.status == "ready",
            _no_hold_before(Episode.number, Episode.series_id),
        )
        .order_by(Episode.number)
    )
    found: dict[str, str] = {}
    for series_id, episode_id, media_key in session.execute(ready):
        found.setdefault(series_id, f"{base_url}/media/drama/{episode_id}/{media_key}/poster.jpg?cover=1")
    return found
