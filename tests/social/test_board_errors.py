"""A board the platform refuses is refused with what is wrong and where: 422 INVALID_ARGUMENT,
``field`` the board's field to blame, and a message that says why.

A probe: ``PUT /openapi/v1/leaderboards/{id}`` with the time zone "Mars/Olympus", "zone.tab" or
"/etc/UTC", or the board id "bad id!", answered 422 with the message "For further information visit
https://errors.pydantic.dev/..." and the field "board"."""

from __future__ import annotations

import pytest

from tests.social.test_leaderboards import put_board


@pytest.mark.parametrize(
    ("board_id", "fields", "field", "says"),
    [
        ("stars", {"timezone": "Mars/Olympus"}, "timezone", "not an IANA time zone"),
        ("stars", {"timezone": "zone.tab"}, "timezone", "not an IANA time zone"),
        ("stars", {"timezone": "/etc/UTC"}, "timezone", "not an IANA time zone"),
        ("bad id!", {}, "board_id", "A-Za-z0-9_.-"),
    ],
)
def test_a_refused_board_says_which_field_is_wrong_and_why(client, studio, board_id, fields, field, says):
    refused = put_board(client, studio, board_id, **fields)
    assert refused.status_code == 422, refused.text
    error = refused.json()
    assert (error["code"], error["field"]) == ("INVALID_ARGUMENT", field)
    assert says in error["message"] and "pydantic" not in error["message"], error["message"]
