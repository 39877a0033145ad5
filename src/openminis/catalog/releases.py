"""A version's life after its upload: checked, submitted, reviewed, released to a share of people,
superseded, rolled back. Every step is a VersionEvent (who, what, when, why).

    uploaded -> checked -> in_review -> approved | rejected -> released -> superseded

A released version's files are public for good (a person who got it may still be playing it);
every other version is seen only through a preview (preview.py). Which released version a person
gets is ``version_for``: the app's released version, or its staged one for the share of people
whose stable bucket falls under the staged percent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import Any

import semver
from sqlalchemy import select
from sqlalchemy.orm import Session

from openminis import changes
from openminis.catalog.manifest import STORED, Manifest
from openminis.catalog.models import App, AppVersion, VersionEvent
from openminis.catalog.package import Package
from openminis.catalog.service import get_app, get_version, publish_version
from openminis.catalog.store import PackageStore
from openminis.db import utcnow
from openminis.errors import Conflict, InvalidArgument
from openminis.unit_of_work import after_commit

STATES = ("uploaded", "checked", "in_review", "approved", "rejected", "released", "superseded")
# Versions that passed review: what a release or a rollback may put in front of people.
REVIEWED = ("approved", "released", "superseded")
RELEASABLE = ("approved", "superseded")  # besides the staged version: a rolled-back stage is staged again
SHARES = range(1, 101)
OPERATOR = "operator"
CHECKER = "checker"

ReleaseHook = Callable[[Session, str, list[Manifest]], None]
_release_hooks: list[ReleaseHook] = []


def on_release(hook: ReleaseHook) -> None:
    """Call ``hook(session, app_id, manifests)`` whenever what an app's people may get changes, with
    the manifests of the versions now out (the released one, then a staged one), inside the same
    unit of work. Payments subscribes (platform.py): the products of the versions out are on sale."""
    if hook not in _release_hooks:
        _release_hooks.append(hook)


def bucket(app_id: str, user_id: str) -> int:
    """A person's place, 0 to 99, in an app's staged releases: stable across launches and servers,
    and independent from one app to another."""
    return int(hashlib.sha256(f"{app_id}:{user_id}".encode()).hexdigest()[:8], 16) % 100


def version_for(app: App, user_id: str | None) -> str | None:
    """The released version this person gets (None: the app has none)."""
    if app.staged_version and user_id and bucket(app.id, user_id) < app.staged_percent:
        return app.staged_version
    return app.released_version


def _event(session: Session, version: AppVersion, action: str, actor: str, note: str = "") -> None:
    session.add(
        VersionEvent(
            app_id=version.app_id, version=version.version, action=action, state=version.state, actor=actor, note=note
        )
    )


def _locked_app(session: Session, app_id: str) -> App:
    """The app, locked: two releases of one app at once apply one after the other. Read afresh
    (populate_existing): a copy the request loaded before the lock (the console's role check)
    may predate a change committed while this one waited."""
    statement = select(App).where(App.id == app_id).with_for_update().execution_options(populate_existing=True)
    app = session.scalar(statement)
    return app if app is not None else get_app(session, app_id)


def _locked_version(session: Session, app_id: str, version_name: str) -> AppVersion:
    """A version whose state is about to move on, once its app is locked (as releases lock it, app
    first): two decisions on one version at once (a submit twice, an approval and a rejection)
    apply one after the other, the second one seeing the first one's state."""
    _locked_app(session, app_id)
    version = session.scalar(
        select(AppVersion)
        .where(AppVersion.app_id == app_id, AppVersion.version == version_name)
        .execution_options(populate_existing=True)
    )
    return version if version is not None else get_version(session, app_id, version_name)


def _expect(version: AppVersion, states: Iterable[str], doing: str) -> None:
    allowed = tuple(states)
    if version.state not in allowed:
        raise Conflict(
            f"{version.app_id} {version.version} is {version.state.replace('_', ' ')}; only a version that is "
            f"{' or '.join(s.replace('_', ' ') for s in allowed)} can be {doing}",
            code="VERSION_STATE",
        )


def record_check(session: Session, app_id: str, version_name: str, report: dict[str, Any]) -> AppVersion:
    """The platform's checks of a version are in. An uploaded version becomes checked; a later one
    (checked again on demand) keeps its state and gets the new report."""
    version = get_version(session, app_id, version_name)
    version.check_report = report
    if version.state == "uploaded":
        version.state = "checked"
    outcome = "passed" if report.get("passed") else "failed"
    _event(
        session,
        version,
        "checked",
        CHECKER,
        f"checks {outcome}" + (f", tier {report['tier']}" if report.get("tier") else ""),
    )
    session.flush()
    return version


def check_again(session: Session, app_id: str, version_name: str, *, actor: str) -> AppVersion:
    """A version not yet submitted goes back to being checked: its report is dropped until the new
    one is in, and it cannot be submitted meanwhile. Kept "checked" with the report before, it was
    submitted while its new checks ran, and went to review and to everyone with a hard failure
    that its new report gave (a probe, dev53)."""
    version = _locked_version(session, app_id, version_name)
    _expect(version, ["uploaded", "checked"], "checked again")
    version.state, version.check_report = "uploaded", None
    _event(session, version, "rechecked", actor, "its checks run again; the report before is dropped")
    session.flush()
    return version


def submit(session: Session, app_id: str, version_name: str, *, actor: str) -> AppVersion:
    """Send a checked version to review; one whose checks failed a hard rule cannot go, nor one a
    reviewer rejected (its fix is a new version)."""
    version = _locked_version(session, app_id, version_name)
    if version.state == "uploaded":
        raise Conflict(
            "the platform is still checking this version; submit it once its report is in", code="NOT_CHECKED"
        )
    if version.state == "rejected":
        # A reviewer's no stands: the same files sent back would only ask again (docs/publishing.md).
        raise Conflict(
            f"{version.app_id} {version.version} was rejected: a rejected version never reaches a person; fix it and "
            "upload a new version",
            code="VERSION_STATE",
        )
    _expect(version, ["checked"], "submitted")
    report = version.check_report or {}
    if not report.get("passed"):
        failures = "; ".join(f["message"] for f in report.get("hard_failures", [])) or "no passing check report"
        raise Conflict(f"this version failed the platform's checks: {failures}", code="CHECKS_FAILED")
    version.state = "in_review"
    _event(session, version, "submitted", actor)
    session.flush()
    return version


def review_queue(session: Session, *, limit: int = 100) -> list[AppVersion]:
    """Submitted versions, the longest waiting first."""
    return list(
        session.scalars(
            select(AppVersion)
            .where(AppVersion.state == "in_review")
            .order_by(AppVersion.created_at, AppVersion.id)
            .limit(limit)
        )
    )


def approve(session: Session, app_id: str, version_name: str, *, actor: str, note: str = "") -> AppVersion:
    version = _locked_version(session, app_id, version_name)
    _expect(version, ["in_review"], "approved")
    version.state = "approved"
    _event(session, version, "approved", actor, note.strip())
    session.flush()
    return version


def reject(session: Session, app_id: str, version_name: str, *, actor: str, note: str) -> AppVersion:
    """Refuse a version, saying why: the developer reads the reason, fixes and submits a new upload."""
    note = note.strip()
    if not 3 <= len(note) <= 2000:
        raise InvalidArgument("say why the version is rejected (3 to 2,000 characters)", field="note")
    version = _locked_version(session, app_id, version_name)
    _expect(version, ["in_review"], "rejected")
    version.state = "rejected"
    _event(session, version, "rejected", actor, note)
    session.flush()
    return version


def release(session: Session, app_id: str, version_name: str, *, percent: int, actor: str) -> App:
    """Put an approved version in front of ``percent`` % of people (100: everyone). Staging one
    version replaces any other staged one; releasing to everyone supersedes the version before."""
    if percent not in SHARES:
        raise InvalidArgument("percent is a whole number from 1 to 100", field="percent")
    app = _locked_app(session, app_id)
    version = get_version(session, app_id, version_name)
    if not may_release(app, version):
        _expect(version, RELEASABLE, "released")
    if percent < 100 and not may_stage(app, version):
        raise Conflict(
            "a staged release needs a version that the others keep: release this one to 100 %",
            code="NOTHING_TO_STAGE_FROM",
        )
    if app.staged_version not in (None, version.version):
        _supersede(session, app, app.staged_version, actor)
    if percent == 100:
        previous = app.released_version
        app.released_version, app.staged_version, app.staged_percent = version.version, None, 0
        _take_listing(app, version)
        if previous not in (None, version.version):
            _supersede(session, app, previous, actor)
    else:
        app.staged_version, app.staged_percent = version.version, percent
    version.state, version.public = "released", True
    _event(session, version, "released", actor, _to_share(percent))
    _released(session, app)
    return app


def may_release(app: App, version: AppVersion) -> bool:
    """Whether release() takes this version (to some share): the console and the reviewers' panel
    offer Release where this says so, rather than each working the rule out again."""
    return version.version == app.staged_version or version.state in RELEASABLE


def may_stage(app: App, version: AppVersion) -> bool:
    """Whether release() takes this version to a share below 100 %: only beside a released version
    that the others keep (NOTHING_TO_STAGE_FROM otherwise)."""
    return may_release(app, version) and app.released_version not in (None, version.version)


def everyone_has(app: App, version: AppVersion) -> bool:
    """Whether everyone gets this version now: released, and nothing staged beside it."""
    return version.version == app.released_version and app.staged_version is None


def may_roll_back(app: App, version: AppVersion, *, went_to_everyone: bool) -> bool:
    """Whether roll_back() takes this version: one everyone once had (``went_to_everyone``, read
    once by the caller), other than the one they have."""
    return went_to_everyone and version.state in REVIEWED and not everyone_has(app, version)


def _to_share(percent: int) -> str:
    return f"to {percent} %"


def went_to_everyone(session: Session, version: AppVersion) -> bool:
    """Whether everyone once got this version: released to 100 % or rolled back to. A version
    released before versions' steps were recorded (migration 0013) went to everyone."""
    steps = session.execute(
        select(VersionEvent.action, VersionEvent.note).where(
            VersionEvent.app_id == version.app_id,
            VersionEvent.version == version.version,
            VersionEvent.action.in_(("released", "rolled back to")),
        )
    ).all()
    if not steps:
        return version.state in ("released", "superseded")
    return any(action == "rolled back to" or note == _to_share(100) for action, note in steps)


def roll_back(session: Session, app_id: str, version_name: str, *, actor: str, note: str = "") -> App:
    """Everyone back on a version everyone once had, from their next launch: the released and any
    staged version are superseded. A version only ever staged to a share, or approved and never
    out, is released instead (to a share first, if its developer likes): putting it in front of
    everyone is not going back (an attack rolled back to a version staged to 1 % and so gave it to all)."""
    app = _locked_app(session, app_id)
    version = get_version(session, app_id, version_name)
    _expect(version, REVIEWED, "rolled back to")
    if not went_to_everyone(session, version):
        raise Conflict(
            f"{version.version} never went to everyone, so nobody goes back to it: release it instead",
            code="NEVER_EVERYONES",
        )
    if everyone_has(app, version):
        raise Conflict(f"everyone already gets {version.version}", code="VERSION_STATE")
    for current in (app.staged_version, app.released_version):
        if current not in (None, version.version):
            _supersede(session, app, current, actor)
    app.released_version, app.staged_version, app.staged_percent = version.version, None, 0
    _take_listing(app, version)
    version.state, version.public = "released", True
    _event(session, version, "rolled back to", actor, note.strip())
    _released(session, app)
    return app


def publish_released(session: Session, store: PackageStore, package: Package, *, actor: str = OPERATOR) -> AppVersion:
    """The operator's path (``minis publish``, the admin upload, the demo): upload, approve and
    release to everyone in one unit, each step recorded. A version older than the released one is
    kept approved, not released (publishing an old package never turns anyone back)."""
    version = publish_version(session, store, package, actor=actor)
    version.state = "approved"
    _event(session, version, "approved", actor, "published by the operator")
    app = get_app(session, version.app_id)
    current = app.released_version
    if current is None or semver.Version.parse(version.version) > semver.Version.parse(current):
        release(session, version.app_id, version.version, percent=100, actor=actor)
    session.flush()
    return version


def history(session: Session, app_id: str, version_name: str | None = None) -> list[VersionEvent]:
    """What happened to an app's versions (or one of them), oldest first."""
    statement = select(VersionEvent).where(VersionEvent.app_id == app_id)
    if version_name is not None:
        statement = statement.where(VersionEvent.version == version_name)
    return list(session.scalars(statement.order_by(VersionEvent.at, VersionEvent.id)))


def _supersede(session: Session, app: App, version_name: str, actor: str) -> None:
    older = get_version(session, app.id, version_name)
    older.state = "superseded"
    _event(session, older, "superseded", actor)


def _take_listing(app: App, version: AppVersion) -> None:
    """What the hub and search show of the app comes from the version everyone gets."""
    manifest = version.manifest
    app.name, app.category, app.description = manifest["name"], manifest["category"], manifest.get("description", "")
    app.updated_at = utcnow()


def _released(session: Session, app: App) -> None:
    session.flush()
    out = [v for v in (app.released_version, app.staged_version) if v is not None]
    manifests = [Manifest.model_validate(get_version(session, app.id, name).manifest, context=STORED) for name in out]
    for hook in _release_hooks:
        hook(session, app.id, manifests)
    after_commit(session, changes.listed)
