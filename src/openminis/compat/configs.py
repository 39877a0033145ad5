"""The platforms' own config files that `minis import` reads, with the type each platform gives
every field it documents, and problems told one a line: the file, the field, what is wrong.

A field of the wrong type is refused rather than guessed at (a probe: ``"instant_games": [...]``
was a traceback, a WeChat ``"projectname": {"x": 1}`` an app named ``{'x': 1}``). Fields a platform
added that are not listed here are not checked: the importer does not read them.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError


class Number:
    """A JSON number (not true or false, which Python counts as integers)."""


# A field's type: a Python type (str, bool, dict, list), Number, a tuple of them (any of), a list
# of one type (a list of those), or a dict of fields (an object; "*" is every field's type).
Spec = Any

FBAPP_CONFIG: dict[str, Spec] = {
    # developers.facebook.com/docs/games/instant-games/bundle-config
    "instant_games": {
        "platform_version": str,
        "orientation": str,
        "navigation_menu_version": str,
        "custom_update_templates": dict,
    },
}
GAME_JSON: dict[str, Spec] = {
    # developers.weixin.qq.com/minigame/dev/reference/configuration/app.html
    "deviceOrientation": str,
    "showStatusBar": bool,
    "networkTimeout": {"*": Number},
    "workers": (str, dict),
    "subpackages": [{"name": str, "root": str}],
    "subPackages": [{"name": str, "root": str}],
    "plugins": dict,
    "navigateToMiniProgramAppIdList": [str],
    "resizable": bool,
    "openDataContext": str,
    "permission": dict,
    "requiredBackgroundModes": [str],
}
PROJECT_CONFIG_JSON: dict[str, Spec] = {
    # developers.weixin.qq.com/miniprogram/dev/devtools/projectconfig.html
    "projectname": str,
    "appid": str,
    "description": str,
    "compileType": str,
    "libVersion": str,
    "miniprogramRoot": str,
    "setting": dict,
    "condition": dict,
    "packOptions": dict,
    "editorSetting": dict,
}


def kind(value: object) -> str:
    """What a JSON value is, in the words of the messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _wanted(spec: Spec) -> str:
    if isinstance(spec, tuple):
        return " or ".join(_wanted(each) for each in spec)
    if isinstance(spec, list):
        return "a list"
    if isinstance(spec, dict) or spec is dict:
        return "an object"
    return {str: "a string", bool: "true or false", Number: "a number"}[spec]


def _fits(value: object, spec: Spec) -> bool:
    if isinstance(spec, tuple):
        return any(_fits(value, each) for each in spec)
    if isinstance(spec, list):
        return isinstance(value, list)
    if isinstance(spec, dict) or spec is dict:
        return isinstance(value, dict)
    if spec is Number:
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, spec)


def check(value: object, spec: Spec, where: str = "") -> list[str]:
    """``field: must be X (was Y)`` for each field of ``value`` not of its type in ``spec``."""
    label = f"{where}: " if where else ""
    if not _fits(value, spec):
        return [f"{label}must be {_wanted(spec)} (was {kind(value)})"]
    problems: list[str] = []
    if isinstance(spec, list) and isinstance(value, list):
        for index, item in enumerate(value):
            problems += check(item, spec[0], f"{where}[{index}]")
    elif isinstance(spec, dict) and isinstance(value, dict):
        for key, item in value.items():
            field = spec.get(key, spec.get("*"))
            if field is not None:
                problems += check(item, field, f"{where}.{key}" if where else key)
    return problems


def explain(error: ValidationError) -> list[tuple[str, str]]:
    """Each problem of a pydantic error as (field, what is wrong): ``("products.0.price", "must be
    greater than or equal to 1")``, without pydantic's input dump and link."""
    found = []
    for problem in error.errors(include_url=False):
        field = ".".join(str(part) for part in problem["loc"])
        message, kind_of, ctx = problem["msg"], problem["type"], problem.get("ctx", {})
        if kind_of == "value_error":
            message = message.removeprefix("Value error, ")
        elif kind_of == "string_pattern_mismatch":
            message = f"must match {ctx.get('pattern', '')}"
        elif kind_of in ("model_type", "dict_type", "model_attributes_type"):
            message = f"must be an object (was {kind(problem['input'])})"
        elif kind_of in ("too_short", "too_long"):
            bound = (
                f"at least {ctx.get('min_length')}" if kind_of == "too_short" else f"at most {ctx.get('max_length')}"
            )
            message = f"must have {bound} (has {ctx.get('actual_length')})"
        elif kind_of == "missing":
            message = "is missing"
        elif kind_of == "extra_forbidden":
            message = "is not a field here"
        else:
            message = re.sub(r"^(?:Input|String|Value|List|Dictionary|Object) should( be)?", r"must\1", message)
            if kind_of.endswith("_type"):
                message = f"{message} (was {kind(problem['input'])})"
        found.append((field, message))
    return found
