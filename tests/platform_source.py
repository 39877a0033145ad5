"""The platform's own source, read by the tests that hold a rule over all of it (who commits,
how patterns are anchored)."""

from __future__ import annotations

import re
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "src" / "openminis"


def lines_matching(pattern: re.Pattern[str], *, besides: set[Path] | None = None) -> list[str]:
    """Every line of the platform's modules (but ``besides``) that ``pattern`` finds something in,
    as ``path:line: text``."""
    return [
        f"{path.relative_to(SOURCE)}:{number}: {line.strip()}"
        for path in sorted(SOURCE.rglob("*.py"))
        if path not in (besides or set())
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
