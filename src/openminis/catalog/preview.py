"""Previews: a version that was never released is served only under a capability, a signed and
short-lived path segment naming the app, the version and an expiry (``/p/{capability}/...`` on the
app's origin). The app's files then load with relative URLs as under ``/v/{version}/``. The host
mints a capability for the people allowed to preview (the app's team, its testers, reviewers;
decided above catalog, by the preview API), and the platform's own checker holds a check token
that the preview API accepts instead of a person.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass

PREVIEW_TTL_S = 2 * 3600
CHECK_TTL_S = 15 * 60


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: str, label: bytes, payload: str) -> str:
    return _b64(hmac.new(secret.encode(), label + b"\0" + payload.encode(), hashlib.sha256).digest()[:18])


@dataclass(frozen=True)
class Capability:
    app_id: str
    version: str
    expires: int


def capability(secret: str, app_id: str, version: str, *, ttl_s: int = PREVIEW_TTL_S, now: float | None = None) -> str:
    expires = int((now if now is not None else time.time()) + ttl_s)
    payload = f"{app_id}\n{version}\n{expires}"
    return f"{_b64(payload.encode())}.{_sign(secret, b'preview', payload)}"


def read_capability(secret: str, app_id: str, token: str, *, now: float | None = None) -> Capability | None:
    """The version a capability opens on ``app_id``'s origin, or None if it is forged, expired, or
    made for another app."""
    encoded, _, signature = token.partition(".")
    if not encoded or not signature or len(token) > 400:
        return None
    try:
        payload = _unb64(encoded).decode()
        named_app, version, expires_text = payload.split("\n")
        expires = int(expires_text)
    except (ValueError, UnicodeDecodeError):
        return None
    if not hmac.compare_digest(signature, _sign(secret, b"preview", payload)):
        return None
    if named_app != app_id or expires < (now if now is not None else time.time()):
        return None
    return Capability(app_id=named_app, version=version, expires=expires)


def check_token(secret: str, app_id: str, version: str, *, now: float | None = None) -> str:
    """What the platform's checker presents to the preview API for one version."""
    expires = int((now if now is not None else time.time()) + CHECK_TTL_S)
    payload = f"{app_id}\n{version}\n{expires}"
    return f"{expires}.{_sign(secret, b'check', payload)}"


def is_check_token(secret: str, app_id: str, version: str, token: str, *, now: float | None = None) -> bool:
    expires_text, _, signature = token.partition(".")
    if not expires_text.isdigit() or len(token) > 100:
        return False
    expires = int(expires_text)
    if expires < (now if now is not None else time.time()):
        return False
    return hmac.compare_digest(signature, _sign(secret, b"check", f"{app_id}\n{version}\n{expires}"))
