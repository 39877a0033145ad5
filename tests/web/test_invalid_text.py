"""Invalid text (not UTF-8, a lone surrogate, a NUL) is refused with 422 INVALID_TEXT wherever it
arrives (JSON bodies, query strings, form fields, paths: one guard at the edge), never a 500."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from tests.factories import package_files, publish, zip_bytes
from tests.studio import put_product

SAVE = "/api/apps/test-game/storage"
ADMIN = {"Authorization": "Bearer test-admin-token", "Content-Type": "application/zip"}
JSON = {"Content-Type": "application/json"}

# The same lone surrogate, as a JSON escape (high, low) and as its UTF-8-style bytes, and a NUL.
BAD_VALUES = [b'"a\\ud800"', b'"\\udc00b"', b'"a\\ud800\\u0041"', b'"a\xed\xa0\x80"', b'"a\\u0000"', b'"\xff"']


@pytest.fixture
def game(platform):
    publish(platform)


@pytest.fixture
def quiet(client) -> TestClient:
    """The same server, answering a server error as a 500 instead of raising it into the test."""
    return TestClient(client.app, base_url="http://localhost:8000", raise_server_exceptions=False)


def refused(response) -> bool:
    return response.status_code == 422 and response.json()["code"] == "INVALID_TEXT" and response.json()["request_id"]


@pytest.mark.parametrize("value", BAD_VALUES)
def test_a_cloud_save_value_with_invalid_text_is_refused_and_nothing_is_saved(quiet, game, value):
    csrf = {"X-CSRF-Token": quiet.get("/api/me").json()["csrf_token"]}
    response = quiet.put(f"{SAVE}/slot", content=b'{"value": ' + value + b"}", headers={**csrf, **JSON})
    assert refused(response), response.text
    assert quiet.get(f"{SAVE}/slot").json() == {"value": None}


def test_surrogate_pairs_and_escaped_backslashes_are_valid_text_and_round_trip(client, csrf, game):
    # An emoji written as a surrogate-pair escape, and a backslash followed by "ud800" (not an escape).
    body = b'{"value": {"emoji": "\\ud83d\\ude00", "literal": "\\\\ud800", "nul": "\\\\u0000"}}'
    assert client.put(f"{SAVE}/slot", content=body, headers={**csrf, **JSON}).status_code == 200
    assert client.get(f"{SAVE}/slot").json() == {
        "value": {"emoji": "\U0001f600", "literal": "\\ud800", "nul": "\\u0000"}
    }


def test_a_product_title_with_a_lone_surrogate_is_refused_by_the_open_api(quiet, studio):
    token = studio.backend(quiet).access_token()
    body = b'{"type": "consumable", "price": 5, "title": {"en": "Extra life \\ud800"}}'
    response = quiet.put(
        "/openapi/v1/products/life", content=body, headers={"Authorization": f"Bearer {token}", **JSON}
    )
    assert refused(response), response.text
    put_product(quiet, studio, "life")  # the same product with a valid title is fine
    titles = quiet.get(f"/api/apps/{studio.app_id}/products").json()["items"]
    assert [item["title"] for item in titles] == [{"en": "Life"}]


def test_a_product_title_with_a_lone_surrogate_in_a_package_manifest_is_refused(quiet):
    manifest = json.loads(package_files()["minis.json"])
    manifest["products"] = [{"id": "life", "type": "consumable", "price": 5, "title": {"en": "PLACEHOLDER"}}]
    raw = json.dumps(manifest).replace("PLACEHOLDER", "Extra life \\ud800").encode()
    response = quiet.post(
        "/api/admin/packages", content=zip_bytes({**package_files(), "minis.json": raw}), headers=ADMIN
    )
    assert response.status_code == 422 and response.json()["code"] == "INVALID_MANIFEST", response.text


@pytest.mark.parametrize("query", ["q=%ED%A0%80", "q=%FF", "q=a%00", "%ED%A0%80=x"])
def test_invalid_text_in_a_query_string_is_refused(quiet, query):
    assert refused(quiet.get(f"/api/search?{query}"))


def test_invalid_text_in_a_path_is_refused(quiet):
    assert refused(quiet.get("/api/apps/%ED%A0%80/products"))


@pytest.mark.parametrize("form", [b"q=%ED%A0%80", b"q=a%00", b"q=\xff"])
def test_invalid_text_in_a_form_field_is_refused(quiet, csrf, form):
    response = quiet.post(
        "/api/launches", content=form, headers={**csrf, "Content-Type": "application/x-www-form-urlencoded"}
    )
    assert refused(response)


def test_valid_text_in_queries_and_paths_passes(client):
    assert client.get("/api/search?q=%E4%BD%A0%E5%A5%BD+caf%C3%A9").status_code == 200
    assert client.get("/api/apps/%E4%BD%A0/products").status_code != 422


def test_credentials_with_non_ascii_characters_are_refused_not_a_server_error(quiet):
    # Header values are Latin-1: a token, CSRF token or signature with "é" in it matches nothing.
    latin = lambda value: value.encode("latin-1")  # noqa: E731
    assert (
        quiet.post("/api/admin/packages", content=b"x", headers={"Authorization": latin("Bearer caf\xe9")}).status_code
        == 401
    )
    response = quiet.post(
        "/api/launches", content=b"{}", headers={"X-CSRF-Token": latin("caf\xe9"), "Content-Type": "application/json"}
    )
    assert (response.status_code, response.json()["code"]) == (403, "CSRF_FAILED")
    response = quiet.post(
        "/api/payments/webhooks/sandbox", content=b"{}", headers={"Minis-Sandbox-Signature": latin("t=1,v1=caf\xe9")}
    )
    assert 400 <= response.status_code < 500, response.text
