"""The developer console's API: developer accounts, apps and their teams, secrets, and versions
from upload through checks, review and staged release to rollback; previews for the team."""

from __future__ import annotations

import contextlib
import io
from datetime import timedelta
from typing import TYPE_CHECKING

import segno
from fastapi import Path, Request, Response
from starlette.concurrency import run_in_threadpool

from openminis.catalog import preview, releases
from openminis.catalog import service as catalog
from openminis.catalog.cards import card, cards
from openminis.catalog.checks import read_screenshot
from openminis.catalog.schemas import Card
from openminis.developers import service, team
from openminis.developers.schemas import (
    AppCreatedOut,
    AppIn,
    ConsoleVersionList,
    ConsoleVersionOut,
    DeveloperAppList,
    DeveloperAppOut,
    DeveloperIn,
    DeveloperOut,
    InvitationList,
    InviteIn,
    InviteOut,
    MemberOut,
    MeOut,
    PreviewOut,
    ReleaseIn,
    RoleIn,
    RollbackIn,
    RotateIn,
    SecretOut,
    TeamOut,
)
from openminis.errors import Forbidden, NotFound
from openminis.identity import accounts
from openminis.platform import Platform
from openminis.ratelimit import enforce
from openminis.staff import service as staff
from openminis.web import limits, notices
from openminis.web.dependencies import (
    ChangingDeveloper,
    ChangingPerson,
    CurrentDeveloper,
    CurrentPerson,
    PlatformDep,
    SessionDep,
)
from openminis.web.routing import Router
from openminis.web.versions import ConsolePackageBody, check_again_refusal, start_checks, upload, version_out

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from openminis.catalog.models import App
    from openminis.developers.models import AppInvite

router = Router(prefix="/api/developer", tags=["developers"])
AppId = Path(max_length=40)
VersionName = Path(max_length=64)


@router.get("", response_model=MeOut)
def me(visitor: CurrentPerson, session: SessionDep) -> MeOut:
    """Who the console is for: the person's developer profile, if any, and whether they review."""
    try:
        developer = service.developer_for(session, visitor.user)
    except Forbidden:
        developer = None
    return MeOut(
        id=developer.id if developer else None,
        name=developer.name if developer else None,
        email=visitor.user.email,
        reviewer=staff.may(session, visitor.user.id, "review"),
    )


@router.post("", response_model=DeveloperOut)
def become_developer(body: DeveloperIn, visitor: ChangingPerson, session: SessionDep) -> DeveloperOut:
    """Register as a developer (asked again, the account stands as it is; PATCH renames it)."""
    developer = service.become_developer(session, visitor.user, name=body.name)
    return DeveloperOut(id=developer.id, name=developer.name)


@router.patch("", response_model=DeveloperOut)
def rename_studio(body: DeveloperIn, developer: ChangingDeveloper, session: SessionDep) -> DeveloperOut:
    """Change the studio's name: what people read on its apps and finance on its payouts."""
    service.rename(session, developer, body.name)
    return DeveloperOut(id=developer.id, name=developer.name)


def _app_out(platform: Platform, session: Session, app: App, role: str, icon: str | None = None) -> DeveloperAppOut:
    if app.taken_down_at is not None:
        # Its origin serves nothing while it is down (403): the console showed a broken image and
        # logged an error on every screen of it (a probe, screens54). Its initial stands in.
        icon = None
    elif icon is None and app.released_version:
        icon = card(platform.settings, app, catalog.get_version(session, app.id)).icon_url
    return DeveloperAppOut(
        app_id=app.id,
        name=app.name,
        kind=app.kind,
        category=app.category,
        role=role,
        latest_version=app.released_version,
        staged_version=app.staged_version,
        staged_percent=app.staged_percent,
        icon_url=icon,
    )


@router.get("/apps", response_model=DeveloperAppList)
def my_apps(developer: CurrentDeveloper, session: SessionDep, platform: PlatformDep) -> DeveloperAppList:
    """The apps whose team the developer is on, testers' ones left out (they only open previews)."""
    mine = [(app, role) for app, role in team.apps_of(session, developer) if role != "tester"]
    shown = cards(session, platform.settings, [app.id for app, _ in mine])  # the released versions' icons, in one query
    return DeveloperAppList(
        items=[
            _app_out(platform, session, app, role, shown[app.id].icon_url if app.id in shown else None)
            for app, role in mine
        ]
    )


