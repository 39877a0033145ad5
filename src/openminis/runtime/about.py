"""An app's About, as the launcher's menu shows it: who made it, which version the person runs,
and the privacy policy its manifest names."""

from __future__ import annotations

from sqlalchemy.orm import Session

from openminis.catalog import service as catalog
from openminis.catalog.releases import version_for
from openminis.developers import service as developers
from openminis.errors import NotFound
from openminis.runtime.schemas import AboutOut


def about(session: Session, *, app_id: str, viewer: str | None) -> AboutOut:
    """Only of an app a person can open: a taken-down or unreleased app has no About to show."""
    app = catalog.published_app(session, app_id)
    name = version_for(app, viewer) if app is not None else None
    if app is None or name is None:
        raise NotFound(f"no app {app_id!r}", field="app_id")
    manifest = catalog.get_version(session, app_id, name).manifest
    return AboutOut(
        app_id=app.id,
        name=app.name,
        version=name,
        description=app.description,
        developer=developers.developer_name(session, app.developer_id),
        privacy_policy_url=manifest.get("privacy_policy_url") or None,
    )
