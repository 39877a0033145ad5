"""A person's data: all of it in one JSON document, and the account's deletion.

Deleting an account erases what says who the person is (email, name, password, sessions, sign-in
links, per-app openids and the apps' tokens, cloud saves, watch progress, leaderboard scores,
contexts and shares, coupons held, creator profile, posts and their media, payout accounts' holders,
the words of their reports and appeals) and keeps the money records (ledger, orders, top-ups, unlocks,
conversions, payouts) under the same user id, which then names nobody: the ledger still verifies,
refunds and statements still add up. Each app that knew the person by an openid gets an
``account.deleted`` notification, so its backend can erase what it keeps too.

A person's data spans every domain: each domain exports and erases its own tables
(``<domain>/erasure.py``, developers' service), and this module, above them all, runs them in one
order, in the caller's unit of work.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from openminis.creators import erasure as creators
from openminis.db import utcnow
from openminis.developers import service as developers
from openminis.drama import erasure as drama
from openminis.errors import InvalidArgument
from openminis.events.store import EventStore
from openminis.identity import erasure as identity
from openminis.identity.erasure import ERASED_NAME, AccountDeleted
from openminis.identity.mail import Mailbox
from openminis.messages import erasure as messages
from openminis.moderation import erasure as moderation
from openminis.payments import erasure as payments
from openminis.payouts import erasure as payouts
from openminis.rows import plain
from openminis.runtime import erasure as runtime
from openminis.social import erasure as social
from openminis.staff import service as staff
from openminis.storage import ObjectStore
from openminis.wallet import erasure as wallet

__all__ = ["CONFIRMATION", "ERASED_NAME", "AccountDeleted", "erase", "export"]

CONFIRMATION = "DELETE"
EVENT_COLUMNS = (
    "type",
    "app_id",
    "launch_id",
    "source",
    "ts",
    "series_id",
    "episode",
    "post_id",
    "revenue",
    "currency",
)
# The download's sections, in the order the document lists them.
SECTIONS = (
    "account",
    "cloud_saves",
    "favourites",
    "orders",
    "topups",
    "entitlements",
    "episode_unlocks",
    "series_unlocks",
    "subscriptions",
    "watch_progress",
    "authorizations",
    "app_openids",
    "launches",
    "order_events",
    "wallet",
    "ledger",
    "creator",
    "posts",
    "likes",
    "follows",
    "payout_accounts",
    "payouts",
    "reports",
    "appeals",
    "leaderboard_scores",
    "contexts",
    "shares",
    "messages",
    "message_grants",
    "push_subscriptions",
)


def export(session: Session, events: EventStore | None, user_id: str) -> dict[str, Any]:
    """Everything the platform keeps about the person, as JSON-ready data (secrets left out)."""
    found = identity.export(session, user_id)  # first: refused when the account was deleted
    for part in (
        runtime.export,
        payments.export,
        drama.export,
        wallet.export,
        creators.export,
        payouts.export,
        moderation.export,
        social.export,
        messages.export,
    ):
        found |= part(session, user_id)
    data: dict[str, Any] = {"exported_at": utcnow().isoformat()}
    data |= {section: found[section] for section in SECTIONS}
    data["events"] = _events(events, user_id) if events is not None else []
    return data


def _events(events: EventStore, user_id: str) -> list[dict[str, Any]]:
    present = [column for column in EVENT_COLUMNS if _has_column(events, column)]
    # Times as text: DuckDB hands TIMESTAMPTZ to Python only through pytz, which is not installed.
    selected = ", ".join("CAST(ts AS VARCHAR)" if column == "ts" else column for column in present)
    rows = events.query(f"SELECT {selected} FROM events WHERE user_id = ? ORDER BY ts", [user_id])
    return [{name: plain(value) for name, value in zip(present, row, strict=True)} for row in rows]


def _has_column(events: EventStore, column: str) -> bool:
    try:
        events.query(f"SELECT {column} FROM events WHERE 1 = 0")
    except Exception:
        return False
    return True


def erase(
    session: Session, *, user_id: str, confirmation: str, media: ObjectStore, mailbox: Mailbox | None = None
) -> list[str]:
    """Delete the person's account (``confirmation`` must be "DELETE"): personal data erased, money
    records kept under the pseudonymous id, apps told. Returns the apps notified. Flushes only:
    the unit of work commits, then removes nothing more (post media goes here, before the commit,
    since a post without its media is harmless while the reverse is not). ``mailbox``: the
    development mailbox, whose kept messages to the person's addresses go once the deletion is
    committed (a deletion rolled back leaves them)."""
    if confirmation != CONFIRMATION:
        raise InvalidArgument(
            f"type {CONFIRMATION} to confirm: deleting an account cannot be undone",
            field="confirm",
            code="CONFIRMATION_REQUIRED",
        )
    # The person's row first, locked: a second deletion waits here, then is refused (410).
    user = identity.lock(session, user_id)
    # The apps that knew the person, told by openid before the map from openid to person goes.
    told = payments.tell_apps(session, identity.openids(session, user_id))
    identity.erase_sign_ins(session, user, mailbox)
    runtime.erase(session, user_id)
    drama.erase(session, user_id)
    developers.release_person(session, user_id, email=user.email)
    staff.release_person(session, user_id)
    creators.erase(session, user_id, media=media)
    payouts.erase(session, user_id)
    moderation.erase(session, user_id)
    social.erase(session, user_id)
    messages.erase(session, user_id)
    payments.erase(session, user_id)
    identity.pseudonymise(session, user)
    return told
