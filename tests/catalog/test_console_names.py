"""Names typed into the console show as they read: a studio's or an app's name with a bidi override,
a control character or a character that shows as nothing is refused, as a package's name is
(catalog/manifest.py). A probe made an app named "\\u202eRTL\\u202d …", and the console's app list
showed it reversed; an attack named one with a zero-width space, a look-alike of another's name."""

from __future__ import annotations

import pytest

from tests.concurrency import race
from tests.console_team import join_team
from tests.studio import browser, sign_up

OVERRIDE = "\u202eRTL\u202d game"


@pytest.mark.parametrize(
    "name",
    [
        OVERRIDE,
        "Bell\x07",
        "Sky\u200bRunner",  # a zero-width space: "SkyRunner" and "Sky\u200bRunner" read alike
        "\u2060\u2060",  # word joiners only: a name that shows as nothing
        "Soft\u00adhyphen",
        "\u3164",  # the Hangul filler: a letter that draws no ink
        "\ufeffStudio",
        # The attack on the first version: joiners and marks that show nothing between Latin letters.
        "Sky\u200cRunner",
        "Sky\u200dRunner",
        "Sky\ufe0fRunner",
        "Sky\u034fRunner",
        "\u200d\u200d\u200d",
        "Sky\U000e0100Runner",
        "Sky\u180bRunner",
    ],
)
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


def test_joiners_that_writing_and_emoji_need_stay_allowed_in_names(client, studio):
    for app_id, name in (
        ("family-game", "Family \U0001f468\u200d\U0001f469\u200d\U0001f467"),
        ("persian-game", "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"),  # Persian "I want": a ZWNJ inside a word
    ):
        body = {"app_id": app_id, "name": name, "kind": "game"}
        made = studio.developer.post("/api/developer/apps", json=body, headers=studio.headers)
        assert made.status_code == 201, made.text


def test_a_studio_is_renamed_and_people_read_the_new_name_on_its_apps(client, studio):
    """Registered again, a studio kept its first name silently, and nothing renamed it: one made by
    ``minis publish --developer EMAIL`` was named after the address (a probe, screens54)."""
    again = studio.developer.post("/api/developer", json={"name": "Another Name"}, headers=studio.headers)
    assert again.status_code == 200 and again.json()["name"] == "Studio One"  # registering twice changes nothing
    renamed = studio.developer.patch("/api/developer", json={"name": "  Star   Forge  "}, headers=studio.headers)
    assert renamed.status_code == 200 and renamed.json()["name"] == "Star Forge", renamed.text
    assert studio.developer.get("/api/developer").json()["name"] == "Star Forge"
    assert client.get(f"/api/apps/{studio.app_id}/about").json()["developer"] == "Star Forge"
    refused = studio.developer.patch("/api/developer", json={"name": OVERRIDE}, headers=studio.headers)
    assert (refused.status_code, refused.json().get("field")) == (422, "name"), refused.text
    # Not another studio's name, however written (attack54b: a studio read as another on its apps).
    other = browser(client)
    other_headers = sign_up(other, "other-studio@example.com")
    assert other.post("/api/developer", json={"name": "Moon Works"}, headers=other_headers).status_code == 200
    taken = studio.developer.patch("/api/developer", json={"name": "MOON  works"}, headers=studio.headers)
    assert (taken.status_code, taken.json()["code"]) == (409, "STUDIO_NAME_TAKEN"), taken.text
    person = browser(client)
    headers = sign_up(person, "not-a-developer@example.com")
    nobody = person.patch("/api/developer", json={"name": "Mine"}, headers=headers)
    assert nobody.status_code in (403, 404), nobody.text


def test_a_new_studio_is_not_registered_with_another_studios_name(client, studio):
    """Registered as "studio one", a new studio read as Studio One on its apps' About, as a renamed
    one did before renames were held to it."""
    person = browser(client)
    headers = sign_up(person, "copycat@example.com")
    taken = person.post("/api/developer", json={"name": "STUDIO  ONE"}, headers=headers)
    assert (taken.status_code, taken.json()["code"], taken.json()["field"]) == (409, "STUDIO_NAME_TAKEN", "name")
    assert person.get("/api/developer").json()["id"] is None  # nothing was made
    assert person.post("/api/developer", json={"name": "Studio Two"}, headers=headers).status_code == 200