@router.post("/apps", response_model=AppCreatedOut, status_code=201)
def register_app(
    body: AppIn, developer: ChangingDeveloper, session: SessionDep, platform: PlatformDep
) -> AppCreatedOut:
    created = service.register_app(
        session,
        developer,
        app_id=body.app_id,
        name=body.name,
        kind=body.kind,
        category=body.category,
        most=platform.settings.max_apps_per_developer,
    )
    return AppCreatedOut(app_id=created.app.id, app_secret=created.secret)


@router.get("/apps/{app_id}", response_model=DeveloperAppOut)
def app_detail(
    developer: CurrentDeveloper, session: SessionDep, platform: PlatformDep, app_id: str = AppId
) -> DeveloperAppOut:
    app = team.member_app(session, developer, app_id, act="see")
    return _app_out(platform, session, app, team.role_of(session, developer.id, app_id) or "viewer")


@router.post("/apps/{app_id}/secret", response_model=SecretOut)
def rotate_secret(body: RotateIn, developer: ChangingDeveloper, session: SessionDep, app_id: str = AppId) -> SecretOut:
    secret = service.rotate_secret(session, developer, app_id, grace=timedelta(seconds=body.grace_seconds))
    return SecretOut(app_secret=secret, previous_valid_for_seconds=body.grace_seconds)


# Versions -------------------------------------------------------------------------------------


@router.post("/apps/{app_id}/versions", response_model=ConsoleVersionOut, status_code=201)
async def upload_version(
    body: ConsolePackageBody,
    developer: ChangingDeveloper,
    session: SessionDep,
    platform: PlatformDep,
    app_id: str = AppId,
) -> ConsoleVersionOut:
    """Upload a zip (the raw request body, read first: ``package_body``): it is stored as an
    ``uploaded`` version that nobody outside the team sees, and the platform's checks start."""
    await run_in_threadpool(team.member_app, session, developer, app_id, act="upload")
    actor = f"developer:{developer.id} {developer.name}"
    return await upload(body, session, platform, app_id, actor=actor, shape=lambda v: version_out(session, platform, v))


@router.get("/apps/{app_id}/versions", response_model=ConsoleVersionList)
def list_versions(
    developer: CurrentDeveloper, session: SessionDep, platform: PlatformDep, app_id: str = AppId
) -> ConsoleVersionList:
    team.member_app(session, developer, app_id, act="see")
    versions, next_cursor = catalog.list_versions(session, app_id, limit=50)
    return ConsoleVersionList(items=[version_out(session, platform, v) for v in versions], next_cursor=next_cursor)


@router.get("/apps/{app_id}/versions/{version}", response_model=ConsoleVersionOut)
def version_detail(
    developer: CurrentDeveloper,
    session: SessionDep,
    platform: PlatformDep,
    app_id: str = AppId,
    version: str = VersionName,
) -> ConsoleVersionOut:
    team.member_app(session, developer, app_id, act="see")
    return version_out(session, platform, catalog.get_version(session, app_id, version), history=True)


@router.post("/apps/{app_id}/versions/{version}/checks", response_model=ConsoleVersionOut, status_code=202)
def check_again(
    developer: ChangingDeveloper,
    session: SessionDep,
    platform: PlatformDep,
    app_id: str = AppId,
    version: str = VersionName,
) -> ConsoleVersionOut:
    """Run the platform's checks again (a flaky first run, or new budgets): before the version is
    submitted, once the checks before have ended (CHECKS_UNDER_WAY)."""
    team.member_app(session, developer, app_id, act="upload")
    # The version is locked first, then asked whether its checks are under way: asked first, 40
    # requests at once on PostgreSQL all found none and queued four check jobs (a probe, attack53).
    again = releases.check_again(session, app_id, version, actor=f"developer:{developer.id} {developer.name}")
    if refused := check_again_refusal(session, platform, again):
        raise refused
    start_checks(session, platform, again, again=True)
    return version_out(session, platform, again)


