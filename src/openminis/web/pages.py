"""The host's pages: the one-page host app and its static files."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates

from openminis import __version__
from openminis.platform import Platform
from openminis.runtime.serving import SDK_DIR, TYPES
from openminis.web.dependencies import Visitor, current_visitor, get_platform, set_session_cookie

WEB_DIR = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=WEB_DIR / "templates")
router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def host_page(request: Request, visitor: Visitor = Depends(current_visitor), platform: Platform = Depends(get_platform)):
    settings = platform.settings
    config = {
        "hostOrigin": settings.host_origin,
        "appsHost": settings.apps_host,
        "sdkVersion": __version__,
        "hostVersion": __version__,
        "market": settings.default_market,
        "csrfToken": visitor.csrf_token,
        "user": {"id": visitor.user.id, "display_name": visitor.user.display_name, "kind": visitor.user.kind},
    }
    # "</" must not appear inside the inline JSON, or a name could close the script element.
    config_json = json.dumps(config).replace("</", "<\\/")
    response = templates.TemplateResponse(request, "index.html", {"config_json": config_json})
    if visitor.new:
        set_session_cookie(response, platform, visitor.session_token)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data: blob: *; media-src 'self' blob: *; "
        f"frame-src http://*.{settings.apps_host}:* https://*.{settings.apps_host}:* http://*.{settings.apps_host} https://*.{settings.apps_host}; "
        "style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )
    return response


@router.get("/sdk/{name}")
def sdk_file(name: str):
    """The SDK and its typings, for developers to read or vendor."""
    if name not in ("minis-sdk.js", "minis-sdk.d.ts"):
        return HTMLResponse("not found", status_code=404)
    media = TYPES[".js"] if name.endswith(".js") else "text/plain; charset=utf-8"
    return FileResponse(SDK_DIR / name, media_type=media, headers={"Cache-Control": "public, max-age=300"})
