"""Web Push for subscribe messages: the platform's VAPID key (made on first need), the browsers a
person turned notifications on in, and the durable job that pushes each sent message to them.

A push endpoint is a URL the browser's push service chose, but the person's browser hands it to
us, so to the platform it is a URL anyone could have typed: it passes the egress policy (https, no
loopback, private, link-local or metadata address) when it is saved and again at each push, and
the push service's answer is never read beyond its status."""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02  # type: ignore[import-untyped]  # pywebpush's VAPID signer, untyped
from pywebpush import WebPusher  # type: ignore[import-untyped]
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from openminis.catalog import service as catalog
from openminis.db import made_once, take_turns, utcnow
from openminis.egress import EgressPolicy, Outcome
from openminis.errors import InvalidArgument, TooMany
from openminis.jobs import service as jobs
from openminis.messages.models import Message, PushSubscription, VapidKey

KEY_ID = 1
MAX_SUBSCRIPTIONS = 10  # browsers one person may get pushes in
TTL_SECONDS = 24 * 3600  # how long a push service keeps a push for a browser that is offline
# A push that cannot be delivered is tried again for a day; after that the inbox still has it.
POLICY = jobs.Policy(first=timedelta(seconds=30), cap=timedelta(hours=1), give_up_after=timedelta(days=1))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def vapid_key(session: Session) -> VapidKey:
    """The platform's VAPID key, made and stored the first time anything needs it. Two processes
    racing to make it both insert; the first row wins and both use it."""
    found = session.get(VapidKey, KEY_ID)
    if found is not None:
        return found
    made = Vapid02()
    made.generate_keys()
    point = made.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    values = {
        "id": KEY_ID,
        "private_pem": made.private_pem().decode(),
        "public_key": b64url(point),
        "created_at": utcnow(),
    }
    return made_once(session, VapidKey, values)


def check_key(value: object, field: str, size: int) -> str:
    if not isinstance(value, str) or len(value) > 200:
        raise InvalidArgument(f"{field} is base64url text", field=field)
    try:
        raw = unb64url(value)
    except (binascii.Error, ValueError):
        raise InvalidArgument(f"{field} is not base64url", field=field) from None
    if len(raw) != size or (size == 65 and raw[0] != 4):
        raise InvalidArgument(f"{field} is not a browser's push key", field=field)
    return value


def check_public_key(value: object, field: str) -> str:
    """The browser's ECDH key (RFC 8291): an uncompressed point on P-256. Any other 65 bytes would
    be kept and fail each push's encryption later, a day of retries for nothing."""
    check_key(value, field, 65)
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(str(value)))
    except ValueError:
        raise InvalidArgument(f"{field} is not a point on the P-256 curve", field=field) from None
    return str(value)


def subscribe(
    session: Session, egress: EgressPolicy, *, user_id: str, endpoint: str, p256dh: str, auth: str
) -> PushSubscription:
    """Keep a browser's subscription (PushSubscription.toJSON()) for the person; the same
    endpoint again updates its keys."""
    egress.check_url(endpoint, field="endpoint")
    check_public_key(p256dh, "keys.p256dh")
    check_key(auth, "keys.auth", 16)
    # Subscribes for one person take turns, so each counts what the one before it added (at once on
    # PostgreSQL, 40 each counted fewer than 10 and kept 22). Not by locking the person's row: the
    # request already holds it shared against the account's deletion (web/dependencies.py), and
    # two holders each upgrading to FOR UPDATE deadlocked.
    take_turns(session, "push-subscriptions", user_id)
    found = session.scalar(
        select(PushSubscription).where(PushSubscription.user_id == user_id, PushSubscription.endpoint == endpoint)
    )
    if found is None:
        held = session.scalar(
            select(func.count()).select_from(PushSubscription).where(PushSubscription.user_id == user_id)
        )
        if (held or 0) >= MAX_SUBSCRIPTIONS:
            raise TooMany(
                f"notifications are on in {MAX_SUBSCRIPTIONS} browsers already: turn one off first", field="endpoint"
            )
        found = PushSubscription(id=secrets.token_hex(16), user_id=user_id, endpoint=endpoint, created_at=utcnow())
        session.add(found)
    found.p256dh, found.auth = p256dh, auth
    session.flush()
    return found


def unsubscribe(session: Session, *, user_id: str, endpoint: str) -> None:
    session.execute(
        delete(PushSubscription).where(PushSubscription.user_id == user_id, PushSubscription.endpoint == endpoint)
    )


def subscribed(session: Session, user_id: str) -> int:
    return (
        session.scalar(select(func.count()).select_from(PushSubscription).where(PushSubscription.user_id == user_id))
        or 0
    )


@dataclass(frozen=True)
class Push:
    """One encrypted, signed push, ready to go (built in a short transaction, sent after it)."""

    subscription_id: str
    endpoint: str
    body: bytes
    headers: dict[str, str]


def notification(message: Message, app_name: str) -> dict[str, str]:
    """What the service worker shows (push-sw.js): text only, and the host link that opens the app."""
    body = "\n".join(f"{value}" for value in message.fields.values() if value)
    return {
        "title": f"{app_name}: {message.title}",
        "body": body[:300],
        "tag": message.id,
        "url": f"/play/{message.app_id}?message={message.id}",
    }


class Pusher:
    """The push job (a ``jobs.Call``), with the HTTP client it posts through (the egress-guarded
    one) and the policy the endpoint must pass again."""

    def __init__(
        self,
        http: Callable[[], httpx.Client],
        egress: EgressPolicy,
        subject: str,
        clock: Callable[[], float] = time.time,
    ):
        self.http, self.egress, self.subject, self.clock = http, egress, subject, clock

    def prepare(self, session: Session, payload: jobs.Payload) -> Push | None:
        message = session.get(Message, payload["message_id"])
        subscription = session.get(PushSubscription, payload["subscription_id"])
        if message is None or subscription is None or subscription.user_id != message.user_id:
            return None  # read and erased, or notifications turned off since: nothing to push
        shown = notification(message, catalog.get_app(session, message.app_id).name)
        info = {"endpoint": subscription.endpoint, "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}}
        body = WebPusher(info).encode(json.dumps(shown).encode(), "aes128gcm")["body"]
        origin = urlsplit(subscription.endpoint)
        signer = Vapid02.from_pem(vapid_key(session).private_pem.encode())
        claims = {
            "sub": self.subject,
            "aud": f"{origin.scheme}://{origin.netloc}",
            "exp": int(self.clock()) + 12 * 3600,
        }
        headers = {
            **signer.sign(claims),
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "TTL": str(TTL_SECONDS),
            "Urgency": "normal",
        }
        return Push(subscription.id, subscription.endpoint, bytes(body), headers)

    def send(self, push: Push) -> Outcome:
        return self.egress.post(self.http(), push.endpoint, content=push.body, headers=push.headers, field="endpoint")

    def record(
        self,
        session: Session,
        payload: jobs.Payload,
        prepared: Push,
        outcome: Outcome,
        *,
        attempt: int,
        next_attempt: datetime | None,
    ) -> None:
        # 404 and 410: the browser unsubscribed (RFC 8030 §7.3); its next pushes would fail too.
        if outcome.status_code in (404, 410):
            session.execute(delete(PushSubscription).where(PushSubscription.id == prepared.subscription_id))


def subject(public_url: str) -> str:
    """VAPID's ``sub``: how a push service reaches the operator (an https page, or mail)."""
    return public_url if public_url.startswith("https://") else "mailto:push@localhost"
