from __future__ import annotations

import math
import secrets
from collections.abc import Callable

from fastapi import Path, Query, Request, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from openminis.catalog import cards
from openminis.catalog import service as catalog
from openminis.errors import Forbidden, InvalidArgument, NotFound, PlatformError
from openminis.identity import accounts, app_identity
from openminis.identity.avatar import avatar_svg
from openminis.identity.models import User
from openminis.identity.schemas import (
    AuthorizationList,
    AuthorizationOut,
    CodeSent,
    ConfirmLinkIn,
    LinkIn,
    LinkSent,
    LoginCodeOut,
    MeOut,
    ProfileOut,
    RegisterIn,
    RenameIn,
    SignedInOut,
    SignInIn,
    UserOut,
    VerifyIn,
)
from openminis.identity.service import csrf_token
from openminis.openapi.guards import BruteForceGuard, counted
from openminis.platform import Platform
from openminis.ratelimit import Rate, RateLimited
from openminis.runtime.schemas import Ok
from openminis.wallet import service as wallet
from openminis.web.dependencies import (
    ChangingPerson,
    ClaimingPerson,
    CurrentPerson,
    PlatformDep,
    SessionDep,
    clear_session_cookie,
    cookie_name,
    set_host_cookie,
    set_session_cookie,
)
from openminis.web.limits import client_ip
from openminis.web.pages import _page as host_page
from openminis.web.refusals import refusal_kept
from openminis.web.routing import Router

router = Router(prefix="/api", tags=["identity"])
pages = Router(include_in_schema=False)
AppId = Path(max_length=40)
LINK_COOKIE = "minis_link"  # the nonce that tells a sign-in link it is opened where it was asked for


def user_out(user: User, pending_email: str | None = None) -> UserOut:
    return UserOut(
        id=user.id,
        display_name=user.display_name,
        kind=user.kind,
        email=user.email,
        avatar_url=f"/api/avatars/{user.id}.svg",
        email_verified=user.email_verified_at is not None,
        pending_email=pending_email,
    )


@router.get("/me", response_model=MeOut)
async def me(visitor: CurrentPerson) -> MeOut:
    # Async, since it does no I/O (the session lookup brought the pending email): a sync route
    # would cost two trips through the thread pool, for itself and for its response's validation.
    return MeOut(user=user_out(visitor.user, visitor.pending_email), csrf_token=visitor.csrf_token)


@router.patch("/me", response_model=UserOut)
def rename(body: RenameIn, visitor: ChangingPerson, session: SessionDep) -> UserOut:
    return user_out(accounts.rename(session, visitor.user, body.display_name))


# The mail one address receives, an hour, whoever asks: what stops mail-bombing it, and what
# bounds how many codes for it can be guessed at (each dies after CODE_ATTEMPTS wrong tries).
MAIL_PER_ADDRESS = Rate(30, 3600)
# Past that cap, a browser that waits on a mail to the address (its holder: a code or a sign-in link
# pending) still gets a few more, so that strangers' requests do not lock it out of a new code:
# this many for all the address's holders together.
MAIL_TO_HOLDERS = Rate(15, 3600)
# And one holder's mails to the address, cap reached or not: a person waiting on a code asks again
# a few times an hour. Anyone becomes a holder by registering the address, so it exempts no one
# (a probe's holder had a new code every 3 s, after 5 wrong guesses at each).
MAIL_PER_HOLDER = Rate(10, 3600)


