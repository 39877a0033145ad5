"""A field a request does not take is refused, naming it; a body full of them is refused as cheaply
as a body with one.

A probe (input52): 82,000 unknown keys in a 900 KB body to the Open API's token route, sent without
credentials, each made a validation error of its own, all copied by FastAPI before the handler read
the first: 0.6 s and more of the event loop per request, and four at once stalled every route."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import typing

import pydantic
import pytest

import openminis
from openminis import inputs
from openminis.catalog import manifest
from openminis.inputs import Input
from openminis.openapi.schemas import TokenIn
from openminis.social.schemas import ShareIn


def flood(known: dict, unknown: int) -> dict:
    return known | {f"k{i}": 1 for i in range(unknown)}


def test_a_body_full_of_unknown_fields_names_the_first_and_makes_one_error():
    with pytest.raises(pydantic.ValidationError) as refused:
        TokenIn.model_validate(flood({"grant_type": "client_credentials"}, 80_000))
    unknown = [e["loc"] for e in refused.value.errors() if e["type"] == "extra_forbidden"]
    assert unknown == [("k0",)]  # not 80,000 of them
    assert refused.value.error_count() == 3  # with the two fields it lacks


def test_the_fields_a_model_knows_are_still_checked_beside_an_unknown_one():
    with pytest.raises(pydantic.ValidationError) as refused:
        manifest.ManifestProduct.model_validate({"id": "gem", "type": "wrong", "price": 0, "extra": 1, "more": 2})
    assert sorted(e["loc"][0] for e in refused.value.errors()) == ["extra", "price", "title", "type"]


def test_every_model_that_refuses_unknown_fields_is_an_input():
    """A model that forbids unknown fields itself would bring the flood back."""
    forbidding = []
    for module in pydantic_modules():
        for _, model in inspect.getmembers(module, inspect.isclass):
            ours = model.__module__.startswith("openminis.") and issubclass(model, pydantic.BaseModel)
            if ours and model.model_config.get("extra") == "forbid" and not issubclass(model, Input):
                forbidding.append(f"{module.__name__}.{model.__name__}")
    assert forbidding == []


def pydantic_modules():
    for info in pkgutil.walk_packages(openminis.__path__, "openminis."):
        if info.name.endswith(("__main__", ".migrations")) or ".migrations." in info.name:
            continue
        yield importlib.import_module(info.name)


def test_the_live_server_refuses_the_flood_naming_the_first_unknown_field(client):
    answer = client.post("/openapi/v1/auth/token", json=flood({}, 80_000))
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "INVALID_ARGUMENT"


def test_aliases_are_known_fields_and_a_choice_of_them_is_left_to_pydantic_whole():
    """An alias is a field the body may use; a field with a choice of aliases cannot be told from an
    unknown one here, so such a model is validated whole (no unknown field ever slips through)."""

    class Aliased(Input):
        name: str = pydantic.Field(alias="displayName")

    class Choice(Input):
        name: str = pydantic.Field(validation_alias=pydantic.AliasChoices("name", "displayName"))

    assert Aliased.model_validate({"displayName": "Ann"}).name == "Ann"
    with pytest.raises(pydantic.ValidationError) as refused:
        Aliased.model_validate({"displayName": "Ann", "a": 1, "b": 2})
    assert [e["loc"] for e in refused.value.errors()] == [("a",)]
    with pytest.raises(pydantic.ValidationError) as refused:
        Choice.model_validate({"displayName": "Ann", "a": 1, "b": 2})
    assert sorted(e["loc"] for e in refused.value.errors()) == [("a",), ("b",)]


def test_a_dict_of_many_values_that_are_not_text_is_refused_before_they_are_read():
    """A share's query of 90,000 values that were not text made 90,000 errors, 4-6 s of the event
    loop, from any guest (a probe, attack52): pydantic reads a dict's every value before its length."""
    with pytest.raises(pydantic.ValidationError) as refused:
        ShareIn.model_validate({"title": "Beat my score", "query": {f"k{i}": [] for i in range(90_000)}})
    assert [(e["type"], e["loc"]) for e in refused.value.errors()] == [("too_long", ("query",))]


def test_every_dict_and_list_a_request_takes_is_bounded():
    """What keeps the flood above from coming back in another field: a dict is bounded by
    ``at_most`` (checked first), a list by its max_length (pydantic stops at it)."""
    unbounded = []
    for module in pydantic_modules():
        for _, model in inspect.getmembers(module, inspect.isclass):
            if not (issubclass(model, Input) and model.__module__ == module.__name__):
                continue
            for name, field in model.model_fields.items():
                shape = typing.get_origin(field.annotation) or field.annotation
                bounded = any(
                    (isinstance(m, pydantic.BeforeValidator) and isinstance(m.func, inputs._AtMost))
                    or getattr(m, "max_length", None) is not None
                    for m in field.metadata
                )
                if shape in (dict, list) and not bounded:
                    unbounded.append(f"{model.__name__}.{name}")
    assert unbounded == []
