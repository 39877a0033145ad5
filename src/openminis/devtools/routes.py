"""The dev page and its routes, mounted only by ``minis dev`` (devtools/app.py), never by
``minis serve``: they sign a browser in as a fixed local person without a password, which only a
developer's own simulator may do."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import Depends, Query, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from openminis.catalog.check_job import check_version
from openminis.devtools.server import DEV_PERSON_EMAIL, DEV_PERSON_NAME, DevServer
from openminis.identity import accounts
from openminis.identity import service as identity
from openminis.inputs import Input
from openminis.platform import Platform
from openminis.web.admission import writes
from openminis.web.dependencies import (
    ChangingPerson,
    CurrentPerson,
    PlatformDep,
    SessionDep,
    Visitor,
    check_origin,
    refuse_without_csrf,
    session_token,
    set_session_cookie,
)
from openminis.web.pages import host_page_response
from openminis.web.routing import Router

if TYPE_CHECKING:  # the person's type only: identity's service finds and makes them
    from openminis.identity.models import User

PAGE_DIR = Path(__file__).resolve().parent / "page"
templates = Jinja2Templates(directory=PAGE_DIR)
router = Router(prefix="/dev", include_in_schema=False)

OriginChecked = Annotated[None, Depends(check_origin)]
# A long poll answers at the latest after this, so proxies and the browser never time it out.
POLL_SECONDS = 20.0


def dev_server(request: Request) -> DevServer:
    server: DevServer = request.app.state.dev_server
    return server


@router.get("", response_class=HTMLResponse)
@writes  # a new browser becomes the simulator's guest: a session of theirs
def dev_page(request: Request, visitor: CurrentPerson, session: SessionDep, platform: PlatformDep) -> Response:
    """The host page's config and policy (web/pages.py), with the dev server's folder and state:
    the app is framed from its own origin as in the host. A browser new to the dev server is the
    simulator's guest, the same one each time (a probe: each fresh browser was a guest of its own,
    and pressing Guest then switched to another person, whose saves were not the first one's)."""
    server = dev_server(request)
    if visitor.new:
        visitor = _as_simulators_guest(session, server, platform, visitor)
    dev = {"folder": str(server.folder), "state": server.state.answer()}
    return host_page_response(
        request, visitor, platform, {"share": None, "dev": dev}, template="dev.html", pages=templates
    )


@router.get("/api/state")
async def state(request: Request, after: int = Query(default=-1, ge=-1)) -> dict[str, Any]:
    """The version on screen; with ``after``, a long poll: answered once a publish attempt past
    that generation happened (a saved file), or after POLL_SECONDS with the state unchanged."""
    server = dev_server(request)
    if after < 0:
        return server.state.answer()
    return (await server.next_state(after, POLL_SECONDS)).answer()


class PersonIn(Input):
    person: Literal["guest", "member", "new"]


@router.post("/api/person")
def switch_person(
    body: PersonIn,
    request: Request,
    response: Response,
    visitor: ChangingPerson,
    session: SessionDep,
    platform: PlatformDep,
) -> dict[str, Any]:
    """This browser becomes the simulator's guest (the same one each time, with what they saved),
    its signed-in person, or a brand-new guest; the dev page then reloads as them."""
    server = dev_server(request)
    if body.person == "new":
        user, token = identity.start_guest(session)
    elif body.person == "guest":
        known = identity.get_user(session, server.guest_id) if server.guest_id else None
        if known is None:
            user, token = identity.start_guest(session)
            server.guest_id = user.id
        else:
            user, token = known, identity.new_session(session, known)
    else:
        user = _member(session)
        token = identity.new_session(session, user)
    set_session_cookie(response, platform, token)
    return {"user": {"id": user.id, "display_name": user.display_name, "kind": user.kind}}


def _as_simulators_guest(session: Session, server: DevServer, platform: Platform, visitor: Visitor) -> Visitor:
    """The visitor as the simulator's guest: the first new browser becomes it, the next ones sign in
    as it (the guest just made for them is left unused)."""
    known = identity.get_user(session, server.guest_id) if server.guest_id else None
    if known is None:
        server.guest_id = visitor.user.id
        return visitor
    token = identity.new_session(session, known)
    return Visitor(user=known, session_token=token, csrf_token=identity.csrf_token(platform.secret, token), new=True)


def _member(session: Session) -> User:
    """The signed-in person: the app's developer, whom the first publish made (server.py)."""
    user = accounts.vouched_user(session, DEV_PERSON_EMAIL)
    if user.display_name != DEV_PERSON_NAME:
        accounts.rename(session, user, DEV_PERSON_NAME)
    return user


async def from_the_dev_page(request: Request, platform: PlatformDep, _origin: OriginChecked) -> None:
    """The CSRF check of ChangingPerson without its database session: a check runs for seconds, and
    on SQLite a session held that long would keep the checker's own browser from the database."""
    refuse_without_csrf(request, platform, session_token(request, platform))


@router.post("/api/checks", dependencies=[Depends(from_the_dev_page)])
async def run_checks(request: Request) -> dict[str, Any]:
    """The platform's checks of an uploaded version (catalog/check_job.py), on the version on
    screen, in headless Chromium: the report is shown, not recorded (the version is released)."""
    server = dev_server(request)
    current = server.state
    if current.app_id is None or current.version is None:
        return {"report": None, "message": "nothing is published yet: fix the package first"}
    report = await run_in_threadpool(check_version, server.platform, current.app_id, current.version)
    return {"report": report, "message": None}
