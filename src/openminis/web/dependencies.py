"""What routes receive, by name: every route declares its dependencies with these aliases.

``PlatformDep``     the platform (settings, stores, limiter)
``SessionDep``      the request's unit of work (web/admission.py commits it once the route returned)
``CurrentPerson``   the person behind a host request, made a guest on the spot if need be
``ChangingPerson``  the person behind a state-changing host request: Origin, CSRF token, per-person limit
``ClaimingPerson``  the same, for a request that proves an email of theirs (their row held for update)
``UploadingPerson`` the sender of a large upload, checked before its body is read (no unit held)
``OwnedApp``        an app id from the path, when the signed-in developer owns it (the developer console)
``CurrentDeveloper``  the developer account of the person behind a console request (403 if they have none)
``ChangingDeveloper`` the same, for a state-changing console request (ChangingPerson's checks first)
``Reviewer``        a staff member who reviews versions (or the admin token): how the history names them
``Moderator``       a staff member who moderates (or the admin token): how the audit log names them
``StaffPersonId``   the person behind a staff request (None for the admin token): who may not act for themselves
``CallingApp``      the app whose Open API access token the request carries (rate limited per app)
``BearerToken``     the bearer token as presented (a user access token, on the routes that take one)

The operator's routes declare ``dependencies=[AdminOnly]`` (the admin token): it gives them nothing to use.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

from fastapi import Depends, Path, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from openminis import ratelimit, unit_of_work
from openminis.admission import reads_on_loop, reads_only
from openminis.catalog import service as catalog
from openminis.developers import service as developers
from openminis.developers import team
from openminis.errors import Forbidden, Unauthenticated
from openminis.identity import erasure
from openminis.identity import service as identity
from openminis.platform import Platform
from openminis.ratelimit import enforce
from openminis.staff import service as staff
from openminis.web import limits
from openminis.web.admission import request_session
from openminis.web.limits import client_ip as client_ip  # re-exported: the Open API's guards read it here

if TYPE_CHECKING:  # the person's type only: identity's tables are identity's (its service finds the person)
    from openminis.developers.models import Developer
    from openminis.identity.models import User

Checked = TypeVar("Checked")

SESSION_COOKIE = "minis_session"
COOKIE_MAX_AGE = 400 * 24 * 3600  # the longest lifetime browsers accept


def cookie_name(platform: Platform, name: str) -> str:
    """A host cookie's name. On https it carries the __Host- prefix: browsers then take it only
    with Secure, Path=/ and no Domain, so a sibling subdomain (an app's origin under the host's
    domain) can neither set nor shadow it ("cookie tossing"). Plain http (localhost) cannot
    have Secure cookies everywhere, so it keeps the bare name."""
    return f"__Host-{name}" if _secure(platform) else name


def session_token(request: Request, platform: Platform) -> str | None:
    """The session token this browser presents (under the one cookie name this deployment uses)."""
    return request.cookies.get(cookie_name(platform, SESSION_COOKIE))


def platform_of(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


# Dependencies that do no I/O are async: a sync one costs a trip through the thread pool.
async def get_platform(request: Request) -> Platform:
    return platform_of(request)


# The dependencies below read the platform with platform_of, not PlatformDep: FastAPI resolves
# every dependency of every request anew (its cache saves only the call), at ~30 µs a node, and
# PlatformDep under get_session, the visitor, the Origin check and the per-IP limit made a
# changing request resolve it six times.
PlatformDep = Annotated[Platform, Depends(get_platform)]


async def get_session(request: Request) -> Session:
    """The request's session once the admission gate lets it in (web/admission.py): a read
    session for GET and HEAD, one that may write otherwise; closed when the route returns."""
    return await request_session(request, platform_of(request).admission)


SessionDep = Annotated[Session, Depends(get_session)]


@dataclass(frozen=True)
class Visitor:
    user: User
    session_token: str
    csrf_token: str
    pending_email: str | None = None  # the email they asked to register and have not proved yet
    # True when this request made the guest: a route that returns its own Response object must
    # set the cookie itself, since FastAPI copies dependency cookies only onto responses it builds.
    new: bool = False


def find_visitor(
    request: Request, response: Response, platform: Platform, session: Session, *, looked_up: bool = False
) -> Visitor:
    """The person behind this request, made a guest on the spot if the browser has no session yet.
    ``looked_up``: this request has looked its token up already and found it nobody's (current_visitor)."""
    token = session_token(request, platform)
    found = None if looked_up else identity.signed_in(session, token)
    if found is None or token is None:  # (a user is found only by its token)
        # Each cookie-less request would make a row: a burst from one address waits (429) instead.
        enforce(
            platform.limiter,
            limits.guest_key(client_ip(request)),
            limits.rate(platform.settings.rate_guests_per_ip),
            what="new guests from this address",
        )
        # In a GET's read session on SQLite this write must come first in its transaction (db.py):
        # it does when the browser sent no cookie, or when the stale one was looked up before
        # (looked_up: that read's transaction has ended). A second look here began a read before
        # the write, which a writer committing in between made DATABASE_BUSY: a page loaded with
        # an ended session got 503 on 25 of its 30 requests at once (a probe).
        user, token = identity.start_guest(session)
        set_session_cookie(response, platform, token)
        return Visitor(user=user, session_token=token, csrf_token=identity.csrf_token(platform.secret, token), new=True)
    return _visitor(platform, token, found)


