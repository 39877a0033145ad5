"""Server notifications to a developer's backend: signed, durable, retried for three days.

Each paid or refunded order is POSTed as JSON to the app's notify URL with the header
``Minis-Signature: t=<unix time>,v1=<hex>``: HMAC-SHA256, keyed with HMAC-SHA256(app_secret,
"minis-notify"), over ``f"{t}.{body}"`` (Stripe's scheme). During a secret rotation there is one
``v1`` per live secret. ``openminis.client.verify_notification`` checks it, with a 5-minute
tolerance and replay detection.

Delivery is a job on the delivery lanes (``jobs/circuits.py``): no transaction is open while the
backend is called, each call has connect and read timeouts, an app has at most a few calls in
flight and a circuit breaker, and the URL passes the egress policy (``egress.py``). A delivery is
retried until the backend answers 2xx, on ``SCHEDULE`` (the last try about 76 hours after the
first, like Stripe's three days); every attempt is logged with its status, time and next attempt,
never the reply's body. ``resend`` sends an event again on the developer's request.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from openminis.db import json_time, utcnow
from openminis.developers import service as developers
from openminis.egress import EgressPolicy, Outcome
from openminis.errors import NotFound
from openminis.identity import app_identity
from openminis.jobs import service as jobs
from openminis.payments.models import NotificationAttempt, Order, PaymentSettings

if TYPE_CHECKING:  # the job jobs' service hands back, named for the annotation only
    from openminis.jobs.models import Job

JOB = "payments.notify"
# The wait after each failed attempt: quick at first (a blip), then hours (an outage), the last
# attempt 76 h 8 min after the first; 16 attempts in all. Stripe retries for 3 days, Apple at
# 1, 12, 24, 48 and 72 hours.
SCHEDULE = tuple(
    timedelta(seconds=s)
    for s in (
        10,
        30,
        60,
        120,
        300,
        600,
        1200,
        1800,
        3600,
        2 * 3600,
        4 * 3600,
        8 * 3600,
        12 * 3600,
        24 * 3600,
        24 * 3600,
    )
)
POLICY = jobs.Policy(schedule=SCHEDULE)


def order_json(secret: str, session: Session, order: Order) -> dict[str, object]:
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
        "created_at": json_time(order.created_at),
        "paid_at": json_time(order.paid_at) if order.paid_at else None,
        # As GET /orders/{id} has them: a backend granting by price read a coupon's order as short.
        "coupon_id": order.coupon_id,
        "discount": order.discount,
    }


def enqueue(
    session: Session,
    secret: str,
    order: Order,
    event_type: str,
    *,
    extra: Mapping[str, object] | None = None,
    unique: str = "",
) -> None:
    """Queue an order's notification in the caller's transaction: it exists exactly if the change
    commits. ``order`` must be current (callers set what they changed with a Core UPDATE on it too)."""
    settings = session.get(PaymentSettings, order.app_id)
    if settings is None or not settings.notify_url:
        return
    data = {"order": order_json(secret, session, order), **(extra or {})}
    enqueue_event(session, order.app_id, event_type, data, unique_key=f"notify:{order.id}:{event_type}:{unique}")


def enqueue_event(
    session: Session,
    app_id: str,
    event_type: str,
    data: Mapping[str, object],
    *,
    unique_key: str,
    behind: bool = False,
) -> None:
    """Queue any server notification (orders, subscription renewals) for the app's backend.
    ``behind``: an event that anyone can cause in bulk (a tournament's end) is sent only when none
    of the app's other notifications is due, so it never delays money's."""
    event_id = "evt_" + secrets.token_hex(12)
    event = {"id": event_id, "type": event_type, "created": int(time.time()), "data": data}
    jobs.enqueue(
        session,
        JOB,
        {"app_id": app_id, "event": event},
        unique_key=unique_key,
        lane=app_id,
        ref=event_id,
        behind=behind,
    )


def sign(keys: list[str], body: bytes, timestamp: int) -> str:
    signed = str(timestamp).encode() + b"." + body
    return ",".join(
        [f"t={timestamp}", *(f"v1={hmac.new(bytes.fromhex(k), signed, hashlib.sha256).hexdigest()}" for k in keys)]
    )


@dataclass(frozen=True)
class Delivery:
    """One signed POST, ready to go (built in a short transaction, sent after it)."""

    url: str
    body: bytes
    headers: dict[str, str]
    at: datetime


class Deliverer:
    """The notification job (a ``jobs.Call``), with the HTTP client it posts through (tests route
    it to a local backend) and the egress policy the URL must pass."""

    def __init__(self, http: Callable[[], httpx.Client], egress: EgressPolicy, clock: Callable[[], float] = time.time):
        self.http, self.egress, self.clock = http, egress, clock

    def prepare(self, session: Session, payload: jobs.Payload) -> Delivery | None:
        app_id, event = payload["app_id"], payload["event"]
        settings = session.get(PaymentSettings, app_id)
        keys = developers.notify_keys(session, app_id)
        if settings is None or not settings.notify_url or not keys:
            return None  # nowhere to deliver, or nothing to sign with: the backend catches up with GET /orders
        body = json.dumps(event, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            "Minis-Signature": sign(keys, body, int(self.clock())),
            "Minis-Event-Id": event["id"],
            "User-Agent": "openminis-notify/1",
        }
        return Delivery(settings.notify_url, body, headers, utcnow())

    def send(self, delivery: Delivery) -> Outcome:
        return self.egress.post(
            self.http(), delivery.url, content=delivery.body, headers=delivery.headers, field="notify_url"
        )

    def record(
        self,
        session: Session,
        payload: jobs.Payload,
        delivery: Delivery,
        outcome: Outcome,
        *,
        attempt: int,
        next_attempt: datetime | None,
    ) -> None:
        app_id, event = payload["app_id"], payload["event"]
        session.add(
            NotificationAttempt(
                app_id=app_id,
                event_id=event["id"],
                event_type=event["type"],
                order_id=event["data"].get("order", {}).get("id"),
                url=delivery.url,
                status_code=outcome.status_code,
                error=outcome.error,
                duration_ms=outcome.duration_ms,
                at=delivery.at,
                attempt=attempt,
                next_attempt_at=next_attempt,
            )
        )


def resend(session: Session, app_id: str, event_id: str) -> Job:
    """Send one of the app's notifications again now (its own retries follow if it fails). Flushes;
    the caller commits."""
    job = jobs.run_again(session, JOB, ref=event_id, lane=app_id, now=utcnow())
    if job is None:
        raise NotFound("no notification of this app has this event id", code="EVENT_NOT_FOUND", field="event_id")
    return job


def attempts(
    session: Session, app_id: str, *, limit: int = 100, order_id: str | None = None
) -> list[NotificationAttempt]:
    statement = select(NotificationAttempt).where(NotificationAttempt.app_id == app_id)
    if order_id:
        statement = statement.where(NotificationAttempt.order_id == order_id)
    return list(session.scalars(statement.order_by(NotificationAttempt.id.desc()).limit(limit)))
