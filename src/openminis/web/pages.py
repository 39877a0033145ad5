"""The host's pages: the one-page host app and its static files."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path as FilePath
from urllib.parse import quote

from fastapi import Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2.utils import htmlsafe_json_dumps

from openminis import __version__
from openminis.catalog.cards import cards
from openminis.creators import sharing
from openminis.creators.audience import resolve_creator
from openminis.creators.service import get_post
from openminis.drama.catalog import published_series
from openminis.errors import InvalidArgument, NotFound
from openminis.platform import Platform
from openminis.runtime.serving import SDK_DIR, TYPES
from openminis.web.dependencies import CurrentPerson, PlatformDep, SessionDep, Visitor, set_session_cookie
from openminis.web.head import FileAnswer
from openminis.web.routing import Router

WEB_DIR = FilePath(__file__).resolve().parent
templates = Jinja2Templates(directory=WEB_DIR / "templates")
router = Router(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def host_page(request: Request, visitor: CurrentPerson, platform: PlatformDep) -> Response:
    return _host_page(request, visitor, platform)


@router.get("/s/{code}", response_class=HTMLResponse)
def share_page(
    request: Request,
    visitor: CurrentPerson,
    session: SessionDep,
    platform: PlatformDep,
    code: str = Path(max_length=200),
) -> Response:
    """A share link: the host page, told to open what was shared at once. A link that is forged
    or whose target is gone opens the feed (a person following a link gets somewhere, not an error)."""
    try:
        shared = sharing.resolve(session, platform.secret, code)
    except NotFound:
        shared = None
    share = None
    if shared is not None:
        share = {
            "code": shared.code,
            "kind": shared.kind,
            "app_id": shared.app_id,
            "series_id": shared.series_id,
            "episode": shared.episode,
            "post_id": shared.post_id,
        }
    return _host_page(request, visitor, platform, share=share)


# What the host has open has a URL of its own (navigation.js pushes it): a game, an episode of a
# series, a post. Reloaded or followed as a link, the host page opens it at once over the feed.


@router.get("/play/{app_id}", response_class=HTMLResponse)
def play_page(
    request: Request,
    visitor: CurrentPerson,
    session: SessionDep,
    platform: PlatformDep,
    app_id: str = Path(max_length=40),
) -> Response:
    """A game: its card comes with the page (at the version this person gets), so it opens without
    another request; an app that is gone, taken down or unreleased has none, and the host says so."""
    card = cards(session, platform.settings, [app_id], viewer=visitor.user.id).get(app_id)
    opened = {"kind": "play", "app_id": app_id, "card": card.model_dump() if card else None}
    # The app's own web app manifest, so that "Add to Home Screen" adds the game, not the host.
    manifest = f"/home-screen/{quote(app_id, safe='')}/manifest.webmanifest" if card else None
    page = _host_page(request, visitor, platform, opened=opened, manifest=manifest)
    return _missing_unless(card is not None, page)


@router.get("/app/{app_id}")
def old_app_link(app_id: str = Path(max_length=40)) -> Response:
    """The app links of before /play: a person following one gets the game, not an API answer."""
    return RedirectResponse(f"/play/{quote(app_id, safe='')}", status_code=301)


@router.get("/watch/{series_id}/{episode}", response_class=HTMLResponse)
def watch_page(
    request: Request,
    visitor: CurrentPerson,
    session: SessionDep,
    platform: PlatformDep,
    series_id: str = Path(max_length=32),
    episode: int = Path(ge=1, le=100_000),
) -> Response:
    """An episode of a series, in the drama player (which asks the drama API for what it may play)."""
    try:
        published_series(session, series_id)
        found = True
    except NotFound:
        found = False
    opened = {"kind": "watch", "series_id": series_id, "episode": episode}
    return _missing_unless(found, _host_page(request, visitor, platform, opened=opened))


@router.get("/p/{post_id}", response_class=HTMLResponse)
def post_page(
    request: Request,
    visitor: CurrentPerson,
    session: SessionDep,
    platform: PlatformDep,
    post_id: str = Path(max_length=32),
) -> Response:
    """A creator's post: the feed, starting at it (a post has no page of its own)."""
    try:
        get_post(session, post_id, viewer_id=visitor.user.id)
        found = True
    except NotFound:  # removed, never there, or its creator suspended
        found = False
    return _missing_unless(found, _host_page(request, visitor, platform, opened={"kind": "post", "post_id": post_id}))


def _missing_unless(found: bool, page: Response) -> Response:
    """What a link names that is gone (deleted, taken down, suspended, never there) still gets the
    host page, which tells the person and shows the feed; its status says 404 to crawlers and
    link checkers."""
    if not found:
        page.status_code = 404
    return page


@router.get("/c/{creator}", response_class=HTMLResponse)
def creator_page(
    request: Request,
    visitor: CurrentPerson,
    session: SessionDep,
    platform: PlatformDep,
    creator: str = Path(max_length=64),
) -> Response:
    """A creator's profile (by handle or id): the host page, opening it over the feed."""
    try:
        resolve_creator(session, creator)
        found = True
    except (NotFound, InvalidArgument):  # no such creator, a suspended one, or an empty name
        found = False
    opened = {"kind": "creator", "creator": creator}
    return _missing_unless(found, _host_page(request, visitor, platform, opened=opened))


