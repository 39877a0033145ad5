"""A refused field is told in words a person reads, naming the field, with ``field`` for the form
to mark it: never the validator's own text ("email: An email address must have an @-sign.")."""

from __future__ import annotations

import pytest

from tests.studio import ADMIN_TOKEN, csrf_of


@pytest.mark.parametrize(
    ("email", "said"),
    [
        ("no-at-sign", "Enter your email address with an @, like name@example.com."),
        ("half@", "Enter your email address in full, like name@example.com."),
    ],
)
def test_a_mistyped_email_on_sign_up_is_told_in_words_and_points_at_the_field(client, email, said):
    answer = client.post(
        "/api/account/register", json={"email": email, "password": "a long password"}, headers=csrf_of(client)
    )
    assert answer.status_code == 422
    assert (answer.json()["message"], answer.json()["field"]) == (said, "email")


def test_request_validation_is_told_per_field_without_the_validators_text(client):
    headers = csrf_of(client)
    too_long = client.post(
        "/api/account/register", json={"email": "a" * 250 + "@example.com", "password": "x" * 12}, headers=headers
    ).json()
    assert (too_long["message"], too_long["field"]) == ("Email can be at most 254 characters.", "email")
    missing = client.post("/api/account/register", json={"email": "a@example.com"}, headers=headers).json()
    assert (missing["message"], missing["field"]) == ("Password is needed: fill it in.", "password")
    progress = client.put(
        "/api/dramas/s1/progress", json={"episode_number": "four", "position_ms": 0}, headers=headers
    ).json()
    assert (progress["message"], progress["field"]) == ("Episode number must be a whole number.", "episode_number")
    episode = client.get("/watch/s1/first").json()
    assert (episode["message"], episode["field"]) == ("Episode must be a whole number.", "episode")
    for refused in (too_long, missing, episode):
        assert "should" not in refused["message"] and "Field required" not in refused["message"]


def test_a_list_or_a_map_with_too_few_entries_is_told_in_good_english(client, studio):
    """A probe: a product's empty title map was told "Title must have at least 1 items."."""
    bearer = {"Authorization": f"Bearer {studio.backend(client).access_token()}"}
    answer = client.put(
        "/openapi/v1/products/gem2", json={"type": "consumable", "price": 5, "title": {}}, headers=bearer
    )
    assert answer.status_code == 422, answer.text
    assert (answer.json()["message"], answer.json()["field"]) == ("Title needs at least 1 entry.", "title")


def test_a_list_given_one_item_and_text_given_a_number_are_told_what_they_must_be(client):
    """A probe: approving one payout as ``{"ids": "po_..."}`` was told "Ids isn't valid."."""
    operator = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    one = client.post("/api/admin/payouts/approve", json={"ids": "po_123"}, headers=operator).json()
    assert (one["message"], one["field"]) == ("Ids must be a list, in [ ], even of one.", "ids")
    number = client.post("/api/admin/payouts/approve", json={"ids": [123]}, headers=operator).json()
    assert (number["message"], number["field"]) == ("Ids must be text, in quotes.", "ids.0")


@pytest.mark.parametrize("body", [b'{"email": "a@example.com"', b"[" * 100_000, b'{"n": ' + b"9" * 5000 + b"}"])
def test_a_body_that_is_not_json_is_refused_with_its_own_code(client, body):
    """Cut off, nested too deep, a number too long: "HTTP_ERROR, There was an error parsing the
    body" said nothing a client could act on (a probe, input52)."""
    answer = client.post(
        "/api/account/register", content=body, headers={**csrf_of(client), "Content-Type": "application/json"}
    )
    assert answer.status_code in (400, 422), answer.text  # FastAPI's own: 422 for a body cut off
    assert (answer.json()["code"], answer.json()["field"]) == ("INVALID_JSON", "body"), answer.text


def test_a_field_that_should_be_an_object_is_named(client):
    """A share's query sent as text: the whole request was "not in the form the platform reads (a JSON
    object)", with no field, when the body was an object and its query was not (a probe, dev52)."""
    app = client.post("/api/apps/no-such-app/shares", json={"title": "Hi", "query": ""}, headers=csrf_of(client))
    assert app.status_code == 422, app.text
    assert (app.json()["message"], app.json()["field"]) == ("Query must be an object, in { }.", "query")
