"""An app's payment settings: its notification URL (the fee and the commission are the operator's:
terms.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from openminis.db import made_once, utcnow
from openminis.egress import EgressPolicy
from openminis.payments import terms
from openminis.payments.models import PaymentSettings

PRODUCTION = EgressPolicy()


def check_notify_url(url: str, egress: EgressPolicy = PRODUCTION) -> str:
    """https, to a public address (egress.py); checked again, resolved, at every delivery."""
    return egress.check_url(url, field="notify_url")


def get(session: Session, app_id: str) -> PaymentSettings:
    """The app's settings, made the first time anything reads them (by any of several reads at once)."""
    settings = session.get(PaymentSettings, app_id)
    if settings is None:
        settings = made_once(session, PaymentSettings, {"app_id": app_id, "notify_url": None, "updated_at": utcnow()})
    return settings


def creator_commission_bps(session: Session, app_id: str, at: datetime) -> int:
    """The creators' share of the app's net revenue in effect at ``at``, for a payment made at that
    moment (an ad's reward, stamped by the ad server's clock): read after the payment's turn on the
    terms (terms.paying_at), so that a change stamped before ``at`` is on record by then, and one
    stamped after it takes effect after it."""
    terms.paying_at(session)
    return terms.in_effect(session, app_id, at).commission_bps


def set_notify_url(
    session: Session, app_id: str, url: str | None, *, egress: EgressPolicy = PRODUCTION
) -> PaymentSettings:
    notify_url = check_notify_url(url, egress) if url else None
    settings = get(session, app_id)
    settings.notify_url = notify_url
    settings.updated_at = utcnow()
    session.flush()
    return settings