@router.post("/apps/{app_id}/versions/{version}/submit", response_model=ConsoleVersionOut)
def submit_version(
    developer: ChangingDeveloper,
    session: SessionDep,
    platform: PlatformDep,
    app_id: str = AppId,
    version: str = VersionName,
) -> ConsoleVersionOut:
    team.member_app(session, developer, app_id, act="submit")
    submitted = releases.submit(session, app_id, version, actor=f"developer:{developer.id} {developer.name}")
    notices.tell_reviewers(session, platform, submitted.app_id, submitted.version)
    return version_out(session, platform, submitted)


@router.post("/apps/{app_id}/versions/{version}/release", response_model=DeveloperAppOut)
def release_version(
    body: ReleaseIn,
    developer: ChangingDeveloper,
    session: SessionDep,
    platform: PlatformDep,
    app_id: str = AppId,
    version: str = VersionName,
) -> DeveloperAppOut:
    """Release an approved version to a share of people (100: everyone), by a stable hash."""
    team.member_app(session, developer, app_id, act="release")
    app = releases.release(
        session, app_id, version, percent=body.percent, actor=f"developer:{developer.id} {developer.name}"
    )
    return _app_out(platform, session, app, team.role_of(session, developer.id, app_id) or "owner")


@router.post("/apps/{app_id}/rollback", response_model=DeveloperAppOut)
def roll_back_app(
    body: RollbackIn, developer: ChangingDeveloper, session: SessionDep, platform: PlatformDep, app_id: str = AppId
) -> DeveloperAppOut:
    """Everyone back on an earlier reviewed version, from their next launch."""
    team.member_app(session, developer, app_id, act="release")
    app = releases.roll_back(
        session, app_id, body.version, actor=f"developer:{developer.id} {developer.name}", note=body.note
    )
    return _app_out(platform, session, app, team.role_of(session, developer.id, app_id) or "owner")


@router.get("/apps/{app_id}/versions/{version}/screenshots/{name}", include_in_schema=False)
def screenshot(
    developer: CurrentDeveloper,
    session: SessionDep,
    platform: PlatformDep,
    app_id: str = AppId,
    version: str = VersionName,
    name: str = Path(max_length=60),
) -> Response:
    """A screenshot the platform's checks took of the version, for its team."""
    team.member_app(session, developer, app_id, act="see")
    image = read_screenshot(platform.storage, app_id, version, name)
    if image is None:
        raise NotFound("no such screenshot")
    return Response(image, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})


@router.get("/apps/{app_id}/versions/{version}/preview.svg", include_in_schema=False)
def preview_qr(
    developer: CurrentDeveloper,
    session: SessionDep,
    platform: PlatformDep,
    app_id: str = AppId,
    version: str = VersionName,
) -> Response:
    """The preview link as a QR code, to open it on a phone (signed in as a team member or tester)."""
    team.member_app(session, developer, app_id, act="preview")
    found = catalog.get_version(session, app_id, version)
    return Response(qr_svg(version_out(session, platform, found).preview_url), media_type="image/svg+xml")


def qr_svg(text: str) -> bytes:
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="svg", scale=5, border=2, dark="#000", light="#fff")
    return out.getvalue()


# The team ---------------------------------------------------------------------------------------


def _invite_out(invitation: AppInvite) -> InviteOut:
    return InviteOut.model_validate(invitation, from_attributes=True)


@router.get("/apps/{app_id}/team", response_model=TeamOut)
def team_of(developer: CurrentDeveloper, session: SessionDep, app_id: str = AppId) -> TeamOut:
    team.member_app(session, developer, app_id, act="see")
    return TeamOut(
        members=[
            MemberOut(developer_id=d.id, name=d.name, role=m.role, added_at=m.added_at)
            for m, d in team.members(session, app_id)
        ],
        invitations=[_invite_out(i) for i in team.invitations(session, app_id)],
    )


