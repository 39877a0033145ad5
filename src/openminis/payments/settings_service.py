"""An app's payment settings: its notification URL and the platform's fee."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from openminis.db import utcnow
from openminis.errors import InvalidArgument
from openminis.payments.models import PaymentSettings

LOOPBACK = {"localhost", "127.0.0.1", "::1"}


def check_notify_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InvalidArgument("notify_url must be an absolute https URL", field="notify_url")
    # Plain http only to this machine, for a backend under development.
    if parts.scheme == "http" and parts.hostname not in LOOPBACK:
        raise InvalidArgument("notify_url must use https (http is accepted only for localhost)", field="notify_url")
    return url


def get(session: Session, app_id: str) -> PaymentSettings:
    settings = session.get(PaymentSettings, app_id)
    if settings is None:
        settings = PaymentSettings(app_id=app_id)
        session.add(settings)
        session.flush()
    return settings


def set_notify_url(session: Session, app_id: str, url: str | None) -> PaymentSettings:
    settings = get(session, app_id)
    settings.notify_url = check_notify_url(url) if url else None
    settings.updated_at = utcnow()
    session.commit()
    return settings


def set_fee(session: Session, app_id: str, fee_bps: int) -> PaymentSettings:
    if not 0 <= fee_bps <= 10_000:
        raise InvalidArgument("fee is 0 to 10000 basis points", field="fee_bps")
    settings = get(session, app_id)
    settings.fee_bps = fee_bps
    session.commit()
    return settings
