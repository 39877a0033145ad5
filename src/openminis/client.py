"""``openminis.client``: what a developer's backend uses to talk to the platform.

    from openminis.client import MinisClient, verify_init_data

    minis = MinisClient("my-game", os.environ["MINIS_APP_SECRET"], base_url="https://minis.example.com")
    session = minis.code2session(code)          # {"openid", "unionid", "access_token", ...}
    launch = verify_init_data(init_data, os.environ["MINIS_APP_SECRET"])   # raises InvalidInitData
    reward = verify_reward(body, headers["Minis-Reward-Signature"], minis.reward_keys())  # raises InvalidReward

``AsyncMinisClient`` has the same calls as coroutines. The app access token is fetched on first
use and renewed a minute before it expires.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, Self, TypeAlias
from urllib.parse import parse_qsl, unquote

import httpx
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

INIT_DATA_LABEL = b"minis-init-data"
NOTIFY_LABEL = b"minis-notify"
DEFAULT_MAX_AGE = 24 * 3600
NOTIFY_TOLERANCE = 300

JSONObject: TypeAlias = dict[str, Any]
"""A decoded JSON object: an Open API answer, a notification event, a reward."""


class MinisAPIError(Exception):
    """An error answer from the Open API, with its stable ``code`` and the ``request_id`` to quote."""

    def __init__(self, status: int, code: str, message: str, request_id: str = ""):
        super().__init__(f"{status} {code}: {message} (request {request_id})")
        self.status, self.code, self.message, self.request_id = status, code, message, request_id


class InvalidInitData(ValueError):
    """initData failed verification; ``reason`` is one of: malformed, signature, stale, future."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def init_data_key(app_secret: str) -> bytes:
    return hmac.new(app_secret.encode(), INIT_DATA_LABEL, hashlib.sha256).digest()


def verify_init_data(
    init_data: str, app_secret: str, *, max_age: int = DEFAULT_MAX_AGE, now: float | None = None
) -> dict[str, str]:
    """Check the launch data a mini-program sent to its backend; return its fields if genuine and fresh."""
    try:
        fields = dict(parse_qsl(init_data, keep_blank_values=True, strict_parsing=True))
    except ValueError:
        raise InvalidInitData("malformed", "initData is not a query string") from None
    required = {"app_id", "openid", "launch_id", "source", "issued_at", "nonce", "signature"}
    if not required <= fields.keys() or not fields["issued_at"].isdigit():
        raise InvalidInitData("malformed", f"initData lacks one of {sorted(required)}")
    check = "\n".join(
        f"{key}={fields[key]}" for key in sorted(fields) if key not in ("signature", "signature_prev")
    ).encode()
    expected = hmac.new(init_data_key(app_secret), check, hashlib.sha256).hexdigest()
    # During a secret rotation the platform signs under both secrets; either may be ours.
    presented = [fields["signature"], fields.get("signature_prev", "")]
    if not any(hmac.compare_digest(expected, signature) for signature in presented):
        raise InvalidInitData("signature", "initData signature does not match this app secret")
    age = (now if now is not None else time.time()) - int(fields["issued_at"])
    if age > max_age:
        raise InvalidInitData("stale", f"initData is {int(age)} s old, over the {max_age} s limit")
    if age < -300:
        raise InvalidInitData("future", "initData was issued in the future (clock skew over 5 minutes)")
    return {key: value for key, value in fields.items() if key not in ("signature", "signature_prev")}


