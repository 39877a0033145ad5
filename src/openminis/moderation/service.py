"""Moderation: people report what they see; moderators take items down, restore them, suspend
creators and apps; owners read why and appeal once per takedown. Every staff act is recorded in
the audit log (staff/audit.py) in the same unit of work.

How a takedown takes effect: moderation calls the item's own domain (catalog's
``set_taken_down``, creators' ``set_post_removed`` and ``set_suspended``, drama's
``set_series_removed`` and ``set_episode_removed``), which sets a flag on the item's own row: an
app's ``taken_down_at``, a post's, series' or episode's ``removed`` status, a creator's
``suspended_at``. Every read path already filters on those rows (a post must be "ready", a series
"published", an app's card needs it open), so the feed, the hub, search, recents, share links,
launches, media URLs and the Open API see the change from this unit's commit on, with no cache to
invalidate and without any lower domain knowing moderation exists. The alternative, each domain
asking moderation for a "hidden" set through a hook, would add a lookup to every read path and a
second source of truth. The rows here keep what the flags cannot: who reported what, who
decided, why, and the owner's appeal.

An app's takedown and its suspension are one state (it is out of every listing, cannot be
launched, sells nothing, and its backend may only read and refund); the words differ in the log.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openminis import text
from openminis.catalog import service as catalog
from openminis.creators import service as creators
from openminis.db import utcnow
from openminis.developers import service as developers
from openminis.developers import team
from openminis.drama import catalog as drama
from openminis.errors import Conflict, Forbidden, InvalidArgument, NotFound
from openminis.identity import service as identity
from openminis.moderation.models import Appeal, Report, Takedown
from openminis.staff import audit

Kind = Literal["app", "post", "series", "episode", "creator"]
KINDS: tuple[str, ...] = get_args(Kind)
Reason = Literal[
    "spam",
    "sexual_content",
    "violence",
    "hate",
    "harassment",
    "scam_or_fraud",
    "intellectual_property",
    "child_safety",
    "other",
]
REASONS: tuple[str, ...] = get_args(Reason)
# A creator and an app are suspended rather than taken down: the same state, the log's own word.
SUSPENDED_KINDS = frozenset({"creator", "app"})
MAX_REPORT_TEXT = 1000
MAX_NOTE = 1000
MAX_APPEAL = 2000


@dataclass
class Item:
    """What a moderator (or a reporter) is shown of an item, and who owns it."""

    kind: str
    item_id: str
    title: str
    subtitle: str = ""
    visible: bool = True  # what people see now (published and not taken down)
    owner_user_ids: set[str] = field(default_factory=set)  # a creator's user id
    owner_app_id: str | None = None  # an app's team owns it (and its series and episodes)


def _text(value: str, *, field_name: str, limit: int, required: bool = False) -> str:
    value = value.strip()
    if required and not value:
        raise InvalidArgument(f"{field_name} is required", field=field_name)
    if len(value) > limit:
        raise InvalidArgument(f"{field_name} is at most {limit} characters", field=field_name)
    if any(ch not in "\n\t" and unicodedata.category(ch) in ("Cc", "Cs") for ch in value):
        raise InvalidArgument(f"{field_name} may not contain control characters", field=field_name)
    if any(ch in text.REORDERING for ch in value):  # a report a moderator read reversed (ops56)
        raise InvalidArgument(
            f"{field_name} may not contain characters that turn text around (bidi embeddings, overrides or isolates)",
            field=field_name,
        )
    return value


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise InvalidArgument(f"kind is one of {', '.join(KINDS)}", field="kind")


def _check_reason(reason: str) -> None:
    if reason not in REASONS:
        raise InvalidArgument(f"reason is one of {', '.join(REASONS)}", field="reason")


def _episode_ref(item_id: str) -> tuple[str, int]:
    """An episode is named ``{series_id}:{number}``, as people see it in the player."""
    series_id, _, number = item_id.rpartition(":")
    if not series_id or not number.isdigit() or not 1 <= int(number) <= 10_000:
        raise NotFound(f"no episode {item_id!r} (name it series_id:number)")
    return series_id, int(number)


def item(session: Session, kind: str, item_id: str) -> Item:
    """The item, whatever its state, or NotFound. A creator may be named by @handle."""
    _check_kind(kind)
    if kind == "app":
        app = catalog.find_app(session, item_id)
        if app is None:
            raise NotFound(f"no app {item_id!r}")
        visible = app.released_version is not None and app.taken_down_at is None
        return Item(kind, app.id, app.name, app.id, visible=visible, owner_app_id=app.id)
    if kind == "post":
        post = creators.find_post(session, item_id)
        if post is None:
            raise NotFound(f"no post {item_id!r}")
        creator = creators.find_creator(session, post.creator_id)
        handle = f"@{creator.handle}" if creator else ""
        visible = bool(creators.posts_by_id(session, [post.id]))
        return Item(kind, post.id, post.caption or "(no caption)", handle, visible, {post.creator_id})
    if kind == "creator":
        found = creators.find_creator(session, item_id)
        if found is None and item_id.startswith("@"):
            found = creators.creator_by_handle(session, item_id[1:].lower())
        if found is None:
            raise NotFound(f"no creator {item_id!r}")
        subtitle = f"@{found.handle}"
        return Item(kind, found.user_id, found.display_name, subtitle, found.suspended_at is None, {found.user_id})
    if kind == "series":
        series = drama.find_series(session, item_id)
        if series is None:
            raise NotFound(f"no series {item_id!r}")
        visible = series.status == "published" and not catalog.is_taken_down(session, series.app_id)
        return Item(kind, series.id, series.title, series.app_id, visible, owner_app_id=series.app_id)
    series_id, number = _episode_ref(item_id)
    series = drama.find_series(session, series_id)
    episode = drama.find_episode(session, series_id, number) if series is not None else None
    if series is None or episode is None:
        raise NotFound(f"no episode {item_id!r}")
    visible = series.status == "published" and episode.status == "ready"
    visible = visible and not catalog.is_taken_down(session, series.app_id)
    title = f"Ep {number} · {series.title}"
    return Item(kind, f"{series.id}:{number}", title, series.app_id, visible, owner_app_id=series.app_id)


def _set_down(session: Session, kind: str, item_id: str, down: bool) -> dict[str, object]:
    """The item's own domain sets its flag; returns the item's state before (for the log)."""
    if kind == "app":
        drama.stopping_sales(session, item_id)  # the app's drama sales in flight commit first
        return catalog.set_taken_down(session, item_id, down)
    if kind == "post":
        return creators.set_post_removed(session, item_id, down)
    if kind == "creator":
        return creators.set_suspended(session, item_id, down)
    if kind == "series":
        return drama.set_series_removed(session, item_id, down)
    series_id, number = _episode_ref(item_id)
    return drama.set_episode_removed(session, series_id, number, down)


# People's reports -------------------------------------------------------------------------------


def item_on_record(session: Session, kind: str, item_id: str) -> Item:
    """The item, or, once its owner deleted it, what moderation still holds of it (its reports,
    takedown, appeals) as a gone item, so that a moderator can see it and close its reports. A post
    deleted while reported made the whole reports queue answer 404, for good: the queue lists the
    most reported first (a probe). An id nothing was ever recorded for is NotFound still."""
    try:
        return item(session, kind, item_id)
    except NotFound:
        recorded = [
            select(model.item_id).where(model.kind == kind, model.item_id == item_id).limit(1)
            for model in (Report, Takedown, Appeal)
        ]
        if all(session.scalar(query) is None for query in recorded):
            raise
        return Item(kind, item_id, "Deleted by its owner", "", visible=False)


def report(session: Session, *, reporter_id: str, kind: str, item_id: str, reason: str, text: str = "") -> Report:
    """Report an item the person can see. A person has one open report per item: reporting it
    again updates that report (its reason and text) instead of adding to the count."""
    _check_reason(reason)
    text = _text(text, field_name="text", limit=MAX_REPORT_TEXT)
    found = item(session, kind, item_id)
    if not found.visible:
        raise NotFound(f"no {kind} {item_id!r}")  # already taken down, or never public
    if reporter_id in found.owner_user_ids:
        raise InvalidArgument("you cannot report your own post or profile", field="id")
    for attempt in (1, 2):
        existing = _open_report(session, kind, found.item_id, reporter_id)
        if existing is not None:
            existing.reason, existing.text, existing.updated_at = reason, text, utcnow()
            session.flush()
            return existing
        try:
            with session.begin_nested():
                made = Report(kind=kind, item_id=found.item_id, reporter_id=reporter_id, reason=reason, text=text)
                session.add(made)
                session.flush()
            return made
        except IntegrityError:  # the same person's twin request made it first: update that one
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _open_report(session: Session, kind: str, item_id: str, reporter_id: str) -> Report | None:
    return session.scalar(
        select(Report).where(
            Report.kind == kind, Report.item_id == item_id, Report.reporter_id == reporter_id, Report.is_open.is_(True)
        )
    )


def _close_reports(session: Session, kind: str, item_id: str, outcome: str) -> int:
    reports = list(
        session.scalars(select(Report).where(Report.kind == kind, Report.item_id == item_id, Report.is_open.is_(True)))
    )
    now = utcnow()
    for found in reports:
        found.is_open, found.outcome, found.closed_at, found.updated_at = None, outcome, now, now
    session.flush()
    return len(reports)


MY_REPORTS = 20  # the newest a person is shown: what they reported lately (each item is looked up)


@dataclass(frozen=True)
class Reported:
    """A report the person made, with what became of it and what they reported as it is called now
    (None: it is gone, its owner deleted it)."""

    report: Report
    item: Item | None


def reports_of(session: Session, user_id: str) -> list[Reported]:
    """The person's reports, newest first, each with its outcome: open (not acted on yet),
    taken_down (a moderator took the item down), restored (taken down, then put back: an appeal
    granted) or dismissed (a moderator found nothing to act on).
    A reporter who never heard back reported into the void (a probe); what the moderator wrote stays
    between them and the item's owner."""
    reports = list(
        session.scalars(
            select(Report)
            .where(Report.reporter_id == user_id)
            .order_by(Report.created_at.desc(), Report.id.desc())
            .limit(MY_REPORTS)
        )
    )
    items: dict[tuple[str, str], Item | None] = {}
    for made in reports:
        key = (made.kind, made.item_id)
        if key not in items:
            try:
                items[key] = item(session, made.kind, made.item_id)
            except NotFound:
                items[key] = None
    return [Reported(made, items[(made.kind, made.item_id)]) for made in reports]


