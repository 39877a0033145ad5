"""Notify and verify URLs pass the egress policy when saved and when called; the delivery log shows
each try's status, time and next try, never the reply; retries reach three days; a developer can
resend through the Open API (issue 12, items 6 and 8)."""

from __future__ import annotations

import socket
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from openminis.egress import EgressPolicy
from openminis.jobs.models import Job
from openminis.payments import notifications
from openminis.payments.models import PaymentSettings
from tests.jobs.hand_clock import Clock
from tests.receiver import Receiver
from tests.studio import register_app
from tests.test_egress import INSIDE


def bearer(client, studio) -> dict[str, str]:
    return {"Authorization": f"Bearer {studio.backend(client).access_token()}"}


def in_production(platform) -> None:
    """The platform as deployed: no loopback allowance (the tests' settings turn it on)."""
    platform.__dict__["egress"] = EgressPolicy()
    platform.__dict__["http"] = platform.egress.client()


def set_notify_url(client, studio, url: str):
    return client.put("/openapi/v1/payment-settings", json={"notify_url": url}, headers=bearer(client, studio))


def ping(platform, app_id: str, n: int = 1) -> str:
    """A notification queued for the app, as a paid order queues one; returns its event id."""
    with platform.db.session() as session:
        notifications.enqueue_event(session, app_id, "test.ping", {"n": n}, unique_key=f"ping:{app_id}:{n}")
        session.commit()
        return session.scalar(select(Job.ref).where(Job.unique_key == f"ping:{app_id}:{n}"))


def log(client, studio) -> list[dict]:
    response = client.get("/openapi/v1/notifications", headers=bearer(client, studio))
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_every_inside_address_is_refused_as_a_notify_url_and_as_a_verify_url(client, studio, platform):
    in_production(platform)
    headers = bearer(client, studio)
    for url in INSIDE:
        response = client.put("/openapi/v1/payment-settings", json={"notify_url": url}, headers=headers)
        assert (response.status_code, response.json()["code"], response.json().get("field")) == (
            422,
            "URL_NOT_ALLOWED",
            "notify_url",
        ), url
        unit = {"name": "Extra life", "kind": "rewarded", "reward": {"type": "lives", "amount": 1}, "verify_url": url}
        response = client.post("/openapi/v1/ad-units", json=unit, headers=headers)
        assert (response.status_code, response.json()["code"], response.json().get("field")) == (
            422,
            "URL_NOT_ALLOWED",
            "verify_url",
        ), url
    assert set_notify_url(client, studio, "https://backend.example.com/minis/notify").status_code == 200


