"""Subscribe messages and Web Push attacked by an outsider: a real ``minis serve`` per database
(SQLite and PostgreSQL) shared by the file's tests, real HTTP, hundreds of requests at once.

What must hold, beyond tests/attacks/test_message_attacks.py: a push key is a point on P-256; a
person keeps at most 10 browsers however many subscribe at once; no text a person reads hides or
reorders itself (bidi controls, C1, line separators); an account erased while its messages are being
sent keeps none of them; a long-term grant turned off stops every send that did not finish before;
accepts racing sends never deliver more than was accepted; the per-person send limit is exact."""

from __future__ import annotations

import asyncio
import base64
import os
from collections import Counter
from collections.abc import Iterator
from typing import Any, NamedTuple

import httpx
import pytest
from sqlalchemy import func, select

from bench.burst import APP_ID
from openminis.liveserver import LiveServer, run_apart
from openminis.messages.models import Message, MessageGrant, PushSubscription
from openminis.platform import Platform
from openminis.settings import Settings
from tests.attacks.test_message_attacks import (
    OTHER,
    Person,
    accept,
    backend,
    keys,
    person,
    send_body,
    shop_server,
    template,
)
from tests.concurrency import honouring_retry_after, one_connection_each

pytestmark = pytest.mark.slow  # a real server, storms of requests

PER_PERSON = 150  # sends one app may make to one person a day: the exact limit one test measures
MAX_BROWSERS = 10  # push.MAX_SUBSCRIPTIONS, as docs/messages.md states it