def _mail_guard(
    platform: Platform,
    request: Request,
    session: Session,
    visitor: User,
    email: str,
    *,
    first: Callable[[], object] = lambda: None,
) -> None:
    """Every email sent counts per (address, requester IP), per requester IP, per address, and per
    holder (MAIL_PER_HOLDER). The address's cap is for everyone: a probe's browser, made a holder
    of a victim's address by registering it, was exempt from it, and had a new code mailed every
    3 s (after 5 wrong guesses at each), about 1,200 an hour from one IP."""
    email = _as_counted(email)
    ip = client_ip(request)
    failures = platform.rates.failures
    guards = [
        BruteForceGuard(platform, f"link:{email}:{ip}", failures),
        BruteForceGuard(platform, f"link-ip:{ip}", Rate(failures.limit * 3, failures.period)),
    ]
    # Every mail counts, and is counted before it is sent; a refusal mails nothing and is not counted.
    with counted(guards, keep=lambda ended: not isinstance(ended, RateLimited)):
        # What would refuse the request (``first``) is asked once the asker's tries are counted, and
        # before the address's mails are: its answer spends the asker's tries, never the address's.
        first()
        browser = request.cookies.get(cookie_name(platform, LINK_COOKIE), "")
        holds = accounts.holds_address(session, visitor, email, browser=browser)
        _count_mail_to(platform, email, holder=visitor.id if holds else None)


def _as_counted(email: str) -> str:
    """The address as the limits count it: as the account is found by it (``normalize_email``), so
    that no other spelling of it has limits of its own. Counted as typed, the address with a fullwidth "e"
    reached the same account past its locked door (a probe, attack52)."""
    try:
        return accounts.normalize_email(email)
    except InvalidArgument:
        return email.strip().lower()  # the service refuses it with its own error


def _count_mail_to(platform: Platform, email: str, *, holder: str | None) -> None:
    """Count one more mail to ``email`` against its caps, or RateLimited (429) with nothing counted."""
    limiter = platform.limiter
    # The holder's own count is taken (counted and checked in one step) before the address's: checked
    # first and counted after, a burst of one browser's requests all passed the check (an attack got
    # 15 mails where 10 are its share).
    own = f"fail:link-holder:{email}:{holder}"
    if holder is not None and not (decision := limiter.hit(own, MAIL_PER_HOLDER)).allowed:
        raise _too_many_mails(decision.retry_after)
    decision = limiter.hit(f"fail:link:{email}", MAIL_PER_ADDRESS)
    if not decision.allowed and holder is not None:
        decision = limiter.hit(f"fail:link-holders:{email}", MAIL_TO_HOLDERS)
    if not decision.allowed:
        raise _too_many_mails(decision.retry_after)


def _too_many_mails(retry_after: float) -> RateLimited:
    minutes = max(1, math.ceil(retry_after / 60))
    later = "in a minute" if minutes == 1 else f"in {minutes} minutes"
    return RateLimited(f"too many emails were sent to this address; try again {later}", retry_after=retry_after)


@router.post("/account/register", response_model=CodeSent)
def register(
    body: RegisterIn, request: Request, visitor: ChangingPerson, session: SessionDep, platform: PlatformDep
) -> CodeSent:
    """Ask for an account for this browser's guest: a code goes to the email, and the guest becomes
    the account, keeping everything it had, when the code comes back (POST /api/account/verify)."""
    # A registration that would be refused (a short password, an address an account holds) mails
    # nothing, and spends none of the address's mails: 30 such requests used up a stranger's address's
    # mails for an hour, its owner told emails had been sent (a probe, attack53). It is still one of
    # the asker's tries: EMAIL_TAKEN says an account exists, 200 a second when uncounted (attack53b).
    _mail_guard(
        platform,
        request,
        session,
        visitor.user,
        body.email,
        first=lambda: accounts.check_registration(session, visitor.user, email=body.email, password=body.password),
    )
    pending = accounts.start_registration(
        session, platform.mailbox, platform.passwords, visitor.user, email=body.email, password=body.password
    )
    return CodeSent(email=pending.email, delivery=platform.mailbox.delivery)


@router.post("/account/verification", response_model=CodeSent)
def resend_code(request: Request, visitor: ChangingPerson, session: SessionDep, platform: PlatformDep) -> CodeSent:
    """Another code, for the email waiting for one (or the unproved email of an older account)."""
    email = accounts.pending_email(session, visitor.user) or visitor.user.email or ""
    _mail_guard(platform, request, session, visitor.user, email)
    pending = accounts.resend_code(session, platform.mailbox, visitor.user)
    return CodeSent(email=pending.email, delivery=platform.mailbox.delivery)


