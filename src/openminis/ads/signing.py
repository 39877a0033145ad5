"""The platform's reward-signing keys: ECDSA P-256 with SHA-256 (ES256), rotated, public halves listed.

A developer's backend checks a reward callback against the public keys at
``GET /openapi/v1/.well-known/reward-keys``, so it needs no secret of ours and a leak of its
database reveals nothing. The newest unretired key signs; a retired key stays listed for
``ads_key_retention_days``, so that a callback signed just before a rotation still verifies.
Rotate with ``rotate_signing_key(session)`` (the first signature, or listing, creates a key).
"""

from __future__ import annotations

import base64
import secrets
import threading
from datetime import datetime, timedelta

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from openminis.ads.models import SigningKey
from openminis.db import READS, Database, utcnow
from openminis.unit_of_work import unit_of_work

ALGORITHM = "ES256"
HEADER = "Minis-Reward-Signature"

# Parsing a PEM costs more than signing; a key never changes once made, so keep them parsed.
_loaded: dict[str, ec.EllipticCurvePrivateKey] = {}
_loaded_lock = threading.Lock()


def _new_key(now: datetime) -> SigningKey:
    private = ec.generate_private_key(ec.SECP256R1())
    return SigningKey(
        kid="rk_" + secrets.token_hex(8),
        private_key_pem=private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
        public_key_pem=private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode(),
        created_at=now,
    )


def _newest(session: Session) -> SigningKey | None:
    return session.scalar(
        select(SigningKey)
        .where(SigningKey.retired_at.is_(None))
        .order_by(SigningKey.created_at.desc(), SigningKey.kid.desc())
        .limit(1)
    )


def _only_reads(session: Session) -> bool:
    """A read session (a GET's): on SQLite, its write after another request's commit fails
    (SQLITE_BUSY_SNAPSHOT), and it cannot end its read to write in a transaction of its own."""
    return bool(session.get_bind().get_execution_options().get(READS))


def current_key(session: Session, db: Database | None = None) -> SigningKey:
    """The key that signs now, made on first use: in the caller's unit of work, or, from a read
    session given the database, in a unit of its own that commits before the caller goes on."""
    key = _newest(session)
    if key is None:
        # Two first users may each make one; both are listed, the newer signs. Harmless.
        key = _new_key(utcnow())
        if db is not None and _only_reads(session):
            with unit_of_work(db) as own:
                own.add(key)
        else:
            session.add(key)
            session.flush()
    return key


def rotate_signing_key(session: Session) -> SigningKey:
    """Retire the signing key(s) and make a new one, which signs from now on. The retired keys
    stay listed for the retention period."""
    now = utcnow()
    session.execute(update(SigningKey).where(SigningKey.retired_at.is_(None)).values(retired_at=now))
    key = _new_key(now)
    session.add(key)
    session.flush()
    return key


def public_keys(session: Session, retention: timedelta, db: Database | None = None) -> list[SigningKey]:
    """The keys a verifier should accept: the current one and those retired within ``retention``.
    From a read session that sees no key yet, the first one is made and the keys listed in a unit
    of their own (given the database): the read session's snapshot would not show it."""
    if db is not None and _only_reads(session) and _newest(session) is None:
        with unit_of_work(db) as own:
            return public_keys(own, retention)
    current_key(session)
    since = utcnow() - retention
    return list(
        session.scalars(
            select(SigningKey)
            .where(or_(SigningKey.retired_at.is_(None), SigningKey.retired_at > since))
            .order_by(SigningKey.created_at.desc(), SigningKey.kid)
        )
    )


def _private(key: SigningKey) -> ec.EllipticCurvePrivateKey:
    with _loaded_lock:
        found = _loaded.get(key.kid)
    if found is None:
        loaded = serialization.load_pem_private_key(key.private_key_pem.encode(), password=None)
        if not isinstance(loaded, ec.EllipticCurvePrivateKey):  # made by this module: always P-256
            raise TypeError(f"signing key {key.kid} is not an elliptic-curve key")
        found = loaded
        with _loaded_lock:
            _loaded[key.kid] = found
    return found


def sign(key: SigningKey, body: bytes) -> str:
    """The ``Minis-Reward-Signature`` header value: ``kid=<key id>,sig=<base64url DER signature>``."""
    signature = _private(key).sign(body, ec.ECDSA(hashes.SHA256()))
    return f"kid={key.kid},sig={base64.urlsafe_b64encode(signature).decode().rstrip('=')}"
