"""The ranked feed's order: every published app and every ready post, scored from the events
already collected, in snapshots that give each person one stable order to page through.

A person's feed never ends (``RankingSnapshot.person_slots``): first what they have not been
shown yet, in ranked order; then a "caught up" marker; then everything again, what they had
seen before first, in ranked order, round after round. No item repeats before the marker, nor
within one round after it.

A snapshot holds, per kind (apps, posts), the items sorted by id and their person-independent
score parts as NumPy arrays. A person's order adds their category affinity (one small DuckDB
query, cached per snapshot) by category index; since that adds one constant per category, a page
needs only the best few of each category, presorted, so ranking 100,000 posts for a page costs
a fraction of a millisecond. Scores tie-break by id: the order is total, hence the same for the
same snapshot and person.

Every part but freshness is squashed the same way, ``lift / (1 + lift)`` where the lift is the
item's rate over the average: 0.5 is average, a new item starts there, and no part can run away
with the sum. The weights below are what a person sees of that sum.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import math
import threading
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

from openminis import changes
from openminis.catalog import service as catalog
from openminis.creators import service as creators
from openminis.db import utcnow
from openminis.events.store import EventStore, ResultRow
from openminis.feed.served import LIKED, SERVED, ServedItems

# Freshness halves every two days: a post's audience is mostly in its first days, and two days
# keeps yesterday's hit above this morning's unknown without burying last week entirely.
HALF_LIFE = timedelta(days=2)
W_FRESH = 1.0
# Clicks are the strongest signal we collect that an item was wanted.
W_CTR = 1.0
# Watched to the end (posts) or loaded to ready (apps): weaker, since it also measures length
# and load time, not only interest.
W_COMPLETION = 0.5
# A like is a stronger statement than a click but far rarer, and only signed-in people can give
# one (creators/audience.py): half a click's weight, as a rate of likes over exposures.
W_LIKE = 0.5
# What this person chooses is worth up to about a day and a half of freshness: a devoted puzzle
# player's two-day-old puzzle beats today's racing game, a week-old one does not.
W_AFFINITY = 1.0
# Beta priors worth 20 exposures (or launches) at the kind's average rate: an item needs a few
# dozen showings before its own rate moves it far, and a new one starts at the average, not 0 or 1.
PRIOR_STRENGTH = 20.0
# A person's history is pulled toward "likes everything equally" by 5 pseudo-clicks, so that one
# stray click does not turn the feed into one category.
AFFINITY_PRIOR = 5.0
# Exploration: a UCB-style bonus c * sqrt(ln(N + 1) / (n + 1)) for an item shown n times out of
# the kind's N exposures, capped so that an unseen item gets traffic without outranking a fresh
# item that people demonstrably like.
EXPLORE_C = 0.1
EXPLORE_CAP = 0.3
# Every fourth slot is a mini-program card (while both kinds last): posts are the feed's fabric,
# cards the thing to play, and a fixed rhythm keeps either from crowding the other out.
APP_EVERY = 4
# How long a snapshot serves new feed sessions, and how many stay to serve cursor chains that
# began in them (at least KEPT * TTL of scrolling).
TTL = timedelta(seconds=60)
KEPT = 4
# Affinities cached per (snapshot, person), most recent first.
AFFINITY_CACHE = 10_000
# Past this many candidates (page depth times categories) a page scores the whole kind instead.
HEADS_MAX = 4096
# Far above float64 rounding of scores of a few units, far below any difference that means something.
TIE_TOLERANCE = 1e-9

KINDS = ("app", "post")
# Each signal counts a person at most once per item per UTC day (the day by epoch seconds of when
# the server received it, so neither a client's clock nor the database's time zone moves it): a
# thousand exposures from one person, or a retried batch, weigh what one does. Events without a
# person (from before sessions were required) count for nothing. One DISTINCT over (item, type,
# person, day), then plain counts: a single hash aggregation on both stores, where five
# count(DISTINCT) would each sort.
#
# And a signal counts only where the feed served that item to that person that day or the day
# before (feed/served.py): a script can post any event a browser can, but it cannot make the
# server have shown a person a card. The day before, so that a card served just before midnight
# and watched just after still counts.
SIGNAL_WINDOW_SECONDS = 86_400
DAY = f"floor(extract(epoch FROM received_at) / {SIGNAL_WINDOW_SECONDS})"
ENGAGEMENT = f"""
WITH person_days AS (
    SELECT DISTINCT post_id IS NOT NULL AS is_post, coalesce(post_id, app_id) AS item, type, user_id, {DAY} AS day
    FROM events
    WHERE type IN ('exposure', 'click', 'complete', 'launch', 'ready') AND received_at <= ? AND user_id IS NOT NULL
), served_days AS (
    -- The days a signal may count on: the day an item was served to the person, and the next.
    SELECT DISTINCT
        post_id IS NOT NULL AS is_post, coalesce(post_id, app_id) AS item, user_id, {DAY} + shift.days AS day
    FROM events CROSS JOIN (VALUES (0), (1)) AS shift(days)
    WHERE type = '{SERVED}' AND received_at <= ? AND user_id IS NOT NULL
)
SELECT is_post, item,
       count(*) FILTER (WHERE type = 'exposure'),
       count(*) FILTER (WHERE type = 'click'),
       count(*) FILTER (WHERE type = 'complete'),
       count(*) FILTER (WHERE type = 'launch'),
       count(*) FILTER (WHERE type = 'ready')