# Moderators' acts -------------------------------------------------------------------------------


def _action(kind: str, down: bool) -> str:
    if kind in SUSPENDED_KINDS:
        return "suspend" if down else "unsuspend"
    return "takedown" if down else "restore"


def take_down(session: Session, *, actor: str, kind: str, item_id: str, reason: str, note: str = "") -> Takedown:
    """Take an item down (suspend a creator or an app) at once everywhere it appears, close its
    open reports, and record the act. The owner reads ``reason`` and ``note``."""
    _check_reason(reason)
    note = _text(note, field_name="note", limit=MAX_NOTE)
    if kind in SUSPENDED_KINDS and not text.shows_anything(note):
        # The page asked for it and the API did not: an app suspended "as spam", wordless (ops52).
        raise InvalidArgument(f"a suspension stops a whole {kind}: say why in the note its owner reads", field="note")
    found = item(session, kind, item_id)
    state = session.get(Takedown, (kind, found.item_id), with_for_update=True)
    if state is not None and state.down:
        done = "suspended" if kind in SUSPENDED_KINDS else "taken down"  # not "takedowned" (a probe)
        raise Conflict(f"this {kind} is already {done}", code="ALREADY_TAKEN_DOWN")
    before = _set_down(session, kind, found.item_id, True)
    if state is None:
        state = Takedown(kind=kind, item_id=found.item_id, round=1, reason=reason, note=note, actor=actor)
        try:
            with session.begin_nested():
                session.add(state)
                session.flush()
        except IntegrityError:  # another moderator's takedown of it was committed meanwhile
            raise Conflict(f"this {kind} was just taken down by someone else", code="ALREADY_TAKEN_DOWN") from None
    else:
        state.round += 1
    state.down, state.reason, state.note, state.actor, state.at = True, reason, note, actor, utcnow()
    closed = _close_reports(session, kind, found.item_id, "taken_down")
    audit.record(
        session,
        actor=actor,
        action=_action(kind, True),
        target_kind=kind,
        target_id=found.item_id,
        reason=f"{reason}: {note}" if note else reason,
        before={**before, "down": False},
        after={"down": True, "reason": reason, "note": note, "reports_closed": closed},
    )
    return state


