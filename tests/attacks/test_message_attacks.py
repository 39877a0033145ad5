"""Subscribe messages attacked from outside: a real ``minis serve`` (SQLite and PostgreSQL), real
HTTP, 200 sends at once where it matters.

What must hold: a one-time grant delivers exactly one message however many sends race for it;
another app's token, template or grant gets nothing; another person's message is as unknown as
one that never was; a push subscription naming a place inside the network is refused; bad input
is a 4xx with a code, never a 5xx."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import secrets
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import NamedTuple

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from bench.burst import APP_ID, UNLIMITED, shop_package
from bench.load import write_package
from openminis.developers import service as developers
from openminis.developers.models import AppSecret
from openminis.liveserver import LiveServer, run_apart
from openminis.platform import Platform
from openminis.settings import Settings
from tests.concurrency import honouring_retry_after, one_connection_each
from tests.conftest import postgres_database

pytestmark = pytest.mark.slow  # a real server, a storm of requests

OTHER = "other-shop"
ADMIN = "adm-" + secrets.token_hex(8)  # the servers' MINIS_ADMIN_TOKEN: a reviewer approves templates


class Site(NamedTuple):
    server: LiveServer
    ours: dict[str, str]  # APP_ID's backend's headers
    theirs: dict[str, str]  # OTHER's


def backend(server: LiveServer, database_url: str | None, app_id: str) -> dict[str, str]:
    """An app secret put in the server's database (what registering the app leaves), exchanged
    for the backend's token."""
    secret = "ms_" + secrets.token_urlsafe(32)
    settings = Settings(data_dir=server.data_dir, **({"database_url": database_url} if database_url else {}))
    platform = Platform(settings)
    try:
        with platform.db.session() as session:
            session.add(
                AppSecret(
                    app_id=app_id,
                    secret_hash=hashlib.sha256(secret.encode()).hexdigest(),
                    init_key=developers.init_key_for(secret),
                    notify_key=developers.notify_key_for(secret),
                )
            )
            session.commit()
    finally:
        platform.close()
    token = httpx.post(
        f"{server.url}/openapi/v1/auth/token",
        json={"grant_type": "client_credentials", "client_id": app_id, "client_secret": secret},
        timeout=30,
    ).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