@router.post("/account/verify", response_model=UserOut)
async def verify(body: VerifyIn, request: Request, visitor: ClaimingPerson, session: SessionDep) -> UserOut | Response:
    """The code from the email: the email is proved, and this browser's guest is now the account."""

    def confirm() -> UserOut:
        return user_out(accounts.confirm_email(session, visitor.user, body.code))

    try:
        return await run_in_threadpool(confirm)
    except PlatformError as refused:
        return await refusal_kept(request, refused)  # the try was counted: the count stands


@router.post("/account/sign-in", response_model=SignedInOut)
def sign_in(
    body: SignInIn,
    request: Request,
    response: Response,
    visitor: ChangingPerson,
    session: SessionDep,
    platform: PlatformDep,
) -> SignedInOut:
    """Sign this browser in to an account with its password. A guest's coins are added to the
    account: no cookie reaches the guest afterwards."""
    guards = [
        BruteForceGuard(platform, f"password:{_as_counted(body.email)}", platform.rates.failures),
        BruteForceGuard(platform, f"password-ip:{client_ip(request)}", platform.rates.failures),
    ]
    # Each guess is counted before its password is checked; only a wrong one stays counted (one that
    # was right, or never judged, is given back).
    with counted(guards, keep=lambda ended: isinstance(ended, accounts.SignInFailed)):
        signed_in = accounts.sign_in(
            session, platform.passwords, visitor.user, email=body.email, password=body.password
        )
    return _signed_in(response, platform, signed_in)


def _signed_in(response: Response, platform: Platform, signed_in: accounts.SignedInAs) -> SignedInOut:
    set_session_cookie(response, platform, signed_in.session_token)
    return SignedInOut(
        user=user_out(signed_in.user),
        csrf_token=csrf_token(platform.secret, signed_in.session_token),
        guest_coins_added=signed_in.guest_coins,
    )


@router.post("/account/link", response_model=LinkSent)
def request_link(
    body: LinkIn,
    request: Request,
    response: Response,
    visitor: ChangingPerson,
    session: SessionDep,
    platform: PlatformDep,
) -> LinkSent:
    """Email a one-time sign-in link (without MINIS_SMTP_URL, the server's log is the mailbox).
    The browser gets a cookie that lets the link recognise it when it is opened here."""
    _mail_guard(platform, request, session, visitor.user, body.email)
    browser = request.cookies.get(cookie_name(platform, LINK_COOKIE), "")
    if not 20 <= len(browser) <= 64:
        browser = secrets.token_urlsafe(24)
    accounts.request_sign_in_link(
        session,
        platform.mailbox,
        email=body.email,
        requester=visitor.user,
        browser=browser,
        public_url=platform.settings.public_url,
    )
    set_host_cookie(response, platform, LINK_COOKIE, browser, max_age=int(accounts.LINK_TTL.total_seconds()))
    return LinkSent(delivery=platform.mailbox.delivery)


@router.post("/account/link/confirm", response_model=SignedInOut)
def confirm_link(
    body: ConfirmLinkIn,
    request: Request,
    response: Response,
    visitor: ClaimingPerson,
    session: SessionDep,
    platform: PlatformDep,
) -> SignedInOut:
    """The person pressed Sign in on the link's page (GET /account/link): only this signs in."""
    # Browsers send Origin on every POST; a sign-in without one did not come from the host's page.
    if request.headers.get("origin") != platform.settings.host_origin:
        raise Forbidden("a sign-in link is confirmed only from the host's own page", code="BAD_ORIGIN")
    signed_in = accounts.confirm_sign_in_link(
        session,
        body.token,
        visitor=visitor.user,
        browser=request.cookies.get(cookie_name(platform, LINK_COOKIE)),
        keep_guest=body.keep_guest,
    )
    return _signed_in(response, platform, signed_in)


@router.post("/account/sign-out", response_model=Ok)
def sign_out(response: Response, visitor: ChangingPerson, session: SessionDep, platform: PlatformDep) -> Ok:
    accounts.sign_out(session, visitor.session_token)
    clear_session_cookie(response, platform)
    return Ok()