def restore(session: Session, *, actor: str, kind: str, item_id: str, note: str = "") -> Takedown:
    """Put a taken-down item back (lift a suspension); an open appeal of it is then granted."""
    note = _text(note, field_name="note", limit=MAX_NOTE)
    found = item(session, kind, item_id)
    state = session.get(Takedown, (kind, found.item_id), with_for_update=True)
    if state is None or not state.down:
        raise Conflict(f"this {kind} is not taken down", code="NOT_TAKEN_DOWN")
    before = _set_down(session, kind, found.item_id, False)
    state.down = False
    # Its reporters read that it came back, not "removed" (a probe: a granted appeal left them so).
    session.execute(
        update(Report)
        .where(Report.kind == kind, Report.item_id == found.item_id, Report.outcome == "taken_down")
        .values(outcome="restored", updated_at=utcnow())
    )
    appeal = _open_appeal(session, kind, found.item_id, state.round)
    if appeal is not None:
        appeal.status, appeal.answer, appeal.answered_by, appeal.answered_at = "granted", note, actor, utcnow()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=_action(kind, False),
        target_kind=kind,
        target_id=found.item_id,
        reason=note,
        before={**before, "down": True, "reason": state.reason},
        after={"down": False, "appeal": appeal.status if appeal else None},
    )
    return state


