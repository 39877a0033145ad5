"""Every paid or refunded order reaches the developer's backend, signed, however long it was down."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from fastapi import FastAPI, Request, Response
from starlette.testclient import TestClient

from openminis.client import InvalidNotification, SeenEvents, verify_notification
from openminis.db import utcnow
from tests.studio import buy, csrf_of, put_product, top_up

NOTIFY_URL = "http://127.0.0.1:9/minis/notify"


class Backend:
    """A developer backend that verifies what it receives, and can be switched off."""

    def __init__(self, secret: str):
        self.secret, self.up, self.events, self.raw = secret, True, [], []
        self.seen = SeenEvents()
        self.fails_to_deliver = 0  # how many verified notifications to fail handling (its database was down)
        self.app = FastAPI()

        @self.app.post("/minis/notify")
        async def notify(request: Request) -> Response:
            if not self.up:
                return Response("down for maintenance", status_code=503)
            body = await request.body()
            self.raw.append((body, request.headers["minis-signature"]))
            try:
                event = verify_notification(body, request.headers["minis-signature"], self.secret, seen=self.seen)
            except InvalidNotification:
                return Response(status_code=400)  # as docs/payments.md's handler answers
            if self.fails_to_deliver:
                self.fails_to_deliver -= 1
                return Response("could not deliver", status_code=503)
            self.events.append(event)
            return Response(status_code=204)


@pytest.fixture
def backend(client, studio, platform):
    backend = Backend(studio.secret)
    platform.__dict__["http"] = TestClient(backend.app)
    token = studio.backend(client).access_token()
    response = client.put(
        "/openapi/v1/payment-settings", json={"notify_url": NOTIFY_URL}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    put_product(client, studio, "extra-life", price=100)
    return backend


class Clock:
    def __init__(self):
        self.now = utcnow()

    def __call__(self):
        return self.now


def test_a_paid_order_is_notified_with_a_verifiable_signature_and_logged(client, studio, player, platform, backend):
    top_up(player)
    order = buy(player, studio.app_id, "extra-life", "k1").json()
    platform.worker().drain()
    [event] = backend.events
    assert event["type"] == "order.paid"
    assert (event["data"]["order"]["id"], event["data"]["order"]["status"], event["data"]["order"]["payload"]) == (
        order["id"],
        "paid",
        "for k1",
    )
    assert event["data"]["order"]["openid"].startswith("o_")
    log = client.get(
        "/openapi/v1/notifications", headers={"Authorization": f"Bearer {studio.backend(client).access_token()}"}
    ).json()["items"]
    assert [(a["event_type"], a["status_code"]) for a in log] == [("order.paid", 204)]


def test_a_coupon_orders_notification_says_its_coupon_and_what_the_coupon_took_off(
    client, studio, player, platform, backend
):
    """As GET /orders/{id} says them: a backend that grants by what was paid otherwise reads a
    coupon's order as short of its price."""
    token = studio.backend(client).access_token()
    coupon = client.post(
        "/openapi/v1/coupons",
        json={
            "title": "Welcome",
            "code": "hello-25",
            "amount_off": 25,
            "ends_at": (utcnow() + timedelta(days=7)).isoformat(),
        },
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    assert player.post("/api/coupons/claim", json={"code": "hello-25"}, headers=csrf_of(player)).status_code == 200
    top_up(player)
    body = {"product_id": "extra-life", "quantity": 1, "idempotency_key": "k1", "amount": 75, "currency": "COIN"}
    body["coupon_id"] = coupon["id"]
    assert player.post(f"/api/apps/{studio.app_id}/purchases", json=body, headers=csrf_of(player)).status_code == 200
    platform.worker().drain()
    [event] = backend.events
    told = event["data"]["order"]
    assert (told["amount"], told["coupon_id"], told["discount"]) == (75, coupon["id"], 25)
    # Its times as the Open API writes them, to the character: "+00:00" there, "Z" here (a probe, dev53).
    shown = studio.backend(client).get_order(told["id"])
    assert (told["created_at"], told["paid_at"]) == (shown["created_at"], shown["paid_at"])
    assert told["paid_at"].endswith("Z"), told


def test_a_backend_down_for_an_hour_gets_every_notification_afterwards(client, studio, player, platform, backend):
    top_up(player)
    backend.up = False
    ids = [buy(player, studio.app_id, "extra-life", f"k{n}").json()["id"] for n in range(3)]
    clock = Clock()
    worker = platform.worker(clock=clock)
    for _ in range(60):  # an hour, a minute at a time
        worker.drain()
        clock.now += timedelta(minutes=1)
    assert backend.events == []
    backend.up = True
    for _ in range(90):  # backoff is capped at an hour: within the next one, all arrive
        worker.drain()
        clock.now += timedelta(minutes=1)
    assert sorted(e["data"]["order"]["id"] for e in backend.events) == sorted(ids)
    log = client.get(
        "/openapi/v1/notifications", headers={"Authorization": f"Bearer {studio.backend(client).access_token()}"}
    ).json()["items"]
    failures = [a for a in log if a["status_code"] == 503]
    assert len(failures) >= 3 * 6  # 10 s, 20 s, ... doubling: several tries each within the hour
    assert all("503" in a["error"] for a in failures)


def test_an_order_whose_delivery_failed_after_its_signature_was_checked_is_delivered_on_the_retry(
    client, studio, player, platform, backend
):
    """The documented handler checks the signature with a ``seen`` store, then delivers. The store
    kept the event id at the check, so when delivery failed the retry was refused as a replay,
    which the handler acknowledged: the person paid and never got the item (a probe, dev54). A
    retry is signed afresh and passes; a copy of one delivery is still refused."""
    top_up(player)
    backend.fails_to_deliver = 1
    order = buy(player, studio.app_id, "extra-life", "k1").json()
    clock = Clock()
    worker = platform.worker(clock=clock)
    worker.drain()
    assert backend.events == [] and len(backend.raw) == 1
    time.sleep(1.1)  # the retry's signature carries its own second
    clock.now += timedelta(seconds=15)
    worker.drain()
    assert [e["data"]["order"]["id"] for e in backend.events] == [order["id"]]
    log = client.get(
        "/openapi/v1/notifications", headers={"Authorization": f"Bearer {studio.backend(client).access_token()}"}
    ).json()["items"]
    assert sorted(a["status_code"] for a in log) == [204, 503]
    # The first delivery, sent again as it was (a replay), is refused: it was received once.
    body, signature = backend.raw[0]
    with pytest.raises(InvalidNotification) as caught:
        verify_notification(body, signature, studio.secret, seen=backend.seen)
    assert caught.value.reason == "replayed"


def test_a_refund_is_notified(client, studio, player, platform, backend):
    top_up(player)
    order = buy(player, studio.app_id, "extra-life", "k1").json()
    token = studio.backend(client).access_token()
    client.post(
        f"/openapi/v1/orders/{order['id']}/refund",
        json={"idempotency_key": "r1", "reason": "changed mind"},
        headers={"Authorization": f"Bearer {token}"},
    )
    platform.worker().drain()
    assert [e["type"] for e in backend.events] == ["order.paid", "order.refunded"]
    assert backend.events[1]["data"]["refund"] == {"amount": 100, "reason": "changed mind"}


def test_the_client_helper_rejects_tampered_replayed_and_stale_notifications(client, studio, player, platform, backend):
    top_up(player)
    buy(player, studio.app_id, "extra-life", "k1")
    platform.worker().drain()
    body, signature = backend.raw[0]
    tampered = json.loads(body)
    tampered["data"]["order"]["amount"] = 1
    reasons = {}
    for name, call in {
        "tampered": lambda: verify_notification(json.dumps(tampered).encode(), signature, studio.secret),
        "wrong secret": lambda: verify_notification(body, signature, "ms_not_the_secret"),
        "replayed": lambda: verify_notification(body, signature, studio.secret, seen=backend.seen),
        "stale": lambda: verify_notification(body, signature, studio.secret, now=time.time() + 301),
        "malformed": lambda: verify_notification(body, "v1=abc", studio.secret),
    }.items():
        with pytest.raises(InvalidNotification) as caught:
            call()
        reasons[name] = caught.value.reason
    assert reasons == {
        "tampered": "signature",
        "wrong secret": "signature",
        "replayed": "replayed",
        "stale": "stale",
        "malformed": "malformed",
    }


def test_a_notify_url_must_be_https_except_on_this_machine(client, studio):
    token = studio.backend(client).access_token()
    response = client.put(
        "/openapi/v1/payment-settings",
        json={"notify_url": "http://example.com/hook"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 422 and response.json()["field"] == "notify_url"