@contextmanager
def shop_server(tmp_path: Path, database: str, per_person: str) -> Iterator[tuple[LiveServer, str]]:
    """A live server on ``database`` ("sqlite" or "postgresql") with the bench shop and OTHER
    published, a reviewer's token (ADMIN), no limit per app on sends and ``per_person`` per person:
    the server and its database's URL."""
    data = tmp_path / "data"
    data.mkdir()
    other = write_package(tmp_path / "other", id=OTHER, name="Other Shop", category="benchmark", description="Other.")
    with ExitStack() as stack:
        url = stack.enter_context(postgres_database()) if database == "postgresql" else f"sqlite:///{data / 'minis.db'}"
        env = {
            **UNLIMITED,
            "MINIS_DATABASE_URL": url,
            "MINIS_RATE_MESSAGES_PER_APP": "1000000/minute",
            "MINIS_RATE_MESSAGES_PER_PERSON": per_person,
            "MINIS_ADMIN_TOKEN": ADMIN,  # a reviewer approves each test's templates (template())
        }
        yield stack.enter_context(LiveServer(data, packages=[shop_package(tmp_path / "pkg"), other], env=env)), url


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def site(request, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One server per database for the file's tests; each test makes its own people and
    templates, so what an earlier test left changes nothing it asserts."""
    tmp_path = tmp_path_factory.mktemp(f"messages-{request.param}")
    with shop_server(tmp_path, request.param, "1000000/minute") as (server, url):
        yield Site(server, backend(server, url, APP_ID), backend(server, url, OTHER))


class Person(NamedTuple):
    client: httpx.Client
    openids: dict[str, str]  # app id -> their openid there


def person(site: Site) -> Iterator[Person]:
    client = httpx.Client(base_url=site.server.url, timeout=30)
    client.headers["X-CSRF-Token"] = client.get("/api/me").json()["csrf_token"]
    openids = {}
    for app_id, headers in ((APP_ID, site.ours), (OTHER, site.theirs)):
        code = client.post(f"/api/apps/{app_id}/login-code").json()["code"]
        answer = client.post("/openapi/v1/auth/code2session", json={"code": code}, headers=headers)
        openids[app_id] = answer.json()["openid"]
    try:
        yield Person(client, openids)
    finally:
        client.close()


@pytest.fixture
def ada(site) -> Iterator[Person]:
    yield from person(site)


@pytest.fixture
def bo(site) -> Iterator[Person]:
    yield from person(site)


def template(site: Site, headers: dict, **fields) -> str:
    body = {"id": "t-" + secrets.token_hex(4), "title": "Your turn", "fields": ["who"]} | fields
    made = httpx.post(f"{site.server.url}/openapi/v1/message-templates", json=body, headers=headers, timeout=30)
    assert made.status_code == 201, made.text
    app_id = APP_ID if headers is site.ours else OTHER
    approved = httpx.post(
        f"{site.server.url}/api/admin/review/templates/{app_id}/{body['id']}/approve",
        json={},
        headers={"Authorization": f"Bearer {ADMIN}"},
        timeout=30,
    )
    assert approved.status_code == 200, approved.text
    return body["id"]


def accept(who: Person, app_id: str, template_id: str) -> None:
    said = who.client.post(f"/api/apps/{app_id}/message-subscriptions", json={"answers": {template_id: "accept"}})
    assert said.status_code == 200, said.text


def send_body(openid: str, template_id: str, n: int = 0) -> dict:
    return {"openid": openid, "template_id": template_id, "fields": {"who": "Ada"}, "query": {"n": str(n)}}


async def at_once(site: Site, headers: dict, bodies: list[dict]) -> list[tuple[int, dict]]:
    """Every send at the same moment, each on its own connection; a 503 with Retry-After ("not now",
    nothing done, on a busy machine) is sent again as a client would (tests/concurrency.py)."""
    limits = one_connection_each(len(bodies))
    async with httpx.AsyncClient(base_url=site.server.url, limits=limits, timeout=90, headers=headers) as client:
        start = asyncio.Event()

        async def one(body: dict) -> tuple[int, dict]:
            await start.wait()
            answer = await honouring_retry_after(lambda: client.post("/openapi/v1/messages", json=body))
            return answer.status_code, answer.json()

        tasks = [asyncio.create_task(one(body)) for body in bodies]
        await asyncio.sleep(0.2)
        start.set()
        return await asyncio.gather(*tasks)


def no_5xx(answers) -> None:
    assert not [body for status, body in answers if status >= 500][:3]


def test_200_concurrent_sends_on_one_one_time_grant_deliver_exactly_one(site, ada):
    template_id = template(site, site.ours)
    accept(ada, APP_ID, template_id)

    answers = run_apart(at_once(site, site.ours, [send_body(ada.openids[APP_ID], template_id, n) for n in range(200)]))

    no_5xx(answers)
    statuses = Counter((status, body.get("code")) for status, body in answers)
    print(f"\n200 sends on one one-time grant: {dict(statuses)}")
    assert statuses == {(200, None): 1, (403, "NO_GRANT"): 199}
    inbox = ada.client.get("/api/messages").json()
    assert len([m for m in inbox["items"] if m["app_id"] == APP_ID]) == 1
    listed = httpx.get(f"{site.server.url}/openapi/v1/message-templates", headers=site.ours, timeout=30).json()
    assert next(t for t in listed["items"] if t["id"] == template_id)["sent"] == 1


def test_another_apps_token_template_and_grant_get_nothing(site, ada):
    ours = template(site, site.ours)
    accept(ada, APP_ID, ours)
    theirs_with_same_id = template(site, site.theirs, id=ours)
    url = f"{site.server.url}/openapi/v1/messages"
    tries = [
        (site.theirs, send_body(ada.openids[APP_ID], ours)),  # our openid under their token
        (site.theirs, send_body(ada.openids[OTHER], theirs_with_same_id)),  # their template, our grant's id
        (site.theirs, send_body(ada.openids[OTHER], "no-such")),
        ({"Authorization": "Bearer forged"}, send_body(ada.openids[APP_ID], ours)),
        ({}, send_body(ada.openids[APP_ID], ours)),
    ]
    answers = [httpx.post(url, json=body, headers=headers, timeout=30) for headers, body in tries]
    assert [(a.status_code, a.json().get("code")) for a in answers] == [
        (404, "UNKNOWN_OPENID"),
        (403, "NO_GRANT"),
        (404, "NO_SUCH_TEMPLATE"),
        (401, "INVALID_TOKEN"),
        (401, "INVALID_TOKEN"),
    ]
    assert ada.client.get("/api/messages").json()["unread"] == 0
    # Our grant is still ours to spend.
    assert httpx.post(url, json=send_body(ada.openids[APP_ID], ours), headers=site.ours, timeout=30).status_code == 200


def test_another_persons_message_is_not_found(site, ada, bo):
    template_id = template(site, site.ours)
    accept(ada, APP_ID, template_id)
    sent = httpx.post(
        f"{site.server.url}/openapi/v1/messages",
        json=send_body(ada.openids[APP_ID], template_id),
        headers=site.ours,
        timeout=30,
    ).json()["id"]
    for message_id in (sent, "0" * 32, "../" * 10, "x" * 33):
        answer = bo.client.post(f"/api/messages/{message_id}/read")
        assert answer.status_code in (404, 422), (message_id, answer.status_code)
        assert answer.status_code != 404 or answer.json()["code"] in ("NO_SUCH_MESSAGE", "NOT_FOUND")
    assert bo.client.get("/api/messages").json() == {"items": [], "unread": 0}
    assert bo.client.delete(f"/api/apps/{APP_ID}/message-grants/{template_id}").status_code == 200  # theirs only
    assert ada.client.get("/api/messages/grants").json()["items"] == []  # spent by the send, not by Bo
    assert ada.client.post(f"/api/messages/{sent}/read").status_code == 200


def keys() -> dict[str, str]:
    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return {
        "p256dh": base64.urlsafe_b64encode(point).rstrip(b"=").decode(),
        "auth": base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode(),
    }


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://127.0.0.1/push",
        "https://10.0.0.1/push",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/push",
        "http://push.example.com/push",
        "https://localhost/push",
        "https://2130706433/push",
        "https://[::ffff:127.0.0.1]/push",
        "file:///etc/passwd",
        "https://user:pw@push.example.com/",
    ],
)
def test_a_push_subscription_to_a_place_inside_the_network_is_refused(site, ada, endpoint):
    answer = ada.client.put("/api/push/subscription", json={"endpoint": endpoint, "keys": keys()})
    assert (answer.status_code, answer.json()["code"], answer.json()["field"]) == (422, "URL_NOT_ALLOWED", "endpoint")
    assert ada.client.get("/api/messages/unread").json()["push"] == 0


def test_bad_input_is_a_4xx_never_a_5xx(site, ada):
    template_id = template(site, site.ours)
    url = site.server.url
    sends = [
        {},
        {"openid": ada.openids[APP_ID]},
        send_body(ada.openids[APP_ID], template_id) | {"fields": {"who": None}},
        send_body(ada.openids[APP_ID], template_id) | {"fields": ["who"]},
        send_body(ada.openids[APP_ID], template_id) | {"query": {"k": 1}},
        send_body(ada.openids[APP_ID], template_id) | {"openid": "x" * 65},
        send_body(ada.openids[APP_ID], "\u0000"),
    ]
    answers = [httpx.post(f"{url}/openapi/v1/messages", json=body, headers=site.ours, timeout=30) for body in sends]
    answers += [httpx.post(f"{url}/openapi/v1/messages", content=b"{", headers=site.ours, timeout=30)]
    answers += [
        httpx.post(f"{url}/openapi/v1/message-templates", json={"id": "x", "title": "<b>" * 40}, headers=site.ours),
        ada.client.post(f"/api/apps/{APP_ID}/message-subscriptions", json={"answers": ["x"]}),
        ada.client.post(f"/api/apps/{APP_ID}/message-subscriptions", json={"answers": {template_id: "yes"}}),
        ada.client.get(f"/api/apps/{APP_ID}/message-templates", params={"ids": ["x" * 65]}),
        ada.client.get("/api/messages", params={"limit": 0}),
        ada.client.get("/api/messages", params={"limit": "many"}),
        ada.client.put("/api/push/subscription", json={"endpoint": "https://push.example.com/p"}),
        ada.client.put("/api/push/subscription", json={"endpoint": "x" * 2000, "keys": keys()}),
    ]
    statuses = [answer.status_code for answer in answers]
    assert all(400 <= status < 500 for status in statuses), statuses
    assert all("code" in answer.json() for answer in answers)