@pages.get("/account/link")
def link_page(
    request: Request,
    visitor: CurrentPerson,
    session: SessionDep,
    platform: PlatformDep,
    token: str = Query("", max_length=100),
) -> Response:
    """The page a sign-in link opens: it says what confirming would do and asks. Opening it (or
    loading it as an image, or being redirected to it) signs no one in."""
    config: dict[str, object] = {"csrfToken": visitor.csrf_token, "token": token}
    context: dict[str, object]
    try:
        offer = accounts.offer_for_link(
            session, token, visitor=visitor.user, browser=request.cookies.get(cookie_name(platform, LINK_COOKIE))
        )
    except accounts.LinkInvalid:
        context = {"invalid": True}
    else:
        user = visitor.user
        coins = wallet.wallet_balance(session, user.id) if user.kind == "guest" else 0
        context = {
            "invalid": False,
            "offer": offer,
            "visitor_email": user.email if user.kind == "full" else None,
            # What a new account keeps, or what is added to the account that exists.
            "coins": coins,
        }
    response = host_page(request, visitor, platform, "sign-in-link.html", config, context)
    if context["invalid"]:
        response.status_code = 410
    return response


def _avatar(user_id: str) -> Response:
    return Response(avatar_svg(user_id), media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})


@router.get("/avatars/{user_id}.svg", include_in_schema=False)
def avatar(user_id: str = Path(max_length=32)) -> Response:
    return _avatar(user_id)


@router.get("/avatars/{app_id}/{openid}.svg", include_in_schema=False)
def app_avatar(session: SessionDep, app_id: str = AppId, openid: str = Path(max_length=64)) -> Response:
    """A person's avatar as an app was given it (``app_identity.avatar_path``): only while the person
    lets the app see their profile. An app knows openids without that (a login, a leaderboard), and
    the picture is the person's own, the same in every app: served without consent, it would show
    two apps, neither allowed the profile, that they had the same player."""
    user_id = app_identity.user_for_openid(session, app_id, openid)
    if not app_identity.shared_names(session, app_id, [user_id]):
        raise NotFound("no avatar this app may show", code="NOT_SHARED")
    return _avatar(user_id)


@router.post("/apps/{app_id}/login-code", response_model=LoginCodeOut)
def login_code(visitor: ChangingPerson, session: SessionDep, app_id: str = AppId) -> LoginCodeOut:
    """What the bridge calls for ``minis.login()``: a one-time code for the app's backend to exchange."""
    code, ttl = app_identity.issue_login_code(session, user_id=visitor.user.id, app_id=app_id)
    return LoginCodeOut(code=code, expires_in=ttl)


@router.post("/apps/{app_id}/profile-consent", response_model=ProfileOut)
def profile_consent(
    visitor: ChangingPerson, session: SessionDep, platform: PlatformDep, app_id: str = AppId
) -> ProfileOut:
    """Called by the host's own consent sheet, after the person tapped Allow; never by the app."""
    app_identity.grant_profile(session, platform.secret, user_id=visitor.user.id, app_id=app_id)
    return ProfileOut(
        display_name=visitor.user.display_name,
        avatar_url=app_identity.avatar_path(platform.secret, app_id, visitor.user.id),
    )


@router.get("/authorizations", response_model=AuthorizationList)
def list_authorizations(visitor: CurrentPerson, session: SessionDep, platform: PlatformDep) -> AuthorizationList:
    items = []
    for grant in app_identity.authorizations(session, visitor.user.id):
        app = catalog.get_app(session, grant.app_id)
        icon = None
        if app.released_version:
            icon = cards.card(platform.settings, app, catalog.get_version(session, app.id)).icon_url
        items.append(
            AuthorizationOut(
                app_id=app.id, name=app.name, icon_url=icon, profile=grant.profile, granted_at=grant.granted_at
            )
        )
    return AuthorizationList(items=items)


@router.delete("/authorizations/{app_id}", response_model=Ok)
def revoke_authorization(visitor: ChangingPerson, session: SessionDep, app_id: str = AppId) -> Ok:
    app_identity.revoke_app(session, user_id=visitor.user.id, app_id=app_id)
    return Ok()
