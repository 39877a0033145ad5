"""Any signed-in person can become a creator, under a handle of their own."""

from __future__ import annotations

import pytest

from tests.creators.conftest import make_creator
from tests.studio import browser, csrf_of, sign_up


def test_a_guest_must_sign_in_before_becoming_a_creator(client, csrf):
    refused = client.post("/api/creator", json={"handle": "guesty", "display_name": "Guest"}, headers=csrf)
    assert refused.status_code == 403 and refused.json()["code"] == "SIGN_IN_REQUIRED"
    assert client.get("/api/creator").json()["code"] == "NOT_A_CREATOR"


def test_a_signed_in_person_becomes_a_creator_and_edits_the_profile_later(client):
    person = browser(client)
    headers = sign_up(person, "maker@example.com")
    assert person.get("/api/creator").status_code == 404
    # What Me asks on each visit: not being a creator is an answer, not a failed request.
    assert person.get("/api/me/creator").json() == {"creator": None}
    made = person.post(
        "/api/creator",
        json={"handle": "Maker_1", "display_name": "  The   Maker ", "bio": "I make things."},
        headers=headers,
    )
    assert made.status_code == 200, made.text
    me = person.get("/api/me").json()["user"]
    assert made.json() == {
        "user_id": me["id"],
        "handle": "maker_1",
        "display_name": "The Maker",
        "bio": "I make things.",
        "avatar_url": f"/api/avatars/{me['id']}.svg",
    }
    edited = person.post(
        "/api/creator", json={"handle": "maker_1", "display_name": "Maker", "bio": ""}, headers=headers
    )
    assert (edited.json()["display_name"], edited.json()["bio"]) == ("Maker", "")
    assert person.get("/api/creator").json() == edited.json()
    assert person.get("/api/me/creator").json() == {"creator": edited.json()}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"handle": "ab", "display_name": "Short"}, "handle"),
        ({"handle": "has space", "display_name": "Space"}, "handle"),
        ({"handle": "dash-ed", "display_name": "Dash"}, "handle"),
        ({"handle": "x" * 33, "display_name": "Long"}, "handle"),
        ({"handle": "fine_name", "display_name": "   "}, "display_name"),
        ({"handle": "fine_name", "display_name": "n" * 61}, "display_name"),
        ({"handle": "fine_name", "display_name": "Bio", "bio": "b" * 201}, "bio"),
        ({"handle": "fine_name", "display_name": "Bell\x07"}, "display_name"),
    ],
)
def test_handles_names_and_bios_follow_the_rules(client, body, field):
    person = browser(client)
    headers = sign_up(person, "rules@example.com")
    refused = person.post("/api/creator", json=body, headers=headers)
    assert refused.status_code == 422 and refused.json()["field"] == field
    assert person.get("/api/creator").status_code == 404


def test_a_name_and_bio_at_their_limits_are_counted_without_the_spaces_around_them(client):
    """The schema counted them with the spaces the service takes off: a 200-character bio typed with
    a newline after it was refused (attack54b)."""
    person = browser(client)
    headers = sign_up(person, "limits@example.com")
    body = {"handle": "at_limits", "display_name": " " + "n" * 60 + " ", "bio": "b" * 200 + "\n"}
    made = person.post("/api/creator", json=body, headers=headers)
    assert made.status_code == 200, made.text
    assert (len(made.json()["display_name"]), made.json()["bio"]) == (60, "b" * 200)


def test_a_handle_belongs_to_one_creator(client):
    make_creator(client, "taken_one")
    other = browser(client)
    headers = sign_up(other, "second@example.com")
    refused = other.post("/api/creator", json={"handle": "taken_one", "display_name": "Copycat"}, headers=headers)
    assert refused.status_code == 409 and refused.json()["code"] == "HANDLE_TAKEN"


def test_becoming_a_creator_needs_the_csrf_token(client):
    person = browser(client)
    sign_up(person, "nocsrf@example.com")
    refused = person.post("/api/creator", json={"handle": "nocsrf", "display_name": "No"})
    assert refused.status_code == 403 and refused.json()["code"] == "CSRF_FAILED"
    assert csrf_of(person)  # the session itself is fine