def _visitor(platform: Platform, token: str, found: identity.SignedIn) -> Visitor:
    return Visitor(
        user=found.user,
        session_token=token,
        csrf_token=identity.csrf_token(platform.secret, token),
        pending_email=found.pending_email,
    )


def _signed_in_alone(session: Session, token: str | None) -> identity.SignedIn | None:
    """The person behind ``token``, read in the request's read unit as a read of its own: its
    transaction ends at once (unit_of_work.end_reads), so a route that reads nothing more ends
    its unit with no I/O, and one that does begins anew. The person stays in the unit's session,
    to be changed and flushed like any row it loaded. One statement needs no transaction around
    it: on PostgreSQL it runs in autocommit, one round trip where BEGIN, SELECT, COMMIT were three
    (the connection's own setting comes back when it returns to the pool)."""
    if not reads_on_loop(session):
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    found = identity.signed_in_first(session, token)
    unit_of_work.end_reads(session)
    return found


async def _look_up(platform: Platform, session: Session, token: str) -> identity.SignedIn | None:
    """signed_in for a request, on the event loop where it can be: on SQLite a read unit's lookup
    runs in the unit itself (admission.py: reads_on_loop); on PostgreSQL every unit's runs through
    the serving loop's async reads (loop_reads.py), in autocommit, and the person joins the unit
    (a write unit's first statement saw no more than this: PostgreSQL reads what is committed, at
    each statement). Elsewhere (a test's client, SQLite's write units) on a thread: in a read unit
    as a read of its own, in a write unit as its first statement."""
    if reads_on_loop(session):
        return _signed_in_alone(session, token)
    key = identity.lookup_key(token)
    if platform.loop_reads is not None and key is not None:
        found = await platform.loop_reads.first(identity.SIGNED_IN_ROW, {"key": key})
        signed_in = identity.signed_in_from_row(session, key, found)
        if reads_only(session):
            unit_of_work.end_reads(session)  # joining the unit's session began it (no connection): end it
        return signed_in
    if reads_only(session):
        return await run_in_threadpool(_signed_in_alone, session, token)
    return await run_in_threadpool(identity.signed_in, session, token)


async def current_visitor(request: Request, response: Response, session: SessionDep) -> Visitor:
    """find_visitor, with the lookup on the event loop where it can be (_look_up): a browser with
    no session, or a stale one, is made a guest on a thread."""
    platform = platform_of(request)
    token = session_token(request, platform)
    looked_up = False
    if token is not None and (reads_only(session) or platform.loop_reads is not None):
        found = await _look_up(platform, session, token)
        if found is not None:
            return _visitor(platform, token, found)
        looked_up = True
    return await run_in_threadpool(partial(find_visitor, request, response, platform, session, looked_up=looked_up))


