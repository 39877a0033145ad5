"""The per-person limit on messages (``MINIS_RATE_MESSAGES_PER_PERSON``) counts the messages a person
was sent: a send refused (no grant, bad fields) spends none of it.

A probe: 7 refused sends (422 and 403) to one person spent their budget of 30 an hour; of 50 sends
at once on one one-time grant, 1 was delivered, 22 were NO_GRANT and 27 RATE_LIMITED. An app that
retries a NO_GRANT send burnt the person's budget for its later, allowed, messages."""

from __future__ import annotations

from tests.messages.test_messages import answer, put_template, send
from tests.social.test_leaderboards import person


def test_refused_sends_do_not_count_against_the_persons_limit(client, studio, platform):
    platform.settings.rate_messages_per_person = "2/hour"
    put_template(client, studio, kind="long-term")
    player, openid = person(client, studio, consent=False)
    refused = [send(client, studio, openid).json()["code"] for _ in range(5)]  # not allowed yet
    assert refused == ["NO_GRANT"] * 5
    answer(player, studio, {"turn": "accept"})
    invalid = [send(client, studio, openid, fields={}).status_code for _ in range(3)]
    assert invalid == [422] * 3

    codes = [send(client, studio, openid).status_code for _ in range(3)]
    assert codes == [200, 200, 429]  # the limit still holds on what was sent
    assert len(player.get("/api/messages").json()["items"]) == 2


def test_a_send_over_the_limit_is_not_delivered_and_keeps_the_grant(client, studio, platform):
    platform.settings.rate_messages_per_person = "1/hour"
    put_template(client, studio)
    player, openid = person(client, studio, consent=False)
    answer(player, studio, {"turn": "accept"})
    answer(player, studio, {"turn": "accept"})
    assert send(client, studio, openid).status_code == 200
    over = send(client, studio, openid)
    assert (over.status_code, over.json()["code"]) == (429, "RATE_LIMITED")
    assert len(player.get("/api/messages").json()["items"]) == 1
    [grant] = [g for g in player.get("/api/messages/grants").json()["items"] if g["template_id"] == "turn"]
    assert grant["one_time"] == 1  # the refused send spent nothing
