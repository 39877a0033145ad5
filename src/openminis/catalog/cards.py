"""An app as the host shows it: its card in the feed, the hub, search, recents and a post's anchor."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from openminis.catalog.models import App, AppVersion
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
    session: Session, settings: Settings, app_ids: Collection[str], *, unpackaged: bool = False
) -> dict[str, Card]:
    """The cards of these apps at their latest versions, by app id, in one query. An app with no
    published version has none, or with ``unpackaged`` its unpackaged card."""
    if not app_ids:
        return {}
    latest = (
        select(App, AppVersion)
        .join(
            AppVersion,
            (AppVersion.app_id == App.id) & (AppVersion.version == App.latest_version),
            isouter=unpackaged,
        )
        .where(App.id.in_(set(app_ids)))
    )
    found: dict[str, Card] = {}
    for app, version in session.execute(latest):
        found[app.id] = card(settings, app, version) if version is not None else unpackaged_card(settings, app)
    return found
