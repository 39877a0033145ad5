"""Reports: a reason from the fixed list, short optional text, one open report per person per item,
a limit per person. Only moderators see the queue and act; owners read why and appeal once per
takedown; every staff act is in the audit log with the item before and after."""

from __future__ import annotations

import time

import pytest

from tests.moderation.conftest import make_creator, report, restore, staff_member, take_down
from tests.studio import ADMIN_TOKEN, browser, csrf_of, sign_up

OPERATOR = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def mailed(client, to: str, subject_has: str) -> str:
    """The text of the mail to ``to`` whose subject has ``subject_has``: notices go out on a
    thread of their own once the moderator's act committed."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for message in client.app.platform.mailbox.outbox:
            if message["To"] == to and subject_has in message["Subject"]:
                return message.get_content()
        time.sleep(0.02)
    raise AssertionError(f"nothing mailed to {to} about {subject_has!r}")


def queue(moderator, view: str = "reports") -> list[dict]:
    answer = moderator.browser.get("/api/admin/moderation/queue", params={"view": view})
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def appeal(person, kind: str, item_id: str, text: str = "It was a parody."):
    return person.post(
        "/api/moderation/appeals", json={"kind": kind, "id": item_id, "text": text}, headers=csrf_of(person)
    )


def test_reports_gather_in_the_queue_one_per_person_per_item(client, post_id, game, moderator):
    first, second = browser(client), browser(client)
    assert report(first, "post", post_id, "spam").status_code == 201
    assert report(first, "post", post_id, "hate", "changed my mind: it is hateful").status_code == 201  # updates
    assert report(second, "post", post_id, "hate").status_code == 201
    assert report(second, "app", game, "scam_or_fraud").status_code == 201

    items = queue(moderator)
    assert [(i["item"]["kind"], i["open_reports"], i["reasons"]) for i in items] == [
        ("post", 2, {"hate": 2}),
        ("app", 1, {"scam_or_fraud": 1}),
    ]
    assert {r["text"] for r in items[0]["reports"]} == {"changed my mind: it is hateful", ""}
    assert items[0]["item"]["subtitle"] == "@tester"

    dismissed = moderator.post(f"/api/admin/moderation/items/app/{game}/dismiss", {"note": "a real game"})
    assert dismissed.status_code == 200, dismissed.text
    assert [i["item"]["kind"] for i in queue(moderator)] == ["post"]
    assert dismissed.json()["history"][0]["action"] == "dismiss_reports"
    assert report(second, "app", game, "spam").status_code == 201  # a closed report leaves room for a new one


def test_a_persons_reports_are_in_their_data_and_their_words_go_with_their_account(client, post_id, moderator):
    person = browser(client)
    headers = sign_up(person, "reporter@example.com")
    assert report(person, "post", post_id, "hate", "my neighbour Ann Smith posted this").status_code == 201
    assert [(r["reason"], r["text"]) for r in person.get("/api/me/data").json()["reports"]] == [
        ("hate", "my neighbour Ann Smith posted this")
    ]
    assert person.post("/api/me/delete", json={"confirm": "DELETE"}, headers=headers).status_code == 200
    # The report still counts in the queue; what the person wrote is gone.
    [item] = queue(moderator)
    assert (item["open_reports"], [r["text"] for r in item["reports"]]) == (1, [""])


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "post", "reason": "boring"},
        {"kind": "planet", "reason": "spam"},
        {"kind": "post", "reason": "spam", "text": "x" * 1001},
        {"kind": "post", "reason": "spam", "id": "../../etc"},
        {"kind": "post", "reason": "spam", "text": "bell\x07"},
        # Read reversed by a moderator (ops56): overrides, embeddings and isolates are refused.
        {"kind": "post", "reason": "spam", "text": "refund \u202enoisses\u202c now"},
        {"kind": "post", "reason": "spam", "text": "\u2067isolated\u2069"},
    ],
)
def test_a_report_names_a_known_reason_and_kind_with_short_text(client, post_id, body):
    person = browser(client)
    answer = person.post("/api/reports", json={"id": post_id, **body}, headers=csrf_of(person))
    assert answer.status_code in (400, 422), answer.text


def test_what_cannot_be_seen_cannot_be_reported(client, drama, moderator, post_id, creator):
    person = browser(client)
    assert report(person, "series", drama["draft_id"]).status_code == 404
    assert report(person, "episode", f"{drama['series_id']}:9").status_code == 404
    assert report(person, "creator", "nobody").status_code == 404
    assert report(creator.browser, "post", post_id).status_code == 422  # one's own
    assert take_down(moderator, "post", post_id).status_code == 200
    assert report(person, "post", post_id).status_code == 404


def test_reporting_is_limited_per_person(tmp_path, settings, monkeypatch, client, post_id):
    client.app.platform.settings.rate_reports_per_person = "2/hour"
    person = browser(client)
    assert report(person, "post", post_id).status_code == 201
    assert report(person, "post", post_id, "hate").status_code == 201
    refused = report(person, "post", post_id, "violence")
    assert refused.status_code == 429 and "retry-after" in refused.headers
    assert report(browser(client), "post", post_id).status_code == 201  # someone else may


def test_only_moderators_see_the_queue_and_act(client, post_id):
    reviewer = staff_member(client, "rev@example.com", "reviewer")
    person = browser(client)
    assert browser(client).get("/api/admin/moderation/queue").status_code == 401  # no session at all
    for who, status in ((reviewer, 403), (None, 403)):  # a reviewer; a person (a guest)
        getter = who.browser if who else person
        headers = who.headers if who else csrf_of(person)
        assert getter.get("/api/admin/moderation/queue").status_code == status
        taken = getter.post(
            f"/api/admin/moderation/items/post/{post_id}/takedown", json={"reason": "spam"}, headers=headers
        )
        assert taken.status_code == status
    assert browser(client).get(f"/api/posts/{post_id}").status_code == 200
    # The operator's automation may, with the admin token; so may a moderator, without a CSRF token not.
    moderator = staff_member(client, "mod@example.com", "moderator")
    bare = moderator.browser.post(f"/api/admin/moderation/items/post/{post_id}/takedown", json={"reason": "spam"})
    assert (bare.status_code, bare.json()["code"]) == (403, "CSRF_FAILED")
    with_token = client.post(
        f"/api/admin/moderation/items/post/{post_id}/takedown", json={"reason": "spam"}, headers=OPERATOR
    )
    assert with_token.status_code == 200
    assert with_token.json()["takedown"]["actor"] == "operator (admin token)"


def test_moderators_inputs_are_checked(client, post_id, moderator):
    assert take_down(moderator, "post", post_id, "because").status_code == 422
    assert take_down(moderator, "post", post_id, note="n" * 1001).status_code == 422
    assert take_down(moderator, "planet", post_id).status_code == 422
    assert take_down(moderator, "post", "pst_missing").status_code == 404
    assert take_down(moderator, "episode", "no-number").status_code == 404
    assert restore(moderator, "post", post_id).status_code == 409  # not taken down
    assert take_down(moderator, "post", post_id).status_code == 200
    assert take_down(moderator, "post", post_id).status_code == 409  # already
    assert moderator.post("/api/admin/moderation/appeals/999/answer", {"grant": True}).status_code == 404
    assert moderator.browser.get("/api/admin/moderation/queue", params={"view": "all"}).status_code == 422


def test_the_owner_appeals_once_per_takedown_and_a_granted_appeal_restores(client, post_id, creator, moderator):
    assert take_down(moderator, "post", post_id, "hate", "Slurs in the caption.").status_code == 200
    told = mailed(client, "tester@example.com", "was taken down")
    assert "Reason: hate." in told and "Slurs in the caption." in told and "appeal once" in told
    stranger = make_creator(client, "stranger")
    assert appeal(stranger.browser, "post", post_id).status_code == 404  # only the owner
    made = appeal(creator.browser, "post", post_id)
    assert made.status_code == 201, made.text
    again = appeal(creator.browser, "post", post_id, "Please look again.")
    assert (again.status_code, again.json()["code"]) == (409, "APPEAL_EXISTS")
    mine = creator.browser.get("/api/moderation/takedowns").json()["items"][0]
    assert mine["appeal"]["status"] == "open" and mine["may_appeal"] is False

    waiting = queue(moderator, "appeals")
    assert [(i["item"]["id"], i["appeals"][0]["text"]) for i in waiting] == [(post_id, "It was a parody.")]
    appeal_id = waiting[0]["appeals"][0]["id"]
    assert moderator.post(f"/api/admin/moderation/appeals/{appeal_id}/answer", {"grant": False}).status_code == 422
    denied = moderator.post(
        f"/api/admin/moderation/appeals/{appeal_id}/answer", {"grant": False, "answer": "The slur is not parody."}
    )
    assert denied.status_code == 200, denied.text
    mine = creator.browser.get("/api/moderation/takedowns").json()["items"][0]
    assert (mine["appeal"]["status"], mine["appeal"]["answer"]) == ("denied", "The slur is not parody.")
    answered = moderator.post(f"/api/admin/moderation/appeals/{appeal_id}/answer", {"grant": True})
    assert (answered.status_code, answered.json()["code"]) == (409, "APPEAL_ANSWERED")

    # Restored, then taken down again: a new takedown, a new appeal, granted this time.
    assert restore(moderator, "post", post_id).status_code == 200
    assert "restored your post" in mailed(client, "tester@example.com", "is back")
    assert take_down(moderator, "post", post_id, "spam").status_code == 200
    second = appeal(creator.browser, "post", post_id, "It is not spam.")
    assert second.status_code == 201
    granted = moderator.post(f"/api/admin/moderation/appeals/{second.json()['id']}/answer", {"grant": True})
    assert granted.status_code == 200, granted.text
    assert granted.json()["takedown"]["down"] is False
    assert browser(client).get(f"/api/posts/{post_id}").status_code == 200


def test_every_staff_act_is_in_the_audit_log_with_before_and_after(client, post_id, moderator):
    assert report(browser(client), "post", post_id, "spam").status_code == 201
    assert take_down(moderator, "post", post_id, "spam", "Link farm.").status_code == 200
    assert restore(moderator, "post", post_id, "The link is fine.").status_code == 200
    log = client.get("/api/admin/audit", params={"target_id": post_id}, headers=OPERATOR).json()["items"]
    assert [(e["actor"], e["action"], e["reason"], e["before"], e["after"]) for e in log] == [
        (
            "staff:mod@example.com (moderator)",
            "restore",
            "The link is fine.",
            {"status": "removed", "down": True, "reason": "spam"},
            {"down": False, "appeal": None},
        ),
        (
            "staff:mod@example.com (moderator)",
            "takedown",
            "spam: Link farm.",
            {"status": "ready", "down": False},
            {"down": True, "reason": "spam", "note": "Link farm.", "reports_closed": 1},
        ),
    ]
    assert moderator.browser.get("/api/admin/audit").status_code == 403  # moderating is not auditing


def test_reporters_learn_what_became_of_their_reports_and_nothing_of_others(client, creator, post_id, game, moderator):
    """A report is not sent into the void: the person's list shows each report, newest first, with
    its outcome (open, taken_down, dismissed) and what they reported as it is called now. What the
    moderator wrote stays between them and the owner; one person never sees another's reports."""
    person, other = browser(client), browser(client)
    assert report(person, "post", post_id, "spam").status_code == 201
    assert report(person, "app", game, "scam_or_fraud").status_code == 201
    assert report(other, "app", game, "spam").status_code == 201
    mine = person.get("/api/reports").json()["items"]
    assert [(r["kind"], r["id"], r["reason"], r["outcome"], r["closed_at"]) for r in mine] == [
        ("app", game, "scam_or_fraud", "open", None),
        ("post", post_id, "spam", "open", None),
    ]

    assert take_down(moderator, "post", post_id, "spam", note="third strike for this account").status_code == 200
    assert moderator.post(f"/api/admin/moderation/items/app/{game}/dismiss", {"note": "a real game"}).status_code == 200
    assert report(person, "app", game, "other", "it asks for my password").status_code == 201  # a new one

    mine = person.get("/api/reports").json()["items"]
    assert [(r["kind"], r["title"], r["reason"], r["outcome"]) for r in mine] == [
        ("app", "Tile Game", "other", "open"),
        ("app", "Tile Game", "scam_or_fraud", "dismissed"),
        ("post", "Try this", "spam", "taken_down"),  # taken down, still named for the one who reported it
    ]
    assert all(r["closed_at"] is not None for r in mine[1:])
    assert "third strike" not in str(mine) and "a real game" not in str(mine)
    assert [r["reason"] for r in other.get("/api/reports").json()["items"]] == ["spam"]
    assert browser(client).get("/api/reports").json() == {"items": []}

    # Put back (as a granted appeal does): its reporter reads so, not "removed".
    assert restore(moderator, "post", post_id, note="on second thought").status_code == 200
    assert [(r["kind"], r["outcome"]) for r in person.get("/api/reports").json()["items"]][-1] == ("post", "restored")

    # The creator deletes the post: the report stays, with nothing left to name.
    assert creator.browser.delete(f"/api/creator/posts/{post_id}", headers=creator.headers).status_code == 200
    assert [(r["kind"], r["title"]) for r in person.get("/api/reports").json()["items"]][-1] == ("post", None)