class InvalidNotification(ValueError):
    """A server notification failed verification; ``reason``: malformed, signature, stale, replayed."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


class EventStore(Protocol):
    """Where a backend remembers the deliveries it has seen: ``add`` is False when one is already there."""

    def add(self, event_id: str, expires_at: float) -> bool: ...


class SeenEvents:
    """Deliveries seen within the tolerance window, for replay detection in one process.

    A delivery is an event (or a reward) as signed at one time: the platform signs each retry
    afresh, so a retry after the backend failed to handle the first try is a delivery of its own
    and passes; a copy of one delivery sent again (a replay) does not. What a backend delivers it
    deduplicates itself, on the event's id or the order's, in the transaction that delivers it.

    A backend with several processes passes its own store instead: anything with
    ``add(key, expires_at) -> bool`` (False when already present), e.g. Redis ``SET NX EX``.
    """

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def add(self, event_id: str, expires_at: float) -> bool:
        with self._lock:
            now = time.time()
            for key in [k for k, until in self._seen.items() if until < now]:
                del self._seen[key]
            if event_id in self._seen:
                return False
            self._seen[event_id] = expires_at
            return True


def verify_notification(
    body: bytes,
    signature_header: str,
    app_secret: str,
    *,
    seen: EventStore | None = None,
    tolerance: int = NOTIFY_TOLERANCE,
    now: float | None = None,
) -> JSONObject:
    """Check a server notification (``Minis-Signature`` header and raw body); return the event.

    With ``seen``, a copy of a delivery already received is refused (``replayed``). A retry is
    signed afresh and passes, so that an event the backend failed to handle comes again: it was
    keyed on the event's id alone, and the retry of an order whose delivery had failed was refused
    as a replay, which the documented handler acknowledged, and the item was never delivered (a
    probe, dev54). Deliver once per event (or order) id in your own store, when you deliver."""
    parts = [part.split("=", 1) for part in (signature_header or "").split(",") if "=" in part]
    stamps = [value for key, value in parts if key.strip() == "t"]
    signatures = [value.strip() for key, value in parts if key.strip() == "v1"]
    if len(stamps) != 1 or not stamps[0].strip().isdigit() or len(stamps[0].strip()) > 12 or not signatures:
        raise InvalidNotification("malformed", "Minis-Signature must be t=<unix time>,v1=<hex>")
    stamp = int(stamps[0])
    key = hmac.new(app_secret.encode(), NOTIFY_LABEL, hashlib.sha256).digest()
    expected = hmac.new(key, str(stamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, signature) for signature in signatures):
        raise InvalidNotification("signature", "notification signature does not match this app secret")
    current = now if now is not None else time.time()
    if abs(current - stamp) > tolerance:
        raise InvalidNotification(
            "stale", f"notification timestamp is {int(current - stamp)} s off, over the {tolerance} s tolerance"
        )
    try:
        event: JSONObject = json.loads(body)
        event_id = event["id"]
    except (ValueError, KeyError, TypeError):
        raise InvalidNotification("malformed", "notification body is not an event") from None
    if seen is not None and not seen.add(f"{event_id}@{stamp}", stamp + tolerance):
        raise InvalidNotification("replayed", f"this delivery of notification {event_id} was already received")
    return event


class InvalidReward(ValueError):
    """A reward verification callback failed; ``reason``: malformed, unknown_key, signature, stale, replayed."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


REWARD_FIELDS = ("transaction_id", "app_id", "unit_id", "openid", "reward", "ad_id", "timestamp")


RewardKeys: TypeAlias = Mapping[str, Any] | list[JSONObject]
"""kid -> PEM, the ``keys`` list of GET /.well-known/reward-keys, or its whole answer."""


def _public_keys(keys: RewardKeys) -> dict[str, Any]:
    """kid -> PEM, from a mapping, the ``keys`` list of GET /.well-known/reward-keys, or its whole answer."""
    if isinstance(keys, list):
        return {key["kid"]: key["public_key_pem"] for key in keys}
    listed = keys.get("keys")
    if isinstance(listed, list):
        return {key["kid"]: key["public_key_pem"] for key in listed}
    return dict(keys)


