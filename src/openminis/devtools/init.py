"""``minis init NAME --template game|drama|backend``: a working starting point, written from the
folders in devtools/templates with the app's id and name filled in (``__APP_ID__``,
``__APP_NAME__``). A file named ``*.tmpl`` is written without that suffix: the Python ones are
kept out of this package's own lint and type checks, which would read them as modules of it."""

from __future__ import annotations

import enum
from pathlib import Path

from openminis.catalog.manifest import APP_ID

TEMPLATES = Path(__file__).resolve().parent / "templates"


class Template(enum.StrEnum):
    game = "game"
    drama = "drama"
    backend = "backend"


class InitError(ValueError):
    pass


def app_name(app_id: str) -> str:
    """``star-catcher`` -> ``Star Catcher``."""
    return " ".join(word.capitalize() for word in app_id.split("-"))


def write(target: Path, *, app_id: str, template: Template) -> list[Path]:
    """Writes the template into ``target`` (new, or an empty folder); returns the files written."""
    if not APP_ID.match(app_id) or "--" in app_id:
        raise InitError(f"{app_id!r}: an app id is 3-40 lowercase letters, digits or single hyphens, first a letter")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InitError(f"{target} exists and is not an empty folder")
    source = TEMPLATES / template.value
    written: list[Path] = []
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        relative = path.relative_to(source)
        out = target / (relative.with_suffix("") if relative.suffix == ".tmpl" else relative)
        out.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix.lower() in (".png", ".jpg", ".jpeg", ".webp"):
            out.write_bytes(path.read_bytes())
        else:
            text = path.read_text(encoding="utf-8").replace("__APP_ID__", app_id)
            out.write_text(text.replace("__APP_NAME__", app_name(app_id)), encoding="utf-8")
        written.append(out)
    return written


# Where a developer reads how a version reaches people (upload, checks, review, release). Not
# `minis publish`: that is the operator's command, which releases with no review.
PUBLISHING = "docs/publishing.md"


def next_steps(target: Path, template: Template) -> list[str]:
    if template is Template.game:
        return [
            f"minis dev {target}      # try it: the real host, reloaded on every save",
            f"zip it and upload it in the console (/console), or POST /openapi/v1/app/versions: {PUBLISHING}",
        ]
    if template is Template.drama:
        return [f"minis dev {target / 'app'}  # the app's own player", f"see {target / 'README.md'} to upload a series"]
    return [f"see {target / 'README.md'}", f"cd {target} && MINIS_APP_SECRET=... uvicorn app:app --port 9000"]
