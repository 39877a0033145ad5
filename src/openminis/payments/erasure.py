"""Payments' part of a person's data (openminis/erasure.py): orders, their history, top-ups,
entitlements and coupon uses are money records, kept under the person's id when the account is
deleted; the coupons they hold are erased (none can be used any more, and what was used is in the
uses); the top-ups still open are closed (a payment one brings in later is refunded, topups.py);
each app that knew the person is told by a signed notification."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from openminis.db import json_time, utcnow
from openminis.payments import notifications, topups
from openminis.payments.models import CouponGrant, CouponUse, Entitlement, Order, OrderEvent, TopUp
from openminis.rows import as_dict


def export(session: Session, user_id: str) -> dict[str, Any]:
    orders = [
        as_dict(row)
        for row in session.scalars(select(Order).where(Order.user_id == user_id).order_by(Order.created_at))
    ]
    order_ids = [order["id"] for order in orders]
    events = session.scalars(select(OrderEvent).where(OrderEvent.order_id.in_(order_ids))).all() if order_ids else ()
    return {
        "orders": orders,
        "topups": [as_dict(row) for row in session.scalars(select(TopUp).where(TopUp.user_id == user_id))],
        "entitlements": [
            as_dict(row) for row in session.scalars(select(Entitlement).where(Entitlement.user_id == user_id))
        ],
        "order_events": [as_dict(row) for row in events],
        "coupons_held": [
            as_dict(row) for row in session.scalars(select(CouponGrant).where(CouponGrant.user_id == user_id))
        ],
        "coupon_uses": [as_dict(row) for row in session.scalars(select(CouponUse).where(CouponUse.user_id == user_id))],
    }


def erase(session: Session, user_id: str) -> None:
    # A refund of an erased account's order still releases its coupon use (to the coupon's total);
    # the person's holding it would go back to is gone, which coupons.release allows.
    session.execute(delete(CouponGrant).where(CouponGrant.user_id == user_id))
    topups.close_open(session, user_id)


def tell_apps(session: Session, openids: list[tuple[str, str]]) -> list[str]:
    """An ``account.deleted`` notification to each (app id, openid) that knew the person, so the
    app's backend can erase what it keeps too. Returns the apps told."""
    told = []
    for app_id, openid in openids:
        notifications.enqueue_event(
            session,
            app_id,
            "account.deleted",
            {"openid": openid, "deleted_at": json_time(utcnow())},
            unique_key=f"account-deleted:{app_id}:{openid}",
        )
        told.append(app_id)
    return told