def verify_reward(
    body: bytes,
    header: str,
    keys: RewardKeys,
    *,
    seen: EventStore | None = None,
    tolerance: int = NOTIFY_TOLERANCE,
    now: float | None = None,
) -> JSONObject:
    """Check a reward verification callback (raw body and ``Minis-Reward-Signature`` header) against
    the platform's public keys (``MinisClient.reward_keys()``); return the reward.

    Grant the reward only when this returns, and once per ``transaction_id`` (in your own store, when
    you grant it: a retry of one already granted is answered 2xx). With ``seen``, a copy of one
    callback already received is refused (``replayed``); a retry is signed afresh and passes, so that
    a reward whose grant failed comes again.
    """
    fields = dict(part.strip().split("=", 1) for part in (header or "").split(",") if "=" in part)
    kid, encoded = fields.get("kid", ""), fields.get("sig", "")
    if not kid or not encoded:
        raise InvalidReward("malformed", "Minis-Reward-Signature must be kid=<key id>,sig=<base64url signature>")
    pem = _public_keys(keys).get(kid)
    if pem is None:
        raise InvalidReward(
            "unknown_key",
            f"no public key {kid!r}: fetch the reward keys again, or the callback is not from the platform",
        )
    try:
        signature = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        public_key = serialization.load_pem_public_key(pem.encode() if isinstance(pem, str) else pem)
    except (binascii.Error, ValueError, UnsupportedAlgorithm) as exc:
        raise InvalidReward("malformed", f"unreadable signature or key: {exc}") from None
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise InvalidReward("malformed", f"key {kid!r} is not an ECDSA key")
    try:
        public_key.verify(signature, body, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise InvalidReward("signature", "reward signature does not match the body") from None
    try:
        reward: JSONObject = json.loads(body)
        missing = [name for name in REWARD_FIELDS if name not in reward]
        stamp = reward["timestamp"]
    except (ValueError, KeyError, TypeError):
        raise InvalidReward("malformed", "reward body is not a reward") from None
    if missing or isinstance(stamp, bool) or not isinstance(stamp, int):
        raise InvalidReward("malformed", f"reward body lacks one of {list(REWARD_FIELDS)}")
    current = now if now is not None else time.time()
    if abs(current - stamp) > tolerance:
        raise InvalidReward(
            "stale", f"reward timestamp is {int(current - stamp)} s off, over the {tolerance} s tolerance"
        )
    if seen is not None and not seen.add(f"{reward['transaction_id']}@{stamp}", stamp + tolerance):
        raise InvalidReward("replayed", f"this callback of reward {reward['transaction_id']} was already received")
    return reward


@dataclass(frozen=True)
class _Call:
    method: str
    path: str
    json: JSONObject | None = None
    params: dict[str, str | int] | None = None
    bearer: str | None = None  # a user token; None means the app token
    content: bytes | None = None  # a raw body (an episode's video, subtitles), sent as content_type
    content_type: str | None = None

    def headers(self, token: str) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {token}",
            **({"Content-Type": self.content_type} if self.content_type else {}),
        }


def _page(cursor: str | None, limit: int, **more: str | int | None) -> dict[str, str | int]:
    return {
        "limit": limit,
        **({"cursor": cursor} if cursor else {}),
        **{k: v for k, v in more.items() if v is not None},
    }


def _result(response: httpx.Response) -> JSONObject:
    if response.is_success:
        answer: JSONObject = response.json()
        return answer
    try:
        body: JSONObject = response.json()
    except ValueError:
        body = {}
    raise MinisAPIError(
        response.status_code,
        body.get("code", "HTTP_ERROR"),
        body.get("message", response.text[:200]),
        body.get("request_id", ""),
    )


