"""The script served at ``/sdk/compat/<platform>.js`` on every app's origin: the app's ad units,
the shared part (``shims/common.js``) and the platform's shim, in one response."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from openminis.compat.origin_sdks import ORIGIN_SDKS

SHIMS = Path(__file__).resolve().parent / "shims"


@cache
def _source(name: str) -> str:
    return (SHIMS / f"{name}.js").read_text()


def shim_script(name: str, ad_units: dict[str, str]) -> str | None:
    """The shim for platform ``name`` (None for no such platform). ``ad_units`` maps a format
    (rewarded, interstitial) to the app's unit of it: the platform's games never name one."""
    if name not in ORIGIN_SDKS:
        return None
    units = json.dumps(ad_units, sort_keys=True)
    return f"window.__minisCompatUnits = {units};\n{_source('common')}\n{_source(name)}"
