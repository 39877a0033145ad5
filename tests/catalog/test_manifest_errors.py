"""A refused minis.json says, in the platform's words, which field is wrong and what to fix (never
the validator's "String should have at most 64 characters"), and an over-large one is refused by
the manifest's own size limit, not taken for a zip bomb (a probe's findings)."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from openminis.catalog.manifest import Manifest
from openminis.catalog.package import MAX_MANIFEST_BYTES, RATIO_CHECK_FLOOR, PackageError, read_package
from tests.factories import LIMITS, manifest, package_files, write_folder, zip_bytes

# Words of pydantic's own messages, which speak to programmers.
VALIDATOR_WORDS = ("should", "Input", "String", "Field required", "Extra inputs", "Value error", "valid integer")
PRODUCT = {"id": "gem", "type": "consumable", "price": 10, "title": {"en": "Gem"}}


def upload(studio, files: dict[str, bytes]):
    return studio.developer.post(
        f"/api/developer/apps/{studio.app_id}/versions",
        content=zip_bytes(files),
        headers={**studio.headers, "Content-Type": "application/zip"},
    )


def product(**changes) -> list[dict]:
    return [{**PRODUCT, **changes}]


# One case for each kind of constraint the manifest's schema has: the field, and words of the fix.
CASES = [
    # lengths: of text, of lists, of a product's titles
    ({"version": "1.0.0-" + "a" * 70}, "version", "at most 64 characters"),
    ({"name": "N" * 61}, "name", "at most 60 characters"),
    ({"name": ""}, "name", "empty: write at least 1 character"),
    ({"messages": [{"id": "m", "title": "T" * 41}]}, "messages.0.title", "at most 40 characters"),
    ({"allowed_domains": ["a.example.com"] * 21}, "allowed_domains", "at most 20"),
    ({"products": product(title={})}, "products.0.title", "at least 1"),
    # patterns
    ({"category": "Has Spaces"}, "category", "lowercase letters, digits and hyphens"),
    ({"products": product(id="a gem")}, "products.0.id", "letters, digits, dots, hyphens or underscores"),
    ({"leaderboards": [{"id": "best score"}]}, "leaderboards.0.id", "letters, digits, dots, hyphens or underscores"),
    # Dots alone are a path's "." or ".." to a browser (social56: a board ".." posted to the app's scores).
    ({"leaderboards": [{"id": ".."}]}, "leaderboards.0.id", "not dots alone"),
    ({"products": product(id="a" * 65)}, "products.0.id", "at most 64 characters"),
    # Client scores are 0 or more: a cap below 0 took none (a probe, input52, set -5).
    ({"leaderboards": [{"id": "best", "max_score": -5}]}, "leaderboards.0.max_score", "must be at least 0"),
    # enums
    ({"kind": "movie"}, "kind", "must be 'game' or 'drama'"),
    ({"orientation": "sideways"}, "orientation", "'portrait', 'landscape' or 'auto'"),
    ({"origin_sdk": "steam"}, "origin_sdk", "'poki'"),
    ({"products": product(type="rental")}, "products.0.type", "'consumable' or 'permanent'"),
    # numbers
    ({"products": product(price=0)}, "products.0.price", "at least 1"),
    ({"products": product(price=10**7)}, "products.0.price", "at most 1,000,000"),
    ({"leaderboards": [{"id": "b", "max_score": 2**60}]}, "leaderboards.0.max_score", "at most 9,007,199,254,740,991"),
    # types
    ({"products": product(price="ten")}, "products.0.price", "whole number"),
    ({"products": product(price=1.5)}, "products.0.price", "whole number"),
    ({"name": 5}, "name", "text in double quotes"),
    ({"products": product(title={"en": 5})}, "products.0.title.en", "text in double quotes"),
    ({"leaderboards": [{"id": "b", "client_scores": "maybe"}]}, "leaderboards.0.client_scores", "true or false"),
    ({"products": "gem"}, "products", "a list in square brackets"),
    ({"products": ["gem"]}, "products.0", "an object in braces"),
    ({"products": product(title="Gem")}, "products.0.title", "an object in braces"),
    # missing and extra fields
    ({"kind": None}, "kind", "missing: add it"),
    ({"products": [{"id": "gem", "type": "consumable", "title": {"en": "Gem"}}]}, "products.0.price", "missing"),
    ({"sneaky": True}, "sneaky", "not a field the platform knows"),
    ({"products": product(colour="red")}, "products.0.colour", "not a field the platform knows"),
    # the manifest's own rules, already in its words
    ({"version": "1.0"}, "version", "semantic version such as 1.0.0"),
]


@pytest.mark.parametrize(("overrides", "field", "fix"), CASES, ids=[field for _, field, _ in CASES])
def test_each_kind_of_manifest_error_names_the_field_and_the_fix_in_the_platforms_words(overrides, field, fix):
    with pytest.raises(ValidationError) as raw:
        Manifest.model_validate(manifest(**overrides))
    validator_said = raw.value.errors()[0]["msg"]
    with pytest.raises(PackageError) as caught:
        read_package(zip_bytes(package_files(**overrides)), LIMITS)
    error = caught.value
    assert (error.code, error.field) == ("INVALID_MANIFEST", field)
    assert error.message.startswith(f"minis.json: {field}: "), error.message
    assert fix in error.message, error.message
    assert validator_said not in error.message
    assert not any(words in error.message for words in VALIDATOR_WORDS), error.message


def test_an_upload_over_http_names_the_field_in_the_platforms_words(client, studio):
    answer = upload(studio, package_files(id=studio.app_id, version="1.0.0-" + "a" * 70))
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert (body["code"], body["field"]) == ("INVALID_MANIFEST", "version")
    assert body["message"] == "minis.json: version: too long: at most 64 characters; shorten it"


def test_a_manifest_over_its_size_limit_is_refused_by_that_limit_not_as_a_zip_bomb(client, studio):
    # The probe's: a 5 MB description, which compresses so well the archive looked like a bomb.
    files = package_files(id=studio.app_id, version="2.0.0", description="x" * 5_000_000)
    answer = upload(studio, files)
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert (body["code"], body["field"]) == ("MANIFEST_TOO_LARGE", "minis.json")
    assert "minis.json" in body["message"] and f"{MAX_MANIFEST_BYTES}-byte limit" in body["message"]
    versions = studio.developer.get(f"/api/developer/apps/{studio.app_id}/versions").json()["items"]
    assert [v["version"] for v in versions] == ["1.0.0"]  # nothing stored


def test_a_long_manifest_under_the_limit_is_refused_for_its_field_not_as_a_zip_bomb(client, studio):
    # Over the ratio check's floor, all but the manifest tiny: the manifest's own limit bounds it, so
    # its text is no bomb, and the field is named.
    description = "x" * (RATIO_CHECK_FLOOR + 100_000)
    assert len(json.dumps(manifest(description=description))) < MAX_MANIFEST_BYTES
    answer = upload(studio, package_files(id=studio.app_id, version="2.0.0", description=description))
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert (body["code"], body["field"]) == ("INVALID_MANIFEST", "description")
    assert "at most 500 characters" in body["message"]


@pytest.mark.parametrize("wrapped", [False, True])
def test_the_manifest_limit_holds_for_a_zip_wrapped_in_a_folder_and_for_a_folder(tmp_path, wrapped):
    files = package_files(description="x" * MAX_MANIFEST_BYTES)
    if wrapped:
        files = {f"my-game/{name}": data for name, data in files.items()}
    with pytest.raises(PackageError) as from_zip:
        read_package(zip_bytes(files), LIMITS)
    assert (from_zip.value.code, from_zip.value.field) == ("MANIFEST_TOO_LARGE", "minis.json")
    with pytest.raises(PackageError) as from_folder:
        read_package(write_folder(tmp_path / "pkg", package_files(description="x" * MAX_MANIFEST_BYTES)), LIMITS)
    assert from_folder.value.code == "MANIFEST_TOO_LARGE"


def test_a_zip_bomb_beside_a_good_manifest_is_still_a_zip_bomb():
    files = package_files()
    files["bomb.bin"] = b"\0" * 3_000_000
    with pytest.raises(PackageError) as caught:
        read_package(zip_bytes(files), LIMITS)
    assert caught.value.code == "ZIP_BOMB"


@pytest.mark.parametrize("order", ["theirs last", "ours last"])
def test_a_key_twice_in_the_manifest_is_refused_whichever_comes_last(order):
    """A reader that takes the first "id" and the platform, which took the last, saw two apps: the
    console refused one order and the operator's upload made a new app of the other (a probe, input52)."""
    first, last = ("test-game", "someone-else") if order == "theirs last" else ("someone-else", "test-game")
    files = package_files()
    text = files["minis.json"].decode()
    files["minis.json"] = text.replace('"id": "test-game"', f'"id": "{first}", "id": "{last}"', 1).encode()
    assert files["minis.json"].decode().count('"id":') >= 2
    with pytest.raises(PackageError) as caught:
        read_package(zip_bytes(files), LIMITS)
    assert caught.value.code == "INVALID_MANIFEST" and "'id' appears twice" in caught.value.message
