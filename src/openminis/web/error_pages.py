"""Errors as a person sees them: a page in the host's look for a browser that navigated to a host
URL (a mistyped link, an expired one, a server error), the JSON envelope for everything else.

Whether a request gets a page is read from the request alone: JSON stays for the APIs (/api/,
/openapi/) and for any client that asks for JSON; a page is for a browser's navigation (its
Accept names text/html), so an API client never has to parse HTML.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from starlette.requests import Request

from openminis.web.pages import WEB_DIR

JSON_PREFIXES = ("/api/", "/openapi/")
PAGE_CSP = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
templates = Jinja2Templates(directory=WEB_DIR / "templates")


@dataclass(frozen=True)
class Wording:
    title: str
    note: str


WORDING: dict[int, Wording] = {
    400: Wording(
        "This link isn’t right", "Part of the address is not what openminis expects. Check the link you followed."
    ),
    403: Wording("This isn’t open to you", "Your account may not see this page. Sign in with another account on Me."),
    404: Wording("This page isn’t here", "The link may be mistyped, or what it led to was removed or suspended."),
    410: Wording("This link doesn’t work any more", "It was used already or it expired. Ask for a new one."),
    422: Wording(
        "This link isn’t right", "Part of the address is not what openminis expects. Check the link you followed."
    ),
    429: Wording("Too many requests", "Wait a moment, then try again."),
    503: Wording("openminis is busy", "Nothing was lost. Try again in a moment."),
}
SERVER_ERROR = Wording(
    "Something went wrong on our side",
    "It’s not you: openminis ran into an error. Try again in a moment; if it keeps happening, "
    "tell the operator the reference below.",
)


def wants_page(request: Request) -> bool:
    """A browser navigating to a host URL, not an API call or a script's fetch."""
    if "minis.app_id" in request.scope:  # an app's own origin: its files, never the host's pages
        return False
    path = request.url.path
    if request.method not in ("GET", "HEAD") or path.startswith(JSON_PREFIXES) or path in ("/api", "/openapi"):
        return False
    accept = request.headers.get("accept", "").lower()
    return "text/html" in accept and "application/json" not in accept


def wording(status: int) -> Wording:
    if status >= 500 and status != 503:
        return SERVER_ERROR
    return WORDING.get(status) or WORDING[404 if status in (404, 405) else 400]


def error_page(request: Request, status: int, request_id: str, headers: dict[str, str] | None = None) -> HTMLResponse:
    words = wording(status)
    response = templates.TemplateResponse(
        request,
        "error.html",
        {"status": status, "title": words.title, "note": words.note, "request_id": request_id},
        status_code=status,
        headers={**(headers or {}), "Cache-Control": "no-store", "Content-Security-Policy": PAGE_CSP},
    )
    return response
