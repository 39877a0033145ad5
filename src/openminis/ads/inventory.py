"""Inventory: an app's ad units, which its developer creates through the Open API, and the app's
share of what its ads earn."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from openminis.ads import auction
from openminis.ads.models import AdSettings, AdUnit
from openminis.catalog import service as catalog
from openminis.db import made_once, take_turns, utcnow
from openminis.egress import EgressPolicy
from openminis.errors import Conflict, InvalidArgument, NotFound

KINDS = ("rewarded", "interstitial")
NAME = re.compile(r"^[^\x00-\x1f\x7f]{1,60}\Z")
REWARD_TYPE = re.compile(r"^[A-Za-z0-9_.-]{1,32}\Z")
PRODUCTION = EgressPolicy()
MAX_UNITS = 100
DEFAULT_MIN_WATCH_SECONDS = 15
DEFAULT_MIN_INTERVAL_SECONDS = 60
MAX_FLOOR_CPM = 100_000 * 1_000_000


@dataclass(frozen=True)
class UnitFields:
    """What a developer sets on a unit; ``None`` means the default."""

    name: str
    kind: str
    reward_type: str | None = None
    reward_amount: int | None = None
    verify_url: str | None = None
    floor_cpm: int = 0
    min_watch_seconds: int | None = None
    min_interval_seconds: int | None = None
    active: bool = True


def check_verify_url(url: str, egress: EgressPolicy = PRODUCTION) -> str:
    """https, to a public address (egress.py); checked again, resolved, at every call."""
    return egress.check_url(url, field="verify_url")


def _int(value: object, field: str, low: int, high: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidArgument(f"{field} is {what} from {low} to {high}", field=field)
    return value


def _apply(unit: AdUnit, fields: UnitFields, egress: EgressPolicy) -> None:
    if fields.kind not in KINDS:
        raise InvalidArgument("kind must be rewarded or interstitial", field="kind")
    if unit.kind is not None and unit.kind != fields.kind:
        raise InvalidArgument("a unit's kind cannot change; create another unit", field="kind")
    name = " ".join((fields.name or "").split())
    if not NAME.match(name):
        raise InvalidArgument("name must be 1 to 60 printable characters", field="name")
    reward_type: str | None
    reward_amount: int | None
    min_watch: int | None
    if fields.kind == "rewarded":
        if fields.reward_type is None or not REWARD_TYPE.match(fields.reward_type):
            raise InvalidArgument(
                "a rewarded unit names its reward type: 1-32 letters, digits, '_', '.' or '-' (like 'coins_ingame')",
                field="reward_type",
            )
        if fields.min_interval_seconds is not None:
            raise InvalidArgument("only interstitial units have a minimum interval", field="min_interval_seconds")
        reward_type = fields.reward_type
        reward_amount = _int(fields.reward_amount, "reward_amount", 1, 1_000_000_000, "a whole number")
        min_watch = _int(
            DEFAULT_MIN_WATCH_SECONDS if fields.min_watch_seconds is None else fields.min_watch_seconds,
            "min_watch_seconds",
            1,
            300,
            "seconds",
        )
        interval = None
    else:
        if fields.reward_type is not None or fields.reward_amount is not None:
            raise InvalidArgument("only rewarded units give rewards", field="reward_type")
        if fields.min_watch_seconds is not None:
            raise InvalidArgument("only rewarded units have a minimum watch time", field="min_watch_seconds")
        reward_type = reward_amount = min_watch = None
        interval = _int(
            DEFAULT_MIN_INTERVAL_SECONDS if fields.min_interval_seconds is None else fields.min_interval_seconds,
            "min_interval_seconds",
            0,
            86_400,
            "seconds",
        )
    unit.name, unit.kind, unit.reward_type, unit.reward_amount = name, fields.kind, reward_type, reward_amount
    unit.verify_url = check_verify_url(fields.verify_url, egress) if fields.verify_url else None
    unit.floor_cpm = _int(fields.floor_cpm, "floor_cpm", 0, MAX_FLOOR_CPM, "micros of USD per thousand impressions")
    unit.min_watch_seconds, unit.min_interval_seconds, unit.active = min_watch, interval, bool(fields.active)
    unit.updated_at = utcnow()


UNIT_ID = re.compile(r"^au_[a-z0-9_]{3,28}\Z")


def create_unit(
    session: Session, app_id: str, fields: UnitFields, *, unit_id: str | None = None, egress: EgressPolicy = PRODUCTION
) -> AdUnit:
    """A new unit. ``unit_id`` lets a developer choose a stable id to ship inside the package
    (the unit is made by the backend, the game carries its id); otherwise one is made up."""
    catalog.get_app(session, app_id)
    if unit_id is not None and not UNIT_ID.match(unit_id):
        raise InvalidArgument("a chosen unit id is 'au_' then 3-28 lowercase letters, digits or '_'", field="id")
    # An app's new units take turns (the count below holds), and so do new units of one chosen id,
    # whatever their app: each found the id free, and on PostgreSQL all but the first of them failed
    # on the key, a 500 where UNIT_ID_TAKEN was due (console57). The app's turn first, always.
    take_turns(session, "ad-units", app_id)
    if unit_id is not None:
        take_turns(session, "ad-unit", unit_id)
    if len(list_units(session, app_id)) >= MAX_UNITS:
        raise InvalidArgument(f"an app has at most {MAX_UNITS} ad units", field="name")
    if unit_id is not None and session.get(AdUnit, unit_id) is not None:
        raise Conflict(f"ad unit id {unit_id!r} is taken", code="UNIT_ID_TAKEN", field="id")
    now = utcnow()
    unit = AdUnit(id=unit_id or "au_" + secrets.token_hex(8), app_id=app_id, kind=None, created_at=now)
    _apply(unit, fields, egress)
    session.add(unit)
    session.flush()
    auction.changes(session)
    return unit


def update_unit(
    session: Session, app_id: str, unit_id: str, fields: UnitFields, *, egress: EgressPolicy = PRODUCTION
) -> AdUnit:
    unit = get_unit(session, app_id, unit_id)
    _apply(unit, fields, egress)
    session.flush()
    auction.changes(session)
    return unit


def get_unit(session: Session, app_id: str, unit_id: str) -> AdUnit:
    unit = session.get(AdUnit, unit_id)
    if unit is None or unit.app_id != app_id:
        raise NotFound(f"no ad unit {unit_id!r} in this app", field="unit_id")
    return unit


def list_units(session: Session, app_id: str) -> list[AdUnit]:
    return list(session.scalars(select(AdUnit).where(AdUnit.app_id == app_id).order_by(AdUnit.created_at, AdUnit.id)))


# The app's share --------------------------------------------------------------------------------


def developer_share_bps(session: Session, app_id: str, default: int) -> int:
    found = session.get(AdSettings, app_id)
    return default if found is None else found.developer_share_bps


def set_developer_share(session: Session, app_id: str, share_bps: int) -> AdSettings:
    catalog.get_app(session, app_id)
    _int(share_bps, "developer_share_bps", 0, 10_000, "basis points")
    # The first share set makes the row, whichever of several set at once.
    values = {"app_id": app_id, "developer_share_bps": share_bps, "updated_at": utcnow()}
    settings = made_once(session, AdSettings, values, hold=True)
    settings.developer_share_bps, settings.updated_at = share_bps, utcnow()
    session.flush()
    return settings
