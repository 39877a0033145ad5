"""How far people watch a drama series: per episode, who started it and who watched it to its end,
from the host player's ``episode_play`` and ``episode_complete`` events.

- *viewers* of an episode: distinct people who started it (an event without a person counts as a
  play, not as a viewer); *plays* counts the openings of the series in which it started (a rewatch
  in another opening too), whatever number of plays an opening reports.
- *completion*: completes / plays, how often a start reached the end (a person's completes count
  once per opening, and up to their plays).
- *reach*: viewers / viewers of episode 1, the share of the audience still there: the curve a
  producer reads to see where people give up (and where the paywall sits).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from openminis.analytics.funnel import ratio
from openminis.analytics.periods import days_asked, period
from openminis.drama import catalog as dramas
from openminis.events.store import EventStore

DEFAULT_DAYS = 30
# A play, or a complete, counts once per opening of the series: its launch (a probe: 500 plays of
# an episode reported in one opening showed as 500; events stored before episode events had to name
# their launch, which the player sent anyway, count one each). A person's completes of an episode
# count up to their plays of it: a start reaches its end once (an attack: one viewer's 1 play and
# 400 completes showed a completion of 400.0).
QUERY = """
SELECT episode, sum(plays), count(user_id) FILTER (WHERE plays > 0), sum(least(completes, plays))
FROM (
    SELECT episode, user_id,
           count(DISTINCT launch_id) FILTER (WHERE type = 'episode_play')
           + count(*) FILTER (WHERE type = 'episode_play' AND launch_id IS NULL) AS plays,
           count(DISTINCT launch_id) FILTER (WHERE type = 'episode_complete')
           + count(*) FILTER (WHERE type = 'episode_complete' AND launch_id IS NULL) AS completes
    FROM events
    WHERE type IN ('episode_play', 'episode_complete') AND app_id = ? AND series_id = ? AND ts >= ? AND ts < ?
    GROUP BY 1, 2
) AS people
GROUP BY 1
"""


@dataclass(frozen=True)
class EpisodeLine:
    number: int
    plays: int
    viewers: int
    completes: int
    completion: float | None  # completes / plays
    reach: float | None  # viewers / viewers of episode 1


@dataclass(frozen=True)
class Watching:
    series_id: str
    title: str
    first: date
    last: date  # included
    free_episodes: int  # the episodes before the paywall
    episodes: list[EpisodeLine]  # every episode of the series, in order


def report(
    session: Session, store: EventStore, *, app_id: str, series_id: str, first: date | None, last: date | None
) -> Watching:
    """The series' episodes over whole UTC days (``last`` by default today, ``first`` making it
    30 days); the series must be the app's."""
    series = dramas.owned_series(session, app_id, series_id)
    numbers = [episode.number for episode in dramas.episodes(session, series_id)]
    first, last = days_asked(first, last, default_days=DEFAULT_DAYS, today=datetime.now(UTC).date())
    start, end = period(first, last)
    counts = {
        int(number): (int(plays), int(viewers), int(completes))
        for number, plays, viewers, completes in store.query(QUERY, [app_id, series_id, start, end])
    }
    audience = counts.get(numbers[0], (0, 0, 0))[1] if numbers else 0
    lines = []
    for number in numbers:
        plays, viewers, completes = counts.get(number, (0, 0, 0))
        lines.append(EpisodeLine(number, plays, viewers, completes, ratio(completes, plays), ratio(viewers, audience)))
    return Watching(
        series_id=series.id,
        title=series.title,
        first=first,
        last=last,
        free_episodes=series.free_episodes,
        episodes=lines,
    )
