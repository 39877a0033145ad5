"""Serving packages on each app's own origin: immutable versioned files under a strict CSP."""

from __future__ import annotations

import html
import mimetypes
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.middleware.gzip import GZipMiddleware

from openminis.ads import inventory
from openminis.catalog import preview
from openminis.catalog import service as catalog
from openminis.compat.shims import shim_script
from openminis.errors import NotFound
from openminis.platform import Platform
from openminis.social import boards as social_boards
from openminis.unit_of_work import unit_of_work

if TYPE_CHECKING:
    from openminis.catalog.models import FileEntry

SDK_DIR = Path(__file__).resolve().parent.parent / "sdk"
OFFLINE_DIR = Path(__file__).resolve().parent / "offline"
# A version larger than this is not kept for offline relaunch (docs/home-screen.md): a person's
# storage is the browser's to share between every app they play.
MAX_OFFLINE_BYTES = 64 * 1024 * 1024
IMMUTABLE = "public, max-age=31536000, immutable"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".wasm": "application/wasm",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".gif": "image/gif",
    ".ico": "image/x-icon",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".wav": "audio/wav",
    ".m4a": "audio/mp4",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".txt": "text/plain; charset=utf-8",
    ".glb": "model/gltf-binary",
    ".gltf": "model/gltf+json",
}


def content_type(path: str) -> str:
    suffix = Path(path).suffix.lower()
    return TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"


def content_security_policy(
    host_origin: str, allowed_domains: list[str], dev_sources: str = "", media_origins: tuple[str, ...] = ()
) -> str:
    remote = " ".join([*(f"https://{domain} wss://{domain}" for domain in allowed_domains), *dev_sources.split()])
    # The host's media routes redirect to object storage (its presigned URLs, the CDN), and a
    # redirect's target must be allowed too.
    media = " ".join((host_origin, *media_origins))
    return "; ".join(
        [
            "default-src 'self'",
            # Inline scripts and eval are common in HTML5 game engines; the origin boundary, not
            # the script policy, is what keeps an app from the host and from other apps.
            "script-src 'self' 'unsafe-inline' 'unsafe-eval' 'wasm-unsafe-eval' blob:",
            "style-src 'self' 'unsafe-inline'",
            # The host's own images and media (avatars from getUserProfile, drama episodes for a
            # custom player) come from the host origin.
            f"img-src 'self' data: blob: {media}",
            f"media-src 'self' data: blob: {media}",
            "font-src 'self' data:",
            "worker-src 'self' blob:",
            f"connect-src 'self' {remote}".rstrip(),
            "frame-src 'none'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            f"frame-ancestors {host_origin}",
        ]
    )


