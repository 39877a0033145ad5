"""Signed launch data (``initData``), verifiable by a developer's backend with no round trip.

Format, like Telegram Mini Apps' initData: a URL-encoded query string whose ``signature`` is
HMAC-SHA256, keyed with HMAC-SHA256(app_secret, "minis-init-data"), over the other fields sorted by
name and joined as ``key=value`` lines. During a secret rotation ``signature_prev`` carries the
signature under the previous secret, so a backend not yet given the new secret keeps working.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from urllib.parse import urlencode


def data_check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key not in ("signature", "signature_prev"))


def sign(keys: list[str], *, app_id: str, openid: str, launch_id: str, source: str, now: int | None = None) -> str:
    fields = {
        "app_id": app_id,
        "openid": openid,
        "launch_id": launch_id,
        "source": source,
        "issued_at": str(now if now is not None else int(time.time())),
        "nonce": secrets.token_hex(8),
    }
    message = data_check_string(fields).encode()
    signatures = [hmac.new(bytes.fromhex(key), message, hashlib.sha256).hexdigest() for key in keys[:2]]
    fields["signature"] = signatures[0]
    if len(signatures) > 1:
        fields["signature_prev"] = signatures[1]
    return urlencode(fields)
