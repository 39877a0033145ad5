"""Apps and their immutable versions: uploading, looking up, listing. A version's life after its
upload (checks, review, release) is releases.py's."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openminis.catalog.manifest import Manifest
from openminis.catalog.models import App, AppVersion, VersionEvent
from openminis.catalog.package import Package, PackageError
from openminis.catalog.store import PackageStore
from openminis.db import utcnow
from openminis.errors import Conflict, Forbidden, NotFound
from openminis.pagination import decode_cursor, encode_cursor

ManifestCheck = Callable[[Session, Manifest], None]
_manifest_checks: list[ManifestCheck] = []


def on_new_version(check: ManifestCheck) -> None:
    """Call ``check(session, manifest)`` before any new version is stored, whoever uploads it (the
    console, the Open API, the operator, ``minis publish``); it raises PackageError for what the
    package may not declare. Payments subscribes (platform.py): no product sold through the Open API."""
    if check not in _manifest_checks:
        _manifest_checks.append(check)


def publish_version(session: Session, store: PackageStore, package: Package, *, actor: str) -> AppVersion:
    """Store a validated package as a new immutable version, ``uploaded``: nobody but its team and
    reviewers sees it until it is released (releases.py). Nothing is kept if any step fails."""
    manifest = package.manifest
    for check in _manifest_checks:
        check(session, manifest)
    app = session.get(App, manifest.id)
    if app is not None and app.kind != manifest.kind:
        raise PackageError(
            f"{manifest.id} is a {app.kind}; a version cannot change it to {manifest.kind}",
            code="INVALID_MANIFEST",
            field="kind",
        )
    if _version_exists(session, manifest.id, manifest.version):
        raise Conflict(
            f"{manifest.id} {manifest.version} already exists; versions are immutable, bump the version",
            code="VERSION_EXISTS",
        )

    # Files first, row second: a crash in between leaves only unreferenced files, never a row
    # without files. The rows go in a savepoint, so a refused version leaves the caller's unit of
    # work as it was (a command that skips published versions goes on); its files go at once.
    storage_key = store.put(manifest.id, manifest.version, package.files)
    try:
        with session.begin_nested():
            version = _add_version(session, app, package, storage_key, actor)
    except IntegrityError:  # the same version published concurrently: the first one stands
        store.delete(storage_key)
        raise Conflict(
            f"{manifest.id} {manifest.version} already exists; versions are immutable, bump the version",
            code="VERSION_EXISTS",
        ) from None
    except BaseException:
        store.delete(storage_key)
        raise
    return version


def _add_version(session: Session, app: App | None, package: Package, storage_key: str, actor: str) -> AppVersion:
    manifest = package.manifest
    now = utcnow()
    if app is None:
        app = App(
            id=manifest.id,
            kind=manifest.kind,
            name=manifest.name,
            category=manifest.category,
            description=manifest.description,
            created_at=now,
        )
        session.add(app)
    app.updated_at = now
    version = AppVersion(
        app_id=manifest.id,
        version=manifest.version,
        manifest=manifest.model_dump(),
        files=package.file_index(),
        size_bytes=package.size_bytes,
        sha256=package.digest(),
        storage_key=storage_key,
        state="uploaded",
        public=False,
        created_at=now,
    )
    session.add(version)
    session.add(
        VersionEvent(
            app_id=manifest.id, version=manifest.version, action="uploaded", state="uploaded", actor=actor, at=now
        )
    )
    session.flush()
    return version


def _version_exists(session: Session, app_id: str, version: str) -> bool:
    count = select(func.count()).where(AppVersion.app_id == app_id, AppVersion.version == version)
    return session.execute(count).scalar_one() > 0


def get_app(session: Session, app_id: str) -> App:
    app = session.get(App, app_id)
    if app is None:
        raise NotFound(f"no app {app_id!r}")
    return app


def held_app(session: Session, app_id: str) -> App:
    """``get_app``, its row held (FOR KEY SHARE on PostgreSQL) to the commit, before anything else
    is locked: for a change that adds a row of the app's (a product, a leaderboard, a template). A
    release holds the app's row for update, then the rows its manifest declares; such a change took
    the row's turn first and then the app's (its insert's foreign key): the two waited for each
    other, a deadlock, 503 (attack57b). Taken first, the app's row is the one order for both."""
    statement = select(App).where(App.id == app_id).with_for_update(read=True, key_share=True)
    app = session.scalar(statement)
    return app if app is not None else get_app(session, app_id)  # none: get_app's NotFound


def get_version(session: Session, app_id: str, version: str | None = None) -> AppVersion:
    """A version of an app, the released one when none is named."""
    if version is None:
        version = get_app(session, app_id).released_version
        if version is None:
            raise NotFound(f"app {app_id!r} has no published version yet")
    found = session.scalar(select(AppVersion).where(AppVersion.app_id == app_id, AppVersion.version == version))
    if found is None:
        raise NotFound(f"no version {version!r} of app {app_id!r}")
    return found


def app_exists(session: Session, app_id: str) -> bool:
    return session.get(App, app_id) is not None


def origin_sdks(session: Session) -> dict[str, str]:
    """Each app made for another platform (``minis import``) and that platform, as its newest
    version's manifest says. Reads every version's manifest: fine for a report run now and then."""
    found: dict[str, str | None] = {}
    rows = session.execute(select(AppVersion.app_id, AppVersion.manifest).order_by(AppVersion.created_at))
    for app_id, manifest in rows:
        found[app_id] = manifest.get("origin_sdk")
    return {app_id: origin for app_id, origin in found.items() if origin}


def origin_sdk_of(session: Session, app_id: str) -> str | None:
    """The platform an app was made for (``minis import``), as its newest version's manifest says;
    None for a native app."""
    manifest = session.scalar(
        select(AppVersion.manifest)
        .where(AppVersion.app_id == app_id)
        .order_by(AppVersion.created_at.desc(), AppVersion.id.desc())
        .limit(1)
    )
    found = manifest.get("origin_sdk") if manifest else None
    return str(found) if found else None


def find_app(session: Session, app_id: str) -> App | None:
    return session.get(App, app_id)


def apps_by_id(session: Session, app_ids: Collection[str]) -> dict[str, App]:
    """These apps, by id, in one query (ids that name no app are left out)."""
    if not app_ids:
        return {}
    return {app.id: app for app in session.scalars(select(App).where(App.id.in_(set(app_ids))))}


def add_app(session: Session, *, app_id: str, name: str, kind: str, category: str, developer_id: str) -> App:
    """A developer's new app, with no version yet (developers check the id and that it is free)."""
    app = App(id=app_id, name=name, kind=kind, category=category, developer_id=developer_id)
    session.add(app)
    session.flush()
    return app


def app_count(session: Session, developer_id: str) -> int:
    """How many apps a developer registered (taken down or not)."""
    return session.scalar(select(func.count()).select_from(App).where(App.developer_id == developer_id)) or 0


def apps_of(session: Session, developer_id: str) -> list[App]:
    """A developer's apps, oldest first."""
    return list(session.scalars(select(App).where(App.developer_id == developer_id).order_by(App.created_at)))


@dataclass(frozen=True)
class Page:
    apps: list[tuple[App, AppVersion]]
    next_cursor: str | None


def list_apps(
    session: Session, *, kind: str | None = None, query: str | None = None, cursor: str | None = None, limit: int = 20
) -> Page:
    """Released apps newest first, with their released version, paginated by an opaque keyset cursor."""
    statement = select(App, AppVersion).join(
        AppVersion, (AppVersion.app_id == App.id) & (AppVersion.version == App.released_version)
    )
    statement = statement.where(App.taken_down_at.is_(None))
    if kind:
        statement = statement.where(App.kind == kind)
    if query:
        pattern = f"%{_escape_like(query.strip().lower())}%"
        statement = statement.where(
            or_(
                func.lower(App.name).like(pattern, escape="\\"),
                func.lower(App.category).like(pattern, escape="\\"),
                func.lower(App.description).like(pattern, escape="\\"),
            )
        )
    if cursor:
        created, app_id = decode_cursor(cursor, str)
        statement = statement.where(or_(App.created_at < created, (App.created_at == created) & (App.id > app_id)))
    rows = session.execute(statement.order_by(App.created_at.desc(), App.id).limit(limit + 1)).all()
    apps = [(row[0], row[1]) for row in rows[:limit]]
    next_cursor = encode_cursor(apps[-1][0].created_at, apps[-1][0].id) if len(rows) > limit else None
    return Page(apps=apps, next_cursor=next_cursor)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_versions(
    session: Session, app_id: str, *, cursor: str | None = None, limit: int = 20
) -> tuple[list[AppVersion], str | None]:
    """An app's versions, newest upload first."""
    statement = select(AppVersion).where(AppVersion.app_id == app_id)
    if cursor:
        created, version_id = decode_cursor(cursor, int)
        statement = statement.where(
            or_(AppVersion.created_at < created, (AppVersion.created_at == created) & (AppVersion.id < version_id))
        )
    rows = list(
        session.scalars(statement.order_by(AppVersion.created_at.desc(), AppVersion.id.desc()).limit(limit + 1))
    )
    page = rows[:limit]
    return page, (encode_cursor(page[-1].created_at, page[-1].id) if len(rows) > limit else None)


def published_app(session: Session, app_id: str) -> App | None:
    """The app, if it has a released version and is not taken down (what a person can open)."""
    app = session.get(App, app_id)
    return app if app is not None and app.released_version is not None and app.taken_down_at is None else None


# Moderation: a moderator takes an app down (moderation/ calls these) ------------------------------


class AppTakenDown(Forbidden):
    code = "APP_TAKEN_DOWN"


def require_open(app: App) -> App:
    """The app, unless a moderator has taken it down or suspended it: then nothing new may start
    in it (a launch, an order, an unlock, a pass)."""
    if app.taken_down_at is not None:
        raise AppTakenDown(f"{app.name} is unavailable: the platform has taken it down")
    return app


def open_app(session: Session, app_id: str) -> App:
    """``get_app``, refused for an app that is taken down (``require_open``)."""
    return require_open(get_app(session, app_id))


def is_taken_down(session: Session, app_id: str) -> bool:
    app = session.get(App, app_id)
    return app is not None and app.taken_down_at is not None


def taken_down(app_id: ColumnElement[str]) -> ColumnElement[bool]:
    """``is_taken_down`` as an expression another domain's statement carries: its answer arrives
    with that statement's row, with no round trip of its own (a purchase asks it, payments/orders.py)."""
    return exists().where(App.id == app_id, App.taken_down_at.is_not(None))


def taken_down_app_ids(session: Session, app_ids: Collection[str]) -> set[str]:
    """Which of these apps are taken down, in one query."""
    if not app_ids:
        return set()
    statement = select(App.id).where(App.id.in_(set(app_ids)), App.taken_down_at.is_not(None))
    return set(session.scalars(statement))


def set_taken_down(session: Session, app_id: str, down: bool) -> dict[str, object]:
    """Take the app down or restore it; returns what it was (for the audit log). Every read path
    (cards, listings, share links, launches, orders, the Open API) checks ``taken_down_at``, so
    the change holds everywhere from this unit's commit on."""
    app = get_app(session, app_id)
    before: dict[str, object] = {"taken_down": app.taken_down_at is not None}
    app.taken_down_at = (app.taken_down_at or utcnow()) if down else None
    session.flush()
    return before