class _Calls:
    """The Open API's calls as data, shared by the sync and the async client."""

    @staticmethod
    def code2session(code: str) -> _Call:
        return _Call("POST", "/auth/code2session", json={"code": code})

    @staticmethod
    def refresh(refresh_token: str) -> _Call:
        return _Call("POST", "/auth/refresh", json={"refresh_token": refresh_token})

    @staticmethod
    def revoke(token: str) -> _Call:
        return _Call("POST", "/auth/revoke", json={"token": token})

    @staticmethod
    def user_info(user_access_token: str) -> _Call:
        return _Call("GET", "/user/info", bearer=user_access_token)

    @staticmethod
    def create_order(
        openid: str, product_id: str, *, idempotency_key: str, quantity: int = 1, payload: str = ""
    ) -> _Call:
        body = {
            "openid": openid,
            "product_id": product_id,
            "quantity": quantity,
            "payload": payload,
            "idempotency_key": idempotency_key,
        }
        return _Call("POST", "/orders", json=body)

    @staticmethod
    def get_order(order_id: str) -> _Call:
        return _Call("GET", f"/orders/{order_id}")

    @staticmethod
    def consume(order_id: str) -> _Call:
        return _Call("POST", f"/orders/{order_id}/consume")

    @staticmethod
    def refund(order_id: str, *, idempotency_key: str, amount: int | None = None, reason: str = "") -> _Call:
        body = {
            "idempotency_key": idempotency_key,
            "reason": reason,
            **({"amount": amount} if amount is not None else {}),
        }
        return _Call("POST", f"/orders/{order_id}/refund", json=body)

    @staticmethod
    def create_coupon(fields: JSONObject) -> _Call:
        return _Call("POST", "/coupons", json=fields)

    @staticmethod
    def coupons() -> _Call:
        return _Call("GET", "/coupons")

    @staticmethod
    def end_coupon(coupon_id: str) -> _Call:
        return _Call("POST", f"/coupons/{coupon_id}/end")

    @staticmethod
    def grant_coupon(coupon_id: str, openid: str) -> _Call:
        return _Call("POST", f"/coupons/{coupon_id}/grants", json={"openid": openid})

    @staticmethod
    def message_templates() -> _Call:
        return _Call("GET", "/message-templates")

    @staticmethod
    def create_message_template(fields: JSONObject) -> _Call:
        return _Call("POST", "/message-templates", json=fields)

    @staticmethod
    def send_message(openid: str, template_id: str, fields: dict[str, str], query: dict[str, str]) -> _Call:
        body = {"openid": openid, "template_id": template_id, "fields": fields, "query": query}
        return _Call("POST", "/messages", json=body)

    @staticmethod
    def app() -> _Call:
        return _Call("GET", "/app")

    @staticmethod
    def versions(cursor: str | None = None, limit: int = 20) -> _Call:
        return _Call("GET", "/app/versions", params=_page(cursor, limit))

    @staticmethod
    def launches(cursor: str | None = None, limit: int = 50) -> _Call:
        return _Call("GET", "/launches", params=_page(cursor, limit))

    @staticmethod
    def call(
        method: str,
        path: str,
        *,
        json: JSONObject | None = None,
        params: dict[str, str | int] | None = None,
        content: bytes | None = None,
        content_type: str | None = None,
    ) -> _Call:
        segments = path.split("?")[0].split("#")[0].split("/")
        dots = any(unquote(segment) in (".", "..") for segment in segments)
        if not path.startswith("/") or path.startswith("//") or "://" in path or dots:
            # The app token goes to the platform's /openapi/v1 only: "/../x" took it to another
            # route of the same host, or out of a platform mounted under a path (attack55b).
            raise ValueError(f"path is an Open API path such as '/orders', not {path!r}")
        return _Call(method.upper(), path, json=json, params=params, content=content, content_type=content_type)

    @staticmethod
    def products() -> _Call:
        return _Call("GET", "/products")

    @staticmethod
    def put_product(product_id: str, *, type: str, price: int, title: dict[str, str]) -> _Call:
        return _Call("PUT", f"/products/{product_id}", json={"type": type, "price": price, "title": title})

    @staticmethod
    def retire_product(product_id: str) -> _Call:
        return _Call("DELETE", f"/products/{product_id}")

    @staticmethod
    def orders(cursor: str | None = None, limit: int = 50, status: str | None = None) -> _Call:
        return _Call("GET", "/orders", params=_page(cursor, limit, status=status))

    @staticmethod
    def ledger_statement(start: str, end: str) -> _Call:
        return _Call("GET", "/statements/ledger", params={"start": start, "end": end})

    @staticmethod
    def create_series(fields: JSONObject) -> _Call:
        return _Call("POST", "/series", json=fields)

    @staticmethod
    def series(series_id: str | None = None) -> _Call:
        return _Call("GET", f"/series/{series_id}" if series_id else "/series")

    @staticmethod
    def update_series(series_id: str, fields: JSONObject) -> _Call:
        return _Call("PATCH", f"/series/{series_id}", json=fields)

    @staticmethod
    def upload_episode(series_id: str, number: int, video: bytes, content_type: str, *, title: str = "") -> _Call:
        return _Call(
            "PUT",
            f"/series/{series_id}/episodes/{number}",
            params={"title": title} if title else None,
            content=video,
            content_type=content_type,
        )

    @staticmethod
    def put_subtitles(series_id: str, number: int, language: str, vtt: bytes) -> _Call:
        path = f"/series/{series_id}/episodes/{number}/subtitles/{language}"
        return _Call("PUT", path, content=vtt, content_type="text/vtt")

    @staticmethod
    def publish_series(series_id: str) -> _Call:
        return _Call("POST", f"/series/{series_id}/publish")

    @staticmethod
    def passes() -> _Call:
        return _Call("GET", "/passes")

    @staticmethod
    def create_pass(fields: JSONObject) -> _Call:
        return _Call("POST", "/passes", json=fields)

    @staticmethod
    def retire_pass(pass_id: str) -> _Call:
        return _Call("POST", f"/passes/{pass_id}/retire")


