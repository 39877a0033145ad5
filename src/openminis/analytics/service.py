"""Ingesting events: each one checked on its own, the good ones kept even when others are bad."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import ValidationError

from openminis.analytics.schemas import EventIn, IngestOut, Rejection
from openminis.errors import InvalidArgument
from openminis.events.store import COLUMNS, EventStore
from openminis.runtime.service import LAUNCH_SOURCES, LaunchSeen

# Clients batch and retry, so events arrive late; a clock far ahead of ours is wrong, though.
MAX_AGE = timedelta(days=7)
MAX_SKEW = timedelta(minutes=10)
# gameplay: a stretch between minis.gameplayStart() and gameplayStop(), its play time in duration_ms.
NEEDS_POST = {"play", "complete"}
NEEDS_EPISODE = {"episode_play", "episode_complete"}
# An episode's events name the launch the host recorded when it opened the series: the episodes
# report counts a play, and a complete, once per opening (a probe's guest that never opened the
# series sent 500 plays of an episode, and the report showed them).
NEEDS_LAUNCH = {"launch", "resume", "ready", "session_end", "gameplay", *NEEDS_EPISODE}
ROW_COLUMNS = (*COLUMNS, "post_id", "creator_id", "series_id", "episode")
# A kept event as stored, its values in the order of ROW_COLUMNS.
Row = tuple[
    str, str, str | None, str | None, str | None, datetime, datetime, int | None, int | None, bool | None,
    str | None, str | None, str | None, int | None,
]  # fmt: skip
# The launch scenes (runtime's list): an event's source is the scene its launch came from.
SOURCES = set(LAUNCH_SOURCES)


@dataclass(frozen=True)
class Witness:
    """What the platform itself saw, that a person's events are checked against: only traffic that
    happened is counted. ``launch(id)``: the person's launch with that id, as recorded when the
    host opened the app (its app, time, source, post and creator), or None; ``may_watch(app_id, series_id, episode)``:
    whether the person may watch that episode (free or unlocked)."""

    app_exists: Callable[[str], bool]
    launch: Callable[[str], LaunchSeen | None]
    may_watch: Callable[[str, str, int], bool]


def launch_ids(raw_events: object) -> set[str]:
    """The launch ids a batch names, to look them up at once before it is checked."""
    if not isinstance(raw_events, list):
        return set()
    return {
        raw["launch_id"]
        for raw in raw_events
        if isinstance(raw, dict) and isinstance(raw.get("launch_id"), str) and len(raw["launch_id"]) <= 64
    }


def ingest(
    store: EventStore,
    raw_events: object,
    *,
    user_id: str | None,
    witness: Witness,
    max_batch: int,
    now: datetime | None = None,
    within_app_rate: Callable[[str, int], bool] | None = None,
) -> IngestOut:
    """Keep the good events of a batch. ``within_app_rate(app_id, count)`` counts an app's events
    against its rate: when it says no, that app's events of the batch are rejected (the others kept).
    A ``launch`` event is kept at the time the platform recorded its launch, whatever time it says."""
    if not isinstance(raw_events, list):
        raise InvalidArgument("events must be a list", field="events")
    if len(raw_events) > max_batch:
        raise InvalidArgument(f"at most {max_batch} events per batch", field="events")
    now = now or datetime.now(UTC)
    rows: list[Row] = []
    indexes: list[int] = []
    rejected: list[Rejection] = []
    for index, raw in enumerate(raw_events):
        reason = None
        try:
            event = EventIn.model_validate(raw)
            reason = _problem(event, now, witness)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(part) for part in first["loc"]) or "event"
            reason = f"{field}: {first['msg']}"
        if reason:
            rejected.append(Rejection(index=index, reason=reason))
            continue
        ts = datetime.fromtimestamp(event.ts / 1000, UTC)
        source, post_id, creator_id = event.source, event.post_id, event.creator_id
        # An event of a launch says where the launch came from as the platform recorded it, whatever it
        # says (an attack: one recorded feed launch reported as 100 launches from a made-up creator's
        # post); a launch event is kept at the time recorded.
        if event.type in NEEDS_LAUNCH and event.launch_id and (seen := witness.launch(event.launch_id)):
            source, post_id, creator_id = seen.source, seen.post_id, seen.creator_id
            ts = seen.at if event.type == "launch" else ts
        rows.append(
            (
                event.type,
                event.app_id,
                user_id,
                event.launch_id,
                source,
                ts,
                now,
                event.load_ms,
                event.duration_ms,
                event.prewarmed,
                post_id,
                creator_id,
                event.series_id,
                event.episode,
            )
        )
        indexes.append(index)
    if within_app_rate is not None and rows:
        counts = Counter(row[1] for row in rows)
        over = {app_id for app_id, count in counts.items() if not within_app_rate(app_id, count)}
        if over:
            rejected += [
                Rejection(index=i, reason="app_id: too many events for this app; retry later")
                for i, row in zip(indexes, rows, strict=True)
                if row[1] in over
            ]
            rejected.sort(key=lambda rejection: rejection.index)
            rows = [row for row in rows if row[1] not in over]
    store.append(rows, ROW_COLUMNS)
    return IngestOut(accepted=len(rows), rejected=rejected)


def _problem(event: EventIn, now: datetime, witness: Witness) -> str | None:
    try:
        ts = datetime.fromtimestamp(event.ts / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return "ts: not a time in milliseconds since the epoch"
    if ts < now - MAX_AGE:
        return "ts: older than 7 days"
    if ts > now + MAX_SKEW:
        return "ts: in the future"
    if event.source is not None and event.source not in SOURCES:
        return f"source: must be one of {', '.join(sorted(SOURCES))}"
    if event.type in NEEDS_LAUNCH and event.launch_id is None:
        return f"launch_id: required for {event.type} events"
    if event.type in NEEDS_POST and event.post_id is None:
        return f"post_id: required for {event.type} events"
    if event.type in NEEDS_EPISODE and (event.series_id is None or event.episode is None):
        return f"series_id and episode: required for {event.type} events"
    if event.type == "ready" and event.load_ms is None:
        return "load_ms: required for ready events"
    if event.type in ("session_end", "gameplay") and event.duration_ms is None:
        return f"duration_ms: required for {event.type} events"
    if not witness.app_exists(event.app_id):
        return f"app_id: no app {event.app_id!r}"
    return _unwitnessed(event, ts, witness)


def _unwitnessed(event: EventIn, ts: datetime, witness: Witness) -> str | None:
    """Why the platform cannot vouch for the event, or None. A probe's scripted guests, who never
    opened an app, reported launches of it under made-up launch ids, dated up to a week back (the
    activity report then showed them as people who had come back), and plays of paywalled episodes
    they had not unlocked (the episodes report's reach)."""
    if event.type in NEEDS_LAUNCH and event.launch_id is not None:
        seen = witness.launch(event.launch_id)
        if seen is None or seen.app_id != event.app_id:
            return "launch_id: no launch of this app by this person"
        if event.type != "launch" and ts < seen.at - MAX_SKEW:
            return "ts: before its launch"
    series_id, number = (event.series_id, event.episode) if event.type in NEEDS_EPISODE else (None, None)
    if series_id is not None and number is not None and not witness.may_watch(event.app_id, series_id, number):
        return "episode: not an episode of this app this person may watch"
    return None
