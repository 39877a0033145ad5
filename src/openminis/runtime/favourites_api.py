"""The launcher's menu: a person's favourite apps, and an app's About."""

from __future__ import annotations

from fastapi import Path

from openminis.catalog import cards
from openminis.catalog.schemas import CardList
from openminis.runtime import about, favourites
from openminis.runtime.schemas import AboutOut, FavouriteOut
from openminis.web.dependencies import ChangingPerson, CurrentPerson, PlatformDep, SessionDep, ViewerId
from openminis.web.routing import Router

router = Router(prefix="/api", tags=["runtime"])

AppId = Path(max_length=40)


@router.get("/me/favourites", response_model=CardList)
def list_favourites(visitor: CurrentPerson, session: SessionDep, platform: PlatformDep) -> CardList:
    """The person's favourite apps, newest first (an app taken down meanwhile is left out)."""
    app_ids = favourites.favourite_app_ids(session, visitor.user.id)
    found = cards.cards(session, platform.settings, app_ids, viewer=visitor.user.id)
    return CardList(items=[found[app_id] for app_id in app_ids if app_id in found])


@router.get("/me/favourites/{app_id}", response_model=FavouriteOut)
def get_favourite(visitor: CurrentPerson, session: SessionDep, app_id: str = AppId) -> FavouriteOut:
    favourite = favourites.is_favourite(session, user_id=visitor.user.id, app_id=app_id)
    return FavouriteOut(app_id=app_id, favourite=favourite)


@router.put("/me/favourites/{app_id}", response_model=FavouriteOut)
def add_favourite(visitor: ChangingPerson, session: SessionDep, app_id: str = AppId) -> FavouriteOut:
    favourites.add_favourite(session, user_id=visitor.user.id, app_id=app_id)
    return FavouriteOut(app_id=app_id, favourite=True)


@router.delete("/me/favourites/{app_id}", response_model=FavouriteOut)
def remove_favourite(visitor: ChangingPerson, session: SessionDep, app_id: str = AppId) -> FavouriteOut:
    favourites.remove_favourite(session, user_id=visitor.user.id, app_id=app_id)
    return FavouriteOut(app_id=app_id, favourite=False)


@router.get("/apps/{app_id}/about", response_model=AboutOut)
def app_about(viewer: ViewerId, session: SessionDep, app_id: str = AppId) -> AboutOut:
    return about.about(session, app_id=app_id, viewer=viewer)