# What the two clients add to the calls above, each as its method of the same name (sync and async).
_VIDEO_TYPES = {".mp4": "video/mp4", ".mov": "video/quicktime", ".webm": "video/webm"}


def _video_of(path: str | Path) -> tuple[bytes, str]:
    file = Path(path)
    kind = _VIDEO_TYPES.get(file.suffix.lower())
    if kind is None:
        raise ValueError(f"an episode is a .mp4, .mov or .webm file, not {file.name}")
    return file.read_bytes(), kind


class _Base:
    def __init__(self, app_id: str, app_secret: str, base_url: str):
        self.app_id, self._secret = app_id, app_secret
        self.base_url = base_url.rstrip("/") + "/openapi/v1"
        self._token: str | None = None
        self._token_expires = 0.0

    def _token_body(self) -> JSONObject:
        return {"grant_type": "client_credentials", "client_id": self.app_id, "client_secret": self._secret}

    def _keep_token(self, body: JSONObject) -> str:
        token: str = body["access_token"]
        self._token = token
        self._token_expires = time.monotonic() + body["expires_in"] - 60
        return token

    def _fresh_token(self) -> str | None:
        """The app token if it has more than a minute left, else None."""
        return self._token if self._token is not None and time.monotonic() < self._token_expires else None

    def __repr__(self) -> str:  # never show the secret
        return f"{type(self).__name__}(app_id={self.app_id!r}, base_url={self.base_url!r})"