def create_apps_app(platform: Platform) -> FastAPI:
    """The ASGI app for every ``{app_id}.apps...`` origin; the app id comes from the Host header."""
    apps = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    # Its answers are gzipped: a HEAD here has the GET's length only by making the body (web/head.py),
    # so its files are Starlette's FileResponse, which reads them for a HEAD; they are a package's own.
    apps.add_middleware(GZipMiddleware, minimum_size=1024)
    settings = platform.settings
    media_origins = tuple(platform.storage.browser_origins())

    # (storage key, files, CSP, file names, entry path)
    Resolved = tuple[str, dict[str, "FileEntry"], str, tuple[str, ...], str]

    def lookup(app_id: str, version: str, *, public_only: bool) -> Resolved:
        with unit_of_work(platform.db, reads=True) as session:
            found = catalog.get_version(session, app_id, version)
            if public_only and not found.public:
                raise NotFound(f"version {version!r} of {app_id!r} was never released")
            policy = content_security_policy(
                settings.host_origin, found.manifest.get("allowed_domains", []), settings.dev_connect_src, media_origins
            )
            return found.storage_key, found.files, policy, tuple(found.files), found.manifest["entry"]

    @lru_cache(maxsize=1024)
    def resolve(app_id: str, version: str) -> Resolved:
        # Versions are immutable and a released one stays public, so what a (app, version) pair
        # resolves to never changes once found; a version not yet released raises, uncached.
        return lookup(app_id, version, public_only=True)

    @lru_cache(maxsize=256)
    def resolve_preview(app_id: str, version: str) -> Resolved:
        return lookup(app_id, version, public_only=False)

    @apps.get("/minis-sdk.js")
    def sdk() -> Response:
        return FileResponse(
            SDK_DIR / "minis-sdk.js", media_type=TYPES[".js"], headers={"Cache-Control": "public, max-age=300"}
        )

    @apps.get("/sdk/compat/{name}.js")
    def compat_shim(request: Request, name: str) -> Response:
        """A game made for another platform loads that platform's SDK from here (docs/compat.md)."""
        with unit_of_work(platform.db, reads=True) as session:
            units: dict[str, str] = {}
            for unit in inventory.list_units(session, request.scope["minis.app_id"]):
                if unit.active:
                    units.setdefault(unit.kind, unit.id)
            boards = [board.id for board in social_boards.list_boards(session, request.scope["minis.app_id"])]
        script = shim_script(name, units, boards)
        if script is None:
            return Response("no such platform", status_code=404, media_type="text/plain")
        # Not cached for long: the ad units in it are the app's current ones.
        return Response(script, media_type=TYPES[".js"], headers={"Cache-Control": "no-cache"})

    # Offline relaunch (docs/home-screen.md): the host frames /minis-offline/install once the app
    # is ready; it registers /minis-sw.js (scope /v/) and keeps the version's files in the Cache API.
    @apps.get("/minis-sw.js")
    def offline_worker() -> Response:
        return FileResponse(OFFLINE_DIR / "minis-sw.js", media_type=TYPES[".js"], headers={"Cache-Control": "no-cache"})

    @apps.get("/minis-offline/{page}")
    def offline_page(request: Request, page: str) -> Response:
        if page in ("install.js", "forget.js"):
            return FileResponse(
                OFFLINE_DIR / page, media_type=TYPES[".js"], headers={"Cache-Control": "public, max-age=300"}
            )
        if page.endswith(".json"):
            return offline_listing(request.scope["minis.app_id"], page.removesuffix(".json"))
        if page not in ("install", "forget"):
            return Response("not found", status_code=404, media_type="text/plain")
        host = html.escape(settings.host_origin, quote=True)
        document = (
            f'<!doctype html><html data-host="{host}"><meta charset="utf-8">'
            f'<title>openminis offline</title><script src="/minis-offline/{page}.js"></script></html>'
        )
        policy = f"default-src 'none'; script-src 'self'; connect-src 'self'; frame-ancestors {settings.host_origin}"
        return HTMLResponse(document, headers={"Cache-Control": "no-cache", "Content-Security-Policy": policy})

    def offline_listing(app_id: str, version: str) -> Response:
        """What a released version's relaunch needs: its files' URLs (immutable), the SDK and, for
        a game made for another platform, its shim."""
        try:
            resolved = resolve(app_id, version)
        except NotFound:
            return JSONResponse({"code": "NOT_FOUND", "message": "no such released version"}, status_code=404)
        with unit_of_work(platform.db, reads=True) as session:
            if catalog.is_taken_down(session, app_id):
                return JSONResponse({"code": "NOT_FOUND", "message": "this app was taken down"}, status_code=404)
            manifest = catalog.get_version(session, app_id, version).manifest
        files = resolved[1]
        size = sum(int(entry["size"]) for entry in files.values())
        urls = [f"/v/{quote(version, safe='')}/{quote(path)}" for path in sorted(files)]
        extra = ["/minis-sdk.js"]
        if manifest.get("origin_sdk"):
            extra.append(f"/sdk/compat/{quote(str(manifest['origin_sdk']), safe='')}.js")
        listing = {"version": version, "bytes": size, "keep": size <= MAX_OFFLINE_BYTES, "files": urls, "extra": extra}
        return JSONResponse(listing, headers={"Cache-Control": "public, max-age=31536000, immutable"})

    def into_host(app_id: str) -> Response:
        # Opened as the tab's page (not in the host's frame), the app would run outside the platform,
        # with no capsule, no way back and no sign-in: the host's launcher opens it instead. Browsers
        # say which with Sec-Fetch-Dest; one that sends none gets the app (the SDK runs standalone).
        return RedirectResponse(
            f"{settings.host_origin}/play/{app_id}",
            status_code=303,
            headers={"Cache-Control": "no-store", "Vary": "Sec-Fetch-Dest"},
        )

    def top_level(request: Request) -> bool:
        return request.headers.get("sec-fetch-dest") == "document"

    @apps.get("/")
    def latest(request: Request) -> Response:
        app_id = request.scope["minis.app_id"]
        if top_level(request):
            return into_host(app_id)
        with unit_of_work(platform.db, reads=True) as session:
            version = catalog.get_version(session, app_id)
            return RedirectResponse(f"/v/{version.version}/{version.manifest['entry']}", status_code=302)

    @apps.get("/v/{version}/{path:path}")
    def package_file(request: Request, version: str, path: str) -> Response:
        app_id = request.scope["minis.app_id"]
        try:
            resolved = resolve(app_id, version)
        except NotFound:
            return Response("not found", status_code=404, media_type="text/plain")
        # Outside resolve's cache: a takedown (moderation/) holds from its commit on, for every file.
        with unit_of_work(platform.db, reads=True) as session:
            if catalog.is_taken_down(session, app_id):
                return Response("this app was taken down", status_code=403, media_type="text/plain")
        if path == resolved[4] and top_level(request):
            return into_host(app_id)
        response = _file(request, resolved, path, cache=IMMUTABLE)
        if path == resolved[4]:
            response.headers["Vary"] = "Sec-Fetch-Dest"  # a cache must not answer a tab with the frame's page
        return response

    @apps.get("/p/{token}/{path:path}")
    def preview_file(request: Request, token: str, path: str) -> Response:
        """A version's files under a preview capability (catalog/preview.py): not cached by shared
        caches, and unreachable once the capability expires."""
        app_id = request.scope["minis.app_id"]
        granted = preview.read_capability(platform.secret, app_id, token)
        if granted is None:
            return Response("this preview link is not valid or has expired", status_code=404, media_type="text/plain")
        try:
            resolved = resolve_preview(app_id, granted.version)
        except NotFound:
            return Response("not found", status_code=404, media_type="text/plain")
        return _file(request, resolved, path, cache="private, max-age=300")

    def _file(request: Request, resolved: Resolved, path: str, *, cache: str) -> Response:
        storage_key, files, policy, _, _ = resolved
        entry = files.get(path)
        local = platform.packages.path(storage_key, path) if entry else None
        if entry is None or local is None:
            return Response(
                "not found", status_code=404, media_type="text/plain", headers={"Content-Security-Policy": policy}
            )
        etag = f'"{entry["sha256"][:32]}"'
        headers = {
            "Cache-Control": cache,
            "ETag": etag,
            "Content-Security-Policy": policy,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "strict-origin-when-cross-origin",
        }
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        return FileResponse(local, media_type=content_type(path), headers=headers)

    return apps
