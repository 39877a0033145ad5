"""A series' words that the host shows beside its own are one line of visible text, and its
language and age rating are what they say they are.

A probe (developer49): a series titled "\\u202eevil" (and "Good \\u202eShow" by a PATCH) was shown
reversed in the host's paywall, "All of TITLE unlocked" read backwards after it; ten genres of
10,000 characters each, a language of "../../etc" and an age rating of "<script>" were stored.
An app's name, a product's title and a message template's refuse these already.
"""

from __future__ import annotations

import pytest

SERIES = {"title": "Night Shift", "genres": ["thriller"], "language": "en", "age_rating": "16+"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "\u202eevil"),
        ("title", "Good\u200bShow"),
        ("title", "two\nlines"),
        ("genres", ["\u202ex"]),
        ("genres", ["x" * 10_000]),
        ("genres", [""]),
        ("language", "../../etc"),
        ("age_rating", "<script>"),
    ],
)
def test_a_series_with_words_the_host_cannot_show_as_they_are_is_refused_with_the_field(client, studio, field, value):
    refused = client.post("/openapi/v1/series", json={**SERIES, field: value}, headers=studio.headers)
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"].split(".")[0] == field, refused.text
    assert "valid" not in refused.json()["message"] and "entries" not in refused.json()["message"], refused.text
    assert client.get("/openapi/v1/series", headers=studio.headers).json()["items"] == []


def test_a_series_title_changed_to_a_bidi_override_is_refused_and_its_words_stay(client, studio):
    made = client.post("/openapi/v1/series", json={**SERIES, "language": "zh-Hant-TW"}, headers=studio.headers)
    assert made.status_code == 201, made.text
    series_id = made.json()["id"]
    for change in ({"title": "Good \u202eShow"}, {"genres": ["\u202ex"]}):
        refused = client.patch(f"/openapi/v1/series/{series_id}", json=change, headers=studio.headers)
        assert refused.status_code == 422, refused.text
    shown = client.get(f"/openapi/v1/series/{series_id}", headers=studio.headers).json()
    assert (shown["title"], shown["genres"]) == ("Night Shift", ["thriller"])


def test_what_a_refused_series_word_must_be_is_said_in_words(client, studio):
    def said(field: str, value: object) -> str:
        return client.post("/openapi/v1/series", json={**SERIES, field: value}, headers=studio.headers).json()[
            "message"
        ]

    assert said("title", "\u202eevil").startswith("Title must be one line of visible text, without control, bidi")
    assert said("genres", ["x" * 40]) == "Genres can be at most 32 characters."
    assert said("language", "../x") == "Language isn\u2019t in the form it needs: check it for typos."


def test_a_series_language_rating_and_whole_series_price_are_changed_and_the_price_cleared(client, studio):
    """A producer could not correct a series' language or age rating, nor take its whole-series
    price off sale once set: null meant "unchanged" (dev54). Null clears the price; null is no
    title, and the series keeps its own."""
    series_id = client.post("/openapi/v1/series", json=SERIES, headers=studio.headers).json()["id"]
    changed = client.patch(
        f"/openapi/v1/series/{series_id}",
        json={"language": "pt-BR", "age_rating": "12+", "series_price": 400},
        headers=studio.headers,
    )
    assert changed.status_code == 200, changed.text
    assert [changed.json()[k] for k in ("language", "age_rating", "series_price")] == ["pt-BR", "12+", 400]
    cleared = client.patch(f"/openapi/v1/series/{series_id}", json={"series_price": None}, headers=studio.headers)
    assert cleared.status_code == 200 and cleared.json()["series_price"] is None, cleared.text
    kept = client.patch(f"/openapi/v1/series/{series_id}", json={"title": "Day Shift"}, headers=studio.headers)
    assert (kept.json()["title"], kept.json()["series_price"], kept.json()["language"]) == ("Day Shift", None, "pt-BR")
    for field in ("title", "episode_price", "language"):
        refused = client.patch(f"/openapi/v1/series/{series_id}", json={field: None}, headers=studio.headers)
        assert (refused.status_code, refused.json()["field"]) == (422, field), refused.text
        assert "null" in refused.json()["message"], refused.text
    refused = client.patch(f"/openapi/v1/series/{series_id}", json={"language": "../x"}, headers=studio.headers)
    assert (refused.status_code, refused.json()["field"]) == (422, "language"), refused.text
    assert client.get(f"/openapi/v1/series/{series_id}", headers=studio.headers).json()["title"] == "Day Shift"
