"""The developer console's ad routes, on the person's session: the app's ad units, listed for the
team and made or changed by the roles that advertise (developers/team.py). The same service and
shapes as the Open API's routes (openapi.py)."""

from __future__ import annotations

from fastapi import Path

from openminis.ads import inventory
from openminis.ads.openapi import unit_fields, unit_out
from openminis.ads.schemas import ID, AdUnitIn, AdUnitOut, ConsoleAdUnitList
from openminis.developers import team
from openminis.web.dependencies import ChangingDeveloper, CurrentDeveloper, PlatformDep, SessionDep
from openminis.web.routing import Router

router = Router(prefix="/api/developer/apps/{app_id}", tags=["developers"])
AppId = Path(max_length=40)
UnitId = Path(max_length=32, pattern=ID)


@router.get("/ad-units", response_model=ConsoleAdUnitList)
def list_units(
    developer: CurrentDeveloper, session: SessionDep, platform: PlatformDep, app_id: str = AppId
) -> ConsoleAdUnitList:
    team.member_app(session, developer, app_id, act="see")
    return ConsoleAdUnitList(
        items=[unit_out(u) for u in inventory.list_units(session, app_id)],
        developer_share_bps=inventory.developer_share_bps(session, app_id, platform.settings.ads_developer_share_bps),
    )


@router.post("/ad-units", response_model=AdUnitOut, status_code=201)
def create_unit(
    body: AdUnitIn, developer: ChangingDeveloper, session: SessionDep, platform: PlatformDep, app_id: str = AppId
) -> AdUnitOut:
    """A new ad unit; the game shows its ads with ``minis.showRewardedAd({unitId})`` or ``showInterstitialAd``."""
    team.member_app(session, developer, app_id, act="advertise")
    return unit_out(inventory.create_unit(session, app_id, unit_fields(body), unit_id=body.id, egress=platform.egress))


@router.put("/ad-units/{unit_id}", response_model=AdUnitOut)
def put_unit(
    body: AdUnitIn,
    developer: ChangingDeveloper,
    session: SessionDep,
    platform: PlatformDep,
    app_id: str = AppId,
    unit_id: str = UnitId,
) -> AdUnitOut:
    """Change a unit (its kind stays); ``active: false`` pauses it."""
    team.member_app(session, developer, app_id, act="advertise")
    return unit_out(inventory.update_unit(session, app_id, unit_id, unit_fields(body), egress=platform.egress))