def test_a_reported_item_its_owner_deleted_stays_in_the_queue_as_gone_and_its_reports_can_be_dismissed(
    client, creator, post_id, game, moderator
):
    """Deleted while reported, a post made the whole queue answer 404 (it led the queue, the most
    reported first), and its reports could never be closed (a probe)."""
    for person in (browser(client), browser(client)):
        assert report(person, "post", post_id, "hate").status_code == 201
    assert report(browser(client), "app", game, "spam").status_code == 201
    assert creator.browser.delete(f"/api/creator/posts/{post_id}", headers=creator.headers).status_code == 200

    items = queue(moderator)
    assert [(i["item"]["kind"], i["item"]["title"], i["item"]["visible"], i["open_reports"]) for i in items] == [
        ("post", "Deleted by its owner", False, 2),
        ("app", "Tile Game", True, 1),
    ]
    assert moderator.browser.get(f"/api/admin/moderation/items/post/{post_id}").status_code == 200
    assert take_down(moderator, "post", post_id).status_code == 404  # nothing left to take down
    dismissed = moderator.post(f"/api/admin/moderation/items/post/{post_id}/dismiss", {"note": "gone"})
    assert dismissed.status_code == 200, dismissed.text
    assert [i["item"]["kind"] for i in queue(moderator)] == ["app"]
    # An id nothing was ever recorded for is no item at all.
    assert moderator.browser.get("/api/admin/moderation/items/post/pst_nothing_here").status_code == 404
