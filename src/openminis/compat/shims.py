"""The script served at ``/sdk/compat/<platform>.js`` on every app's origin: the app's ad units
and leaderboards, the shared part (``shims/common.js``) and the platform's shim, in one response."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from openminis.compat.origin_sdks import ORIGIN_SDKS

SHIMS = Path(__file__).resolve().parent / "shims"


@cache
def _source(name: str) -> str:
    return (SHIMS / f"{name}.js").read_text()


def shim_script(name: str, ad_units: dict[str, str], boards: Sequence[str] = ()) -> str | None:
    """The shim for platform ``name`` (None for no such platform). ``ad_units`` maps a format
    (rewarded, interstitial) to the app's unit of it: the platform's games never name one.
    ``boards``: the app's active leaderboards in id order (FBInstant's tournaments use the first)."""
    if name not in ORIGIN_SDKS:
        return None
    units = json.dumps(ad_units, sort_keys=True)
    known = json.dumps(list(boards))
    return (
        f"window.__minisCompatUnits = {units};\nwindow.__minisCompatBoards = {known};\n"
        f"{_source('common')}\n{_source(name)}\n{_watch(name)}"
    )


@cache
def _watch(name: str) -> str:
    """The runtime log's call (common.js ``watch``): every API of the platform's table that the
    shim supports partly or not at all, with what it does instead."""
    sdk = ORIGIN_SDKS[name]
    apis = {api: [found.status, found.how] for api, found in sdk.apis.items() if found.status != "supported"}
    return f"window.__minisCompat.watch({json.dumps(sdk.global_name)}, {json.dumps(apis)});\n"