CurrentPerson = Annotated[Visitor, Depends(current_visitor)]


async def viewer_id(request: Request, session: SessionDep) -> str | None:
    """The id of the person behind this request if the browser has a session, making no guest: a
    list that anyone may read (the hub, search) shows them the versions they get."""
    platform = platform_of(request)
    token = session_token(request, platform)
    found = await _look_up(platform, session, token) if token is not None else None
    return found.user.id if found is not None else None


ViewerId = Annotated[str | None, Depends(viewer_id)]


def _secure(platform: Platform) -> bool:
    return platform.settings.public_url.startswith("https://")


def set_host_cookie(response: Response, platform: Platform, name: str, value: str, *, max_age: int) -> None:
    """A host cookie under this deployment's name for it (cookie_name). No Domain, ever: the
    cookie stays on the host's own name, out of every app's reach."""
    response.set_cookie(
        cookie_name(platform, name),
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=_secure(platform),
        path="/",
    )


def set_session_cookie(response: Response, platform: Platform, token: str) -> None:
    set_host_cookie(response, platform, SESSION_COOKIE, token, max_age=COOKIE_MAX_AGE)


def clear_session_cookie(response: Response, platform: Platform) -> None:
    response.delete_cookie(
        cookie_name(platform, SESSION_COOKIE), path="/", secure=_secure(platform), httponly=True, samesite="lax"
    )


def refuse_other_origins(request: Request, platform: Platform) -> None:
    """Apps live on other origins; a request from one of them may not change the host's state."""
    origin = request.headers.get("origin")
    if origin is not None and origin != platform.settings.host_origin:
        raise Forbidden("cross-origin requests may not change state", code="BAD_ORIGIN")


def refuse_without_csrf(request: Request, platform: Platform, token: str | None) -> None:
    """A state-changing request must carry the CSRF token of the session it presents (the host
    page reads it from /api/me; another site cannot)."""
    if token is None or not identity.csrf_valid(platform.secret, token, request.headers.get("x-csrf-token")):
        raise Forbidden("missing or wrong X-CSRF-Token header", code="CSRF_FAILED")


def refuse_ended_sessions(request: Request, platform: Platform, visitor: Visitor) -> None:
    """A change sent with a session that has ended (signed out in another tab, the account deleted)
    is told so: it was made a new guest, whose CSRF token the page cannot have, and read "missing or
    wrong X-CSRF-Token header" (a probe, deleting an account with 40 purchases in flight)."""
    presented = session_token(request, platform)
    if visitor.new and presented is not None and presented != visitor.session_token:
        raise Unauthenticated(
            "this browser's session has ended (signed out, or the account was deleted): reload the page to go on",
            code="SESSION_ENDED",
        )


async def check_origin(request: Request) -> None:
    refuse_other_origins(request, platform_of(request))


def _changing(*, hold: Literal["shared", "update"] | None) -> Callable[[Request, Visitor, Session], Awaitable[Visitor]]:
    """The dependency giving the visitor of a state-changing request, which must come from the
    host's origin and carry the session's CSRF token; with ``hold``, the person's row is held
    (shared, or for update) for the whole unit."""

    async def visitor_changing(request: Request, visitor: CurrentPerson, session: SessionDep) -> Visitor:
        platform = platform_of(request)
        refuse_other_origins(request, platform)
        refuse_ended_sessions(request, platform, visitor)
        refuse_without_csrf(request, platform, visitor.session_token)
        if hold and platform.loop_reads is not None and not visitor.new:
            # On PostgreSQL the person was read outside the unit (loop_reads): the unit's first
            # statement holds their row, so an account deletion cannot end between this request's
            # reads and writes (a probe: renames written back onto a deleted account, its wallet
            # credited and spent, sign-ins' sessions outliving it). SQLite's write units read the
            # person in the unit, and its writers take turns.
            unit_of_work.at_begin(session, partial(erasure.hold, user_id=visitor.user.id, update=hold == "update"))
        # Per person per route, so routers need no limits of their own (the per-IP one is app-wide:
        # limit_changes_by_ip).
        route = limits.route_name(request)
        await limits.hit(
            platform.limiter,
            limits.changes_by_person_key(visitor.user.id, route),
            platform.settings.rate_changes_per_person,
            what=f"{route} requests",
        )
        return visitor

    return visitor_changing


