"""Names typed into the console show as they read: a studio's or an app's name with a bidi override
or a control character is refused, as a package's name is (catalog/manifest.py). A probe made an app
named "\\u202eRTL\\u202d …", and the console's app list showed it reversed."""

from __future__ import annotations

import pytest

from tests.studio import browser, sign_up

OVERRIDE = "\u202eRTL\u202d game"


@pytest.mark.parametrize("name", [OVERRIDE, "Bell\x07"])
def test_a_studio_or_app_name_with_controls_is_refused_naming_the_field(client, studio, name):
    person = browser(client)
    headers = sign_up(person, "names@example.com")
    refused = person.post("/api/developer", json={"name": name}, headers=headers)
    assert (refused.status_code, refused.json().get("field")) == (422, "name"), refused.text

    body = {"app_id": "named-game", "name": name, "kind": "game"}
    refused = studio.developer.post("/api/developer/apps", json=body, headers=studio.headers)
    assert (refused.status_code, refused.json().get("field")) == (422, "name"), refused.text
    ordinary = {**body, "name": "مرحبا game"}  # right-to-left text itself is a name like any other
    assert studio.developer.post("/api/developer/apps", json=ordinary, headers=studio.headers).status_code == 201