class MinisClient(_Base):
    def __init__(
        self,
        app_id: str,
        app_secret: str,
        base_url: str = "http://localhost:8000",
        *,
        http: httpx.Client | None = None,
        timeout: float = 10,
    ):
        super().__init__(app_id, app_secret, base_url)
        # A client it made itself is its to close (close(), or use it in a with block); one passed
        # in stays the caller's.
        self._owns_http = http is None
        self.http = http or httpx.Client(timeout=timeout)
        self._lock = threading.Lock()

    def close(self) -> None:
        if self._owns_http:
            self.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def access_token(self) -> str:
        with self._lock:
            token = self._fresh_token()
            if token is None:
                token = self._keep_token(
                    _result(self.http.post(f"{self.base_url}/auth/token", json=self._token_body()))
                )
            return token

    def _run(self, call: _Call) -> JSONObject:
        token = call.bearer or self.access_token()
        response = self.http.request(
            call.method,
            self.base_url + call.path,
            json=call.json,
            params=call.params,
            content=call.content,
            headers=call.headers(token),
        )
        return _result(response)

    def code2session(self, code: str) -> JSONObject:
        return self._run(_Calls.code2session(code))

    def refresh(self, refresh_token: str) -> JSONObject:
        return self._run(_Calls.refresh(refresh_token))

    def revoke(self, token: str) -> JSONObject:
        return self._run(_Calls.revoke(token))

    def user_info(self, user_access_token: str) -> JSONObject:
        return self._run(_Calls.user_info(user_access_token))

    def create_order(
        self, openid: str, product_id: str, *, idempotency_key: str, quantity: int = 1, payload: str = ""
    ) -> JSONObject:
        return self._run(
            _Calls.create_order(openid, product_id, idempotency_key=idempotency_key, quantity=quantity, payload=payload)
        )

    def get_order(self, order_id: str) -> JSONObject:
        return self._run(_Calls.get_order(order_id))

    def consume(self, order_id: str) -> JSONObject:
        return self._run(_Calls.consume(order_id))

    def refund(self, order_id: str, *, idempotency_key: str, amount: int | None = None, reason: str = "") -> JSONObject:
        return self._run(_Calls.refund(order_id, idempotency_key=idempotency_key, amount=amount, reason=reason))

    def create_coupon(self, **fields: Any) -> JSONObject:
        """A coupon you fund (docs/payments.md, "Coupons"): title, ends_at, amount_off or percent_off_bps, ..."""
        return self._run(_Calls.create_coupon(fields))

    def coupons(self) -> JSONObject:
        return self._run(_Calls.coupons())

    def end_coupon(self, coupon_id: str) -> JSONObject:
        return self._run(_Calls.end_coupon(coupon_id))

    def grant_coupon(self, coupon_id: str, openid: str) -> JSONObject:
        return self._run(_Calls.grant_coupon(coupon_id, openid))

    def message_templates(self) -> JSONObject:
        return self._run(_Calls.message_templates())

    def create_message_template(self, **fields: Any) -> JSONObject:
        """A subscribe message template (docs/messages.md): id, title, fields, kind. A new one, or a
        change, waits for the platform's review (``state``)."""
        return self._run(_Calls.create_message_template(fields))

    def send_message(
        self, openid: str, template_id: str, fields: dict[str, str], query: dict[str, str] | None = None
    ) -> JSONObject:
        """A message to a person who allowed the template; MinisAPIError NO_GRANT otherwise."""
        return self._run(_Calls.send_message(openid, template_id, fields, query or {}))

    def app(self) -> JSONObject:
        return self._run(_Calls.app())

    def versions(self, cursor: str | None = None, limit: int = 20) -> JSONObject:
        return self._run(_Calls.versions(cursor, limit))

    def launches(self, cursor: str | None = None, limit: int = 50) -> JSONObject:
        return self._run(_Calls.launches(cursor, limit))

    def reward_keys(self) -> JSONObject:
        """The platform's public reward-signing keys (no authentication): pass to ``verify_reward``."""
        return _result(self.http.get(f"{self.base_url}/.well-known/reward-keys"))

    def call(
        self,
        method: str,
        path: str,
        *,
        json: JSONObject | None = None,
        params: dict[str, str | int] | None = None,
        content: bytes | None = None,
        content_type: str | None = None,
    ) -> JSONObject:
        """Any Open API call, with the app token this client keeps: ``call("GET", "/reports/funnel",
        params={...})``. ``path`` is under /openapi/v1; ``content`` a raw body sent as ``content_type``."""
        return self._run(
            _Calls.call(method, path, json=json, params=params, content=content, content_type=content_type)
        )

    def products(self) -> JSONObject:
        return self._run(_Calls.products())

    def put_product(self, product_id: str, *, type: str, price: int, title: dict[str, str]) -> JSONObject:
        """Create or change a product: ``type`` consumable or permanent, ``price`` in coins, ``title`` by locale."""
        return self._run(_Calls.put_product(product_id, type=type, price=price, title=title))

    def retire_product(self, product_id: str) -> JSONObject:
        return self._run(_Calls.retire_product(product_id))

    def orders(self, cursor: str | None = None, limit: int = 50, status: str | None = None) -> JSONObject:
        """A page of the app's orders, newest first; pass ``next_cursor`` back for the next."""
        return self._run(_Calls.orders(cursor, limit, status))

    def ledger_statement(self, start: str, end: str) -> JSONObject:
        """Everything the app earned in [start, end) (ISO 8601 times), as the console's Money tab shows it."""
        return self._run(_Calls.ledger_statement(start, end))

    def create_series(self, **fields: Any) -> JSONObject:
        return self._run(_Calls.create_series(fields))

    def series(self, series_id: str | None = None) -> JSONObject:
        """One series with its episodes' progress, or (no id) the app's series."""
        return self._run(_Calls.series(series_id))

    def update_series(self, series_id: str, **fields: Any) -> JSONObject:
        return self._run(_Calls.update_series(series_id, fields))

    def upload_episode(self, series_id: str, number: int, video: str | Path, *, title: str = "") -> JSONObject:
        """Upload episode ``number``'s video file (.mp4, .mov or .webm); poll ``series`` for its progress."""
        return self._run(_Calls.upload_episode(series_id, number, *_video_of(video), title=title))

    def put_subtitles(self, series_id: str, number: int, language: str, vtt: bytes) -> JSONObject:
        return self._run(_Calls.put_subtitles(series_id, number, language, vtt))

    def publish_series(self, series_id: str) -> JSONObject:
        return self._run(_Calls.publish_series(series_id))

    def passes(self) -> JSONObject:
        return self._run(_Calls.passes())

    def create_pass(self, **fields: Any) -> JSONObject:
        return self._run(_Calls.create_pass(fields))

    def retire_pass(self, pass_id: str) -> JSONObject:
        return self._run(_Calls.retire_pass(pass_id))