changing_visitor = _changing(hold="shared")
# Deleting one's own account: the row is not held shared, since the deletion takes it for update
# (erasure.erase). Two deletions at once, each holding it shared, each waited for the other to let
# go: a deadlock, 503 (a probe, PostgreSQL).
deleting_visitor = _changing(hold=None)
# Proving an email (a code, a sign-in link kept as this guest): the person's email, a unique key,
# changes, for which PostgreSQL takes the row for update. Held shared first, two such requests of
# one person (a double tap on Verify) each waited for the other's share: a deadlock, 503 (a probe).
# Held for update from the unit's first statement, the second waits for the first and finds
# nothing left to prove.
claiming_visitor = _changing(hold="update")

ChangingPerson = Annotated[Visitor, Depends(changing_visitor)]
DeletingPerson = Annotated[Visitor, Depends(deleting_visitor)]
ClaimingPerson = Annotated[Visitor, Depends(claiming_visitor)]


async def in_read_unit(platform: Platform, work: Callable[[Session], Checked]) -> Checked:
    """``work`` in a read unit of its own, on a thread, ended when this returns: a check of a large
    upload's sender before its body is read, with nothing held while the body arrives."""

    def run() -> Checked:
        with unit_of_work.unit_of_work(platform.db, reads=True) as reading:
            return work(reading)

    return await run_in_threadpool(run)


async def uploading_visitor(request: Request, response: Response, platform: PlatformDep) -> Visitor:
    """The sender of a large upload, checked before it is read (the host's origin, the session's
    CSRF token), in a read unit of its own that has ended when the upload is read. The request's
    unit (SessionDep, with its admission) begins after the upload (the route's dependencies, in
    their order): on SQLite no write lock, on PostgreSQL no database slot, is held while a body of
    hundreds of megabytes arrives (a probe: ten posts whose bodies stalled made every request 503).
    The route then passes it through ``changing_visitor`` with its unit."""
    refuse_other_origins(request, platform)

    def look_up(reading: Session) -> Visitor:
        visitor = find_visitor(request, response, platform, reading)
        # Checked inside the unit, so that a guest made on the spot (who cannot carry its CSRF
        # token yet) is not kept; changing_visitor checks it again, then the per-person limit.
        refuse_without_csrf(request, platform, visitor.session_token)
        return visitor

    return await in_read_unit(platform, look_up)


UploadingPerson = Annotated[Visitor, Depends(uploading_visitor)]


async def limit_changes_by_ip(request: Request) -> None:
    """Every state-changing host request, whoever sends it (signed in or not, with or without a
    CSRF token), counts against its address's limit."""
    if request.method not in limits.SAFE_METHODS:
        platform = platform_of(request)
        await limits.hit(
            platform.limiter,
            limits.changes_by_ip_key(client_ip(request)),
            platform.settings.rate_changes_per_ip,
            what="requests from this address",
        )


def own_app(app_id: Annotated[str, Path(max_length=40)], visitor: CurrentPerson, session: SessionDep) -> str:
    """The app, if the signed-in developer is on its team (someone else's looks like no app)."""
    team.member_app(session, developers.developer_for(session, visitor.user), app_id, act="see")
    return app_id


OwnedApp = Annotated[str, Depends(own_app)]


def current_developer(visitor: CurrentPerson, session: SessionDep) -> Developer:
    return developers.developer_for(session, visitor.user)


def changing_developer(visitor: ChangingPerson, session: SessionDep) -> Developer:
    return developers.developer_for(session, visitor.user)


CurrentDeveloper = Annotated["Developer", Depends(current_developer)]
ChangingDeveloper = Annotated["Developer", Depends(changing_developer)]


