"""Verified rewards: each reward earned is a grant with its own transaction id, and the unit's
verification URL is called with it, signed, until the developer's backend answers 2xx.

The call is a durable job on the delivery lanes, like payment notifications: it survives restarts,
no transaction is open while the backend is called, the URL passes the egress policy, and it is
retried on the notifications' schedule (the last try about 76 hours after the first); every
attempt is logged for the developer with its status and time, never the reply's body. The body
is JSON::

    {"transaction_id", "app_id", "unit_id", "openid", "reward": {"type", "amount"}, "ad_id", "timestamp"}

with ``timestamp`` the Unix time of sending (each retry is signed afresh) and the header
``Minis-Reward-Signature: kid=<key id>,sig=<base64url(ECDSA P-256 SHA-256 over the body)>``.
``openminis.client.verify_reward`` checks it: signature, freshness and replays.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from openminis.ads import signing
from openminis.ads.models import AdUnit, Impression, RewardAttempt, RewardGrant
from openminis.db import utcnow
from openminis.egress import EgressPolicy, Outcome
from openminis.errors import Conflict, InvalidArgument
from openminis.identity import app_identity
from openminis.jobs import service as jobs
from openminis.pagination import decode_cursor, encode_cursor
from openminis.payments import notifications

JOB = "ads.verify_reward"
# The notifications' schedule, not a copy of it: the last try 76 h after the first.
SCHEDULE = notifications.SCHEDULE
POLICY = jobs.Policy(schedule=SCHEDULE)


def grant_reward(session: Session, impression: Impression, unit: AdUnit) -> RewardGrant:
    """Record the reward in the caller's transaction and queue its verification call: both exist
    exactly if the completion commits. One grant per ad (``ad_id`` is unique)."""
    grant = RewardGrant(
        id="rwd_" + secrets.token_hex(12),
        ad_id=impression.id,
        app_id=impression.app_id,
        unit_id=unit.id,
        user_id=impression.user_id,
        reward_type=unit.reward_type,
        reward_amount=unit.reward_amount,
        created_at=utcnow(),
    )
    session.add(grant)
    session.flush()
    if unit.verify_url:
        jobs.enqueue(
            session, JOB, {"transaction_id": grant.id}, unique_key=f"reward:{grant.id}", lane=grant.app_id, ref=grant.id
        )
    return grant


def callback_body(session: Session, secret: str, grant: RewardGrant, timestamp: int) -> bytes:
    body = {
        "transaction_id": grant.id,
        "app_id": grant.app_id,
        "unit_id": grant.unit_id,
        "openid": app_identity.known_openid(session, secret, grant.app_id, grant.user_id),
        "reward": {"type": grant.reward_type, "amount": grant.reward_amount},
        "ad_id": grant.ad_id,
        "timestamp": timestamp,
    }
    return json.dumps(body, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Callback:
    """One signed verification call, ready to go (built in a short transaction, sent after it)."""

    grant_id: str
    app_id: str
    url: str
    kid: str
    body: bytes
    headers: dict[str, str]
    at: datetime


class Verifier:
    """The verification job (a ``jobs.Call``), with the HTTP client it posts through (tests route
    it to a local backend) and the egress policy the URL must pass."""

    def __init__(
        self,
        http: Callable[[], httpx.Client],
        egress: EgressPolicy,
        secret: str,
        clock: Callable[[], float] = time.time,
    ):
        self.http, self.egress, self.secret, self.clock = http, egress, secret, clock

    def prepare(self, session: Session, payload: jobs.Payload) -> Callback | None:
        grant = session.get(RewardGrant, payload["transaction_id"])
        unit = session.get(AdUnit, grant.unit_id) if grant else None
        if grant is None or unit is None or not unit.verify_url or grant.verified_at is not None:
            return None  # the URL was removed since (the backend catches up with GET /ads/rewards), or done
        key = signing.current_key(session)
        # Signed when sent, not when earned: a retry an hour later is fresh, and its timestamp says so.
        body = callback_body(session, self.secret, grant, int(self.clock()))
        headers = {
            "Content-Type": "application/json",
            signing.HEADER: signing.sign(key, body),
            "User-Agent": "openminis-rewards/1",
        }
        return Callback(grant.id, grant.app_id, unit.verify_url, key.kid, body, headers, utcnow())

    def send(self, callback: Callback) -> Outcome:
        return self.egress.post(
            self.http(), callback.url, content=callback.body, headers=callback.headers, field="verify_url"
        )

    def record(
        self,
        session: Session,
        payload: jobs.Payload,
        callback: Callback,
        outcome: Outcome,
        *,
        attempt: int,
        next_attempt: datetime | None,
    ) -> None:
        session.add(
            RewardAttempt(
                app_id=callback.app_id,
                transaction_id=callback.grant_id,
                url=callback.url,
                kid=callback.kid,
                status_code=outcome.status_code,
                error=outcome.error,
                duration_ms=outcome.duration_ms,
                at=callback.at,
                attempt=attempt,
                next_attempt_at=next_attempt,
            )
        )
        if outcome.ok:
            session.execute(update(RewardGrant).where(RewardGrant.id == callback.grant_id).values(verified_at=utcnow()))


def attempts(
    session: Session, app_id: str, *, transaction_id: str | None = None, limit: int = 100
) -> list[RewardAttempt]:
    statement = select(RewardAttempt).where(RewardAttempt.app_id == app_id)
    if transaction_id:
        statement = statement.where(RewardAttempt.transaction_id == transaction_id)
    return list(session.scalars(statement.order_by(RewardAttempt.id.desc()).limit(limit)))


def list_grants(
    session: Session, app_id: str, *, cursor: str | None, limit: int
) -> tuple[list[RewardGrant], str | None]:
    """The app's rewards, newest first: how a backend that missed callbacks catches up."""
    statement = select(RewardGrant).where(RewardGrant.app_id == app_id)
    if cursor:
        created, grant_id = decode_cursor(cursor, str)
        if (
            created.tzinfo is None
            or not isinstance(grant_id, str)
            or not grant_id.isascii()
            or not grant_id.replace("_", "").isalnum()
        ):
            raise InvalidArgument("cursor is not one this server issued", field="cursor")
        statement = statement.where(
            or_(
                RewardGrant.created_at < created, (RewardGrant.created_at == created) & (RewardGrant.id < str(grant_id))
            )
        )
    rows = list(
        session.scalars(statement.order_by(RewardGrant.created_at.desc(), RewardGrant.id.desc()).limit(limit + 1))
    )
    page = rows[:limit]
    return page, (encode_cursor(page[-1].created_at, page[-1].id) if len(rows) > limit else None)


def earned_reward(
    session: Session, *, ad_id: str, user_id: str, app_id: str, max_age: timedelta = timedelta(minutes=30)
) -> RewardGrant:
    """The reward a person earned by watching ``ad_id`` to the end in ``app_id``, recently: what a
    platform feature (a drama episode unlock) takes as proof. Raises if there is none."""
    grant = session.scalar(select(RewardGrant).where(RewardGrant.ad_id == ad_id))
    if grant is None or grant.user_id != user_id or grant.app_id != app_id:
        raise RewardNotEarned("no reward was earned with this ad")
    if grant.created_at < utcnow() - max_age:
        raise RewardNotEarned("this ad's reward is too old to use")
    return grant


class RewardNotEarned(Conflict):
    code = "REWARD_NOT_EARNED"
