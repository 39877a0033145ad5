"""A person's data: all of it in one JSON document, and the account's deletion.

Deleting an account erases what says who the person is (email, name, password, sessions, sign-in
links, per-app openids and the apps' tokens, cloud saves, watch progress, creator profile, posts and
their media) and keeps the money records (ledger, orders, top-ups, unlocks, conversions) under the
same user id, which then names nobody: the ledger still verifies, refunds and statements still add
up. Each app that knew the person by an openid gets an ``account.deleted`` notification, so its
backend can erase what it keeps too.

A person's data spans every domain, so this module reads their tables directly: it is the one place
that must know them all.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from openminis.creators.models import Creator, Post
from openminis.db import Base, utcnow
from openminis.developers.models import Developer
from openminis.drama.models import EpisodeUnlock, SeriesUnlock, Subscription, WatchProgress
from openminis.errors import Gone, InvalidArgument
from openminis.events.store import EventStore
from openminis.identity.mail import Mailbox
from openminis.identity.models import (
    AppUser,
    Authorization,
    AuthSession,
    EmailVerification,
    LoginCode,
    SignInLink,
    User,
    UserToken,
)
from openminis.payments import notifications
from openminis.payments.models import Entitlement, Order, OrderEvent, TopUp
from openminis.runtime.models import CloudSave, Launch
from openminis.unit_of_work import after_commit
from openminis.wallet.models import Account, LedgerEntry, LedgerTransfer

CONFIRMATION = "DELETE"
ERASED_NAME = "Deleted account"
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


class AccountDeleted(Gone):
    code = "ACCOUNT_DELETED"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _row(row: Base, *, leave: tuple[str, ...] = ()) -> dict:
    return {
        column.key: _plain(getattr(row, column.key))
        for column in row.__mapper__.column_attrs
        if column.key not in leave
    }


def export(session: Session, events: EventStore | None, user_id: str) -> dict:
    """Everything the platform keeps about the person, as JSON-ready data (secrets left out)."""
    user = session.get(User, user_id)
    if user is None or user.erased_at is not None:
        raise AccountDeleted("this account was deleted")
    mine = {
        "cloud_saves": select(CloudSave).where(CloudSave.user_id == user_id),
        "orders": select(Order).where(Order.user_id == user_id).order_by(Order.created_at),
        "topups": select(TopUp).where(TopUp.user_id == user_id),
        "entitlements": select(Entitlement).where(Entitlement.user_id == user_id),
        "episode_unlocks": select(EpisodeUnlock).where(EpisodeUnlock.user_id == user_id),
        "series_unlocks": select(SeriesUnlock).where(SeriesUnlock.user_id == user_id),
        "subscriptions": select(Subscription).where(Subscription.user_id == user_id),
        "watch_progress": select(WatchProgress).where(WatchProgress.user_id == user_id),
        "authorizations": select(Authorization).where(Authorization.user_id == user_id),
        "app_openids": select(AppUser).where(AppUser.user_id == user_id),
        "launches": select(Launch).where(Launch.user_id == user_id).order_by(Launch.created_at),
    }
    data: dict[str, Any] = {
        "exported_at": utcnow().isoformat(),
        "account": _row(user, leave=("password_hash",)) | {"has_password": user.password_hash is not None},
    }
    for name, query in mine.items():
        data[name] = [_row(row) for row in session.scalars(query)]
    order_ids = [order["id"] for order in data["orders"]]
    data["order_events"] = (
        [_row(row) for row in session.scalars(select(OrderEvent).where(OrderEvent.order_id.in_(order_ids)))]
        if order_ids
        else []
    )

    # Wallet: the person's accounts, and each ledger line that moved them, with its transfer.
    accounts = session.scalars(select(Account).where(Account.owner_id == user_id)).all()  # wallet, creator earnings
    data["wallet"] = [{"kind": a.kind, "currency": a.currency, "balance": a.balance} for a in accounts]
    lines = (
        session.execute(
            select(LedgerEntry, LedgerTransfer, Account)
            .join(LedgerTransfer, LedgerTransfer.id == LedgerEntry.transfer_id)
            .join(Account, Account.id == LedgerEntry.account_id)
            .where(LedgerEntry.account_id.in_([a.id for a in accounts]))
            .order_by(LedgerTransfer.created_at, LedgerEntry.id)
        ).all()
        if accounts
        else []
    )
    data["ledger"] = [
        {
            "at": _plain(transfer.created_at),
            "kind": transfer.kind,
            "account": account.kind,
            "currency": transfer.currency,
            "amount": entry.amount,
            "transfer_id": transfer.id,
            "details": transfer.details,
        }
        for entry, transfer, account in lines
    ]

    creator = session.get(Creator, user_id)
    data["creator"] = _row(creator) if creator else None
    data["posts"] = (
        [_row(row) for row in session.scalars(select(Post).where(Post.creator_id == user_id))] if creator else []
    )
    data["events"] = _events(events, user_id) if events is not None else []
    return data


def _events(events: EventStore, user_id: str) -> list[dict]:
    present = [column for column in EVENT_COLUMNS if _has_column(events, column)]
    # Times as text: DuckDB hands TIMESTAMPTZ to Python only through pytz, which is not installed.
    selected = ", ".join("CAST(ts AS VARCHAR)" if column == "ts" else column for column in present)
    rows = events.query(f"SELECT {selected} FROM events WHERE user_id = ? ORDER BY ts", [user_id])
    return [{name: _plain(value) for name, value in zip(present, row, strict=True)} for row in rows]


def _has_column(events: EventStore, column: str) -> bool:
    try:
        events.query(f"SELECT {column} FROM events WHERE 1 = 0")
    except Exception:
        return False
    return True


def erase(
    session: Session, *, user_id: str, confirmation: str, media_root: Path, mailbox: Mailbox | None = None
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
    # Locked, and read afresh under the lock: a deletion that committed while this one waited for
    # it shows here, whatever this request read of the person before.
    user = session.get(User, user_id, with_for_update=True, populate_existing=True)
    if user is None or user.erased_at is not None:
        raise AccountDeleted("this account was already deleted")

    # The apps that knew the person, told by openid before the map from openid to person goes.
    told = []
    for app_user in session.scalars(select(AppUser).where(AppUser.user_id == user_id)):
        notifications.enqueue_event(
            session,
            app_user.app_id,
            "account.deleted",
            {"openid": app_user.openid, "deleted_at": utcnow().isoformat()},
            unique_key=f"account-deleted:{app_user.app_id}:{app_user.openid}",
        )
        told.append(app_user.app_id)

    # Every address the person used or asked a mail for: the account's, the ones waiting for a code,
    # and those of the sign-in links this person asked for (their rows go, not just their guest id).
    emails = {user.email} if user.email else set()
    emails |= set(session.scalars(select(EmailVerification.email).where(EmailVerification.user_id == user_id)))
    emails |= set(session.scalars(select(SignInLink.email).where(SignInLink.guest_id == user_id)))
    session.execute(delete(SignInLink).where(SignInLink.guest_id == user_id))
    if emails:
        session.execute(delete(SignInLink).where(SignInLink.email.in_(emails)))
    if mailbox is not None:
        after_commit(session, partial(mailbox.forget, emails))
    for table in (
        AuthSession,
        EmailVerification,
        LoginCode,
        UserToken,
        Authorization,
        AppUser,
        CloudSave,
        WatchProgress,
    ):
        session.execute(delete(table).where(table.user_id == user_id))
    # A pass would renew from the wallet of nobody: it runs to its period's end and stops.
    session.execute(
        update(Subscription)
        .where(Subscription.user_id == user_id, Subscription.status == "active")
        .values(status="cancelled")
    )
    session.execute(update(Developer).where(Developer.user_id == user_id).values(user_id=None))

    creator = session.get(Creator, user_id)
    if creator is not None:
        posts = session.scalars(select(Post).where(Post.creator_id == user_id)).all()
        for post in posts:
            if post.media_key:
                shutil.rmtree(media_root / "posts" / post.media_key, ignore_errors=True)
            (
                post.caption,
                post.media_key,
                post.status,
                post.anchor_kind,
                post.anchor_app_id,
                post.anchor_series_id,
                post.anchor_episode,
            ) = (
                "",
                None,
                "removed",
                None,
                None,
                None,
                None,
            )
        creator.display_name, creator.bio, creator.handle = ERASED_NAME, "", f"deleted-{user_id[:24]}"

    user.email, user.password_hash, user.email_verified_at = None, None, None
    user.display_name, user.kind, user.erased_at = ERASED_NAME, "erased", utcnow()
    session.flush()
    return told
