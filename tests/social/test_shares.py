"""minis.share: a link that opens the app for anyone, carrying the sharer's payload and putting its
openers in the sharer's context; and the launch scenes every launch records, which the funnel
groups by."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import pytest

from openminis.analytics.funnel import funnel
from openminis.events.store import DuckDBEventStore
from openminis.social import api as social_api
from openminis.web import limits
from tests.studio import browser, csrf_of, login_code


def launch(player, app_id: str, source: str, **fields):
    body = {"launch_id": secrets.token_hex(16), "app_id": app_id, "source": source, **fields}
    return player.post("/api/launches", json=body, headers=csrf_of(player))


def test_a_shared_link_opens_the_app_with_the_payload_in_the_sharers_context(client, studio):
    sharer, friend = browser(client), browser(client)
    made = sharer.post(
        f"/api/apps/{studio.app_id}/shares",
        json={"title": "Beat my 120", "query": {"level": "3", "seed": "abc"}},
        headers=csrf_of(sharer),
    )
    assert made.status_code == 201, made.text
    token, context = made.json()["token"], made.json()["context"]
    assert made.json()["url"].endswith(f"/play/{studio.app_id}?share={token}")

    opened = launch(friend, studio.app_id, "share", share=token)
    assert opened.status_code == 200, opened.text
    answer = opened.json()
    assert (answer["query"], answer["context"]) == ({"level": "3", "seed": "abc"}, context)
    # The referrer is the sharer as the app's backend knows them.
    sharer_openid = studio.backend(client).code2session(login_code(sharer, studio.app_id))["openid"]
    assert answer["referrer"] == sharer_openid
    seen = friend.get(f"/api/apps/{studio.app_id}/contexts/{context}").json()
    assert (seen["type"], seen["members"]) == ("share", 2)

    # A share from inside the context carries it on: whoever opens that one joins the same people.
    again = friend.post(
        f"/api/apps/{studio.app_id}/shares", json={"title": "Join us", "context": context}, headers=csrf_of(friend)
    ).json()
    assert again["context"] == context
    third = browser(client)
    assert launch(third, studio.app_id, "share", share=again["token"]).json()["context"] == context
    assert third.get(f"/api/apps/{studio.app_id}/contexts/{context}").json()["members"] == 3
    # Someone outside it sees nothing of it.
    assert browser(client).get(f"/api/apps/{studio.app_id}/contexts/{context}").json()["code"] == "NO_SUCH_CONTEXT"
    # Its QR code is drawn by the platform.
    qr = sharer.get(f"/api/apps/{studio.app_id}/shares/{token}/qr.svg")
    assert qr.headers["content-type"].startswith("image/svg+xml") and b"<svg" in qr.content


@pytest.mark.parametrize(
    "body",
    [
        {"title": "x", "query": {"level": 3}},
        {"title": "x", "query": {"bad key": "1"}},
        {"title": "x", "query": {f"k{n}": "v" for n in range(17)}},
        {"title": "x", "query": {"big": "y" * 2000}},
        {"title": "", "query": {}},
        {"title": "x", "image": "/etc/passwd.png"},
        {"title": "x", "image": "../secret.png"},
        {"title": "x", "context": "f" * 20},
        {"title": "x", "colour": "red"},
    ],
)
def test_a_bad_share_is_refused(client, studio, body):
    sharer = browser(client)
    refused = sharer.post(f"/api/apps/{studio.app_id}/shares", json=body, headers=csrf_of(sharer))
    assert refused.status_code in (404, 422), refused.text


def test_every_launch_records_its_scene_and_an_unknown_one_is_refused(client, studio):
    player = browser(client)
    for scene in ("other_app", "home_screen", "favourites", "subscribe_message"):
        assert launch(player, studio.app_id, scene).status_code == 200, scene
    refused = launch(player, studio.app_id, "telepathy")
    assert (refused.status_code, refused.json()["field"]) == (422, "source")
    assert launch(player, studio.app_id, "share", share="0" * 24).status_code == 404
    scenes = client.get(
        "/openapi/v1/launches", headers={"Authorization": f"Bearer {studio.backend(client).access_token()}"}
    ).json()["items"]
    assert [item["source"] for item in scenes][:4] == ["subscribe_message", "favourites", "home_screen", "other_app"]


def test_the_funnel_groups_by_scene(tmp_path):
    store = DuckDBEventStore(tmp_path / "events.duckdb")
    at = datetime(2026, 11, 4, tzinfo=UTC)
    columns = ("type", "app_id", "user_id", "source", "ts", "received_at")
    rows = [
        ("launch", "a", "u1", "share", at, at),
        ("launch", "a", "u2", "share", at, at),
        ("launch", "a", "u3", "other_app", at, at),
    ]
    store.append(rows, columns)
    try:
        report = funnel(
            store,
            app_id="a",
            start=datetime(2026, 11, 1, tzinfo=UTC),
            end=datetime(2026, 11, 8, tzinfo=UTC),
            by="scene",
        )
        assert sorted((line.key, line.launch) for line in report.lines) == [("other_app", 1), ("share", 2)]
    finally:
        store.close()


def test_a_persons_scores_contexts_and_shares_are_in_their_data_and_go_with_their_account(client, studio):
    bearer = {"Authorization": f"Bearer {studio.backend(client).access_token()}"}
    client.put("/openapi/v1/leaderboards/stars", json={"client_scores": True}, headers=bearer)
    player, friend = browser(client), browser(client)
    headers = csrf_of(player)
    url = f"/api/apps/{studio.app_id}"
    assert player.post(f"{url}/leaderboards/stars/scores", json={"score": 77}, headers=headers).status_code == 200
    made = player.post(f"{url}/shares", json={"title": "Come", "query": {"a": "b"}}, headers=headers).json()
    launch(friend, studio.app_id, "share", share=made["token"])

    data = player.get("/api/me/data").json()
    assert [(s["board_id"], s["score"]) for s in data["leaderboard_scores"]] == [("stars", 77)]
    assert [c["context_id"] for c in data["contexts"]] == [made["context"]]
    assert [(s["token"], s["query"]) for s in data["shares"]] == [(made["token"], {"a": "b"})]

    assert player.post("/api/me/delete", json={"confirm": "DELETE"}, headers=headers).status_code == 200
    assert friend.get(f"{url}/leaderboards/stars/entries").json()["players"] == 0
    assert friend.get(f"{url}/contexts/{made['context']}").json()["members"] == 1
    assert launch(browser(client), studio.app_id, "share", share=made["token"]).status_code == 404


def test_a_share_title_that_would_reorder_the_hosts_words_is_refused(client, studio):
    """The title is the big line of the host's share sheet: a bidi override in it read the host's
    note after it backwards (a probe)."""
    sharer = browser(client)
    made = sharer.post(f"/api/apps/{studio.app_id}/shares", json={"title": "Beat me\u202e"}, headers=csrf_of(sharer))
    assert made.status_code == 422 and made.json()["field"] == "title", made.text


def test_a_person_makes_at_most_the_limit_of_share_links_in_an_app(client, studio):
    """Each link is a row kept for its openers: an attack made 280 in 15 s from one guest (only the
    host's generic limit per route held it back). A person shares a few times an hour."""
    sharer = browser(client)
    most = limits.rate(social_api.SHARES_PER_PERSON).limit

    def share():
        return sharer.post(f"/api/apps/{studio.app_id}/shares", json={"title": "Beat me"}, headers=csrf_of(sharer))

    assert [share().status_code for _ in range(most)] == [201] * most
    refused = share()
    assert (refused.status_code, refused.json()["code"]) == (429, "RATE_LIMITED")
    assert "retry-after" in refused.headers
    other = browser(client)
    made = other.post(f"/api/apps/{studio.app_id}/shares", json={"title": "Me too"}, headers=csrf_of(other))
    assert made.status_code == 201  # someone else still can


def test_a_launch_sent_again_naming_another_apps_share_opens_no_share(client, studio):
    """A launch sent again returns its first record; the share it named the second time was opened
    whatever app it was for: the app got another app's payload, context and a referrer, and the
    person joined that context without ever launching the app (social56)."""
    made = studio.developer.post(
        "/api/developer/apps", json={"app_id": "tower-two", "name": "Tower Two", "kind": "game"}, headers=studio.headers
    )
    assert made.status_code == 201, made.text
    sharer, friend = browser(client), browser(client)
    share = sharer.post(
        "/api/apps/tower-two/shares", json={"title": "hi", "query": {"k": "0"}}, headers=csrf_of(sharer)
    )
    token, context = share.json()["token"], share.json()["context"]
    refused = launch(friend, studio.app_id, "share", share=token)
    assert refused.status_code == 422, refused.text

    launch_id = secrets.token_hex(16)
    body = {"launch_id": launch_id, "app_id": studio.app_id, "source": "direct"}
    assert friend.post("/api/launches", json=body, headers=csrf_of(friend)).status_code == 200
    again = friend.post("/api/launches", json=body | {"source": "share", "share": token}, headers=csrf_of(friend))
    assert again.status_code == 200, again.text
    assert (again.json()["query"], again.json()["context"], again.json()["referrer"]) == ({}, None, None)
    assert friend.get(f"/api/apps/tower-two/contexts/{context}").json()["code"] == "NO_SUCH_CONTEXT"

    # Sent again with another share of the same sharer in the same app, a second payload and
    # context were opened (attack56b): only the share whose context the person joined is.
    first = sharer.post(
        f"/api/apps/{studio.app_id}/shares", json={"title": "a", "query": {"k": "A"}}, headers=csrf_of(sharer)
    )
    other = sharer.post(
        f"/api/apps/{studio.app_id}/shares", json={"title": "b", "query": {"k": "B"}}, headers=csrf_of(sharer)
    )
    shared = {"launch_id": secrets.token_hex(16), "app_id": studio.app_id, "source": "share"}
    opened = friend.post("/api/launches", json=shared | {"share": first.json()["token"]}, headers=csrf_of(friend))
    assert opened.json()["query"] == {"k": "A"}
    swapped = friend.post("/api/launches", json=shared | {"share": other.json()["token"]}, headers=csrf_of(friend))
    assert (swapped.json()["query"], swapped.json()["context"]) == ({}, None), swapped.text
    context_b = other.json()["context"]
    assert friend.get(f"/api/apps/{studio.app_id}/contexts/{context_b}").json()["code"] == "NO_SUCH_CONTEXT"
    retried = friend.post("/api/launches", json=shared | {"share": first.json()["token"]}, headers=csrf_of(friend))
    assert retried.json()["query"] == {"k": "A"}  # the same launch sent again answers as the first
