"""Web Push: a sent message goes, by a durable job, to each browser the person turned
notifications on in, as a request a push service accepts: the payload encrypted to the browser's
keys (RFC 8291, aes128gcm) and signed with the platform's VAPID key (RFC 8292). A push service is
a test server on loopback here (MINIS_EGRESS_ALLOW_LOOPBACK)."""

from __future__ import annotations

import base64
import http.server
import json
import os
import threading
import time
from collections.abc import Iterator

import http_ece
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from openminis.messages.models import PushSubscription
from tests.messages.test_messages import answer, put_template, send
from tests.social.test_leaderboards import person
from tests.studio import browser, csrf_of


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class PushService:
    """A push service's endpoint on 127.0.0.1: keeps each request, answers 201 (or ``status``)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.status = 201
        service = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                service.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(service.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def settings(settings):
    settings.egress_allow_loopback = True
    return settings


@pytest.fixture
def push_service() -> Iterator[PushService]:
    service = PushService()
    yield service
    service.close()


class Browser:
    """A browser's push keys, as PushManager.subscribe makes them."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        point = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        self.auth = os.urandom(16)
        self.keys = {"p256dh": b64url(point), "auth": b64url(self.auth)}


def verify_vapid(authorization: str, public_key: str) -> dict:
    """The claims of a ``vapid t=<JWT>, k=<key>`` header, after checking its ES256 signature."""
    scheme, _, rest = authorization.partition(" ")
    parts = dict(part.strip().split("=", 1) for part in rest.split(","))
    assert scheme == "vapid" and parts["k"] == public_key
    head, claims, signature = parts["t"].split(".")
    raw = unb64url(signature)
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(public_key))
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    key.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))  # raises when forged
    assert json.loads(unb64url(head)) == {"typ": "JWT", "alg": "ES256"}
    return json.loads(unb64url(claims))


def test_a_sent_message_is_pushed_encrypted_and_signed_to_the_persons_browser(client, studio, platform, push_service):
    put_template(client, studio, title="Your turn")
    player, openid = person(client, studio, consent=False)
    answer(player, studio, {"turn": "accept"})
    public_key = player.get("/api/push/key").json()["public_key"]
    assert player.get("/api/push/key").json()["public_key"] == public_key  # made once, then kept
    keys = Browser()
    endpoint = f"{push_service.origin}/push/abc"
    on = player.put("/api/push/subscription", json={"endpoint": endpoint, "keys": keys.keys}, headers=csrf_of(player))
    assert on.status_code == 200, on.text

    sent = send(client, studio, openid, fields={"opponent": "Ada <b>"}).json()["id"]
    platform.worker().drain()

    [(path, headers, body)] = push_service.requests
    assert path == "/push/abc"
    claims = verify_vapid(headers["authorization"], public_key)
    assert claims["aud"] == push_service.origin and claims["exp"] > time.time() and claims["sub"]
    assert (headers["content-encoding"], headers["ttl"]) == ("aes128gcm", "86400")
    shown = json.loads(http_ece.decrypt(body, private_key=keys.key, auth_secret=keys.auth, version="aes128gcm"))
    assert shown == {
        "title": "Test Game: Your turn",  # the released name, then the template
        "body": "Ada <b>",
        "tag": sent,
        "url": f"/play/{studio.app_id}?message={sent}",
    }


def test_a_browser_that_unsubscribed_is_forgotten_and_turned_off_is_not_pushed(client, studio, platform, push_service):
    put_template(client, studio, kind="long-term")
    player, openid = person(client, studio, consent=False)
    answer(player, studio, {"turn": "accept"})
    endpoint = f"{push_service.origin}/push/gone"
    player.put("/api/push/subscription", json={"endpoint": endpoint, "keys": Browser().keys}, headers=csrf_of(player))
    push_service.status = 410  # the push service says the browser unsubscribed
    send(client, studio, openid)
    platform.worker().drain()
    assert len(push_service.requests) == 1
    with platform.db.session() as session:
        assert session.query(PushSubscription).count() == 0

    push_service.status = 201
    player.put("/api/push/subscription", json={"endpoint": endpoint, "keys": Browser().keys}, headers=csrf_of(player))
    off = player.request("DELETE", "/api/push/subscription", json={"endpoint": endpoint}, headers=csrf_of(player))
    assert off.status_code == 200
    send(client, studio, openid)
    platform.worker().drain()
    assert len(push_service.requests) == 1  # nothing more: notifications are off there
    assert player.get("/api/messages").json()["unread"] == 2  # the inbox has both all the same


@pytest.mark.parametrize(
    "keys",
    [
        {"p256dh": "not base64!", "auth": b64url(os.urandom(16))},
        {"p256dh": b64url(os.urandom(65)), "auth": b64url(os.urandom(16))},  # not an uncompressed point
        {"p256dh": b64url(b"\x04" + os.urandom(64)), "auth": b64url(os.urandom(16))},  # not on the curve
        {"p256dh": Browser().keys["p256dh"], "auth": b64url(os.urandom(8))},
    ],
)
def test_a_subscription_without_a_browsers_keys_is_refused(client, push_service, keys):
    player = browser(client)
    refused = player.put(
        "/api/push/subscription", json={"endpoint": f"{push_service.origin}/p", "keys": keys}, headers=csrf_of(player)
    )
    assert refused.status_code == 422 and refused.json()["field"].startswith("keys.")