def test_studios_renamed_to_one_name_at_once_leave_it_to_one(client, studio):
    """Each rename read the other names before any wrote its own: two at once to one name could
    both pass. They take turns on the name, and the first has it."""
    people = []
    for n in range(6):
        person = browser(client)
        headers = sign_up(person, f"rival-{n}@example.com")
        assert person.post("/api/developer", json={"name": f"Rival {n}"}, headers=headers).status_code == 200
        people.append((person, headers))

    def rename(worker: int, _: int) -> str:
        person, headers = people[worker]
        answer = person.patch(
            "/api/developer", json={"name": "Twin " + "Studio" if worker % 2 else "twin studio"}, headers=headers
        )
        return str(answer.status_code) if answer.is_success else answer.json()["code"]

    outcomes = race(workers=len(people), attempts=1, attempt=rename)
    assert outcomes == {"200": 1, "STUDIO_NAME_TAKEN": 5}, outcomes
    names = [person.get("/api/developer").json()["name"].casefold() for person, _ in people]
    assert names.count("twin studio") == 1


@pytest.mark.parametrize(
    "copy",
    [
        "Studio \u041ene",  # a Cyrillic capital O
        "\u0405tudio One",  # a Cyrillic capital DZE, an S to the eye
        "Studi\u03bf One",  # a Greek omicron
        "Studio\u0307 One",  # a dot above the o, written as a combining mark
        "Studio One.",
        "Studio-One",
        # attack55b, past the first version: a dotless i, a small capital O, digits and l for i.
        "Stud\u0131o One",
        "Studi\u1d0f One",
        "Studi0 One",
        "Stud1o One",
        "STUDlO ONE",
    ],
)
def test_a_studio_name_that_only_looks_like_anothers_is_refused(client, studio, copy):
    """access55 registered "openminis Demo Studio" with a Cyrillic o, and with an accent added, beside
    the demo studio: each read as it on its apps' About."""
    person = browser(client)
    headers = sign_up(person, "look-alike@example.com")
    taken = person.post("/api/developer", json={"name": copy}, headers=headers)
    assert (taken.status_code, taken.json()["code"]) == (409, "STUDIO_NAME_TAKEN"), taken.text


def test_names_that_differ_to_the_eye_stay_each_studios_own(client, studio):
    # Marks of other scripts and symbols make names differ (attack55b: "\u30d0\u30b9" and "\u30d1\u30b9",
    # Kamal and Komal in Devanagari, two emoji, were each refused as the other).
    names = ["Studio Once", "Studio 1", "\u5c71\u7530\u30b9\u30bf\u30b8\u30aa", "\u2605\u2605\u2605"]
    names += [
        "\u30d0\u30b9",
        "\u30d1\u30b9",
        "\u0915\u092e\u0932",
        "\u0915\u094b\u092e\u0932",
        "Cat \U0001f431",
        "Cat \U0001f436",
    ]
    for n, name in enumerate(names):
        person = browser(client)
        headers = sign_up(person, f"own-name-{n}@example.com")
        made = person.post("/api/developer", json={"name": name}, headers=headers)
        assert made.status_code == 200, made.text
    person = browser(client)
    headers = sign_up(person, "stars@example.com")
    stars = person.post("/api/developer", json={"name": "\u2605 \u2605\u2605"}, headers=headers)
    assert (stars.status_code, stars.json()["code"]) == (409, "STUDIO_NAME_TAKEN"), stars.text


def test_an_invitation_is_accepted_whatever_other_studios_are_named(client, studio):
    """Accepting, the invitee becomes a studio named by their email, a name they did not choose: a
    studio named "CAROL EX COM" refused carol@ex.com's acceptance (attack55b)."""
    squatter = browser(client)
    headers = sign_up(squatter, "squatter@example.com")
    assert squatter.post("/api/developer", json={"name": "CAROL EX COM"}, headers=headers).status_code == 200
    person, _ = join_team(studio, "carol@ex.com", "viewer")
    assert person.get("/api/developer").json()["name"] == "carol@ex.com"