def dismiss(session: Session, *, actor: str, kind: str, item_id: str, note: str = "") -> int:
    """Close an item's open reports with nothing done (the item stays as it is, or gone)."""
    note = _text(note, field_name="note", limit=MAX_NOTE)
    found = item_on_record(session, kind, item_id)
    closed = _close_reports(session, kind, found.item_id, "dismissed")
    if not closed:
        raise Conflict(f"this {kind} has no open reports", code="NO_OPEN_REPORTS")
    audit.record(
        session,
        actor=actor,
        action="dismiss_reports",
        target_kind=kind,
        target_id=found.item_id,
        reason=note,
        before={"open_reports": closed},
        after={"open_reports": 0},
    )
    return closed


def answer_appeal(session: Session, *, actor: str, appeal_id: int, grant: bool, answer: str) -> Appeal:
    """Grant an appeal (the item is restored) or deny it (it stays down); the owner reads ``answer``."""
    answer = _text(answer, field_name="answer", limit=MAX_NOTE, required=not grant)
    appeal = session.get(Appeal, appeal_id, with_for_update=True)
    if appeal is None:
        raise NotFound(f"no appeal {appeal_id}")
    if appeal.status != "open":
        raise Conflict(f"this appeal was already {appeal.status}", code="APPEAL_ANSWERED")
    if grant:
        restore(session, actor=actor, kind=appeal.kind, item_id=appeal.item_id, note=answer)
    else:
        appeal.status, appeal.answer, appeal.answered_by, appeal.answered_at = "denied", answer, actor, utcnow()
        session.flush()
    audit.record(
        session,
        actor=actor,
        action="answer_appeal",
        target_kind=appeal.kind,
        target_id=appeal.item_id,
        reason=answer,
        before={"appeal": appeal.id, "status": "open"},
        after={"appeal": appeal.id, "status": appeal.status},
    )
    return appeal


# Owners: why their item is down, and their one appeal -------------------------------------------


def _owns(session: Session, user_id: str, found: Item) -> bool:
    if user_id in found.owner_user_ids:
        return True
    if found.owner_app_id is None:
        return False
    user = identity.get_user(session, user_id)
    if user is None:
        return False
    try:
        developer = developers.developer_for(session, user)
    except Forbidden:
        return False
    role = team.role_of(session, developer.id, found.owner_app_id)
    return role is not None and role != "tester"


def _open_appeal(session: Session, kind: str, item_id: str, round_: int) -> Appeal | None:
    return session.scalar(
        select(Appeal).where(
            Appeal.kind == kind, Appeal.item_id == item_id, Appeal.round == round_, Appeal.status == "open"
        )
    )


def appeal(session: Session, *, user_id: str, kind: str, item_id: str, text: str) -> Appeal:
    """The owner's appeal of a takedown: one per takedown (a later takedown may be appealed anew)."""
    text = _text(text, field_name="text", limit=MAX_APPEAL, required=True)
    try:
        found = item(session, kind, item_id)
    except NotFound:
        raise NotFound(f"no {kind} {item_id!r} of yours is taken down") from None
    state = session.get(Takedown, (kind, found.item_id))
    if state is None or not state.down or not _owns(session, user_id, found):
        raise NotFound(f"no {kind} {item_id!r} of yours is taken down")
    if session.scalar(
        select(Appeal.id).where(Appeal.kind == kind, Appeal.item_id == found.item_id, Appeal.round == state.round)
    ):
        raise Conflict("this takedown was appealed already: one appeal per takedown", code="APPEAL_EXISTS")
    made = Appeal(kind=kind, item_id=found.item_id, round=state.round, appellant_id=user_id, text=text)
    try:
        with session.begin_nested():
            session.add(made)
            session.flush()
    except IntegrityError:  # a twin request appealed first
        raise Conflict("this takedown was appealed already: one appeal per takedown", code="APPEAL_EXISTS") from None
    return made


@dataclass(frozen=True)
class Owned:
    """A takedown of something the person owns, with their appeal of it (if any)."""

    item: Item
    takedown: Takedown
    appeal: Appeal | None