@router.post("/apps/{app_id}/team/invitations", response_model=InviteOut, status_code=201)
def invite(
    body: InviteIn, developer: ChangingDeveloper, session: SessionDep, platform: PlatformDep, app_id: str = AppId
) -> InviteOut:
    """Invite a person by email as owner, developer, viewer or tester; they are told by email, at
    most ``rate_invitations_per_address`` times an hour whoever invites them."""
    email = accounts.normalize_email(body.email)
    holder = accounts.user_by_email(session, email)  # who would accept it: someone on the team is refused
    invitee = service.developer_id_for(session, holder.id) if holder is not None else None
    invitation = team.invite(session, developer, app_id, email=email, role=body.role, invitee=invitee)
    # Counted once the invitation is one to mail (refused past the limit, it is rolled back): counted
    # before, an outsider's refused invitations (404) used up an address's quota for its apps' owners.
    settings = platform.settings
    for key, rate in (
        (f"invitations:address:{email}", settings.rate_invitations_per_address),
        (f"invitations:developer:{developer.id}", settings.rate_invitations_per_developer),
    ):
        enforce(platform.limiter, key, limits.rate(rate), what="invitations")
    notices.tell_invited(session, platform, invitation, inviter=developer.name)
    return _invite_out(invitation)


@router.delete("/apps/{app_id}/team/invitations/{invitation_id}", status_code=204)
def revoke_invitation(
    developer: ChangingDeveloper,
    session: SessionDep,
    app_id: str = AppId,
    invitation_id: str = Path(max_length=32),
) -> None:
    team.revoke(session, developer, app_id, invitation_id)


@router.put("/apps/{app_id}/team/{member_id}", status_code=204)
def change_role(
    body: RoleIn,
    developer: ChangingDeveloper,
    session: SessionDep,
    app_id: str = AppId,
    member_id: str = Path(max_length=32),
) -> None:
    team.change_role(session, developer, app_id, member_id, body.role)


@router.get("/invitations", response_model=InvitationList)
def my_invitations(visitor: CurrentPerson, session: SessionDep) -> InvitationList:
    """Open invitations to the signed-in person's email."""
    if not visitor.user.email or visitor.user.kind != "full":
        return InvitationList(items=[])
    return InvitationList(items=[_invite_out(i) for i in team.invitations_for(session, visitor.user.email)])


@router.post("/invitations/{invitation_id}/accept", response_model=DeveloperAppOut)
def accept_invitation(
    visitor: ChangingPerson, session: SessionDep, platform: PlatformDep, invitation_id: str = Path(max_length=32)
) -> DeveloperAppOut:
    """Join the team; a person with no developer profile gets one, named after their email: the
    owner invited that address, and a guest's random display name ("Quiet Badger 366") told them
    nothing of who had joined (a probe)."""
    user = visitor.user
    if user.kind != "full" or not user.email:
        raise Forbidden("sign in with the invited email first", code="ACCOUNT_REQUIRED")
    try:
        developer = service.developer_for(session, user)
    except Forbidden:
        developer = service.become_developer(session, user, name=user.email, chosen=False)
    member = team.accept(session, developer, invitation_id, email=user.email)
    return _app_out(platform, session, catalog.get_app(session, member.app_id), member.role)


# Previews ---------------------------------------------------------------------------------------


@router.get("/preview/{app_id}/{version}", response_model=PreviewOut)
def preview_card(
    request: Request,
    visitor: CurrentPerson,
    session: SessionDep,
    platform: PlatformDep,
    app_id: str = AppId,
    version: str = VersionName,
) -> PreviewOut:
    """A version's card for a preview: its files under a short-lived capability. For the app's
    team and testers, the platform's reviewers, and the platform's own checker (its check token);
    for anyone else there is no such preview."""
    check = request.query_params.get("check", "")
    allowed = bool(check) and preview.is_check_token(platform.secret, app_id, version, check)
    if not allowed and visitor.user.kind == "full":
        developer = None
        with contextlib.suppress(Forbidden):
            developer = service.developer_for(session, visitor.user)
        allowed = (developer is not None and team.may(team.role_of(session, developer.id, app_id), "preview")) or (
            staff.may(session, visitor.user.id, "review")
        )
    found = catalog.find_app(session, app_id)
    if not allowed or found is None:
        raise NotFound("no such preview, or it is not shared with you")
    chosen = catalog.get_version(session, app_id, version)
    base = card(platform.settings, found, chosen)
    capability = preview.capability(platform.secret, app_id, chosen.version)
    served = f"{base.origin}/p/{capability}/"
    manifest = chosen.manifest
    shown = Card(
        **(
            base.model_dump()
            | {"entry_url": served + manifest["entry"], "icon_url": served + manifest["icon"], "name": manifest["name"]}
        )
    )
    return PreviewOut(card=shown, version=chosen.version, state=chosen.state)