class AsyncMinisClient(_Base):
    def __init__(
        self,
        app_id: str,
        app_secret: str,
        base_url: str = "http://localhost:8000",
        *,
        http: httpx.AsyncClient | None = None,
        timeout: float = 10,
    ):
        super().__init__(app_id, app_secret, base_url)
        self._owns_http = http is None
        self.http = http or httpx.AsyncClient(timeout=timeout)

    async def aclose(self) -> None:
        if self._owns_http:
            await self.http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def access_token(self) -> str:
        token = self._fresh_token()
        if token is None:
            token = self._keep_token(
                _result(await self.http.post(f"{self.base_url}/auth/token", json=self._token_body()))
            )
        return token

    async def _run(self, call: _Call) -> JSONObject:
        token = call.bearer or await self.access_token()
        response = await self.http.request(
            call.method,
            self.base_url + call.path,
            json=call.json,
            params=call.params,
            content=call.content,
            headers=call.headers(token),
        )
        return _result(response)

    async def code2session(self, code: str) -> JSONObject:
        return await self._run(_Calls.code2session(code))

    async def refresh(self, refresh_token: str) -> JSONObject:
        return await self._run(_Calls.refresh(refresh_token))

    async def revoke(self, token: str) -> JSONObject:
        return await self._run(_Calls.revoke(token))

    async def user_info(self, user_access_token: str) -> JSONObject:
        return await self._run(_Calls.user_info(user_access_token))

    async def create_order(
        self, openid: str, product_id: str, *, idempotency_key: str, quantity: int = 1, payload: str = ""
    ) -> JSONObject:
        return await self._run(
            _Calls.create_order(openid, product_id, idempotency_key=idempotency_key, quantity=quantity, payload=payload)
        )

    async def get_order(self, order_id: str) -> JSONObject:
        return await self._run(_Calls.get_order(order_id))

    async def consume(self, order_id: str) -> JSONObject:
        return await self._run(_Calls.consume(order_id))

    async def refund(
        self, order_id: str, *, idempotency_key: str, amount: int | None = None, reason: str = ""
    ) -> JSONObject:
        return await self._run(_Calls.refund(order_id, idempotency_key=idempotency_key, amount=amount, reason=reason))

    async def create_coupon(self, **fields: Any) -> JSONObject:
        return await self._run(_Calls.create_coupon(fields))

    async def coupons(self) -> JSONObject:
        return await self._run(_Calls.coupons())

    async def end_coupon(self, coupon_id: str) -> JSONObject:
        return await self._run(_Calls.end_coupon(coupon_id))

    async def grant_coupon(self, coupon_id: str, openid: str) -> JSONObject:
        return await self._run(_Calls.grant_coupon(coupon_id, openid))

    async def message_templates(self) -> JSONObject:
        return await self._run(_Calls.message_templates())

    async def create_message_template(self, **fields: Any) -> JSONObject:
        return await self._run(_Calls.create_message_template(fields))

    async def send_message(
        self, openid: str, template_id: str, fields: dict[str, str], query: dict[str, str] | None = None
    ) -> JSONObject:
        return await self._run(_Calls.send_message(openid, template_id, fields, query or {}))

    async def app(self) -> JSONObject:
        return await self._run(_Calls.app())

    async def versions(self, cursor: str | None = None, limit: int = 20) -> JSONObject:
        return await self._run(_Calls.versions(cursor, limit))

    async def launches(self, cursor: str | None = None, limit: int = 50) -> JSONObject:
        return await self._run(_Calls.launches(cursor, limit))

    async def reward_keys(self) -> JSONObject:
        """The platform's public reward-signing keys (no authentication): pass to ``verify_reward``."""
        return _result(await self.http.get(f"{self.base_url}/.well-known/reward-keys"))

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: JSONObject | None = None,
        params: dict[str, str | int] | None = None,
        content: bytes | None = None,
        content_type: str | None = None,
    ) -> JSONObject:
        """Any Open API call, with the app token this client keeps: ``call("GET", "/reports/funnel",
        params={...})``. ``path`` is under /openapi/v1; ``content`` a raw body sent as ``content_type``."""
        return await self._run(
            _Calls.call(method, path, json=json, params=params, content=content, content_type=content_type)
        )

    async def products(self) -> JSONObject:
        return await self._run(_Calls.products())

    async def put_product(self, product_id: str, *, type: str, price: int, title: dict[str, str]) -> JSONObject:
        """Create or change a product: ``type`` consumable or permanent, ``price`` in coins, ``title`` by locale."""
        return await self._run(_Calls.put_product(product_id, type=type, price=price, title=title))

    async def retire_product(self, product_id: str) -> JSONObject:
        return await self._run(_Calls.retire_product(product_id))

    async def orders(self, cursor: str | None = None, limit: int = 50, status: str | None = None) -> JSONObject:
        """A page of the app's orders, newest first; pass ``next_cursor`` back for the next."""
        return await self._run(_Calls.orders(cursor, limit, status))

    async def ledger_statement(self, start: str, end: str) -> JSONObject:
        """Everything the app earned in [start, end) (ISO 8601 times), as the console's Money tab shows it."""
        return await self._run(_Calls.ledger_statement(start, end))

    async def create_series(self, **fields: Any) -> JSONObject:
        return await self._run(_Calls.create_series(fields))

    async def series(self, series_id: str | None = None) -> JSONObject:
        """One series with its episodes' progress, or (no id) the app's series."""
        return await self._run(_Calls.series(series_id))

    async def update_series(self, series_id: str, **fields: Any) -> JSONObject:
        return await self._run(_Calls.update_series(series_id, fields))

    async def upload_episode(self, series_id: str, number: int, video: str | Path, *, title: str = "") -> JSONObject:
        """Upload episode ``number``'s video file (.mp4, .mov or .webm); poll ``series`` for its progress."""
        return await self._run(_Calls.upload_episode(series_id, number, *_video_of(video), title=title))

    async def put_subtitles(self, series_id: str, number: int, language: str, vtt: bytes) -> JSONObject:
        return await self._run(_Calls.put_subtitles(series_id, number, language, vtt))

    async def publish_series(self, series_id: str) -> JSONObject:
        return await self._run(_Calls.publish_series(series_id))

    async def passes(self) -> JSONObject:
        return await self._run(_Calls.passes())

    async def create_pass(self, **fields: Any) -> JSONObject:
        return await self._run(_Calls.create_pass(fields))

    async def retire_pass(self, pass_id: str) -> JSONObject:
        return await self._run(_Calls.retire_pass(pass_id))