@router.get("/console", response_class=HTMLResponse)
def console_page(request: Request, visitor: CurrentPerson, platform: PlatformDep) -> Response:
    """The developer console: a developer's apps and their numbers, on the person's own session."""
    config = {
        "csrfToken": visitor.csrf_token,
        "user": {"id": visitor.user.id, "display_name": visitor.user.display_name, "kind": visitor.user.kind},
    }
    return _page(request, visitor, platform, "console.html", config)


@router.get("/admin", response_class=HTMLResponse)
def admin_page(request: Request, visitor: CurrentPerson, platform: PlatformDep) -> Response:
    """The reviewers' page: the queue of submitted versions and releases, for the platform's staff
    (the review API decides who is; others are told they are not staff)."""
    config = {
        "csrfToken": visitor.csrf_token,
        "user": {"id": visitor.user.id, "display_name": visitor.user.display_name, "kind": visitor.user.kind},
    }
    return _page(request, visitor, platform, "admin.html", config)


@router.get("/preview/{app_id}/{version}", response_class=HTMLResponse)
def preview_page(
    request: Request,
    visitor: CurrentPerson,
    platform: PlatformDep,
    app_id: str = Path(max_length=40),
    version: str = Path(max_length=64),
) -> Response:
    """A preview link: the host page, told to open this version at once, marked as a preview. Who
    may see it is the preview API's to decide (developers/console.py); others get the feed and a notice."""
    check = request.query_params.get("check", "")[:100]
    return _host_page(request, visitor, platform, preview={"app_id": app_id, "version": version, "check": check})


def _host_page(
    request: Request,
    visitor: Visitor,
    platform: Platform,
    *,
    share: Mapping[str, object] | None = None,
    preview: Mapping[str, object] | None = None,
    opened: Mapping[str, object] | None = None,
    manifest: str | None = None,
) -> Response:
    extra = {"share": share, "preview": preview, "open": opened}
    return host_page_response(request, visitor, platform, extra, context={"manifest_url": manifest})


def host_page_response(
    request: Request,
    visitor: Visitor,
    platform: Platform,
    extra: Mapping[str, object],
    *,
    template: str = "index.html",
    pages: Jinja2Templates | None = None,
    context: Mapping[str, object] | None = None,
) -> Response:
    """A page that runs the host (its launcher, bridge and sheets): the host's config, with
    ``extra`` (what a share or a preview link opens; ``minis dev``'s state), in ``template`` from
    ``pages`` (the host's own templates unless another page set is given, as ``minis dev``'s)."""
    settings = platform.settings
    config = {
        "hostOrigin": settings.host_origin,
        "appsHost": settings.apps_host,
        "sdkVersion": __version__,
        "hostVersion": __version__,
        "market": settings.default_market,
        "keepMinimisedMs": settings.keep_minimised_seconds * 1000,
        "csrfToken": visitor.csrf_token,
        "user": {"id": visitor.user.id, "display_name": visitor.user.display_name, "kind": visitor.user.kind},
        **extra,
    }
    return _page(request, visitor, platform, template, config, context, pages=pages)


def _page(
    request: Request,
    visitor: Visitor,
    platform: Platform,
    template: str,
    config: Mapping[str, object],
    context: Mapping[str, object] | None = None,
    *,
    pages: Jinja2Templates | None = None,
) -> Response:
    settings = platform.settings
    # Jinja's tojson: "<", ">", "&" and "'" as \u escapes. Escaping "</" alone was not enough: a
    # "<!--<script>" in a name or a path (a probe: /c/%3C%21--%3Cscript%3E) put the HTML parser in
    # a state where the script element ran on to the end of the page, and the host page was blank.
    config_json = htmlsafe_json_dumps(config)
    response = (pages or templates).TemplateResponse(request, template, {**(context or {}), "config_json": config_json})
    if visitor.new:
        set_session_cookie(response, platform, visitor.session_token)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data: blob: *; media-src 'self' blob: *; "
        f"frame-src http://*.{settings.apps_host}:* https://*.{settings.apps_host}:* "
        f"http://*.{settings.apps_host} https://*.{settings.apps_host}; "
        "style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )
    return response


@router.get("/push-sw.js")
def push_worker() -> Response:
    """The host's service worker for Web Push, at the root so that its scope is the whole host."""
    return FileAnswer(WEB_DIR / "static" / "push-sw.js", media_type=TYPES[".js"], headers={"Cache-Control": "no-cache"})


@router.get("/sw.js")
def offline_worker() -> Response:
    """The host's service worker for offline relaunch (docs/home-screen.md): its scope is /play/
    only (push-sw.js keeps "/"), so it needs no Service-Worker-Allowed header."""
    return FileAnswer(WEB_DIR / "static" / "sw.js", media_type=TYPES[".js"], headers={"Cache-Control": "no-cache"})


@router.get("/offline", response_class=HTMLResponse)
def offline_page(request: Request) -> Response:
    """What the offline worker shows for a /play/ page it has no copy of (an app never played here)."""
    response = templates.TemplateResponse(request, "offline.html", {})
    response.headers["Cache-Control"] = "no-cache"
    policy = "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
    response.headers["Content-Security-Policy"] = policy
    return response


@router.get("/sdk/{name}")
def sdk_file(name: str) -> Response:
    """The SDK and its typings, for developers to read or vendor."""
    if name not in ("minis-sdk.js", "minis-sdk.d.ts"):
        raise NotFound(f"no SDK file {name!r}: minis-sdk.js or minis-sdk.d.ts")
    media = TYPES[".js"] if name.endswith(".js") else "text/plain; charset=utf-8"
    return FileAnswer(SDK_DIR / name, media_type=media, headers={"Cache-Control": "public, max-age=300"})