def takedowns_of(session: Session, user_id: str) -> list[Owned]:
    """What the person owns that is taken down now: their posts and creator profile, and their
    apps' (as a team member) apps, series and episodes."""
    keys: list[Any] = [(Takedown.kind == "creator") & (Takedown.item_id == user_id)]
    post_ids = [post.id for post in creators.list_posts(session, user_id)]
    if post_ids:
        keys.append((Takedown.kind == "post") & Takedown.item_id.in_(post_ids))
    user = identity.get_user(session, user_id)
    app_ids: list[str] = []
    if user is not None:
        try:
            developer = developers.developer_for(session, user)
            app_ids = [app.id for app, role in team.apps_of(session, developer) if role != "tester"]
        except Forbidden:
            pass
    if app_ids:
        keys.append((Takedown.kind == "app") & Takedown.item_id.in_(app_ids))
        series_ids = [s.id for app_id in app_ids for s in drama.list_series(session, app_id=app_id, published=False)]
        if series_ids:
            keys.append((Takedown.kind == "series") & Takedown.item_id.in_(series_ids))
            keys.append((Takedown.kind == "episode") & or_(*(Takedown.item_id.like(f"{sid}:%") for sid in series_ids)))
    found = list(session.scalars(select(Takedown).where(Takedown.down.is_(True), or_(*keys)).order_by(Takedown.at)))
    owned = []
    for state in found:
        mine = session.scalar(
            select(Appeal).where(
                Appeal.kind == state.kind, Appeal.item_id == state.item_id, Appeal.round == state.round
            )
        )
        owned.append(Owned(item(session, state.kind, state.item_id), state, mine))
    return owned


# The moderators' queue --------------------------------------------------------------------------

View = Literal["reports", "appeals", "down"]


@dataclass(frozen=True)
class Queued:
    kind: str
    item_id: str
    open_reports: int
    reasons: dict[str, int]
    last_reported_at: datetime | None


def queue(session: Session, view: str, *, limit: int = 50) -> list[Queued]:
    """Items waiting for a moderator: with open reports (the most reported first), with an open
    appeal (the oldest first), or taken down now (the latest first)."""
    if view == "reports":
        grouped = session.execute(
            select(Report.kind, Report.item_id, func.count(), func.max(Report.updated_at))
            .where(Report.is_open.is_(True))
            .group_by(Report.kind, Report.item_id)
            .order_by(func.count().desc(), func.min(Report.created_at))
            .limit(limit)
        ).all()
        pairs = [(kind, item_id) for kind, item_id, _, _ in grouped]
        counts = {(kind, item_id): (count, last) for kind, item_id, count, last in grouped}
    elif view == "appeals":
        rows = session.execute(
            select(Appeal.kind, Appeal.item_id).where(Appeal.status == "open").order_by(Appeal.created_at).limit(limit)
        ).all()
        pairs, counts = [(kind, item_id) for kind, item_id in rows], {}
    elif view == "down":
        rows = session.execute(
            select(Takedown.kind, Takedown.item_id)
            .where(Takedown.down.is_(True))
            .order_by(Takedown.at.desc())
            .limit(limit)
        ).all()
        pairs, counts = [(kind, item_id) for kind, item_id in rows], {}
    else:
        raise InvalidArgument("view is one of reports, appeals, down", field="view")
    result = []
    for kind, item_id in pairs:
        reasons = Counter(
            session.scalars(
                select(Report.reason).where(Report.kind == kind, Report.item_id == item_id, Report.is_open.is_(True))
            )
        )
        count, last = counts.get((kind, item_id), (sum(reasons.values()), None))
        result.append(Queued(kind, item_id, count, dict(reasons), last))
    return result


@dataclass(frozen=True)
class Detail:
    """An item as a moderator decides on it: what it is, its state, reports, appeals, history."""

    item: Item
    takedown: Takedown | None
    reports: list[Report]
    appeals: list[Appeal]


def detail(session: Session, kind: str, item_id: str, *, reports: int = 100) -> Detail:
    found = item_on_record(session, kind, item_id)
    return Detail(
        item=found,
        takedown=session.get(Takedown, (kind, found.item_id)),
        reports=list(
            session.scalars(
                select(Report)
                .where(Report.kind == kind, Report.item_id == found.item_id)
                .order_by(Report.is_open.desc().nulls_last(), Report.updated_at.desc())
                .limit(reports)
            )
        ),
        appeals=list(
            session.scalars(
                select(Appeal).where(Appeal.kind == kind, Appeal.item_id == found.item_id).order_by(Appeal.created_at)
            )
        ),
    )
