"""Subscribe messages: templates declared in minis.json or through the Open API, grants from the
person's answers on the consent sheet, sends from the app's backend that spend them, the inbox
with its read marks, revocation, rate limits and erasure."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi.testclient import TestClient

from openminis.jobs.models import Job
from openminis.messages.models import Message, MessageGrant, MessageTemplate, PushSubscription
from openminis.messages.push import b64url
from tests.factories import publish
from tests.social.test_leaderboards import bearer, person
from tests.studio import ADMIN_TOKEN, DevApp, browser, csrf_of, register_app, sign_up

TEMPLATES = "/openapi/v1/message-templates"


def put_template(client: TestClient, app: DevApp, **fields: object):
    """Declare a template through the Open API and have a reviewer (the operator's token) approve
    it, as these tests' sends need (tests/messages/test_template_review.py tests the review)."""
    body = {"id": "turn", "title": "Your turn", "fields": ["opponent"], "kind": "one-time"} | fields
    made = client.post(TEMPLATES, json=body, headers=bearer(client, app))
    if made.status_code == 201 and made.json()["state"] == "in_review":
        approved = client.post(
            f"/api/admin/review/templates/{app.app_id}/{body['id']}/approve",
            json={},
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        )
        assert approved.status_code == 200, approved.text
    return made


def answer(player: TestClient, app: DevApp, answers: dict[str, str]):
    return player.post(
        f"/api/apps/{app.app_id}/message-subscriptions", json={"answers": answers}, headers=csrf_of(player)
    )


def send(client: TestClient, app: DevApp, openid: str, template: str = "turn", **extra: object):
    body = {"openid": openid, "template_id": template, "fields": {"opponent": "Ada"}, "query": {"game": "g1"}}
    return client.post("/openapi/v1/messages", json=body | extra, headers=bearer(client, app))


def inbox(player: TestClient) -> dict:
    found = player.get("/api/messages")
    assert found.status_code == 200, found.text
    return found.json()


def test_a_one_time_accept_allows_exactly_one_send_and_the_message_reaches_the_inbox(client, studio):
    assert put_template(client, studio).status_code == 201
    player, openid = person(client, studio, consent=False)
    assert send(client, studio, openid).json()["code"] == "NO_GRANT"  # nothing asked yet

    asked = player.get(f"/api/apps/{studio.app_id}/message-templates?ids=turn").json()
    assert asked["items"] == [{"id": "turn", "title": "Your turn", "kind": "one-time"}]
    assert answer(player, studio, {"turn": "accept"}).json() == {"answers": {"turn": "accept"}}

    sent = studio.backend(client).send_message(openid, "turn", {"opponent": "Ada"}, {"game": "g1"})  # the Python client
    again = send(client, studio, openid)
    assert (again.status_code, again.json()["code"]) == (403, "NO_GRANT")

    box = inbox(player)
    assert box["unread"] == 1
    [message] = box["items"]
    assert message["id"] == sent["id"]
    assert (message["title"], message["fields"], message["query"], message["read"]) == (
        "Your turn",
        {"opponent": "Ada"},
        {"game": "g1"},
        False,
    )
    assert message["card"]["app_id"] == studio.app_id  # what a tap opens

    listed = client.get(TEMPLATES, headers=bearer(client, studio)).json()
    assert (listed["sent"], listed["items"][0]["sent"], listed["items"][0]["state"]) == (1, 1, "approved")


def test_each_one_time_accept_adds_one_send_and_a_reject_adds_none(client, studio):
    put_template(client, studio)
    player, openid = person(client, studio, consent=False)
    answer(player, studio, {"turn": "accept"})
    answer(player, studio, {"turn": "accept"})
    answer(player, studio, {"turn": "reject"})
    assert [send(client, studio, openid).status_code for _ in range(3)] == [200, 200, 403]


def test_a_long_term_grant_sends_until_the_person_revokes_it(client, studio):
    put_template(client, studio, id="news", title="Game updates", fields=["what"], kind="long-term")
    player, openid = person(client, studio, consent=False)
    answer(player, studio, {"news": "accept"})
    for _ in range(3):
        assert send(client, studio, openid, "news", fields={"what": "new level"}).status_code == 200

    grants = player.get("/api/messages/grants").json()["items"]
    assert [(g["app_id"], g["template_id"], g["title"], g["long_term"]) for g in grants] == [
        (studio.app_id, "news", "Game updates", True)
    ]
    revoked = player.delete(f"/api/apps/{studio.app_id}/message-grants/news", headers=csrf_of(player))
    assert revoked.status_code == 200
    assert send(client, studio, openid, "news", fields={"what": "again"}).json()["code"] == "NO_GRANT"
    assert player.get(f"/api/apps/{studio.app_id}/message-grants").json()["items"] == []


def test_read_marks_are_the_persons_own(client, studio):
    put_template(client, studio)
    player, openid = person(client, studio, consent=False)
    answer(player, studio, {"turn": "accept"})
    answer(player, studio, {"turn": "accept"})
    first = send(client, studio, openid, query={"n": "1"}).json()["id"]
    second = send(client, studio, openid, query={"n": "2"}).json()["id"]
    assert [m["id"] for m in inbox(player)["items"]] == [second, first]  # newest first

    stranger = browser(client)
    assert stranger.post(f"/api/messages/{first}/read", headers=csrf_of(stranger)).status_code == 404
    assert stranger.get("/api/messages").json() == {"items": [], "unread": 0}

    opened = player.post(f"/api/messages/{first}/read", headers=csrf_of(player))
    assert (opened.status_code, opened.json()["query"], opened.json()["read"]) == (200, {"n": "1"}, True)
    assert player.get("/api/messages/unread").json() == {"unread": 1, "push": 0}
    assert player.post("/api/messages/read", headers=csrf_of(player)).status_code == 200
    assert inbox(player)["unread"] == 0


def test_another_apps_template_and_grant_are_refused(client, studio):
    put_template(client, studio)
    developer = browser(client)
    headers = sign_up(developer, "rival@example.com")
    assert developer.post("/api/developer", json={"name": "Rival"}, headers=headers).status_code == 200
    rival = register_app(developer, headers, "rival-game")
    player, openid = person(client, studio, consent=False)
    answer(player, studio, {"turn": "accept"})

    # The rival names the studio's template and the studio's openid: neither is its own.
    assert send(client, rival, openid).json()["code"] == "UNKNOWN_OPENID"
    _, rival_openid = person(client, rival, consent=False)
    assert send(client, rival, rival_openid).json()["code"] == "NO_SUCH_TEMPLATE"
    put_template(client, rival)
    assert send(client, rival, rival_openid).json()["code"] == "NO_GRANT"  # the grant was the studio's
    assert send(client, studio, openid).status_code == 200


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"fields": {}}, "fields"),
        ({"fields": {"opponent": "Ada", "extra": "x"}}, "fields"),
        ({"fields": {"opponent": "x" * 201}}, "fields.opponent"),
        ({"fields": {"opponent": "bell\x07"}}, "fields.opponent"),
        ({"fields": {"opponent": 5}}, "opponent"),
        ({"query": {"bad key": "x"}}, "query"),
        ({"query": {f"k{i}": "v" for i in range(17)}}, "query"),
        ({"query": {"k": "v" * 1100}}, "query"),
        ({"template_id": "nope"}, "template_id"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_send_is_refused_without_spending_the_grant(client, studio, extra, field):
    put_template(client, studio)
    player, openid = person(client, studio, consent=False)
    answer(player, studio, {"turn": "accept"})
    refused = send(client, studio, openid, **extra)
    assert refused.status_code in (400, 404, 422), refused.text
    assert field in refused.text
    assert send(client, studio, openid).status_code == 200  # the grant is still there


@pytest.mark.parametrize(
    "fields",
    [
        {"id": "bad id!"},
        {"title": ""},
        {"title": "x" * 41},
        {"title": "two\nlines"},
        {"title": "two\u2028lines"},
        {"title": "Your \u2067turn"},  # a bidi isolate
        {"title": "Your \x9bturn"},  # C1
        {"fields": ["Bad-Name"]},
        {"fields": ["a", "a"]},
        {"fields": [f"f{i}" for i in range(11)]},
        {"kind": "forever"},
        {"colour": "red"},
    ],
)
def test_a_bad_template_is_refused(client, studio, fields):
    refused = put_template(client, studio, **fields)
    assert refused.status_code in (400, 422), refused.text


def test_bad_answers_are_refused(client, studio):
    put_template(client, studio)
    player, _ = person(client, studio, consent=False)
    assert answer(player, studio, {"turn": "maybe"}).status_code == 422
    assert answer(player, studio, {}).status_code == 422
    assert answer(player, studio, {"nope": "accept"}).json()["code"] == "NO_SUCH_TEMPLATE"
    assert answer(player, studio, {f"t{i}": "accept" for i in range(11)}).status_code == 422
    unprotected = player.post(f"/api/apps/{studio.app_id}/message-subscriptions", json={"answers": {"turn": "accept"}})
    assert unprotected.status_code == 403  # no CSRF token: not the host page asking
    assert player.get(f"/api/apps/{studio.app_id}/message-templates").status_code == 422


def test_templates_declared_in_the_manifest_come_with_each_release(client, platform):
    messages = [
        {"id": "turn", "title": "Your turn", "fields": ["opponent"]},
        {"id": "news", "title": "News", "kind": "long-term"},
    ]
    publish(platform, id="msg-game", messages=messages)
    with platform.db.session() as session:
        declared = {t.id: (t.kind, t.declared_in, t.active) for t in session.query(MessageTemplate)}
    assert declared == {"turn": ("one-time", "manifest", True), "news": ("long-term", "manifest", True)}
    publish(platform, id="msg-game", version="1.1.0", messages=messages[:1])
    with platform.db.session() as session:
        assert session.get(MessageTemplate, ("msg-game", "news")).active is False
    for bad in (
        [{"id": "x", "title": "<b>" * 20}],
        [{"id": "x", "title": "a"}, {"id": "x", "title": "b"}],
        [{"id": "x", "title": "Your \u2066turn\u2069"}],
        [{"id": "x", "title": "Your\u2029turn"}],
    ):
        with pytest.raises(Exception, match=r"title|unique"):
            publish(platform, id="msg-game", version="1.2.0", messages=bad)


def test_sends_are_rate_limited_per_person(client, studio, platform):
    platform.settings.rate_messages_per_person = "2/hour"
    put_template(client, studio, kind="long-term")
    player, openid = person(client, studio, consent=False)
    answer(player, studio, {"turn": "accept"})
    codes = [send(client, studio, openid).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_a_send_queues_one_push_per_browser_and_erasure_forgets_the_person(client, studio, platform):
    put_template(client, studio)
    player, openid = person(client, studio, consent=False)
    answer(player, studio, {"turn": "accept"})
    point = (
        ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    )
    keys = {"p256dh": b64url(point), "auth": b64url(os.urandom(16))}
    on = player.put(
        "/api/push/subscription",
        json={"endpoint": "https://push.example.com/s/1", "keys": keys},
        headers=csrf_of(player),
    )
    assert on.status_code == 200, on.text
    assert player.get("/api/messages/unread").json()["push"] == 1
    sent = send(client, studio, openid).json()["id"]
    with platform.db.session() as session:
        [job] = session.query(Job).filter(Job.kind == "messages.push").all()
    assert job.payload["message_id"] == sent

    mine = player.get("/api/me/data").json()
    assert [m["id"] for m in mine["messages"]] == [sent]
    assert mine["push_subscriptions"][0]["endpoint"] == "https://push.example.com/s/1"
    assert "p256dh" not in mine["push_subscriptions"][0]  # the browser's keys stay out of the download
    deleted = player.post("/api/me/delete", json={"confirm": "DELETE"}, headers=csrf_of(player))
    assert deleted.status_code == 200, deleted.text
    with platform.db.session() as session:
        assert session.query(Message).count() == session.query(MessageGrant).count() == 0
        assert session.query(PushSubscription).count() == 0
    assert client.get(TEMPLATES, headers=bearer(client, studio)).json()["sent"] == 1  # the app's count stays