FROM person_days
WHERE (is_post, item, user_id, day) IN (SELECT is_post, item, user_id, day FROM served_days)
GROUP BY 1, 2
"""
# Who liked which post where the feed had served it to them before, that day or the day before (a like
# recorded as an event, feed/served.py): a like counts in the ranking only if it is one of these
# and the person still likes the post (creators' post_likes), so a like taken back counts no more.
LIKED_WHEN_SERVED = f"""
SELECT DISTINCT liked.post_id, liked.user_id
FROM events AS liked
WHERE liked.type = '{LIKED}' AND liked.received_at <= ? AND liked.user_id IS NOT NULL AND liked.post_id IS NOT NULL
  AND EXISTS (
    SELECT 1 FROM events AS served
    WHERE served.type = '{SERVED}' AND served.received_at <= ?
      AND served.post_id = liked.post_id AND served.user_id = liked.user_id
      AND served.received_at <= liked.received_at
      AND floor(extract(epoch FROM served.received_at) / {SIGNAL_WINDOW_SECONDS})
          IN (floor(extract(epoch FROM liked.received_at) / {SIGNAL_WINDOW_SECONDS}),
              floor(extract(epoch FROM liked.received_at) / {SIGNAL_WINDOW_SECONDS}) - 1)
  )
"""
# Launches and clicks are what a person chose; an exposure is what we chose for them. Once per
# item per day here too: the same game launched fifty times today is one day's choice.
HISTORY = f"""
SELECT post_id IS NOT NULL, coalesce(post_id, app_id), count(DISTINCT {DAY})
FROM events
WHERE user_id = ? AND type IN ('click', 'launch') AND received_at <= ?
GROUP BY 1, 2
"""
# What the person has been shown (the feed records an exposure when an item is on screen).
SEEN = """
SELECT DISTINCT post_id IS NOT NULL, coalesce(post_id, app_id)
FROM events
WHERE user_id = ? AND type = 'exposure' AND received_at <= ?
"""
# Seen sets cached per (person, cutoff).
SEEN_CACHE = 10_000


@dataclass(frozen=True)
class Ranked:
    """One kind's items, sorted by id, with their person-independent score parts (weighted), so
    that ``freshness + ctr + completion + like + exploration == base`` for every index."""

    kind: str
    ids: list[str]
    category: np.ndarray  # index into the snapshot's categories
    exposures: np.ndarray
    clicks: np.ndarray
    completions: np.ndarray
    freshness: np.ndarray
    ctr: np.ndarray
    completion: np.ndarray
    like: np.ndarray
    exploration: np.ndarray
    base: np.ndarray
    # The indexes by category, best base score first (then by id), category c at order[bounds[c]:
    # bounds[c + 1]], and their base scores negated (ascending, for searchsorted).
    order: np.ndarray
    bounds: np.ndarray
    sorted_negative_base: np.ndarray

    @property
    def size(self) -> int:
        return len(self.ids)

    def index(self, item_id: str) -> int | None:
        at = bisect.bisect_left(self.ids, item_id)
        return at if at < len(self.ids) and self.ids[at] == item_id else None

    def top(self, affinity: np.ndarray, k: int) -> np.ndarray:
        """Indexes of the k best items for a person (score = base + affinity of the category), best
        first, ties by id.

        A person's affinity adds one constant per category, which leaves each category's order as
        it is: the k best overall are among the k best of each category. So only those, a few
        dozen items for a page, are scored and sorted, not the whole kind.
        """
        k = min(k, self.size)
        if k <= 0:
            return np.empty(0, dtype=np.int64)
        if k * (len(self.bounds) - 1) > HEADS_MAX:
            return self._top_of_all(affinity, k)
        heads = []
        for c in range(len(self.bounds) - 1):
            start, stop = int(self.bounds[c]), int(self.bounds[c + 1])
            end = min(stop, start + k)
            if end < stop:
                # Also every item within rounding of the k-th's base score: adding the affinity may
                # round them to equal scores, which the id then orders.
                within = self.sorted_negative_base[end - 1] + TIE_TOLERANCE
                end = start + int(np.searchsorted(self.sorted_negative_base[start:stop], within, side="right"))
            heads.append(self.order[start:end])
        candidates = np.concatenate(heads)
        scores = self.base[candidates] + affinity[self.category[candidates]]
        return candidates[np.lexsort((candidates, -scores))[:k]]

    def _top_of_all(self, affinity: np.ndarray, k: int) -> np.ndarray:
        """The same, for a page deep enough that scoring everything is cheaper (a few milliseconds)."""
        scores = self.base + affinity[self.category]
        if k < self.size:
            # Everything at least as good as the k-th score, ties included; then a total order on those.
            candidates = np.flatnonzero(scores >= np.partition(scores, self.size - k)[self.size - k])
        else:
            candidates = np.arange(self.size)
        return candidates[np.lexsort((candidates, -scores[candidates]))[:k]]


@dataclass(frozen=True)
class Explained:
    """One slot of a person's feed with the parts of its score; the parts sum to ``total``."""

    position: int
    id: str  # "app:{app_id}" or "post:{post_id}"
    kind: str
    category: str
    exposures: int
    clicks: int
    completions: int
    # The weighted parts of the score.
    freshness: float
    ctr: float
    completion: float
    like: float
    affinity: float
    exploration: float
    total: float


