"""Coupons: money off an app's products, issued by the platform or an app's developer, paid for by
their funder, held by people (claimed with a code or granted), used on the pay sheet.

Money. A coupon's order is priced at its list price; the person pays the list price less the
discount and the funder pays the discount, each a leg of the order's one transfer. The app, the
platform and a creator are credited as if the list price had been paid: the platform's fee and the
creator's commission are taken on the list price, as for any order. The platform funds its coupons
from its promotion budget (the ``coupon_funding`` account, which may go negative: what the platform
spent on coupons); a developer funds theirs from the app's earnings, so the app's leg is its share
of the list price less the discount. A developer's discount is at most that share (the list price
less the fee and the most commission the sale could carry), so the app's leg is never a debit. A
coupon never makes an order free: the person pays at least 1 coin.

Limits. A use is reserved by conditional updates in the purchase's own unit of work: the coupon's
``used`` grows only while under its total limit, the person's grant's only while under the
per-person limit, so concurrent purchases cannot together go past either (one waits for the other's
row and sees its count). A full refund gives the use back; a partial one does not.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openminis import text
from openminis.db import utcnow
from openminis.errors import Conflict, Forbidden, InvalidArgument, NotFound
from openminis.payments.models import PRODUCT_ID, Coupon, CouponGrant, CouponUse, Order, OrderEvent, Product
from openminis.staff import conflicts

CODE = re.compile(r"^[A-Z0-9_-]{4,32}\Z")
FUNDING = "coupon_funding"
PLATFORM = "platform"
# The platform's codes' namespace (Coupon.code_scope): no app id can be it (an app named "platform"
# shared the platform's codes, attack55c); a developer's codes are in their app's id.
PLATFORM_CODES = "*platform"
DEVELOPER = "developer"
MAX_WINDOW = timedelta(days=366)
MAX_LIMIT = 10_000_000
BUDGET_PERIOD = timedelta(days=30)  # what one member of finance's coupons may cost, together


class CouponNotFound(NotFound):
    code = "COUPON_NOT_FOUND"


class CouponNotApplicable(Conflict):
    """The coupon is not for this app or product, or not for this person (not held)."""

    code = "COUPON_NOT_APPLICABLE"


class CouponExpired(Conflict):
    code = "COUPON_EXPIRED"


class CouponEnded(Conflict):
    code = "COUPON_ENDED"


class CouponUsedUp(Conflict):
    """The person used it as many times as it allows each person."""

    code = "COUPON_USED_UP"


class CouponExhausted(Conflict):
    """Every use the coupon allows in all has been taken."""

    code = "COUPON_EXHAUSTED"


class PlatformsCoupon(Forbidden):
    """A coupon the platform made for the app: listed to its developer, not theirs to act on."""

    code = "PLATFORMS_COUPON"


class CouponNeedsOwner(Forbidden):
    """One member of finance made a coupon that can cost its funder more than they may spend alone."""

    code = "COUPON_NEEDS_OWNER"


def _utc(value: datetime, field: str) -> datetime:
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise InvalidArgument(f"{field} is out of range", field=field) from None


def _whole(value: object, field: str, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidArgument(f"{field} is a whole number from {low} to {high}", field=field)
    return value


def create(
    session: Session,
    *,
    app_id: str | None,
    issuer: str,
    funder: str,
    title: str,
    code: str | None,
    amount_off: int | None,
    percent_off_bps: int | None,
    max_off: int | None,
    product_ids: list[str] | None,
    starts_at: datetime | None,
    ends_at: datetime,
    per_person_limit: int,
    total_limit: int | None,
    by: str,
    maker_id: str | None = None,
    budget: int | None = None,
) -> Coupon:
    """A new coupon. A developer's (``issuer`` developer) is for their app and funded by them; the
    operator's may be for one app (funded by the platform or, by agreement, the developer) or for
    every app (funded by the platform). ``maker_id``: the person of staff making it, who will hold
    none of it. ``budget``: the most it may cost its funder (``most_cost``) with the maker's other
    coupons of the last 30 days, when they may not spend more alone (a member of finance who is not
    the owner); None, no such limit."""
    if issuer not in (PLATFORM, DEVELOPER) or funder not in (PLATFORM, DEVELOPER):
        raise InvalidArgument("funder is platform or developer", field="funder")
    if issuer == DEVELOPER and (funder != DEVELOPER or app_id is None):
        raise InvalidArgument("a developer's coupon is funded by the developer", field="funder")
    if funder == DEVELOPER and app_id is None:
        raise InvalidArgument("a coupon the developer funds is for one app: give app_id", field="app_id")
    if app_id is None and product_ids is not None:
        raise InvalidArgument("a coupon for every app cannot list products", field="product_ids")
    title = (title or "").strip()
    if not 1 <= len(title) <= 80 or text.has_controls(title):
        raise InvalidArgument(
            "title is 1-80 characters, one line without control, bidi or line separator characters", field="title"
        )
    # A code is its issuer's (models.Coupon): the platform's, or the app's developer's.
    scope = PLATFORM_CODES if issuer == PLATFORM else app_id
    if code is not None:
        code = _code(code)
        if not CODE.match(code):
            raise InvalidArgument("code is 4-32 of A-Z, 0-9, '_' or '-'", field="code")
        if session.scalar(select(Coupon.id).where(Coupon.code_scope == scope, Coupon.code == code)) is not None:
            raise _code_taken(scope)
    if (amount_off is None) == (percent_off_bps is None):
        raise InvalidArgument("give amount_off (coins) or percent_off_bps, one of them", field="amount_off")
    if amount_off is not None:
        _whole(amount_off, "amount_off", 1, 1_000_000)
        if max_off is not None:
            raise InvalidArgument("max_off caps a percent discount", field="max_off")
    else:
        _whole(percent_off_bps, "percent_off_bps", 1, 9_999)
        if max_off is not None:
            _whole(max_off, "max_off", 1, 1_000_000)
    if product_ids is not None:
        if not isinstance(product_ids, list) or not 1 <= len(product_ids) <= 100:
            raise InvalidArgument("product_ids lists 1-100 product ids (left out: every product)", field="product_ids")
        for product_id in product_ids:
            if not isinstance(product_id, str) or not PRODUCT_ID.match(product_id):
                # Not said back: one 10,000 characters long came back whole in the message (a probe, attack54).
                raise InvalidArgument("a product id is 1-64 letters, digits, '_', '.' or '-'", field="product_ids")
            if session.get(Product, (app_id, product_id)) is None:
                raise InvalidArgument(f"the app sells no product {product_id!r}", field="product_ids")
        product_ids = sorted(set(product_ids))
    now = utcnow()
    starts_at = _utc(starts_at, "starts_at") if starts_at is not None else now
    ends_at = _utc(ends_at, "ends_at")
    if ends_at <= starts_at or ends_at <= now or ends_at - starts_at > MAX_WINDOW:
        raise InvalidArgument("ends_at is after starts_at and now, at most 366 days after starts_at", field="ends_at")
    _whole(per_person_limit, "per_person_limit", 1, 1000)
    if total_limit is not None:
        _whole(total_limit, "total_limit", 1, MAX_LIMIT)
    if budget is not None:
        _within_budget(
            session, maker_id, most_cost(amount_off if amount_off is not None else max_off, total_limit), budget
        )
    coupon = Coupon(
        id="cpn_" + secrets.token_hex(10),
        app_id=app_id,
        code=code,
        code_scope=scope if code is not None else None,
        title=title,
        issuer=issuer,
        funder=funder,
        amount_off=amount_off,
        percent_off_bps=percent_off_bps,
        max_off=max_off,
        product_ids=product_ids,
        starts_at=starts_at,
        ends_at=ends_at,
        per_person_limit=per_person_limit,
        total_limit=total_limit,
        used=0,
        status="active",
        created_by=by[:200],
        maker_id=maker_id,
        created_at=now,
    )
    try:
        with session.begin_nested():  # one of two made at once with one code: said, not a 500
            session.add(coupon)
    except IntegrityError:
        raise _code_taken(scope) from None
    return coupon


def _code_taken(scope: str | None) -> Conflict:
    whose = "another of the platform's coupons" if scope == PLATFORM_CODES else "another of this app's coupons"
    return Conflict(f"{whose} has this code", code="COUPON_CODE_TAKEN", field="code")


def most_cost(most_off: int | None, total_limit: int | None) -> int | None:
    """The most coins a coupon can cost its funder: its most off per use (``amount_off``, or a
    percent's ``max_off``) times its uses in all; None when either is unbounded. A probe: one member
    of finance made a 99.99 %-off coupon for every app with no limits and claimed it by its code."""
    return None if most_off is None or total_limit is None else most_off * total_limit


def _within_budget(session: Session, maker_id: str | None, cost: int | None, budget: int) -> None:
    """Refuses a coupon that, with what the maker's coupons of the last ``BUDGET_PERIOD`` can cost,
    would go past ``budget``: one coupon within it each, 50 of them were 50 times it. The caller
    holds the maker's staff row, so that their coupons made at once take turns."""
    since = utcnow() - BUDGET_PERIOD
    made = 0
    if maker_id is not None:
        most_off = func.coalesce(Coupon.amount_off, Coupon.max_off)
        made = int(
            session.scalar(
                select(func.coalesce(func.sum(most_off * Coupon.total_limit), 0)).where(
                    Coupon.maker_id == maker_id, Coupon.created_at > since
                )
            )
            or 0
        )
    if cost is None or made + cost > budget:
        can_cost = "coins without limit" if cost is None else f"{cost:,} coin{'' if cost == 1 else 's'}"
        raise CouponNeedsOwner(
            f"this coupon can cost its funder {can_cost} and yours of the last 30 days {made:,}; one member of"
            f" finance makes coupons of at most {budget:,} coins in 30 days (amount_off or max_off, times"
            " total_limit): the platform's owner makes this one",
            field="total_limit",
        )


def get(session: Session, coupon_id: str, *, app_id: str | None = None) -> Coupon:
    """A coupon; with ``app_id``, only one of that app's (a developer sees no other app's)."""
    coupon = session.get(Coupon, coupon_id)
    if coupon is None or (app_id is not None and coupon.app_id != app_id):
        raise CouponNotFound(f"no coupon {coupon_id!r}", field="coupon_id")
    return coupon


def list_coupons(session: Session, *, app_id: str | None, every_app: bool = False) -> list[Coupon]:
    statement = select(Coupon)
    if not every_app:
        statement = statement.where(Coupon.app_id == app_id)
    return list(session.scalars(statement.order_by(Coupon.created_at.desc(), Coupon.id).limit(500)))


def end(session: Session, coupon: Coupon) -> Coupon:
    """No more uses from now on (the uses made stay, and so do their refunds)."""
    coupon.status = "ended"
    session.flush()
    return coupon


def _grant(session: Session, coupon: Coupon, user_id: str, via: str) -> CouponGrant:
    """The person holds the coupon (holding it twice is holding it once)."""
    now = utcnow()
    if coupon.status != "active":
        raise CouponEnded("this coupon has ended")
    if coupon.ends_at <= now:
        raise CouponExpired("this coupon has expired")
    if _used_up(coupon):
        # Held, it could not be used: a claim answered 200 with a use left (attack56b).
        raise CouponExhausted("this coupon has no uses left")
    conflicts.not_their_coupon(session, coupon.maker_id, user_id)
    held = session.get(CouponGrant, (coupon.id, user_id))
    if held is not None:
        return held
    try:
        with session.begin_nested():
            held = CouponGrant(coupon_id=coupon.id, user_id=user_id, used=0, via=via, granted_at=now)
            session.add(held)
            session.flush()
    except IntegrityError:  # a concurrent claim of the same person won
        held = session.get(CouponGrant, (coupon.id, user_id))
        if held is None:
            raise
    return held


def _used_up(coupon: Coupon) -> bool:
    """Every use its total limit allows is taken (a full refund gives one back)."""
    return coupon.total_limit is not None and coupon.used >= coupon.total_limit


def _runs(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """What a coupon that runs at ``now`` is, in SQL (``_runs_now``): active, begun, not ended,
    not used up."""
    return (
        Coupon.status == "active",
        Coupon.starts_at <= now,
        Coupon.ends_at > now,
        or_(Coupon.total_limit.is_(None), Coupon.used < Coupon.total_limit),
    )


def _runs_now(coupon: Coupon, now: datetime) -> bool:
    return coupon.status == "active" and coupon.starts_at <= now < coupon.ends_at and not _used_up(coupon)


def _code(typed: str) -> str:
    """A code as it is kept: upper case, without the spaces around it (spaces only: a tab or a
    file separator around it was dropped too, attack56). Only ASCII is changed: Python's upper()
    made a long s (U+017F) an S and a sharp s SS, a code other than the one typed (coupons56); a
    code with another letter fails ``CODE``."""
    return typed.strip(" ").upper() if typed.isascii() else typed


def claim(session: Session, user_id: str, code: str, *, app_id: str | None = None) -> tuple[Coupon, CouponGrant]:
    """A person claims a coupon by its code: in an app (``app_id``), the app's developer's coupon
    of that code first, then the platform's for this app; elsewhere, the platform's, then the one
    developer's coupon of that code, if only one app has it running."""
    wanted = _code(code or "")
    coupon = _by_code(session, wanted, app_id) if CODE.match(wanted) else None
    if coupon is None:
        raise CouponNotFound("no coupon has this code", field="code")
    return coupon, _grant(session, coupon, user_id, "code")


def _by_code(session: Session, code: str, app_id: str | None) -> Coupon | None:
    """The coupon a code finds, running ones first in every scope: an ended coupon of the app's
    hid the platform's running one of the same code, and people were told the promotion had ended
    (coupons56), as did one used up or not begun (attack56); only when none runs does the first
    found answer, so its refusal says why."""
    now = utcnow()
    # The scopes asked for by name: read among the first rows of a code that 50 apps use, an app's
    # own coupon was missed for the platform's (attack55c). In an app, the platform's coupon for
    # another app is not found: it was claimed, then refused at the pay sheet (coupons56).
    first = [scope for scope in (app_id, PLATFORM_CODES) if scope is not None]
    named = {
        c.code_scope: c
        for c in session.scalars(select(Coupon).where(Coupon.code == code, Coupon.code_scope.in_(first)))
        if app_id is None or c.app_id in (None, app_id)
    }
    found = [named[scope] for scope in first if scope in named]
    if app_id is None:  # then the developers' coupons of this code, if one app's runs
        developers = select(Coupon).where(Coupon.code == code, Coupon.code_scope != PLATFORM_CODES)
        live = list(session.scalars(developers.where(*_runs(now)).limit(2)))
        if len(live) > 1 and not any(_runs_now(coupon, now) for coupon in found):
            raise Conflict(
                "several apps have a coupon with this code: claim it in the app it is for (app_id)",
                code="COUPON_CODE_AMBIGUOUS",
                field="app_id",
            )
        found += live or list(session.scalars(developers.limit(1)))
    return next((coupon for coupon in found if _runs_now(coupon, now)), found[0] if found else None)


def grant(session: Session, coupon: Coupon, user_id: str, *, via: str) -> CouponGrant:
    return _grant(session, coupon, user_id, via)


def discount(coupon: Coupon, list_amount: int, *, fee_bps: int, commission_bps: int) -> int:
    """The coins off an order of ``list_amount`` under these terms (see the module's docstring)."""
    if coupon.amount_off is not None:
        off = coupon.amount_off
    else:
        off = list_amount * (coupon.percent_off_bps or 0) // 10_000
        if coupon.max_off is not None:
            off = min(off, coupon.max_off)
    off = min(off, list_amount - 1)  # the person pays at least a coin
    if coupon.funder == DEVELOPER:
        net = list_amount - list_amount * fee_bps // 10_000
        off = min(off, net - net * commission_bps // 10_000)
    return max(off, 0)


def _applies(coupon: Coupon, app_id: str, product_id: str | None) -> bool:
    if coupon.app_id is not None and coupon.app_id != app_id:
        return False
    return product_id is None or coupon.product_ids is None or product_id in coupon.product_ids


def check(coupon: Coupon, *, app_id: str, product_id: str, now: datetime) -> None:
    """Refuses, with its own code, a coupon that cannot be used on this product now."""
    if not _applies(coupon, app_id, product_id):
        raise CouponNotApplicable(f"coupon {coupon.id} is not for {product_id} in this app", field="coupon_id")
    if coupon.status != "active":
        raise CouponEnded(f"coupon {coupon.id} has ended", field="coupon_id")
    if now < coupon.starts_at:
        starts = coupon.starts_at.isoformat()
        raise CouponNotApplicable(f"coupon {coupon.id} cannot be used before {starts}", field="coupon_id")
    if now >= coupon.ends_at:
        raise CouponExpired(f"coupon {coupon.id} expired at {coupon.ends_at.isoformat()}", field="coupon_id")


@dataclass(frozen=True)
class Held:
    """A coupon the person holds, with what is left of it for them."""

    coupon: Coupon
    uses_left: int


def held(session: Session, user_id: str, app_id: str, *, product_id: str | None = None) -> list[Held]:
    """The person's coupons usable in this app now (for ``product_id``, if given): no other app's,
    none expired, ended, used up or exhausted."""
    now = utcnow()
    rows = session.execute(
        select(Coupon, CouponGrant.used)
        .join(CouponGrant, CouponGrant.coupon_id == Coupon.id)
        .where(
            CouponGrant.user_id == user_id,
            or_(Coupon.app_id == app_id, Coupon.app_id.is_(None)),
            *_runs(now),
            CouponGrant.used < Coupon.per_person_limit,
        )
        .order_by(Coupon.ends_at, Coupon.id)
    ).all()
    return [
        Held(coupon, coupon.per_person_limit - used) for coupon, used in rows if _applies(coupon, app_id, product_id)
    ]


def _rowcount(result: Any) -> int:
    return cast("CursorResult[Any]", result).rowcount


def prepare(
    session: Session,
    coupon_id: object,
    *,
    user_id: str,
    app_id: str,
    product_id: str,
    list_amount: int,
    fee_bps: int,
    commission_bps: int,
    now: datetime,
) -> tuple[Coupon, int]:
    """The coupon a person asked to use on an order of ``list_amount``, and its discount: refused,
    each with its own code, when it cannot be used (nothing is taken yet: ``take`` does)."""
    if not isinstance(coupon_id, str) or not 1 <= len(coupon_id) <= 32:
        raise CouponNotFound("coupon_id is a coupon's id", field="coupon_id")
    coupon = session.get(Coupon, coupon_id)
    if coupon is None:
        raise CouponNotFound(f"no coupon {coupon_id!r}", field="coupon_id")
    # Held first: someone who knew a coupon's id, and held none, learnt its state and dates from
    # the refusals below (attack56).
    grant_row = session.get(CouponGrant, (coupon.id, user_id))
    if grant_row is None:
        raise CouponNotApplicable("you do not hold this coupon: claim it first", field="coupon_id")
    check(coupon, app_id=app_id, product_id=product_id, now=now)
    conflicts.not_their_coupon(session, coupon.maker_id, user_id)  # held by a guest that signed in since
    if grant_row.used >= coupon.per_person_limit:
        raise CouponUsedUp(f"you have used coupon {coupon.id} as often as it allows", field="coupon_id")
    if _used_up(coupon):
        raise CouponExhausted(f"coupon {coupon.id} has no uses left", field="coupon_id")
    off = discount(coupon, list_amount, fee_bps=fee_bps, commission_bps=commission_bps)
    if off < 1:
        raise CouponNotApplicable(f"coupon {coupon.id} takes nothing off this order", field="coupon_id")
    return coupon, off


def take(session: Session, coupon: Coupon, user_id: str) -> None:
    """One use of the coupon for this person, by conditional updates: the database refuses a use
    past either limit, however many purchases try at once. The caller's unit of work keeps the use
    with the order, or undoes both. The person's row first, then the coupon's (one order for
    every purchase: no deadlock)."""
    if not _rowcount(
        session.execute(
            update(CouponGrant)
            .where(
                CouponGrant.coupon_id == coupon.id,
                CouponGrant.user_id == user_id,
                CouponGrant.used < coupon.per_person_limit,
            )
            .values(used=CouponGrant.used + 1)
            .execution_options(synchronize_session=False)
        )
    ):
        raise CouponUsedUp(f"you have used coupon {coupon.id} as often as it allows", field="coupon_id")
    taken = update(Coupon).where(Coupon.id == coupon.id, Coupon.status == "active")
    if coupon.total_limit is not None:
        taken = taken.where(Coupon.used < Coupon.total_limit)
    if not _rowcount(session.execute(taken.values(used=Coupon.used + 1).execution_options(synchronize_session=False))):
        # Ended while this purchase waited for the coupon's row, or its last use was taken.
        if session.scalar(select(Coupon.status).where(Coupon.id == coupon.id)) != "active":
            raise CouponEnded(f"coupon {coupon.id} has ended", field="coupon_id")
        raise CouponExhausted(f"coupon {coupon.id} has no uses left", field="coupon_id")


def record_use(session: Session, order: Order, coupon: Coupon) -> None:
    session.add(
        CouponUse(
            order_id=order.id,
            coupon_id=coupon.id,
            user_id=order.user_id,
            discount=order.discount,
            funder=coupon.funder,
            at=order.created_at,
        )
    )
    session.flush()


def use_of(session: Session, order_id: str) -> CouponUse | None:
    return session.get(CouponUse, order_id)


def release(session: Session, order: Order) -> bool:
    """A fully refunded order gives its coupon use back (to the person and to the total)."""
    if not _rowcount(
        session.execute(
            update(CouponUse)
            .where(CouponUse.order_id == order.id, CouponUse.released_at.is_(None))
            .values(released_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    ):
        return False
    use = session.get(CouponUse, order.id)
    assert use is not None
    session.execute(
        update(CouponGrant)
        .where(CouponGrant.coupon_id == use.coupon_id, CouponGrant.user_id == use.user_id, CouponGrant.used > 0)
        .values(used=CouponGrant.used - 1)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Coupon)
        .where(Coupon.id == use.coupon_id, Coupon.used > 0)
        .values(used=Coupon.used - 1)
        .execution_options(synchronize_session=False)
    )
    return True


def funder_account(funder: str, app_id: str) -> tuple[str, str]:
    """The ledger account (kind, owner) that pays a coupon's discount."""
    return (FUNDING, "") if funder == PLATFORM else ("app_earnings", app_id)


def funded(
    session: Session, app_ids: list[str], start: datetime, end: datetime, *, funder: str = DEVELOPER
) -> dict[str, int]:
    """Per app, the discounts ``funder`` funded on sales made in [start, end), less the parts
    refunds made in that period gave back (the statements')."""
    totals: dict[str, int] = {}
    used = session.execute(
        select(Order.app_id, func.coalesce(func.sum(CouponUse.discount), 0))
        .join(Order, Order.id == CouponUse.order_id)
        .where(Order.app_id.in_(app_ids), CouponUse.funder == funder, CouponUse.at >= start, CouponUse.at < end)
        .group_by(Order.app_id)
    )
    for app_id, amount in used:
        totals[app_id] = int(amount)
    given_back = session.execute(
        select(Order.app_id, OrderEvent.details)
        .join(Order, Order.id == OrderEvent.order_id)
        .join(CouponUse, CouponUse.order_id == Order.id)
        .where(
            Order.app_id.in_(app_ids),
            CouponUse.funder == funder,
            OrderEvent.status.in_(("refunded", "partially_refunded")),
            OrderEvent.at >= start,
            OrderEvent.at < end,
        )
    )
    for app_id, details in given_back:
        totals[app_id] = totals.get(app_id, 0) - int((details or {}).get("discount", 0))
    return totals
