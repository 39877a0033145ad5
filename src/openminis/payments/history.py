"""A person's wallet history: every coin movement of their wallet, newest first, with the app it
was spent in or given back by, and their top-ups that the provider has not settled yet."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from openminis import pagination
from openminis.catalog import service as catalog
from openminis.payments.models import TopUp
from openminis.payments.schemas import WalletHistory, WalletMovementOut
from openminis.wallet import service as ledger

# Settling at the provider: paid (or being approved) but not yet credited or failed. A top-up
# still "created" had no card submitted, so it is an abandoned checkout, not something to wait for.
UNSETTLED = ("requires_action", "pending")


def wallet_history(session: Session, user_id: str, *, cursor: str | None, limit: int) -> WalletHistory:
    before = pagination.decode_cursor(cursor, int) if cursor else None
    # One more than asked: whether there is a next page without a second query.
    rows = ledger.wallet_movements(session, user_id, before=before, limit=limit + 1)
    page = rows[:limit]
    app_ids = {str(row.details["app_id"]) for row in page if row.details.get("app_id")}
    apps = catalog.apps_by_id(session, app_ids)
    items = [
        WalletMovementOut(
            id=row.transfer_id,
            kind=row.kind,
            amount=row.amount,
            app_id=str(row.details["app_id"]) if row.details.get("app_id") else None,
            app_name=apps[app_id].name if (app_id := row.details.get("app_id")) in apps else None,
            created_at=row.created_at,
            discount=int(row.details["discount"]) if row.details.get("discount") else None,
            coupon_id=str(row.details["coupon_id"]) if row.details.get("coupon_id") else None,
            what=str(row.details["what"]) if row.kind == "drama_unlock" and row.details.get("what") else None,
        )
        for row in page
    ]
    last = page[-1] if page else None
    return WalletHistory(
        items=items,
        next_cursor=pagination.encode_cursor(last.created_at, last.transfer_id)
        if last is not None and len(rows) > limit
        else None,
    )


def unsettled_topups(session: Session, user_id: str) -> list[TopUp]:
    return list(
        session.scalars(
            select(TopUp)
            .where(TopUp.user_id == user_id, TopUp.status.in_(UNSETTLED))
            .order_by(TopUp.created_at.desc(), TopUp.id)
            .limit(20)
        )
    )