def test_a_saved_name_that_resolves_to_loopback_is_refused_when_the_notification_is_sent(
    client, studio, platform, monkeypatch
):
    in_production(platform)
    with Receiver() as receiver:
        url = f"https://backend.example.test:{receiver.port}/ok/notify"
        assert set_notify_url(client, studio, url).status_code == 200  # a name: it passes when saved
        real = socket.getaddrinfo

        def getaddrinfo(host, port, *args, **kwargs):  # then its DNS answers with this machine
            if host == "backend.example.test" and not kwargs.get("flags", 0) & socket.AI_NUMERICHOST:
                return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
            return real(host, port, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        ping(platform, studio.app_id)
        platform.worker().drain()
    assert receiver.hits == []
    [attempt] = log(client, studio)
    assert (
        attempt["status_code"] is None
        and "refused by the egress policy" in attempt["error"]
        and "127.0.0.1" in attempt["error"]
    )
    assert attempt["next_attempt_at"] is not None  # retried: the developer may fix the URL meanwhile


def test_a_url_saved_before_the_policy_is_refused_when_called(client, studio, platform):
    in_production(platform)
    with platform.db.session() as session:  # as an older version let it be saved
        session.merge(PaymentSettings(app_id=studio.app_id, notify_url="https://169.254.169.254/latest/meta-data/"))
        session.commit()
    ping(platform, studio.app_id)
    platform.worker().drain()
    [attempt] = log(client, studio)
    assert (
        attempt["error"] == "refused by the egress policy: notify_url points at a cloud metadata address"
        and attempt["duration_ms"] == 0
    )


def test_the_delivery_log_shows_the_status_and_timing_never_the_reply(client, studio, platform):
    with Receiver() as receiver:
        assert set_notify_url(client, studio, receiver.url("/leak/notify")).status_code == 200
        ping(platform, studio.app_id)
        platform.worker().drain()
        [hit] = receiver.hits
    response = client.get("/openapi/v1/notifications", headers=bearer(client, studio))
    assert "hunter2" not in response.text and "db_password" not in response.text
    [attempt] = response.json()["items"]
    assert (attempt["status_code"], attempt["error"], attempt["attempt"], attempt["event_id"]) == (
        500,
        "HTTP 500",
        1,
        hit.event_id,
    )
    assert attempt["duration_ms"] >= 0 and attempt["next_attempt_at"] is not None


def test_retries_reach_three_days_in_the_log_then_a_resend_delivers(client, studio, platform):
    clock = Clock()
    started = clock()
    worker = platform.worker(clock=clock)
    with Receiver() as receiver:
        assert set_notify_url(client, studio, receiver.url("/leak/notify")).status_code == 200
        event_id = ping(platform, studio.app_id)
        for _ in range(100):
            worker.drain()
            with platform.db.session() as session:
                job = session.scalar(select(Job).where(Job.ref == event_id))
            if job.status == "dead":
                break
            clock.now = job.run_at
        assert job.status == "dead"
        attempts = sorted(log(client, studio), key=lambda a: a["attempt"])
        assert [a["attempt"] for a in attempts] == list(range(1, 17))
        assert all(a["status_code"] == 500 for a in attempts)
        assert attempts[-1]["next_attempt_at"] is None  # given up, and the log says so
        last_try = attempts[-2]["next_attempt_at"]  # when the 16th try was due, and ran
        assert datetime.fromisoformat(last_try) - started >= timedelta(hours=72)

        # The developer fixes their backend and asks for the notification again.
        assert set_notify_url(client, studio, receiver.url("/ok/notify")).status_code == 200
        response = client.post(f"/openapi/v1/notifications/{event_id}/resend", headers=bearer(client, studio))
        assert (
            response.status_code == 202
            and response.json()["event_id"] == event_id
            and response.json()["status"] == "queued"
        )
        platform.worker().drain()  # the circuit opened during the outage; the resend is its probe
        assert [h.path for h in receiver.hits][-1] == "/ok/notify" and receiver.hits[-1].event_id == event_id
    newest = log(client, studio)[0]
    assert (newest["event_id"], newest["status_code"], newest["attempt"], newest["next_attempt_at"]) == (
        event_id,
        204,
        1,
        None,
    )


def test_a_delivered_notification_can_be_resent_and_arrives_again(client, studio, platform):
    with Receiver() as receiver:
        assert set_notify_url(client, studio, receiver.url("/ok/notify")).status_code == 200
        event_id = ping(platform, studio.app_id)
        platform.worker().drain()
        response = client.post(f"/openapi/v1/notifications/{event_id}/resend", headers=bearer(client, studio))
        assert response.status_code == 202, response.text
        platform.worker().drain()
    assert [h.event_id for h in receiver.hits] == [event_id, event_id]  # the same event: the backend's dedupe sees it
    assert [(a["event_id"], a["status_code"]) for a in log(client, studio)] == [(event_id, 204), (event_id, 204)]


@pytest.mark.parametrize("event_id", ["evt_000000000000000000000000", "not-an-event"])
def test_resending_an_unknown_event_is_a_clear_4xx(client, studio, event_id):
    response = client.post(f"/openapi/v1/notifications/{event_id}/resend", headers=bearer(client, studio))
    assert response.status_code in (404, 422) and response.json()["code"] in (
        "EVENT_NOT_FOUND",
        "INVALID_ARGUMENT",
        "VALIDATION_ERROR",
    )


def test_an_app_cannot_resend_another_apps_notification(client, studio, platform):
    other = register_app(studio.developer, studio.headers, "other-game")
    event_id = ping(platform, other.app_id)
    response = client.post(f"/openapi/v1/notifications/{event_id}/resend", headers=bearer(client, studio))
    assert (response.status_code, response.json()["code"]) == (404, "EVENT_NOT_FOUND")