class Site(NamedTuple):
    server: LiveServer
    url: str  # the server's database
    ours: dict[str, str]  # APP_ID's backend's headers
    theirs: dict[str, str]  # OTHER's


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def site(request, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One server per database for the whole file; each test makes its own people and templates.
    Per person the send limit is real (a day's, so no refill during a storm); per app it is not."""
    tmp_path = tmp_path_factory.mktemp(f"outsider-{request.param}")
    with shop_server(tmp_path, request.param, f"{PER_PERSON}/day") as (server, url):
        yield Site(server, url, backend(server, url, APP_ID), backend(server, url, OTHER))


@pytest.fixture
def ada(site) -> Iterator[Person]:
    yield from person(site)


@pytest.fixture
def bo(site) -> Iterator[Person]:
    yield from person(site)


class Call(NamedTuple):
    method: str
    path: str
    json: Any
    who: Person | None  # a person's cookies and CSRF token, or None for the app's backend
    then: Call | None = None  # made the moment this call's answer arrives (what the person sees then)
    midway: int = 0  # sent once this many of the storm's answers came back, not at the start


class Answer(NamedTuple):
    status: int
    body: dict
    retry_after: str | None
    then: dict | None  # the answer to ``then``


def browser_headers(who: Person) -> dict[str, str]:
    """What the person's browser sends with a change: its session cookie and CSRF token."""
    cookie = "; ".join(f"{name}={value}" for name, value in who.client.cookies.items())
    return {"X-CSRF-Token": who.client.headers["X-CSRF-Token"], "Cookie": cookie}


async def storm(site: Site, calls: list[Call]) -> list[Answer]:
    """Every call at the same moment (or, with ``midway``, once that many have answered), each on
    its own connection, each asked again after a 503 with Retry-After."""
    limits = one_connection_each(len(calls))
    async with httpx.AsyncClient(base_url=site.server.url, limits=limits, timeout=120) as client:
        start = asyncio.Event()
        answered = 0

        async def request(call: Call) -> httpx.Response:
            headers = browser_headers(call.who) if call.who else site.ours
            return await client.request(call.method, call.path, json=call.json, headers=headers)

        async def one(call: Call) -> Answer:
            nonlocal answered
            await start.wait()
            while answered < call.midway:
                await asyncio.sleep(0.001)
            # A 503 with Retry-After ("not now": a lock not had within the wait, on a busy machine)
            # rolled everything back; asked again, as a client does (tests/concurrency.py).
            answer = await honouring_retry_after(lambda: request(call))
            answered += 1
            then = (await request(call.then)).json() if call.then else None
            return Answer(answer.status_code, answer.json(), answer.headers.get("retry-after"), then)

        tasks = [asyncio.create_task(one(call)) for call in calls]
        await asyncio.sleep(0.2)
        start.set()
        return await asyncio.gather(*tasks)


def outcomes(answers: list[Answer]) -> Counter:
    return Counter((a.status, a.body.get("code")) for a in answers)


def no_5xx(answers: list[Answer]) -> None:
    assert not [a.body for a in answers if a.status >= 500][:3]


def sends(who: Person, template_id: str, count: int) -> list[Call]:
    openid = who.openids[APP_ID]
    return [Call("POST", "/openapi/v1/messages", send_body(openid, template_id, n), None) for n in range(count)]


def user_id(who: Person) -> str:
    return str(who.client.get("/api/me").json()["user"]["id"])


def rows(site: Site, model: type, user: str) -> int:
    """How many of ``model``'s rows name the person, read from the server's database itself."""
    settings = Settings(data_dir=site.server.data_dir, database_url=site.url)
    platform = Platform(settings)
    try:
        with platform.db.session() as session:
            return int(session.scalar(select(func.count()).select_from(model).where(model.user_id == user)) or 0)
    finally:
        platform.close()


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# Bug 1: a push key must be a browser's key ------------------------------------------------------

P256_P = 2**256 - 2**224 + 2**192 + 2**96 - 1


@pytest.mark.parametrize(
    "p256dh",
    [
        b64(b"\x04" + os.urandom(64)),  # 65 bytes, uncompressed prefix, not on the curve
        b64(b"\x04" + bytes(64)),  # (0, 0)
        b64(b"\x04" + P256_P.to_bytes(32, "big") + bytes(31) + b"\x01"),  # x out of the field
        b64(b"\x04" + b"\xff" * 64),
    ],
    ids=["random", "zero", "x-is-p", "all-ones"],
)
def test_a_push_key_that_is_not_a_point_on_p256_is_refused(site, ada, p256dh):
    endpoint = "https://push.example.com/send/" + os.urandom(8).hex()
    answer = ada.client.put("/api/push/subscription", json={"endpoint": endpoint, "keys": keys() | {"p256dh": p256dh}})
    assert (answer.status_code, answer.json().get("code"), answer.json().get("field")) == (
        422,
        "INVALID_ARGUMENT",
        "keys.p256dh",
    ), answer.text
    assert "P-256" in answer.json()["message"]
    assert ada.client.get("/api/messages/unread").json()["push"] == 0
    good = ada.client.put("/api/push/subscription", json={"endpoint": endpoint, "keys": keys()})
    assert good.status_code == 200, good.text


# Bug 2: at most 10 browsers, however many subscribe at once ----------------------------------------


def test_40_subscribes_at_once_keep_exactly_the_cap_and_refuse_the_rest(site, ada):
    calls = [
        Call("PUT", "/api/push/subscription", {"endpoint": f"https://push.example.com/s/{n}", "keys": keys()}, ada)
        for n in range(40)
    ]

    answers = run_apart(storm(site, calls))

    no_5xx(answers)
    kept = ada.client.get("/api/messages/unread").json()["push"]
    print(f"\n40 subscribes at once, cap {MAX_BROWSERS}: {dict(outcomes(answers))}, kept {kept}")
    assert kept == MAX_BROWSERS
    assert outcomes(answers) == {(200, None): MAX_BROWSERS, (429, "TOO_MANY"): 40 - MAX_BROWSERS}
    assert all(a.retry_after for a in answers if a.status == 429)


# Bug 3: text that hides or reorders itself -------------------------------------------------------

HIDDEN = [
    *"\u2066\u2067\u2068\u2069",  # bidi isolates (Trojan Source)
    *"\u202a\u202b\u202c\u202d\u202e",  # embeddings and overrides
    *"\u200e\u200f\u061c",  # bidi marks
    "\x80",
    "\x85",  # NEL: a line break in C1
    "\x9b",  # CSI: a terminal's escape
    "\x9f",
    "\u2028",  # line separator
    "\u2029",  # paragraph separator
]


def test_template_titles_and_message_fields_refuse_bidi_c1_and_line_separators(site, ada):
    template_id = template(site, site.ours)
    accept(ada, APP_ID, template_id)
    url = site.server.url
    titles, fields = [], []
    for hidden in HIDDEN:
        titles.append(
            httpx.post(
                f"{url}/openapi/v1/message-templates",
                json={"id": "t-hidden", "title": f"Your {hidden}turn"},
                headers=site.ours,
                timeout=30,
            )
        )
        fields.append(
            httpx.post(
                f"{url}/openapi/v1/messages",
                json=send_body(ada.openids[APP_ID], template_id) | {"fields": {"who": f"Ada{hidden}evil"}},
                headers=site.ours,
                timeout=30,
            )
        )
    let_in = [repr(c) for c, a in zip(HIDDEN, titles, strict=True) if a.status_code != 422]
    print(f"\ntitles let in: {let_in}")
    assert [(a.status_code, a.json().get("code")) for a in titles] == [(422, "INVALID_ARGUMENT")] * len(HIDDEN), let_in
    let_in = [repr(c) for c, a in zip(HIDDEN, fields, strict=True) if a.status_code != 422]
    print(f"fields let in: {let_in}")
    assert [(a.status_code, a.json().get("field")) for a in fields] == [(422, "fields.who")] * len(HIDDEN), let_in
    listed = httpx.get(f"{url}/openapi/v1/message-templates", headers=site.ours, timeout=30).json()["items"]
    assert "t-hidden" not in [t["id"] for t in listed]
    # Right-to-left text itself, emoji sequences and newlines in a field are a person's words.
    fine = {"fields": {"who": "\u05e9\u05dc\u05d5\u05dd \U0001f469\u200d\U0001f467\nAda"}}
    sent = httpx.post(
        f"{url}/openapi/v1/messages",
        json=send_body(ada.openids[APP_ID], template_id) | fine,
        headers=site.ours,
        timeout=30,
    )
    assert sent.status_code == 200, sent.text


# Bug 4: an account erased while its messages are being sent ---------------------------------------


def test_an_account_erased_during_a_storm_of_sends_keeps_nothing(site, ada):
    template_id = template(site, site.ours, kind="long-term")
    accept(ada, APP_ID, template_id)
    ada.client.put("/api/push/subscription", json={"endpoint": "https://push.example.com/e", "keys": keys()})
    who = user_id(ada)
    calls = sends(ada, template_id, 100)
    calls.insert(50, Call("POST", "/api/me/delete", {"confirm": "DELETE"}, ada))

    answers = run_apart(storm(site, calls))

    erased = answers.pop(50)
    no_5xx([*answers, erased])
    left = {model.__name__: rows(site, model, who) for model in (Message, MessageGrant, PushSubscription)}
    print(f"\n100 sends racing the account's deletion: {dict(outcomes(answers))}, left {left}")
    assert erased.status == 200, erased.body
    assert left == {"Message": 0, "MessageGrant": 0, "PushSubscription": 0}
    assert set(outcomes(answers)) <= {(200, None), (404, "UNKNOWN_OPENID")}
    after = send_one(site, ada, template_id)
    assert (after.status_code, after.json()["code"]) == (404, "UNKNOWN_OPENID")


def send_one(site: Site, who: Person, template_id: str) -> httpx.Response:
    """One more send from the app's backend to ``who``, once a storm is over."""
    return httpx.post(
        f"{site.server.url}/openapi/v1/messages",
        json=send_body(who.openids[APP_ID], template_id),
        headers=site.ours,
        timeout=30,
    )


# Bug 5: a long-term grant turned off mid-storm ---------------------------------------------------


def test_no_message_arrives_after_a_long_term_grant_is_turned_off(site, ada):
    template_id = template(site, site.ours, kind="long-term")
    accept(ada, APP_ID, template_id)
    calls = sends(ada, template_id, 120)
    # The inbox as the person sees it the moment the revoke answered: nothing may arrive after.
    look = Call("GET", "/api/messages/unread", None, ada)
    calls.insert(
        60, Call("DELETE", f"/api/apps/{APP_ID}/message-grants/{template_id}", None, ada, then=look, midway=30)
    )

    answers = run_apart(storm(site, calls))

    revoked = answers.pop(60)
    no_5xx([*answers, revoked])
    assert revoked.status == 200 and revoked.then is not None
    seen_then = revoked.then["unread"]
    delivered = ada.client.get("/api/messages/unread").json()["unread"]
    print(
        f"\n120 sends, the grant turned off in the middle: {dict(outcomes(answers))}; "
        f"{seen_then} in the inbox when the revoke answered, {delivered} in the end"
    )
    assert delivered == seen_then, f"{delivered - seen_then} messages arrived after the grant was turned off"
    assert delivered == sum(1 for a in answers if a.status == 200)
    assert set(outcomes(answers)) <= {(200, None), (403, "NO_GRANT")}
    after = send_one(site, ada, template_id)
    assert (after.status_code, after.json()["code"]) == (403, "NO_GRANT")


# What held before, kept held ----------------------------------------------------------------------


def test_140_accepts_racing_140_sends_deliver_no_more_than_was_accepted(site, ada):
    template_id = template(site, site.ours)
    accept_call = Call("POST", f"/api/apps/{APP_ID}/message-subscriptions", {"answers": {template_id: "accept"}}, ada)
    calls = [call for send in sends(ada, template_id, 140) for call in (accept_call, send)]

    answers = run_apart(storm(site, calls))

    no_5xx(answers)
    accepted = sum(1 for a in answers[0::2] if a.status == 200)
    delivered = sum(1 for a in answers[1::2] if a.status == 200)
    [grant] = ada.client.get(f"/api/apps/{APP_ID}/message-grants").json()["items"] or [{"one_time": 0}]
    print(f"\n140 accepts racing 140 sends: {accepted} accepts, {delivered} delivered, {grant['one_time']} left")
    assert accepted == 140
    assert set(outcomes(answers[1::2])) <= {(200, None), (403, "NO_GRANT")}
    assert delivered + grant["one_time"] <= accepted
    assert grant["one_time"] <= 50  # accepts add up to 50 sends ahead at most
    assert ada.client.get("/api/messages").json()["unread"] == delivered


def test_the_per_person_send_limit_is_exact_and_the_inbox_pages_are_capped(site, ada):
    template_id = template(site, site.ours, kind="long-term")
    accept(ada, APP_ID, template_id)

    answers = run_apart(storm(site, sends(ada, template_id, 200)))

    no_5xx(answers)
    print(f"\n200 sends at once, {PER_PERSON} a day allowed: {dict(outcomes(answers))}")
    assert outcomes(answers) == {(200, None): PER_PERSON, (429, "RATE_LIMITED"): 200 - PER_PERSON}
    assert all(a.retry_after and int(a.retry_after) >= 1 for a in answers if a.status == 429)
    assert ada.client.get("/api/messages/unread").json()["unread"] == PER_PERSON
    assert len(ada.client.get("/api/messages").json()["items"]) == 50
    assert len(ada.client.get("/api/messages", params={"limit": 100}).json()["items"]) == 100
    for limit in (101, 0, -1, 10**12):
        refused = ada.client.get("/api/messages", params={"limit": limit})
        assert (refused.status_code, refused.json()["code"]) == (422, "INVALID_ARGUMENT"), limit


def test_another_persons_message_and_browser_are_out_of_reach(site, ada, bo):
    template_id = template(site, site.ours)
    accept(ada, APP_ID, template_id)
    secret = "secret-" + os.urandom(6).hex()
    sent = httpx.post(
        f"{site.server.url}/openapi/v1/messages",
        json=send_body(ada.openids[APP_ID], template_id) | {"fields": {"who": secret}},
        headers=site.ours,
        timeout=30,
    ).json()["id"]
    endpoint = "https://push.example.com/ada/" + os.urandom(6).hex()
    assert ada.client.put("/api/push/subscription", json={"endpoint": endpoint, "keys": keys()}).status_code == 200

    # The push's link, followed by someone else: the page, never the message.
    for app_id in (APP_ID, OTHER):
        page = bo.client.get(f"/play/{app_id}", params={"message": sent})
        assert page.status_code == 200 and secret not in page.text and sent not in page.text
    opened = bo.client.post(f"/api/messages/{sent}/read")
    assert (opened.status_code, opened.json()["code"]) == (404, "NO_SUCH_MESSAGE")
    assert bo.client.post("/api/messages/read").status_code == 200
    assert bo.client.request("DELETE", "/api/push/subscription", json={"endpoint": endpoint}).status_code == 200
    # Her own message, under another app's name (what a push's link for that app would say).
    elsewhere = ada.client.post(f"/api/messages/{sent}/read", params={"app_id": OTHER})
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (404, "NO_SUCH_MESSAGE")
    assert ada.client.get("/api/messages/unread").json() == {"unread": 1, "push": 1}
    assert secret not in str(bo.client.get("/api/me/data").json())


SSRF_SPELLINGS = [  # beyond the ten of test_message_attacks.py
    "https://127.1/p",
    "https://0177.0.0.1/p",
    "https://0x7f.0.0.1/p",
    "https://0x7f000001/p",
    "https://017700000001/p",
    "https://127.000.000.001/p",
    "https://2130706433./p",
    "https://localhost./p",
    "https://LOCALHOST/p",
    "https://push.localhost/p",
    "https://metadata.google.internal/computeMetadata/v1/",
    "https://router.lan/p",
    "https://intranet/p",
    "https://0.0.0.0/p",
    "https://0/p",
    "https://100.64.0.1/p",
    "https://192.168.1.1/p",
    "https://172.16.0.1/p",
    "https://[::]/p",
    "https://[::ffff:7f00:1]/p",
    "https://[0:0:0:0:0:ffff:127.0.0.1]/p",
    "https://[::ffff:a9fe:a9fe]/p",
    "https://[::127.0.0.1]/p",
    "https://[64:ff9b::7f00:1]/p",
    "https://[fe80::1]/p",
    "https://[fe80::1%25eth0]/p",
    "https://[fd00:ec2::254]/p",
    "https://push.example.com@127.0.0.1/p",
    "https://127.0.0.1:443@push.example.com/p",
    "https://127.0.0.1#@push.example.com/p",
    "https://127\u30020\u30020\u30021/p",
    " https://push.example.com/p",
    "https://push.example.com:0/p",
    "ftp://push.example.com/p",
    "//push.example.com/p",
]


def test_push_endpoints_inside_the_network_are_refused_in_every_spelling(site, ada):
    let_in = []
    for endpoint in SSRF_SPELLINGS:
        answer = ada.client.put("/api/push/subscription", json={"endpoint": endpoint, "keys": keys()})
        if (answer.status_code, answer.json().get("code"), answer.json().get("field")) != (
            422,
            "URL_NOT_ALLOWED",
            "endpoint",
        ):
            let_in.append((endpoint, answer.status_code, answer.json().get("code")))
    print(f"\n{len(SSRF_SPELLINGS)} spellings of places inside the network, let in: {let_in}")
    assert let_in == []
    assert ada.client.get("/api/messages/unread").json()["push"] == 0


def test_bad_input_in_every_field_is_a_4xx_never_a_5xx(site, ada):
    template_id = template(site, site.ours)
    openid = ada.openids[APP_ID]
    good = {"endpoint": "https://push.example.com/bad-input", "keys": keys()}
    push = [
        {"endpoint": 1, "keys": keys()},
        {"endpoint": None, "keys": keys()},
        {"endpoint": ["https://push.example.com/p"], "keys": keys()},
        {"keys": keys()},
        good | {"keys": None},
        good | {"keys": []},
        good | {"keys": keys() | {"p256dh": 1}},
        good | {"keys": keys() | {"p256dh": ""}},
        good | {"keys": keys() | {"p256dh": "=" * 200}},
        good | {"keys": keys() | {"p256dh": "A" * 201}},
        good | {"keys": keys() | {"p256dh": b64(b"\x02" + os.urandom(32))}},  # compressed
        good | {"keys": keys() | {"auth": b64(os.urandom(17))}},
        good | {"keys": keys() | {"auth": "!!"}},
        good | {"keys": keys() | {"auth": None}},
        good | {"keys": keys() | {"extra": "x"}},
        [good],
        "endpoint",
        None,
    ]
    templates = [
        {"id": 5, "title": "t"},
        {"id": "", "title": "t"},
        {"id": "a" * 65, "title": "t"},
        {"id": "ok", "title": 5},
        {"id": "ok", "title": "   "},
        {"id": "ok", "title": "t", "fields": "who"},
        {"id": "ok", "title": "t", "fields": [1]},
        {"id": "ok", "title": "t", "fields": ["who"] * 2},
        {"id": "ok", "title": "t", "kind": None},
        {"id": "ok", "title": "t", "state": "approved"},
        [],
    ]
    messages = [
        {"openid": 5, "template_id": template_id},
        {"openid": None, "template_id": template_id},
        {"openid": "", "template_id": template_id},
        {"openid": openid, "template_id": ["x"]},
        {"openid": openid, "template_id": template_id, "fields": {"who": 5}},
        {"openid": openid, "template_id": template_id, "fields": {"who": "x" * 201}},
        {"openid": openid, "template_id": template_id, "fields": {"who": "a", "extra": "b"}},
        {"openid": openid, "template_id": template_id, "fields": {}},
        send_body(openid, template_id) | {"query": {"k" * 33: "v"}},
        send_body(openid, template_id) | {"query": {f"k{n}": "v" for n in range(17)}},
        send_body(openid, template_id) | {"query": {"k": "v" * 2000}},
        send_body(openid, template_id) | {"query": ["k"]},
        send_body(openid, template_id) | {"sent_at": "2020-01-01"},
        [],
        "openid",
    ]
    answers = [ada.client.put("/api/push/subscription", json=body) for body in push]
    answers += [ada.client.request("DELETE", "/api/push/subscription", json=body) for body in ({}, {"endpoint": 5})]
    url = site.server.url
    answers += [httpx.post(f"{url}/openapi/v1/message-templates", json=b, headers=site.ours) for b in templates]
    answers += [httpx.post(f"{url}/openapi/v1/messages", json=b, headers=site.ours) for b in messages]
    subscriptions = f"/api/apps/{APP_ID}/message-subscriptions"
    answers += [
        ada.client.post(subscriptions, json=body)
        for body in (
            {},
            {"answers": None},
            {"answers": {}},
            {"answers": {"x" * 65: "accept"}},
            {"answers": {f"t{n}": "accept" for n in range(11)}},
            {"answers": {template_id: "accept"}, "extra": 1},
        )
    ]
    answers += [
        ada.client.delete(f"/api/apps/{APP_ID}/message-grants/{'x' * 65}"),
        ada.client.delete(f"/api/apps/{'a' * 41}/message-grants/x"),
        ada.client.post(f"/api/messages/{'f' * 33}/read"),
        ada.client.get(f"/api/apps/{APP_ID}/message-templates"),
        ada.client.get(f"/api/apps/{APP_ID}/message-templates", params={"ids": [f"t{n}" for n in range(11)]}),
    ]
    statuses = [answer.status_code for answer in answers]
    assert all(400 <= status < 500 for status in statuses), statuses
    assert all("code" in answer.json() for answer in answers)
    assert ada.client.get("/api/messages/unread").json() == {"unread": 0, "push": 0}