def _admin_token_presented(request: Request, platform: Platform) -> bool:
    expected = platform.settings.admin_token
    scheme, _, presented = request.headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer":  # a scheme's name is case-insensitive (RFC 9110 11.1), as the Open API's is
        return False
    presented = presented.strip()
    # bytes: a header may hold non-ASCII
    return bool(expected) and hmac.compare_digest(expected.encode(), presented.encode())


def require_admin(request: Request, platform: PlatformDep) -> None:
    # Operators upload with a token; developers upload through /api/developer with their account.
    if not _admin_token_presented(request, platform):
        raise Unauthenticated("an admin token is required", code="UNAUTHORIZED")


AdminOnly = Depends(require_admin)


async def staff_member(request: Request, platform: Platform, session: Session, act: staff.Act) -> str:
    """A signed-in staff member whose role allows ``act`` (a change carries the session's CSRF token,
    from the host's origin), or the operator's automation with the admin token. Returns how the
    audit log and a version's history name them."""
    if _admin_token_presented(request, platform):
        return "operator (admin token)"
    token = session_token(request, platform)
    user = await run_in_threadpool(identity.user_for_token, session, token)
    if user is None or token is None:
        raise Unauthenticated("sign in as staff", code="UNAUTHENTICATED")
    if request.method not in limits.SAFE_METHODS:
        refuse_other_origins(request, platform)
        refuse_without_csrf(request, platform, token)
    role = await run_in_threadpool(staff.require, session, user.id, act)
    return f"staff:{user.email or user.id} ({role})"


def staff_for(act: staff.Act) -> Any:
    """A dependency: the staff member allowed to ``act`` (``staff_member``), e.g.
    ``Moderator = Annotated[str, staff_for("moderate")]``."""

    async def dependency(request: Request, session: SessionDep) -> str:
        return await staff_member(request, platform_of(request), session, act)

    return Depends(dependency)


async def acting_staff_id(request: Request, session: SessionDep) -> str | None:
    """The person a staff request acts as, for the acts staff may not do for themselves (a refund or
    coupon of their own, staff/conflicts.py; a payout to them or a change they proposed, payouts/);
    None for the admin token, which is no person, even on a request that also carries someone's
    session."""
    if _admin_token_presented(request, platform_of(request)):
        return None
    return await viewer_id(request, session)


StaffPersonId = Annotated[str | None, Depends(acting_staff_id)]
Reviewer = Annotated[str, staff_for("review")]
Auditor = Annotated[str, staff_for("audit")]
Finance = Annotated[str, staff_for("money")]
Refunder = Annotated[str, staff_for("refund")]
Support = Annotated[str, staff_for("lookup")]
Moderator = Annotated[str, staff_for("moderate")]


# The Open API's callers: app backends with an app access token (POST /auth/token).
bearer = HTTPBearer(
    auto_error=False, description="an app access token from POST /auth/token, or a user access token where noted"
)


def bearer_token(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> str:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("send an access token: Authorization: Bearer <token>", code="INVALID_TOKEN")
    return credentials.credentials


BearerToken = Annotated[str, Depends(bearer_token)]


# What the backend of an app a moderator took down may still do: read its own data (any GET), and
# settle with the people who paid it (refund, and consume: deliver what was bought before).
OPEN_WHILE_TAKEN_DOWN = frozenset({"POST /orders/{order_id}/refund", "POST /orders/{order_id}/consume"})


def current_app_id(request: Request, token: BearerToken, session: SessionDep, platform: PlatformDep) -> str:
    app_id = developers.app_for_token(session, token)
    ratelimit.enforce(platform.limiter, f"app:{app_id}", platform.rates.per_app)
    if (
        request.method not in limits.SAFE_METHODS
        and limits.route_name(request) not in OPEN_WHILE_TAKEN_DOWN
        and catalog.is_taken_down(session, app_id)
    ):
        raise catalog.AppTakenDown("the platform has taken this app down: only reads and refunds are open")
    return app_id


CallingApp = Annotated[str, Depends(current_app_id)]