@dataclass(frozen=True)
class RankingSnapshot:
    id: str
    built_at: datetime
    categories: tuple[str, ...]
    apps: Ranked
    posts: Ranked

    @property
    def size(self) -> int:
        return self.apps.size + self.posts.size

    def _apps_before(self, position: int) -> int:
        """How many of the first ``position`` slots are app cards: every APP_EVERY-th, until one
        kind runs out and the other fills the rest."""
        return _apps_among(self.apps.size, self.posts.size, position)

    def slots(self, affinity: np.ndarray, start: int, stop: int) -> list[tuple[Ranked, int]]:
        """Positions [start, stop) of a person's feed, as (kind's items, index) pairs."""
        stop = min(stop, self.size)
        start = min(start, stop)
        apps_from, apps_to = self._apps_before(start), self._apps_before(stop)
        apps = iter(self.apps.top(affinity, apps_to)[apps_from:].tolist())
        posts = iter(self.posts.top(affinity, stop - apps_to)[start - apps_from :].tolist())
        return [
            (self.apps, next(apps))
            if self._apps_before(position + 1) > self._apps_before(position)
            else (self.posts, next(posts))
            for position in range(start, stop)
        ]

    def person_slots(self, affinity: np.ndarray, seen: Seen, start: int, stop: int) -> list[Slot]:
        """Positions [start, stop) of a person's endless feed: the items not in ``seen`` (in the
        feed's order), then CAUGHT_UP, then every item, round after round, ``seen`` ones first."""
        if self.size == 0:
            return []
        fresh_apps, fresh_posts = self.apps.size - len(seen.apps), self.posts.size - len(seen.posts)
        fresh = fresh_apps + fresh_posts
        result: list[Slot] = []
        position = start
        while position < stop:
            if position < fresh:
                end = min(stop, fresh)
                result += _interleave(
                    fresh_apps,
                    fresh_posts,
                    position,
                    end,
                    lambda a, b: _unseen(self.apps, affinity, seen.apps, a, b),
                    lambda a, b: _unseen(self.posts, affinity, seen.posts, a, b),
                )
            elif position == fresh:
                end = position + 1
                result.append(CAUGHT_UP)
            else:
                offset = (position - fresh - 1) % self.size
                end = min(stop, position + self.size - offset)
                result += _interleave(
                    self.apps.size,
                    self.posts.size,
                    offset,
                    offset + end - position,
                    lambda a, b: _seen_first(self.apps, affinity, seen.apps, a, b),
                    lambda a, b: _seen_first(self.posts, affinity, seen.posts, a, b),
                )
            position = end
        return result

    def explain(self, affinity: np.ndarray, limit: int) -> list[Explained]:
        rows = []
        for position, (items, i) in enumerate(self.slots(affinity, 0, limit)):
            category = int(items.category[i])
            parts = (
                float(items.freshness[i]),
                float(items.ctr[i]),
                float(items.completion[i]),
                float(items.like[i]),
                float(affinity[category]),
                float(items.exploration[i]),
            )
            rows.append(
                Explained(
                    position=position,
                    id=f"{items.kind}:{items.ids[i]}",
                    kind=items.kind,
                    category=self.categories[category],
                    exposures=int(items.exposures[i]),
                    clicks=int(items.clicks[i]),
                    completions=int(items.completions[i]),
                    freshness=parts[0],
                    ctr=parts[1],
                    completion=parts[2],
                    like=parts[3],
                    affinity=parts[4],
                    exploration=parts[5],
                    total=math.fsum(parts),
                )
            )
        return rows


