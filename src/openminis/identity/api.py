from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from openminis.catalog import service as catalog
from openminis.feed import service as feed
from openminis.identity import accounts, app_identity
from openminis.identity.avatar import avatar_svg
from openminis.identity.models import User
from openminis.identity.service import csrf_token
from openminis.identity.schemas import (
    AuthorizationList, AuthorizationOut, LinkIn, LinkSent, LoginCodeOut, MeOut, ProfileOut, RegisterIn, RenameIn, SignInIn, UserOut,
)
from openminis.openapi.guards import BruteForceGuard, client_ip
from openminis.platform import Platform
from openminis.runtime.schemas import Ok
from openminis.web.dependencies import Visitor, changing_visitor, current_visitor, get_platform, get_session, set_session_cookie

router = APIRouter(prefix="/api", tags=["identity"])
pages = APIRouter(include_in_schema=False)
AppId = Path(max_length=40)


def user_out(user: User) -> UserOut:
    return UserOut(id=user.id, display_name=user.display_name, kind=user.kind, email=user.email, avatar_url=f"/api/avatars/{user.id}.svg")


@router.get("/me", response_model=MeOut)
def me(visitor: Visitor = Depends(current_visitor)) -> MeOut:
    return MeOut(user=user_out(visitor.user), csrf_token=visitor.csrf_token)


@router.patch("/me", response_model=UserOut)
def rename(body: RenameIn, visitor: Visitor = Depends(changing_visitor), session: Session = Depends(get_session)) -> UserOut:
    return user_out(accounts.rename(session, visitor.user, body.display_name))


@router.post("/account/register", response_model=UserOut)
def register(body: RegisterIn, visitor: Visitor = Depends(changing_visitor), session: Session = Depends(get_session)) -> UserOut:
    """Turn this browser's guest into a full account; everything the guest had stays."""
    return user_out(accounts.register(session, visitor.user, email=body.email, password=body.password))


@router.post("/account/sign-in", response_model=MeOut)
def sign_in(
    body: SignInIn,
    request: Request,
    response: Response,
    _visitor: Visitor = Depends(changing_visitor),
    session: Session = Depends(get_session),
    platform: Platform = Depends(get_platform),
) -> MeOut:
    guards = [
        BruteForceGuard(platform, f"password:{body.email.strip().lower()}", platform.rates.failures),
        BruteForceGuard(platform, f"password-ip:{client_ip(request)}", platform.rates.failures),
    ]
    for guard in guards:
        guard.check()
    try:
        user, token = accounts.sign_in_with_password(session, email=body.email, password=body.password)
    except accounts.SignInFailed:
        for guard in guards:
            guard.failed()
        raise
    set_session_cookie(response, platform, token)
    return MeOut(user=user_out(user), csrf_token=csrf_token(platform.secret, token))


@router.post("/account/link", response_model=LinkSent)
def request_link(
    body: LinkIn, visitor: Visitor = Depends(changing_visitor), session: Session = Depends(get_session), platform: Platform = Depends(get_platform)
) -> LinkSent:
    """Email a one-time sign-in link (without MINIS_SMTP_URL, the server's log is the mailbox)."""
    guard = BruteForceGuard(platform, f"link:{body.email.strip().lower()}", platform.rates.failures)
    guard.check()
    guard.failed()  # every link sent counts: this is what limits mail-bombing an address
    accounts.request_sign_in_link(session, platform.mailbox, email=body.email, guest=visitor.user, public_url=platform.settings.public_url)
    return LinkSent(delivery=platform.mailbox.delivery)


@router.post("/account/sign-out", response_model=Ok)
def sign_out(response: Response, visitor: Visitor = Depends(changing_visitor), session: Session = Depends(get_session)) -> Ok:
    accounts.sign_out(session, visitor.session_token)
    response.delete_cookie("minis_session", path="/")
    return Ok()


@pages.get("/account/link")
def redeem_link(token: str = "", session: Session = Depends(get_session), platform: Platform = Depends(get_platform)):
    _user, session_token = accounts.redeem_sign_in_link(session, token[:100])
    response = RedirectResponse("/", status_code=303)
    set_session_cookie(response, platform, session_token)
    return response


@router.get("/avatars/{user_id}.svg", include_in_schema=False)
def avatar(user_id: str = Path(max_length=32)) -> Response:
    return Response(avatar_svg(user_id), media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})


@router.post("/apps/{app_id}/login-code", response_model=LoginCodeOut)
def login_code(app_id: str = AppId, visitor: Visitor = Depends(changing_visitor), session: Session = Depends(get_session)) -> LoginCodeOut:
    """What the bridge calls for ``minis.login()``: a one-time code for the app's backend to exchange."""
    code, ttl = app_identity.issue_login_code(session, user_id=visitor.user.id, app_id=app_id)
    return LoginCodeOut(code=code, expires_in=ttl)


@router.post("/apps/{app_id}/profile-consent", response_model=ProfileOut)
def profile_consent(app_id: str = AppId, visitor: Visitor = Depends(changing_visitor), session: Session = Depends(get_session)) -> ProfileOut:
    """Called by the host's own consent sheet, after the person tapped Allow; never by the app."""
    app_identity.grant_profile(session, user_id=visitor.user.id, app_id=app_id)
    return ProfileOut(display_name=visitor.user.display_name, avatar_url=f"/api/avatars/{visitor.user.id}.svg")


@router.get("/authorizations", response_model=AuthorizationList)
def list_authorizations(visitor: Visitor = Depends(current_visitor), session: Session = Depends(get_session), platform: Platform = Depends(get_platform)) -> AuthorizationList:
    items = []
    for grant in app_identity.authorizations(session, visitor.user.id):
        app = catalog.get_app(session, grant.app_id)
        icon = None
        if app.latest_version:
            icon = feed.card(platform.settings, app, catalog.get_version(session, app.id)).icon_url
        items.append(AuthorizationOut(app_id=app.id, name=app.name, icon_url=icon, profile=grant.profile, granted_at=grant.granted_at))
    return AuthorizationList(items=items)


@router.delete("/authorizations/{app_id}", response_model=Ok)
def revoke_authorization(app_id: str = AppId, visitor: Visitor = Depends(changing_visitor), session: Session = Depends(get_session)) -> Ok:
    app_identity.revoke_app(session, user_id=visitor.user.id, app_id=app_id)
    return Ok()
