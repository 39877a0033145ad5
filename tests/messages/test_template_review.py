"""Templates made through the Open API wait for a reviewer, as versions do: never asked for nor
sent before they are approved; a change to an approved one keeps the approved text in effect
until the change is approved; a rejection says why; only reviewers decide, once each, and each
decision is in the staff audit log. Templates from a released version's minis.json are approved
with it."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from bench.burst import APP_ID
from openminis.catalog.manifest import ManifestMessage
from openminis.messages import templates
from openminis.messages.models import MessageTemplate
from openminis.unit_of_work import unit_of_work
from tests.attacks.test_message_attacks import ADMIN, site  # noqa: F401  # site: the live servers, per database
from tests.concurrency import race
from tests.factories import publish
from tests.social.test_leaderboards import bearer, person
from tests.studio import ADMIN_TOKEN, DevApp, browser, csrf_of, sign_up
from tests.test_audit import staff_member

TEMPLATES = "/openapi/v1/message-templates"
QUEUE = "/api/admin/review/templates"
OPERATOR = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
TURN = {"id": "turn", "title": "Your turn", "fields": ["opponent"], "kind": "one-time"}


def submit(client: TestClient, app: DevApp, **changes: object) -> dict:
    made = client.post(TEMPLATES, json=TURN | changes, headers=bearer(client, app))
    assert made.status_code == 201, made.text
    return made.json()


def decide(client: TestClient, app: DevApp, action: str, template: str = "turn", headers=OPERATOR, **body: object):
    return client.post(f"{QUEUE}/{app.app_id}/{template}/{action}", json=body, headers=headers)


def listed(client: TestClient, app: DevApp) -> dict[str, dict]:
    return {t["id"]: t for t in client.get(TEMPLATES, headers=bearer(client, app)).json()["items"]}


def asked(player: TestClient, app: DevApp, template: str = "turn"):
    return player.get(f"/api/apps/{app.app_id}/message-templates?ids={template}")


def accept(player: TestClient, app: DevApp, template: str = "turn"):
    return player.post(
        f"/api/apps/{app.app_id}/message-subscriptions", json={"answers": {template: "accept"}}, headers=csrf_of(player)
    )


def send(client: TestClient, app: DevApp, openid: str, template: str = "turn"):
    body = {"openid": openid, "template_id": template, "fields": {"opponent": "Ada"}}
    return client.post("/openapi/v1/messages", json=body, headers=bearer(client, app))


def test_a_template_made_through_the_open_api_is_neither_asked_for_nor_sent_until_approved(client, studio):
    made = submit(client, studio)
    assert (made["state"], made["in_effect"], made["revision"]) == ("in_review", False, 1)
    assert made["proposed"] == {"title": "Your turn", "fields": ["opponent"], "kind": "one-time"}
    player, openid = person(client, studio, consent=False)
    for refused in (asked(player, studio), accept(player, studio), send(client, studio, openid)):
        assert (refused.status_code, refused.json()["code"]) == (404, "NO_SUCH_TEMPLATE")
        assert "waiting for review" in refused.json()["message"]  # not "has no message template" (dev52)

    [waiting] = client.get(QUEUE, headers=OPERATOR).json()["items"]
    assert (waiting["app_id"], waiting["app_name"], waiting["developer"]) == (studio.app_id, "Test Game", "Studio One")
    assert (waiting["template"]["proposed"]["title"], waiting["template"]["in_effect"]) == ("Your turn", False)

    approved = decide(client, studio, "approve", note="fine", revision=1)
    assert approved.status_code == 200, approved.text
    assert (approved.json()["template"]["state"], approved.json()["template"]["in_effect"]) == ("approved", True)
    assert approved.json()["template"]["proposed"] is None
    assert client.get(QUEUE, headers=OPERATOR).json()["items"] == []

    assert asked(player, studio).json()["items"] == [{"id": "turn", "title": "Your turn", "kind": "one-time"}]
    assert accept(player, studio).status_code == 200
    assert send(client, studio, openid).status_code == 200

    log = client.get("/api/admin/audit", params={"target_kind": "message_template"}, headers=OPERATOR).json()["items"]
    assert [(e["action"], e["target_id"], e["reason"], e["before"]["state"], e["after"]["state"]) for e in log] == [
        ("approve", f"{studio.app_id}/turn", "fine", "in_review", "approved")
    ]
    assert log[0]["after"]["in_effect"] == {"title": "Your turn", "fields": ["opponent"], "kind": "one-time"}


def test_a_change_keeps_the_approved_text_in_effect_until_it_is_approved(client, studio):
    submit(client, studio)
    assert decide(client, studio, "approve").status_code == 200
    player, openid = person(client, studio, consent=False)
    assert accept(player, studio).status_code == 200
    assert accept(player, studio).status_code == 200

    changed = submit(client, studio, title="Pay now", fields=["amount"], kind="long-term")
    assert (changed["state"], changed["in_effect"], changed["revision"]) == ("in_review", True, 2)
    assert (changed["title"], changed["fields"], changed["kind"]) == ("Your turn", ["opponent"], "one-time")
    assert changed["proposed"] == {"title": "Pay now", "fields": ["amount"], "kind": "long-term"}
    assert submit(client, studio, title="Pay now", fields=["amount"], kind="long-term") == changed  # the same: no-op

    # People are asked for and sent what they agreed to.
    assert asked(player, studio).json()["items"] == [{"id": "turn", "title": "Your turn", "kind": "one-time"}]
    assert send(client, studio, openid).status_code == 200
    assert player.get("/api/messages").json()["items"][0]["title"] == "Your turn"

    # A reviewer who read revision 2 does not approve a text submitted after it.
    submit(client, studio, title="Pay now!", fields=["amount"], kind="long-term")
    stale = decide(client, studio, "approve", revision=2)
    assert (stale.status_code, stale.json()["code"]) == (409, "TEMPLATE_STATE")
    assert decide(client, studio, "approve", revision=3).status_code == 200
    now = listed(client, studio)["turn"]
    assert (now["title"], now["fields"], now["kind"], now["state"], now["proposed"]) == (
        "Pay now!",
        ["amount"],
        "long-term",
        "approved",
        None,
    )
    assert submit(client, studio, title="Pay now!", fields=["amount"], kind="long-term")["revision"] == 3  # no-op
    assert send(client, studio, openid).json()["code"] == "INVALID_ARGUMENT"  # its fields are now `amount`


def test_the_approved_text_again_withdraws_the_change_waiting(client, studio):
    submit(client, studio)
    decide(client, studio, "approve")
    assert submit(client, studio, title="Other")["state"] == "in_review"
    back = submit(client, studio)
    assert (back["state"], back["proposed"], back["title"]) == ("approved", None, "Your turn")
    assert client.get(QUEUE, headers=OPERATOR).json()["items"] == []
    gone = decide(client, studio, "approve")
    assert (gone.status_code, gone.json()["code"]) == (409, "TEMPLATE_STATE")


def test_a_rejection_says_why_and_the_developer_reads_it(client, studio):
    submit(client, studio)
    for note in ("", "  no "):
        unsaid = decide(client, studio, "reject", note=note)
        assert (unsaid.status_code, unsaid.json()["field"]) == (422, "note"), unsaid.text
    rejected = decide(client, studio, "reject", note="Titles say what the message is about")
    assert rejected.status_code == 200, rejected.text
    assert (rejected.json()["template"]["state"], rejected.json()["template"]["in_effect"]) == ("rejected", False)

    seen = listed(client, studio)["turn"]
    assert (seen["state"], seen["review_note"]) == ("rejected", "Titles say what the message is about")
    console = studio.developer.get(f"/api/developer/apps/{studio.app_id}/message-templates")
    assert console.json()["items"][0]["review_note"] == "Titles say what the message is about"
    player, openid = person(client, studio, consent=False)
    assert send(client, studio, openid).json()["code"] == "NO_SUCH_TEMPLATE"
    assert asked(player, studio).status_code == 404

    assert submit(client, studio)["state"] == "rejected"  # the same text again: still refused
    again = submit(client, studio, title="Your turn in Chess")
    assert (again["state"], again["review_note"], again["revision"]) == ("in_review", "", 2)

    # A refused change of an approved template leaves the approved text in effect.
    assert decide(client, studio, "approve").status_code == 200
    submit(client, studio, title="FREE COINS")
    decide(client, studio, "reject", note="misleading")
    after = listed(client, studio)["turn"]
    assert (after["state"], after["title"], after["proposed"]["title"]) == (
        "rejected",
        "Your turn in Chess",
        "FREE COINS",
    )
    assert asked(player, studio).json()["items"][0]["title"] == "Your turn in Chess"


def test_only_reviewers_decide(client, studio):
    submit(client, studio)
    stranger = browser(client)
    headers = sign_up(stranger, "someone@example.com")
    moderator, moderator_headers = staff_member(client, "mod@example.com", "moderator")
    for who, their_headers in ((stranger, headers), (studio.developer, studio.headers), (moderator, moderator_headers)):
        assert who.get(QUEUE).status_code == 403
        refused = who.post(f"{QUEUE}/{studio.app_id}/turn/approve", json={}, headers=their_headers)
        assert refused.status_code == 403, refused.text
    assert browser(client).get(QUEUE).status_code == 401
    assert listed(client, studio)["turn"]["state"] == "in_review"

    reviewer, reviewer_headers = staff_member(client, "rev@example.com", "reviewer")
    assert reviewer.get(QUEUE).json()["items"][0]["template"]["id"] == "turn"
    unprotected = reviewer.post(f"{QUEUE}/{studio.app_id}/turn/approve", json={})
    assert unprotected.json()["code"] == "CSRF_FAILED"
    approved = reviewer.post(f"{QUEUE}/{studio.app_id}/turn/approve", json={}, headers=reviewer_headers)
    assert approved.status_code == 200, approved.text
    log = client.get("/api/admin/audit", params={"target_id": f"{studio.app_id}/turn"}, headers=OPERATOR).json()
    assert [e["actor"] for e in log["items"]] == ["staff:rev@example.com (reviewer)"]


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        (f"{QUEUE}/dev-game/no-such/approve", {}, 404),
        (f"{QUEUE}/no-such-app/turn/approve", {}, 404),
        (f"{QUEUE}/{'a' * 41}/turn/approve", {}, 422),
        (f"{QUEUE}/dev-game/{'t' * 65}/reject", {"note": "why not"}, 422),
        (f"{QUEUE}/dev-game/turn/approve", {"revision": -1}, 422),
        (f"{QUEUE}/dev-game/turn/approve", {"note": "x" * 2001}, 422),
        (f"{QUEUE}/dev-game/turn/approve", {"extra": 1}, 422),
        (f"{QUEUE}/dev-game/turn/publish", {}, 404),
    ],
)
def test_bad_ids_and_bodies_are_refused(client, studio, path, body, status):
    submit(client, studio)
    refused = client.post(path, json=body, headers=OPERATOR)
    assert refused.status_code == status, refused.text
    assert listed(client, studio)["turn"]["state"] == "in_review"


def test_templates_from_a_released_manifest_are_approved_with_it_and_a_change_waiting_stays(client, platform):
    publish(platform, id="msg-game", messages=[{"id": "turn", "title": "Your turn"}])
    with unit_of_work(platform.db) as session:
        template = session.get(MessageTemplate, ("msg-game", "turn"))
        assert (template.state, template.approved_at is not None, template.declared_in) == (
            "approved",
            True,
            "manifest",
        )
        templates.propose_template(session, "msg-game", ManifestMessage(id="turn", title="Changed"))
    publish(platform, id="msg-game", version="1.1.0", messages=[{"id": "turn", "title": "Your turn"}])
    with platform.db.session() as session:
        template = session.get(MessageTemplate, ("msg-game", "turn"))
        assert (template.state, template.title, template.proposed_title) == ("in_review", "Your turn", "Changed")
    [waiting] = client.get(QUEUE, headers=OPERATOR).json()["items"]
    assert (waiting["app_id"], waiting["template"]["in_effect"]) == ("msg-game", True)


def test_two_reviewers_deciding_at_once_make_one_decision(site):  # noqa: F811  # the imported fixture
    """Eight decisions on one template at once on a live server, approvals and rejections: exactly
    one is made, the others are told 409."""
    url = site.server.url
    made = httpx.post(f"{url}{TEMPLATES}", json=TURN | {"id": "race"}, headers=site.ours, timeout=30)
    assert made.json()["state"] == "in_review", made.text

    def attempt(worker: int, n: int) -> str:
        action, body = ("approve", {}) if worker % 2 else ("reject", {"note": "not this one"})
        answer = httpx.post(
            f"{url}{QUEUE}/{APP_ID}/race/{action}", json=body, headers={"Authorization": f"Bearer {ADMIN}"}, timeout=60
        )
        return f"{answer.status_code} {answer.json().get('code', action)}"

    outcomes = race(8, 1, attempt)
    print(f"\n8 decisions at once on one template: {dict(outcomes)}")
    assert sum(count for outcome, count in outcomes.items() if outcome.startswith("200")) == 1
    assert outcomes["409 TEMPLATE_STATE"] == 7
    log = httpx.get(
        f"{url}/api/admin/audit",
        params={"target_id": f"{APP_ID}/race"},
        headers={"Authorization": f"Bearer {ADMIN}"},
        timeout=30,
    )
    assert len(log.json()["items"]) == 1