@dataclass(frozen=True)
class Seen:
    """The indexes, sorted, of the apps and posts a person had been shown by some time."""

    apps: np.ndarray
    posts: np.ndarray


NOTHING_SEEN = Seen(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))
# The slot that says everything new has been shown.
CAUGHT_UP = None
Slot = tuple[Ranked, int] | None


def _apps_among(apps: int, posts: int, position: int) -> int:
    """How many of the first ``position`` slots of a run of ``apps`` and ``posts`` are app cards:
    every APP_EVERY-th, until one kind runs out and the other fills the rest."""
    return min(apps, max(position // APP_EVERY, position - posts))


def _interleave(
    apps: int,
    posts: int,
    start: int,
    stop: int,
    app_range: Callable[[int, int], list[tuple[Ranked, int]]],
    post_range: Callable[[int, int], list[tuple[Ranked, int]]],
) -> list[Slot]:
    """Positions [start, stop) of a run of ``apps`` and ``posts``; ``*_range(a, b)`` gives the
    kind's items a to b of the run, in order."""
    apps_from, apps_to = _apps_among(apps, posts, start), _apps_among(apps, posts, stop)
    app_items = iter(app_range(apps_from, apps_to))
    post_items = iter(post_range(start - apps_from, stop - apps_to))
    return [
        next(app_items)
        if _apps_among(apps, posts, position + 1) > _apps_among(apps, posts, position)
        else next(post_items)
        for position in range(start, stop)
    ]


def _unseen(items: Ranked, affinity: np.ndarray, seen: np.ndarray, start: int, stop: int) -> list[tuple[Ranked, int]]:
    """The kind's unseen items start to stop, in the person's order: from the top stop + |seen|."""
    if stop <= start:
        return []
    top = items.top(affinity, stop + len(seen))
    kept = top[~np.isin(top, seen)] if len(seen) else top
    return [(items, i) for i in kept[start:stop].tolist()]


def _seen_first(
    items: Ranked, affinity: np.ndarray, seen: np.ndarray, start: int, stop: int
) -> list[tuple[Ranked, int]]:
    """The kind's items start to stop when the seen ones (in the person's order) come first."""
    if stop <= start:
        return []
    scores = items.base[seen] + affinity[items.category[seen]]
    ordered = seen[np.lexsort((seen, -scores))]
    first = [(items, i) for i in ordered[start:stop].tolist()]
    return first + _unseen(items, affinity, seen, max(0, start - len(seen)), stop - len(seen))


class Ranking:
    """The snapshots a process serves: the newest for new feed sessions, the KEPT - 1 before it
    for cursor chains that began in them. ``clock`` is injectable: tests move time, not sleep."""

    def __init__(self, events: EventStore):
        self.events = events
        self.served = ServedItems(lambda: events)
        self.clock: Callable[[], datetime] = utcnow
        self._snapshots: deque[RankingSnapshot] = deque(maxlen=KEPT)
        self._generations: dict[str, int | None] = {}  # snapshot id -> the listing's generation it was built at
        self._builds = itertools.count(1)
        self._rebuilding = threading.Lock()
        self._affinities: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._affinities_lock = threading.Lock()
        self._seen: OrderedDict[tuple[str, str, float], Seen] = OrderedDict()

    def current(self, session: Session) -> RankingSnapshot:
        """The newest snapshot, rebuilt first when older than TTL. One request rebuilds, through its
        own session (on SQLite a second one would wait for the write lock the first holds); the
        others meanwhile rank with the previous snapshot."""
        newest = self.newest()
        if newest is not None and not self._stale(newest):
            return newest
        if newest is not None and not self._rebuilding.acquire(blocking=False):
            return newest
        if newest is None:
            self._rebuilding.acquire()
        try:
            newest = self.newest()
            if newest is None or self._stale(newest):
                newest = self._build(session, self.clock())
            return newest
        finally:
            self._rebuilding.release()

    def rebuild(self, session: Session, now: datetime | None = None) -> RankingSnapshot:
        with self._rebuilding:
            return self._build(session, now or self.clock())

    def newest(self) -> RankingSnapshot | None:
        return self._snapshots[-1] if self._snapshots else None

    def find(self, snapshot_id: str) -> RankingSnapshot | None:
        kept = list(self._snapshots)  # a copy: a rebuild may append meanwhile
        return next((snapshot for snapshot in reversed(kept) if snapshot.id == snapshot_id), None)

    def affinity(self, snapshot: RankingSnapshot, user_id: str | None) -> np.ndarray:
        """The person's weighted affinity part per category of the snapshot. Only events received
        before the snapshot count, so it is the same whenever it is computed for this snapshot."""
        key = (snapshot.id, user_id or "")
        with self._affinities_lock:
            if key in self._affinities:
                self._affinities.move_to_end(key)
                return self._affinities[key]
        history = self.events.query(HISTORY, [user_id, snapshot.built_at]) if user_id else []
        vector = person_affinity(snapshot, history)
        with self._affinities_lock:
            self._affinities[key] = vector
            while len(self._affinities) > AFFINITY_CACHE:
                self._affinities.popitem(last=False)
        return vector

    def seen(self, snapshot: RankingSnapshot, user_id: str | None, cutoff: datetime) -> Seen:
        """What the person had been shown by ``cutoff`` (when their feed session began), as
        indexes into the snapshot: the same for every page of one session."""
        if not user_id:
            return NOTHING_SEEN
        key = (snapshot.id, user_id, cutoff.timestamp())
        with self._affinities_lock:
            if key in self._seen:
                self._seen.move_to_end(key)
                return self._seen[key]
        found: dict[bool, list[int]] = {False: [], True: []}
        for is_post, item_id in self.events.query(SEEN, [user_id, cutoff]):
            i = (snapshot.posts if is_post else snapshot.apps).index(item_id)
            if i is not None:
                found[bool(is_post)].append(i)
        seen = Seen(np.array(sorted(found[False]), dtype=np.int64), np.array(sorted(found[True]), dtype=np.int64))
        with self._affinities_lock:
            self._seen[key] = seen
            while len(self._seen) > SEEN_CACHE:
                self._seen.popitem(last=False)
        return seen

    def _stale(self, snapshot: RankingSnapshot) -> bool:
        return self.clock() - snapshot.built_at >= TTL or self._generations.get(snapshot.id) != changes.generation

    def _build(self, session: Session, now: datetime) -> RankingSnapshot:
        generation = changes.generation  # read first: a change during the build makes it stale again
        self.served.flush()  # what this process served until now counts in the snapshot
        snapshot = build_snapshot(session, self.events, now, build=next(self._builds))
        self._generations = {kept.id: self._generations.get(kept.id) for kept in self._snapshots} | {
            snapshot.id: generation
        }
        self._snapshots.append(snapshot)
        return snapshot


def build_snapshot(session: Session, events: EventStore, now: datetime, *, build: int = 0) -> RankingSnapshot:
    apps: list[tuple[str, str, datetime]] = []
    cursor = None
    while True:
        page = catalog.list_apps(session, cursor=cursor, limit=500)
        apps += [(app.id, app.category, app.updated_at) for app, _version in page.apps]
        cursor = page.next_cursor
        if not cursor:
            break
    posts = creators.ranked_posts(session)
    categories = tuple(sorted({row[1] for row in apps} | {row[1] for row in posts}))
    category_index = {category: i for i, category in enumerate(categories)}
    counts: dict[str, dict[str, Sequence[int]]] = {kind: {} for kind in KINDS}
    for is_post, item, *stats in events.query(ENGAGEMENT, [now, now]):
        counts["post" if is_post else "app"][item] = stats
    likes = {"app": {}, "post": _served_likes(events, creators.post_likers(session), now)}
    ranked = {
        kind: _rank(kind, sorted(rows), counts[kind], likes[kind], category_index, now)
        for kind, rows in (("app", apps), ("post", posts))
    }
    seen = sum(int(items.exposures.sum()) for items in ranked.values())
    fingerprint = f"{build}|{now.isoformat()}|{ranked['app'].size}|{ranked['post'].size}|{seen}"
    return RankingSnapshot(
        id=hashlib.sha256(fingerprint.encode()).hexdigest()[:12],
        built_at=now,
        categories=categories,
        apps=ranked["app"],
        posts=ranked["post"],
    )


def _served_likes(events: EventStore, likers: set[tuple[str, str]], now: datetime) -> dict[str, int]:
    """Per post, the people who like it now whom the feed had served it when they liked it: likes
    from people never shown the post (300 of them put one at the top of everyone's feed) and its
    creator's own counted as much as any (social56)."""
    served = events.query(LIKED_WHEN_SERVED, [now, now])
    return dict(Counter(post_id for post_id, user_id in served if (post_id, user_id) in likers))


def _rank(
    kind: str,
    rows: list[tuple[str, str, datetime]],
    counts: dict[str, Sequence[int]],
    likes: dict[str, int],
    category_index: dict[str, int],
    now: datetime,
) -> Ranked:
    size = len(rows)
    ids = [row[0] for row in rows]
    position = dict(zip(ids, range(size), strict=True))
    stats = np.zeros((size, 5), dtype=np.int64)  # exposures, clicks, completes, launches, readies
    found = [(position[item], values) for item, values in counts.items() if item in position]
    if found:
        stats[[i for i, _values in found]] = [values for _i, values in found]
    exposures, clicks, completes, launches, readies = stats.T
    ages = now.timestamp() - np.fromiter((at.timestamp() for _id, _category, at in rows), dtype=np.float64, count=size)
    freshness = W_FRESH * np.power(0.5, np.maximum(ages, 0) / HALF_LIFE.total_seconds())
    ctr = W_CTR * engagement(clicks, exposures)
    # A post completes when watched to the end (of the times it was shown: it autoplays); an app
    # when a launch reaches ready (events counted, not launch ids: a retried event is rare, and
    # the rate is clipped at 1).
    completions, trials = (completes, exposures) if kind == "post" else (readies, launches)
    completion = W_COMPLETION * engagement(completions, trials)
    # Apps have no likes: their part is 0, not "average", so that it cannot reorder them by exposures.
    liked = np.fromiter((likes.get(item_id, 0) for item_id in ids), dtype=np.int64, count=size)
    # A like of someone the feed served the post to (LIKED_WHEN_SERVED) is proof it was shown,
    # whether or not its exposure event arrived.
    like = W_LIKE * engagement(liked, np.maximum(exposures, liked)) if kind == "post" else np.zeros(size)
    exploration = np.minimum(EXPLORE_CAP, EXPLORE_C * np.sqrt(math.log(exposures.sum() + 1) / (exposures + 1)))
    category = np.fromiter((category_index[row[1]] for row in rows), dtype=np.int64, count=size)
    base = freshness + ctr + completion + like + exploration
    order = np.lexsort((np.arange(size), -base, category))
    return Ranked(
        kind=kind,
        ids=ids,
        category=category,
        exposures=exposures,
        clicks=clicks,
        completions=np.minimum(completions, trials),
        freshness=freshness,
        ctr=ctr,
        completion=completion,
        like=like,
        exploration=exploration,
        base=base,
        order=order,
        bounds=np.searchsorted(category[order], np.arange(len(category_index) + 1)),
        sorted_negative_base=-base[order],
    )


def engagement(successes: np.ndarray, trials: np.ndarray) -> np.ndarray:
    """A rate smoothed by a Beta prior at the kind's mean, as ``lift / (1 + lift)``: 0.5 is average."""
    successes = np.minimum(successes, trials)  # a late or duplicated event may not lift a rate over 1
    # Laplace-smoothed so that the mean is never 0 (no lift to divide by) or 1.
    mean = (successes.sum() + 1) / (trials.sum() + 2)
    lift: npt.NDArray[np.float64] = (successes + PRIOR_STRENGTH * mean) / (trials + PRIOR_STRENGTH) / mean
    return lift / (1 + lift)


def person_affinity(snapshot: RankingSnapshot, history: list[ResultRow]) -> np.ndarray:
    """W_AFFINITY times ``lift / (1 + lift)`` of the person's share of choices per category over
    the uniform share, the share smoothed toward uniform; no history is 0.5 everywhere."""
    count = len(snapshot.categories)
    if count == 0:
        return np.zeros(0)
    choices = np.zeros(count)
    for is_post, item_id, times in history:
        items = snapshot.posts if is_post else snapshot.apps
        i = items.index(item_id)
        if i is not None:  # an item gone since (a deleted post) tells nothing about the rest
            choices[items.category[i]] += times
    share = (choices + AFFINITY_PRIOR / count) / (choices.sum() + AFFINITY_PRIOR)
    lift: npt.NDArray[np.float64] = share * count
    return W_AFFINITY * lift / (1 + lift)
