"""Server notifications to a developer's backend: signed, durable, retried for two days.

Each paid or refunded order is POSTed as JSON to the app's notify URL with the header
``Minis-Signature: t=<unix time>,v1=<hex>``: HMAC-SHA256, keyed with HMAC-SHA256(app_secret,
"minis-notify"), over ``f"{t}.{body}"`` (Stripe's scheme). During a secret rotation there is one
``v1`` per live secret. ``openminis.client.verify_notification`` checks it, with a 5-minute
tolerance and replay detection. Delivery is a job: it survives restarts, and retries with
exponential backoff (10 s doubling to 1 h) until the backend answers 2xx, for 48 hours.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from datetime import timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from openminis.db import utcnow
from openminis.developers import service as developers
from openminis.identity import app_identity
from openminis.jobs import service as jobs
from openminis.payments.models import NotificationAttempt, Order, PaymentSettings

JOB = "payments.notify"
POLICY = jobs.Policy(first=timedelta(seconds=10), cap=timedelta(hours=1), give_up_after=timedelta(hours=48))
TIMEOUT = 10.0


def order_json(secret: str, session: Session, order: Order) -> dict:
    return {
        "id": order.id,
        "app_id": order.app_id,
        "openid": app_identity.known_openid(session, secret, order.app_id, order.user_id),
        "product_id": order.product_id,
        "product_type": order.product_type,
        "quantity": order.quantity,
        "amount": order.amount,
        "refunded": order.refunded,
        "status": order.status,
        "payload": order.payload,
        "created_at": order.created_at.isoformat(),
        "paid_at": order.paid_at.isoformat() if order.paid_at else None,
    }


def enqueue(session: Session, secret: str, order: Order, event_type: str, *, extra: dict | None = None, unique: str = "") -> None:
    """Queue an order's notification in the caller's transaction: it exists exactly if the change
    commits. ``order`` must be current (callers set what they changed with a Core UPDATE on it too)."""
    settings = session.get(PaymentSettings, order.app_id)
    if settings is None or not settings.notify_url:
        return
    data = {"order": order_json(secret, session, order), **(extra or {})}
    enqueue_event(session, order.app_id, event_type, data, unique_key=f"notify:{order.id}:{event_type}:{unique}")


def enqueue_event(session: Session, app_id: str, event_type: str, data: dict, *, unique_key: str) -> None:
    """Queue any server notification (orders, subscription renewals) for the app's backend."""
    event = {"id": "evt_" + secrets.token_hex(12), "type": event_type, "created": int(time.time()), "data": data}
    jobs.enqueue(session, JOB, {"app_id": app_id, "event": event}, unique_key=unique_key)


def sign(keys: list[str], body: bytes, timestamp: int) -> str:
    signed = str(timestamp).encode() + b"." + body
    return ",".join([f"t={timestamp}", *(f"v1={hmac.new(bytes.fromhex(k), signed, hashlib.sha256).hexdigest()}" for k in keys)])


def deliverer(http: Callable[[], httpx.Client], clock: Callable[[], float] = time.time) -> jobs.Handler:
    """The job handler, with the HTTP client it posts through (tests route it to a local backend)."""

    def deliver(session: Session, payload: dict) -> None:
        app_id, event = payload["app_id"], payload["event"]
        settings = session.get(PaymentSettings, app_id)
        keys = developers.notify_keys(session, app_id)
        if settings is None or not settings.notify_url or not keys:
            return  # nowhere to deliver, or nothing to sign with: the backend catches up with GET /orders
        body = json.dumps(event, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", "Minis-Signature": sign(keys, body, int(clock())), "Minis-Event-Id": event["id"], "User-Agent": "openminis-notify/1"}
        order_id = event["data"].get("order", {}).get("id")
        attempt = NotificationAttempt(app_id=app_id, event_id=event["id"], event_type=event["type"], order_id=order_id, url=settings.notify_url, at=utcnow())
        started = time.perf_counter()
        try:
            response = http().post(settings.notify_url, content=body, headers=headers, timeout=TIMEOUT)
            attempt.status_code = response.status_code
            ok = 200 <= response.status_code < 300
            if not ok:
                attempt.error = f"HTTP {response.status_code}: {response.text[:200]}"
        except httpx.HTTPError as exc:
            ok, attempt.error = False, f"{type(exc).__name__}: {exc}"[:500]
        attempt.duration_ms = int((time.perf_counter() - started) * 1000)
        session.add(attempt)
        session.commit()  # the attempt is logged whether or not it succeeded
        if not ok:
            raise jobs.Retry(attempt.error or "delivery failed")

    return deliver


def attempts(session: Session, app_id: str, *, limit: int = 100, order_id: str | None = None) -> list[NotificationAttempt]:
    statement = select(NotificationAttempt).where(NotificationAttempt.app_id == app_id)
    if order_id:
        statement = statement.where(NotificationAttempt.order_id == order_id)
    return list(session.scalars(statement.order_by(NotificationAttempt.id.desc()).limit(limit)))
