"""Host-origin routes the bridge calls on an app's behalf: launches and cloud save."""

from __future__ import annotations

from fastapi import Path
from sqlalchemy.orm import Session

from openminis.creators import service as creators
from openminis.creators import sharing
from openminis.identity import app_identity
from openminis.runtime import service
from openminis.runtime.models import Launch
from openminis.runtime.schemas import LaunchIn, LaunchOut, Ok, StorageValueIn, StorageValueOut
from openminis.social import contexts as social
from openminis.web.dependencies import ChangingPerson, CurrentPerson, PlatformDep, SessionDep
from openminis.web.routing import Router

router = Router(prefix="/api", tags=["runtime"])

AppId = Path(max_length=40)
Key = Path(max_length=200)


@router.post("/launches", response_model=LaunchOut)
def launch(body: LaunchIn, visitor: ChangingPerson, session: SessionDep, platform: PlatformDep) -> LaunchOut:
    record, new = service.record_launch(
        session,
        user_id=visitor.user.id,
        app_id=body.app_id,
        launch_id=body.launch_id,
        source=body.source,
        post_id=body.post_id,
        share=body.share,
        origin=origin(session, platform.secret, body),
    )
    init_data = service.signed_launch_data(session, platform.secret, record)
    out = LaunchOut(
        launch_id=record.id,
        app_id=record.app_id,
        version=record.version,
        init_data=init_data,
        origin_sdk=service.origin_sdk(session, record),
    )
    if (token := _share_opened(session, record, body, new=new, user_id=visitor.user.id)) is not None:
        # A minis.share link: the opener joins the sharer's context, and the app gets its query.
        shared = social.open_share(session, token, visitor.user.id)
        out.query, out.context = shared.query, shared.context_id
        out.referrer = app_identity.known_openid(session, platform.secret, record.app_id, shared.sharer_id)
    return out


def _share_opened(session: Session, record: Launch, body: LaunchIn, *, new: bool, user_id: str) -> str | None:
    """The minis.share link the launch recorded opens, if it is the one the request names: the
    record's, not the request's. A launch sent again returns the first record, and its share was
    opened whatever it named: an app was handed another app's share, its context and a referrer
    (social56), or, sent again with another share of the same sharer, a second payload and context
    (attack56b). Sent again, it opens only a share whose context the person joined already."""
    token = body.share
    if not (record.source == "share" and token and social.is_share_token(token)):
        return None
    made = social.find_share(session, token)
    if made.app_id != record.app_id or made.sharer_id != record.sharer_id:
        return None
    return token if new or social.is_member(session, made.context_id, user_id) else None


def origin(session: Session, secret: str, body: LaunchIn) -> service.Origin | None:
    """The creator's post (if published) or the share link a launch names, looked up in creators
    or social (which sit above runtime): the launch records who brought the person."""
    if body.source == "post" and body.post_id:
        posts = creators.posts_by_id(session, [body.post_id])
        if not posts:
            return None
        return service.Origin(app_id=posts[0].anchor_app_id, post_id=posts[0].id, creator_id=posts[0].creator_id)
    if body.source == "share" and body.share and social.is_share_token(body.share):
        made = social.find_share(session, body.share)
        return service.Origin(app_id=made.app_id, sharer_id=made.sharer_id)
    if body.source == "share" and body.share:
        shared = sharing.resolve(session, secret, body.share)
        return service.Origin(
            app_id=shared.app_id, post_id=shared.post_id, creator_id=shared.creator_id, sharer_id=shared.sharer_id
        )
    return None


@router.get("/apps/{app_id}/storage/{key}", response_model=StorageValueOut)
def get_value(visitor: CurrentPerson, session: SessionDep, app_id: str = AppId, key: str = Key) -> StorageValueOut:
    return StorageValueOut(value=service.get_value(session, user_id=visitor.user.id, app_id=app_id, key=key))


@router.put("/apps/{app_id}/storage/{key}", response_model=Ok)
def set_value(
    body: StorageValueIn,
    visitor: ChangingPerson,
    session: SessionDep,
    platform: PlatformDep,
    app_id: str = AppId,
    key: str = Key,
) -> Ok:
    service.set_value(
        session, platform.storage_limits, user_id=visitor.user.id, app_id=app_id, key=key, value=body.value
    )
    return Ok()


@router.delete("/apps/{app_id}/storage/{key}", response_model=Ok)
def remove_value(visitor: ChangingPerson, session: SessionDep, app_id: str = AppId, key: str = Key) -> Ok:
    service.remove_value(session, user_id=visitor.user.id, app_id=app_id, key=key)
    return Ok()
