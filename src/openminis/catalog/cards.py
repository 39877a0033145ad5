"""An app as the host shows it: its card in the feed, the hub, search, recents and a post's anchor."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from openminis.catalog.models import App, AppVersion
from openminis.catalog.releases import version_for
from openminis.catalog.schemas import Card

if TYPE_CHECKING:
    from openminis.settings import Settings  # the settings module reaches up to identity's mail


def card(settings: Settings, app: App, version: AppVersion) -> Card:
    """The app's card at ``version``."""
    origin = settings.app_origin(app.id)
    manifest = version.manifest
    return Card(
        app_id=app.id,
        name=app.name,
        kind=app.kind,
        category=app.category,
        description=app.description,
        version=version.version,
        icon_url=f"{origin}/v/{version.version}/{manifest['icon']}",
        origin=origin,
        entry_url=f"{origin}/v/{version.version}/{manifest['entry']}",
        orientation=manifest["orientation"],
        # Versions stored before previews existed have no "preview" key.
        preview_url=f"{origin}/v/{version.version}/{manifest['preview']}" if manifest.get("preview") else None,
    )


def unpackaged_card(settings: Settings, app: App) -> Card:
    """A drama app that ships no package (its series play in the host's player) has no version
    to build a card from: its version and entry_url are empty, the host opens the series instead,
    and it has no icon of its own (a series' cover may stand in)."""
    return Card(
        app_id=app.id,
        name=app.name,
        kind=app.kind,
        category=app.category or app.kind,
        description=app.description,
        version="",
        icon_url="",
        origin=settings.app_origin(app.id),
        entry_url="",
        orientation="portrait",
    )


def cards(
    session: Session,
    settings: Settings,
    app_ids: Collection[str],
    *,
    viewer: str | None = None,
    unpackaged: bool = False,
) -> dict[str, Card]:
    """The cards of these apps, by app id, in two queries, each at the version ``viewer`` gets (the
    released one, or a staged one for the people in its share). An app with nothing released has
    none, or with ``unpackaged`` its unpackaged card. An app a moderator took down has none: the
    feed, the hub, search, recents and posts' chips all build their cards here."""
    if not app_ids:
        return {}
    apps = list(session.scalars(select(App).where(App.id.in_(set(app_ids)), App.taken_down_at.is_(None))))
    wanted = {app.id: version_for(app, viewer) for app in apps}
    pairs = [(app_id, name) for app_id, name in wanted.items() if name is not None]
    versions: dict[str, AppVersion] = {}
    if pairs:
        statement = select(AppVersion).where(
            or_(*(and_(AppVersion.app_id == app_id, AppVersion.version == name) for app_id, name in pairs))
        )
        versions = {version.app_id: version for version in session.scalars(statement)}
    found: dict[str, Card] = {}
    for app in apps:
        version = versions.get(app.id)
        if version is not None:
            found[app.id] = card(settings, app, version)
        elif unpackaged and app.released_version is None:
            found[app.id] = unpackaged_card(settings, app)
    return found
