"""Show tokens: the proof, signed by the platform, that the host's ad player put an ad on screen.

The player asks for one when the creative's first frame is displayed (``POST /api/ads/{ad_id}/shown``)
and hands it back with the impression; only an impression with a good token is billed. A token
names one ad and one person (in its MAC, with the secret only the platform holds), lives for
``MINIS_ADS_SHOW_TOKEN_TTL_SECONDS``, and is kept on the impression it billed, so a second use
bills nothing and is counted as reused. Stateless to issue: nothing is written until it is used.

Form: ``{issued_ms}.{nonce}.{mac}``, the nonce 16 random bytes in hex, the MAC the first 128
bits of HMAC-SHA256 over ``ad-show|{ad_id}|{user_id}|{issued_ms}|{nonce}``, in hex.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

TOKEN = re.compile(r"^(\d{1,16})\.([0-9a-f]{32})\.([0-9a-f]{32})\Z")
# Why an impression's token does not bill it (the invalid-traffic report's reasons).
NO_TOKEN = "no_token"
BAD_TOKEN = "bad_token"  # forged, or issued for another ad or another person
EXPIRED_TOKEN = "expired_token"
REUSED_TOKEN = "reused_token"


@dataclass(frozen=True)
class ShowToken:
    nonce: str
    issued_at: datetime


def _mac(secret: str, ad_id: str, user_id: str, issued_ms: int, nonce: str) -> str:
    message = f"ad-show|{ad_id}|{user_id}|{issued_ms}|{nonce}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def issue(secret: str, *, ad_id: str, user_id: str, now: datetime) -> str:
    issued_ms = int(now.timestamp() * 1000)
    nonce = secrets.token_hex(16)
    return f"{issued_ms}.{nonce}.{_mac(secret, ad_id, user_id, issued_ms, nonce)}"


def check(
    secret: str, token: str | None, *, ad_id: str, user_id: str, now: datetime, ttl: timedelta
) -> ShowToken | str:
    """The token when it is good for this ad and person now; else why not (NO_TOKEN, BAD_TOKEN, EXPIRED_TOKEN)."""
    if not token:
        return NO_TOKEN
    match = TOKEN.match(token)
    if match is None:
        return BAD_TOKEN
    issued_ms, nonce, mac = int(match[1]), match[2], match[3]
    if not hmac.compare_digest(mac, _mac(secret, ad_id, user_id, issued_ms, nonce)):
        return BAD_TOKEN
    issued_at = datetime.fromtimestamp(issued_ms / 1000, UTC)
    if not issued_at - timedelta(seconds=5) <= now <= issued_at + ttl:  # a few seconds of clock skew between processes
        return EXPIRED_TOKEN
    return ShowToken(nonce=nonce, issued_at=issued_at)
