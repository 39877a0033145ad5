"""What the feed served to whom: recorded by the server as it answers a feed page, so that the
ranking counts a person's exposures, clicks and launches only of items it really showed them.

The host reports those signals itself (``POST /api/events``), and whatever a browser sends, a
script can send: guests made by a script once posted exposures of a rival's card they were never
shown, and clicks on their own, and moved both in everyone's feed. A signal now counts only
where the feed had served that item to that person that day or the day before
(``ranking.ENGAGEMENT``): to move an item, a script has to page through the feed as a person does
until the server shows it, and each person still counts once per item per day.

Rows of type ``served``, written in batches off the request path (events/buffer.py), in the same
analytics store as the signals, so that one query joins them on either store; likes go the same
way, as rows of type ``like`` (``ServedItems.liked``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from openminis.events.buffer import EventBuffer
from openminis.events.store import EventStore

SERVED = "served"
LIKED = "like"
COLUMNS = ("type", "app_id", "user_id", "source", "ts", "received_at", "post_id")


class ServedItems(EventBuffer):
    def __init__(self, store: Callable[[], EventStore], *, batch: int = 5_000, max_wait: float = 0.5):
        super().__init__(store, COLUMNS, batch=batch, max_wait=max_wait)

    def record(self, user_id: str, items: Iterable[tuple[str, str | None]], at: datetime | None = None) -> None:
        """``items`` as (app id, post id or None): a post is served with the app it anchors to."""
        at = at or datetime.now(UTC)
        for app_id, post_id in items:
            self.add((SERVED, app_id, user_id, "feed", at, at, post_id))

    def liked(self, user_id: str, app_id: str, post_id: str, at: datetime | None = None) -> None:
        """A person liked a post (by someone else): a ranking signal, counted as the others are,
        only where the feed had served them the post (``ranking.ENGAGEMENT``). A like is a row the
        server writes, but a script can like a post it was never shown: 300 likes from accounts
        that had never opened the feed took a post to the top of everyone's (social56)."""
        at = at or datetime.now(UTC)
        self.add((LIKED, app_id, user_id, "like", at, at, post_id))
