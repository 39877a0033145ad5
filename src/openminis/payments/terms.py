"""The money terms: the platform's fee and the creators' commission, per app or the platform's
defaults, each taking effect at its own time.

Rows are only added. The terms of an app at a moment are its row with the latest ``effective_at``
at or before that moment, else the platform defaults' row of the same rule. Every payment reads
them when it is made and records what it used in its transfer's details, so a change affects the
payments made after its effective time and none before (a pass keeps its price, not its terms:
a renewal after a change pays the fee in effect at the renewal).

For that to be what the rows say, a change is never effective before it is on record: it may not
take effect in the past, and a payment's moment (``paying_at``) and its read of the terms are
never on either side of a change's stamp and commit (``CHANGES``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, and_, bindparam, case, select
from sqlalchemy.orm import Session

from openminis.db import share_turns, take_turns, utcnow
from openminis.errors import InvalidArgument
from openminis.payments.models import MoneyTerms

DEFAULT_FEE_BPS = 3000
DEFAULT_COMMISSION_BPS = 1000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_terms = cast(Table, MoneyTerms.__table__)


def in_effect_id(app_id: Any, now: Any) -> Any:
    """A scalar subquery: the id of the terms row in effect for ``app_id`` at ``now`` (SQL
    expressions or bind parameters). An app's own row wins over any default's; among them the
    latest effective time, then the latest row. A purchase joins it into its one statement."""
    own_first = case((_terms.c.app_id.is_(None), 1), else_=0)
    return (
        select(_terms.c.id)
        .where((_terms.c.app_id == app_id) | _terms.c.app_id.is_(None), _terms.c.effective_at <= now)
        .order_by(own_first, _terms.c.effective_at.desc(), _terms.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def joined(app_id: Any, now: Any) -> tuple[Table, ColumnElement[bool]]:
    """An alias of the terms table and the ON clause that joins the row in effect (``in_effect_id``)."""
    alias = cast(Table, _terms.alias("terms_in_effect"))
    return alias, and_(alias.c.id == in_effect_id(app_id, now))


@dataclass(frozen=True)
class Terms:
    fee_bps: int
    commission_bps: int

    def fee(self, gross: int) -> int:
        return gross * self.fee_bps // 10_000


DEFAULT = Terms(DEFAULT_FEE_BPS, DEFAULT_COMMISSION_BPS)
# Changes of terms take turns on this key with the payments that read them (db.take_turns, share_turns).
CHANGES = ("money-terms",)


def paying_at(session: Session) -> datetime:
    """The moment a payment is made at: the time to read its terms at (``in_effect``) and to
    record it at. From here to the end of the payment's unit no change of terms is stamped or
    committed (on PostgreSQL a change waits for the payments in flight and they for it; SQLite's
    write units take turns already). Without it, a payment made after a change's effective time
    but read before its commit paid the old terms while the rows said the new ones applied (a probe)."""
    share_turns(session, *CHANGES)
    return utcnow()


_IN_EFFECT = select(_terms.c.fee_bps, _terms.c.creator_commission_bps).where(
    _terms.c.id == in_effect_id(bindparam("app_id"), bindparam("now"))
)


def in_effect(session: Session, app_id: str | None, at: datetime | None = None) -> Terms:
    """The terms of the app (None: the platform's defaults) at ``at`` (default now). With no row at
    all (a database nobody migrated terms into), the built-in defaults."""
    row = session.execute(_IN_EFFECT, {"app_id": app_id, "now": at or utcnow()}).first()
    return Terms(row[0], row[1]) if row is not None else DEFAULT


def check(fee_bps: int, commission_bps: int) -> None:
    if not 0 <= fee_bps <= 10_000:
        raise InvalidArgument("the fee is 0 to 10000 basis points", field="fee_bps")
    if not 0 <= commission_bps <= 10_000:
        raise InvalidArgument("the commission is 0 to 10000 basis points", field="creator_commission_bps")


def schedule(
    session: Session,
    *,
    app_id: str | None,
    fee_bps: int,
    commission_bps: int,
    effective_at: datetime | None,
    by: str,
) -> MoneyTerms:
    """New terms for the app (None: the platform's defaults) from ``effective_at`` (None: now).
    Not from a time already past: payments were made at it under the terms then in effect, and
    rows that said otherwise would be a false record of them."""
    check(fee_bps, commission_bps)
    take_turns(session, *CHANGES)  # no payment between its moment and its commit now (paying_at)
    now = utcnow()
    if effective_at is not None and effective_at < now:
        raise InvalidArgument(
            "effective_at has passed: terms take effect now (leave it out) or later", field="effective_at"
        )
    row = MoneyTerms(
        app_id=app_id,
        fee_bps=fee_bps,
        creator_commission_bps=commission_bps,
        effective_at=effective_at or now,
        created_at=now,
        created_by=by[:200],
    )
    session.add(row)
    session.flush()
    return row


def history(session: Session, app_id: str | None) -> list[MoneyTerms]:
    """Every terms row of the app (None: the defaults), the latest effective first."""
    owner = _terms.c.app_id.is_(None) if app_id is None else _terms.c.app_id == app_id
    return list(
        session.scalars(
            select(MoneyTerms).where(owner).order_by(MoneyTerms.effective_at.desc(), MoneyTerms.id.desc()).limit(200)
        )
    )
