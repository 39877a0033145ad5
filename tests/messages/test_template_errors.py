"""A template the platform refuses is refused with what is wrong and where: 422 INVALID_ARGUMENT,
``field`` the template's field to blame, and a message that says why.

A probe: a field named "A", duplicate fields, a bidi isolate in the title, the id "../x" and a title
of only U+0085 were each answered 422 with the message "For further information visit
https://errors.pydantic.dev/2.13/v/value_error" and the field "template"."""

from __future__ import annotations

import pytest

from tests.messages.test_messages import TEMPLATES
from tests.social.test_leaderboards import bearer


@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        ({"fields": ["A"]}, "fields", "lowercase letters"),
        ({"fields": ["a", "a"]}, "fields", "unique"),
        ({"title": "Your \u2066turn"}, "title", "bidi"),
        ({"id": "../x"}, "id", "A-Za-z0-9_.-"),
        ({"title": "\u0085"}, "title", "at least 1 character"),
    ],
)
def test_a_refused_template_says_which_field_is_wrong_and_why(client, studio, fields, field, says):
    body = {"id": "turn", "title": "Your turn", "fields": ["opponent"], "kind": "one-time"} | fields
    refused = client.post(TEMPLATES, json=body, headers=bearer(client, studio))
    assert refused.status_code == 422, refused.text
    error = refused.json()
    assert (error["code"], error["field"]) == ("INVALID_ARGUMENT", field)
    assert says in error["message"] and "pydantic" not in error["message"], error["message"]
