"""Add to home screen: an app's web app manifest and its icons, on the host origin (the manifest's
start_url and scope are the host's /play/{app_id})."""

from __future__ import annotations

import json
from functools import lru_cache

from fastapi import Path
from fastapi.responses import Response

from openminis.errors import NotFound
from openminis.runtime import home_screen
from openminis.runtime.serving import IMMUTABLE
from openminis.web.dependencies import PlatformDep, SessionDep
from openminis.web.routing import Router

router = Router(prefix="/home-screen", include_in_schema=False)

AppId = Path(max_length=40, pattern=r"^[a-z0-9-]+$")
Version = Path(max_length=64, pattern=r"^[A-Za-z0-9.+_-]+$")
ICON_NAMES = {
    f"icon-{size}{suffix}.png": (size, bool(suffix)) for size in home_screen.SIZES for suffix in ("", "-maskable")
}


@router.get("/{app_id}/manifest.webmanifest")
def manifest(session: SessionDep, platform: PlatformDep, app_id: str = AppId) -> Response:
    document = home_screen.web_app_manifest(session, platform.settings, app_id)
    # Short-lived: a release changes the icons' URLs and maybe the name.
    return Response(
        json.dumps(document),
        media_type="application/manifest+json",
        headers={"Cache-Control": "public, max-age=300"},
    )


@router.get("/{app_id}/{version}/{name}")
def icon(
    session: SessionDep, platform: PlatformDep, app_id: str = AppId, version: str = Version, name: str = Path()
) -> Response:
    wanted = ICON_NAMES.get(name)
    if wanted is None:
        raise NotFound(f"no icon {name!r}: {', '.join(sorted(ICON_NAMES))}")
    source = home_screen.icon_source(session, platform.packages.path, app_id, version)
    size, maskable = wanted
    return Response(_rendered(source, size, maskable), media_type="image/png", headers={"Cache-Control": IMMUTABLE})


# A version's icons never change: each is drawn once per process (4 sizes of a few apps, bounded).
@lru_cache(maxsize=128)
def _rendered(source: home_screen.IconSource, size: int, maskable: bool) -> bytes:
    return home_screen.render_icon(source, size, maskable=maskable)
