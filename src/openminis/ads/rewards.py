"""Verified rewards: each reward earned is a grant with its own transaction id, and the unit's
verification URL is called with it, signed, until the developer's backend answers 2xx.

The call is a durable job, like payment notifications: it survives restarts and retries with
exponential backoff (10 s doubling to 1 h) for 48 hours; every attempt is logged for the
developer. The body is JSON::

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
from datetime import timedelta

import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from openminis.ads import signing
from openminis.ads.models import AdUnit, Impression, RewardAttempt, RewardGrant
from openminis.db import utcnow
from openminis.errors import InvalidArgument, PlatformError
from openminis.identity import app_identity
from openminis.jobs import service as jobs
from openminis.pagination import decode_cursor, encode_cursor

JOB = "ads.verify_reward"
POLICY = jobs.Policy(first=timedelta(seconds=10), cap=timedelta(hours=1), give_up_after=timedelta(hours=48))
TIMEOUT = 10.0


def grant_reward(session: Session, impression: Impression, unit: AdUnit) -> RewardGrant:
    """Record the reward in the caller's transaction and queue its verification call: both exist
    exactly if the completion commits. One grant per ad (``ad_id`` is unique)."""
    grant = RewardGrant(
        id="rwd_" + secrets.token_hex(12), ad_id=impression.id, app_id=impression.app_id, unit_id=unit.id, user_id=impression.user_id,
        reward_type=unit.reward_type, reward_amount=unit.reward_amount, created_at=utcnow(),
    )
    session.add(grant)
    session.flush()
    if unit.verify_url:
        jobs.enqueue(session, JOB, {"transaction_id": grant.id}, unique_key=f"reward:{grant.id}")
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


def verifier(http: Callable[[], httpx.Client], secret: str, clock: Callable[[], float] = time.time) -> jobs.Handler:
    """The job handler, with the HTTP client it posts through (tests route it to a local backend)."""

    def verify(session: Session, payload: dict) -> None:
        grant = session.get(RewardGrant, payload["transaction_id"])
        unit = session.get(AdUnit, grant.unit_id) if grant else None
        if grant is None or unit is None or not unit.verify_url or grant.verified_at is not None:
            return  # the URL was removed since (the backend catches up with GET /ads/rewards), or done
        key = signing.current_key(session)
        # Signed when sent, not when earned: a retry an hour later is fresh, and its timestamp says so.
        body = callback_body(session, secret, grant, int(clock()))
        headers = {"Content-Type": "application/json", signing.HEADER: signing.sign(key, body), "User-Agent": "openminis-rewards/1"}
        attempt = RewardAttempt(app_id=grant.app_id, transaction_id=grant.id, url=unit.verify_url, kid=key.kid, at=utcnow())
        grant_id, url = grant.id, unit.verify_url
        # End the transaction before the call: building the body may have written (a remembered
        # openid, a first signing key), and on SQLite an open write would block every other writer
        # for as long as the developer's backend takes to answer.
        session.commit()
        started = time.perf_counter()
        try:
            response = http().post(url, content=body, headers=headers, timeout=TIMEOUT)
            attempt.status_code = response.status_code
            ok = 200 <= response.status_code < 300
            if not ok:
                attempt.error = f"HTTP {response.status_code}: {response.text[:200]}"
        except httpx.HTTPError as exc:
            ok, attempt.error = False, f"{type(exc).__name__}: {exc}"[:500]
        attempt.duration_ms = int((time.perf_counter() - started) * 1000)
        session.add(attempt)
        if ok:
            session.execute(update(RewardGrant).where(RewardGrant.id == grant_id).values(verified_at=utcnow()))
        session.commit()  # the attempt is logged whether or not it succeeded
        if not ok:
            raise jobs.Retry(attempt.error or "verification call failed")

    return verify


def attempts(session: Session, app_id: str, *, transaction_id: str | None = None, limit: int = 100) -> list[RewardAttempt]:
    statement = select(RewardAttempt).where(RewardAttempt.app_id == app_id)
    if transaction_id:
        statement = statement.where(RewardAttempt.transaction_id == transaction_id)
    return list(session.scalars(statement.order_by(RewardAttempt.id.desc()).limit(limit)))


def list_grants(session: Session, app_id: str, *, cursor: str | None, limit: int) -> tuple[list[RewardGrant], str | None]:
    """The app's rewards, newest first: how a backend that missed callbacks catches up."""
    statement = select(RewardGrant).where(RewardGrant.app_id == app_id)
    if cursor:
        created, grant_id = decode_cursor(cursor)
        if created.tzinfo is None or not isinstance(grant_id, str) or not grant_id.isascii() or not grant_id.replace("_", "").isalnum():
            raise InvalidArgument("cursor is not one this server issued", field="cursor")
        statement = statement.where(or_(RewardGrant.created_at < created, (RewardGrant.created_at == created) & (RewardGrant.id < str(grant_id))))
    rows = list(session.scalars(statement.order_by(RewardGrant.created_at.desc(), RewardGrant.id.desc()).limit(limit + 1)))
    page = rows[:limit]
    return page, (encode_cursor(page[-1].created_at, page[-1].id) if len(rows) > limit else None)


def earned_reward(session: Session, *, ad_id: str, user_id: str, app_id: str, max_age: timedelta = timedelta(minutes=30)) -> RewardGrant:
    """The reward a person earned by watching ``ad_id`` to the end in ``app_id``, recently: what a
    platform feature (a drama episode unlock) takes as proof. Raises if there is none."""
    grant = session.scalar(select(RewardGrant).where(RewardGrant.ad_id == ad_id))
    if grant is None or grant.user_id != user_id or grant.app_id != app_id:
        raise RewardNotEarned("no reward was earned with this ad")
    if grant.created_at < utcnow() - max_age:
        raise RewardNotEarned("this ad's reward is too old to use")
    return grant


class RewardNotEarned(PlatformError):
    status = 409
    code = "REWARD_NOT_EARNED"
