"""What the host lists: the feed, the hub by kind, search results and recently played."""

from __future__ import annotations

from sqlalchemy.orm import Session

from openminis.catalog import service as catalog
from openminis.catalog.models import App, AppVersion
from openminis.catalog.schemas import Card, CardList
from openminis.runtime import service as runtime
from openminis.settings import Settings


def card(settings: Settings, app: App, version: AppVersion) -> Card:
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


def feed_page(session: Session, settings: Settings, *, cursor: str | None, limit: int) -> CardList:
    # Newest first for now; ranking by engagement and affinity replaces this order later.
    page = catalog.list_apps(session, cursor=cursor, limit=limit)
    return CardList(items=[card(settings, app, version) for app, version in page.apps], next_cursor=page.next_cursor)


def hub(session: Session, settings: Settings, *, kind: str, limit: int = 60) -> CardList:
    page = catalog.list_apps(session, kind=kind, limit=limit)
    return CardList(items=[card(settings, app, version) for app, version in page.apps])


def search(session: Session, settings: Settings, *, query: str, limit: int = 30) -> CardList:
    if not query.strip():
        return CardList(items=[])
    page = catalog.list_apps(session, query=query, limit=limit)
    return CardList(items=[card(settings, app, version) for app, version in page.apps])


def recents(session: Session, settings: Settings, *, user_id: str) -> CardList:
    cards = []
    for app_id in runtime.recent_app_ids(session, user_id):
        version = catalog.get_version(session, app_id)
        cards.append(card(settings, catalog.get_app(session, app_id), version))
    return CardList(items=cards)
