"""``minis import``: a game made for another platform becomes an openminis package, unmodified
but for the one ``<script>`` that loaded its platform's SDK from the internet.

Nothing is fetched: the platform's SDK is replaced by ``minis-sdk.js`` and the platform's shim,
both served by the platform on the app's origin (``/minis-sdk.js``, ``/sdk/compat/<name>.js``).
The game's JavaScript is scanned (statically) for the platform APIs it calls, so the developer
sees before publishing which ones the shim does not support.
"""

from __future__ import annotations

import html
import io
import json
import os
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openminis import text
from openminis.catalog.manifest import APP_ID, Manifest, ManifestProduct
from openminis.catalog.package import MANIFEST, Limits, PackageError, safe_path
from openminis.compat.origin_sdks import ORIGIN_SDKS, OriginSdk

SCRIPT_TAG = re.compile(
    r"<script\b[^>]*?\bsrc\s*=\s*(?P<q>[\"'])(?P<src>[^\"']+)(?P=q)[^>]*>\s*</script\s*>", re.I | re.S
)
LINK_TAG = re.compile(r"<link\b[^>]*?\bhref\s*=\s*(?P<q>[\"'])(?P<href>[^\"']+)(?P=q)[^>]*>", re.I | re.S)
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>(?P<code>.*?)</script\s*>", re.I | re.S)
TITLE = re.compile(r"<title[^>]*>(?P<title>.*?)</title\s*>", re.I | re.S)
ICON_LINK = re.compile(r"\brel\s*=\s*[\"'][^\"']*icon[^\"']*[\"']", re.I)
EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.I)
# Links a browser does not load: a canonical or alternate URL may point anywhere.
NOT_LOADED = re.compile(r"rel\s*=\s*[\"']?(?:canonical|alternate)", re.I)
ICON_NAMES = ("icon.png", "icon.svg", "icon.webp", "icon.jpg", "logo.png", "logo.svg")


class ImportRefused(PackageError):
    code = "IMPORT_REFUSED"


@dataclass(frozen=True)
class ApiUse:
    """One platform API the game calls, where, and whether the shim implements it."""

    api: str
    files: tuple[str, ...]
    count: int
    status: str  # supported | partly | not | unknown (not an API of the platform we know of)
    how: str


@dataclass
class Imported:
    origin_sdk: OriginSdk
    manifest: dict[str, Any]
    files: dict[str, bytes]
    uses: list[ApiUse] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)  # "index.html: <src>"
    errors: list[str] = field(default_factory=list)  # external URLs left: the package would not load

    @property
    def unsupported(self) -> list[ApiUse]:
        return [use for use in self.uses if use.status in ("not", "unknown")]


def read_source(source: Path, limits: Limits) -> dict[str, bytes]:
    """A folder's or zip's files, each path checked as an upload's are (``catalog.package``)."""
    files: dict[str, bytes] = {}
    total = 0

    def add(path: str, data: bytes) -> None:
        nonlocal total
        total += len(data)
        if len(files) >= limits.max_files or total > limits.max_uncompressed_bytes:
            raise ImportRefused(f"{source} is over the package limits ({limits.max_files} files, bytes)")
        files[safe_path(path)] = data

    if source.is_dir():
        for current, dirnames, filenames in os.walk(source):
            dirnames[:] = sorted(name for name in dirnames if not name.startswith("."))
            for name in sorted(filenames):
                full = Path(current, name)
                if name.startswith(".") or full.is_symlink():
                    continue
                add(full.relative_to(source).as_posix(), full.read_bytes())
    elif source.is_file():
        try:
            archive = zipfile.ZipFile(source)
        except zipfile.BadZipFile as exc:
            raise ImportRefused(f"{source} is not a readable zip file: {exc}") from None
        with archive:
            for info in archive.infolist():
                if info.is_dir() or info.filename.startswith("__MACOSX/"):
                    continue
                if info.file_size > limits.max_file_bytes:
                    raise ImportRefused(f"{info.filename} is over the {limits.max_file_bytes}-byte file limit")
                # The header's size may lie: read at most one byte past the limit.
                with archive.open(info) as handle:
                    data = handle.read(limits.max_file_bytes + 1)
                if len(data) > limits.max_file_bytes:
                    raise ImportRefused(f"{info.filename} is over the {limits.max_file_bytes}-byte file limit")
                add(info.filename, data)
    else:
        raise ImportRefused(f"{source} is neither a folder nor a zip file")
    roots = {path.split("/", 1)[0] for path in files}
    if len(roots) == 1 and all("/" in path for path in files):  # a zip of the folder
        root = roots.pop() + "/"
        files = {path.removeprefix(root): data for path, data in files.items()}
    return files


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def entry_page(files: dict[str, bytes]) -> str | None:
    if "index.html" in files:
        return "index.html"
    pages = sorted(
        (path for path in files if path.lower().endswith((".html", ".htm"))), key=lambda p: (p.count("/"), p)
    )
    return pages[0] if pages else None


def detect(files: dict[str, bytes]) -> OriginSdk:
    """The platform the game was made for, from its files (docs/compat.md, `minis import`, step 1)."""
    page = entry_page(files)
    markup = _text(files[page]).lower() if page else ""
    sources = " ".join(match["src"].lower() for match in SCRIPT_TAG.finditer(markup))
    scripts = markup + " ".join(_text(data) for path, data in files.items() if path.endswith(".js"))
    if "fbapp-config.json" in files or "fbinstant" in sources:
        return ORIGIN_SDKS["fbinstant"]
    if "ytgame" in sources or "ytgame" in scripts:
        return ORIGIN_SDKS["playables"]
    if "poki-sdk" in sources:
        return ORIGIN_SDKS["poki"]
    if "crazygames-sdk" in sources:
        return ORIGIN_SDKS["crazygames"]
    if "game.json" in files and "game.js" in files:
        return ORIGIN_SDKS["wechat"]
    raise ImportRefused(
        "cannot tell which platform this game was made for: name it with --from "
        "(fbinstant, playables, poki, crazygames or wechat)"
    )


def scan_apis(origin: OriginSdk, files: dict[str, bytes]) -> list[ApiUse]:
    """Every use of the platform's API in the game's scripts (its .js files and inline scripts)."""
    counts: Counter[str] = Counter()
    where: dict[str, set[str]] = {}
    for path, data in sorted(files.items()):
        if path.endswith((".js", ".mjs")):
            code = _text(data)
        elif path.endswith((".html", ".htm")):
            code = "\n".join(match["code"] for match in INLINE_SCRIPT.finditer(_text(data)))
        else:
            continue
        for api in origin.api_uses(code):
            if api.startswith("__"):
                continue  # the shim's own hooks, in the page the importer wrote (wx.__start)
            counts[api] += 1
            where.setdefault(api, set()).add(path)
    uses = []
    for api, count in sorted(counts.items()):
        known = origin.apis.get(api)
        if known is None and any(name.startswith(api + ".") for name in origin.apis):
            continue  # a namespace object: its members are what the shim implements
        status, how = (known.status, known.how) if known else ("unknown", f"not an API of {origin.title} we know of")
        uses.append(ApiUse(api, tuple(sorted(where[api])), count, status, how))
    return uses


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40].strip("-")
    if not slug or not slug[0].isalpha():
        slug = f"game-{slug}".strip("-")
    return slug if len(slug) >= 3 else f"{slug}-game"


def _json_file(files: dict[str, bytes], path: str) -> dict[str, Any]:
    if path not in files:
        return {}
    try:
        document = text.json_value(files[path])
    except ValueError as exc:  # not UTF-8, not JSON, or nested too deeply
        raise ImportRefused(f"{path} is not valid JSON: {exc}") from None
    return document if isinstance(document, dict) else {}


def _orientation(value: object) -> str:
    text = str(value or "").lower()
    return "landscape" if "landscape" in text else "portrait" if "portrait" in text else "auto"


def _icon(files: dict[str, bytes], page: str | None, name: str) -> str:
    if page:
        for match in LINK_TAG.finditer(_text(files[page])):
            href = match["href"].split("?", 1)[0].removeprefix("./")
            if ICON_LINK.search(match[0]) and href in files and href.lower().endswith(ICON_NAMES_SUFFIXES):
                return href
    for candidate in ICON_NAMES:
        if candidate in files:
            return candidate
    # No icon at all: a letter on a tile, so the hub has something to show until the developer adds one.
    letter = html.escape((name.strip() or "?")[0].upper())
    files["icon.svg"] = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 96 96"><rect width="96" height="96" rx="20" '
        f'fill="#3b2f7f"/><text x="48" y="64" font-size="48" text-anchor="middle" fill="#fff" '
        f'font-family="sans-serif">{letter}</text></svg>\n'
    ).encode()
    return "icon.svg"


ICON_NAMES_SUFFIXES = (".png", ".svg", ".webp", ".jpg", ".jpeg")


def wechat_page(name: str, origin: OriginSdk) -> bytes:
    """WeChat games have no page: one canvas, the wx shim, then game.js once the shim is ready."""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<title>{html.escape(name)}</title>
<style>html,body{{margin:0;height:100%;overflow:hidden;background:#000}}canvas{{display:block;width:100vw;height:100vh;touch-action:none}}</style>
</head>
<body>
<canvas id="wx-canvas"></canvas>
<script src="/minis-sdk.js"></script>
<script src="{origin.shim_path}"></script>
<script>wx.__start("game.js");</script>
</body>
</html>
""".encode()


def convert(
    files: dict[str, bytes],
    *,
    origin: OriginSdk | None = None,
    app_id: str | None = None,
    name: str | None = None,
    version: str = "1.0.0",
    category: str = "casual",
    products: list[dict[str, Any]] | None = None,
) -> Imported:
    """The package for ``files``: minis.json written, the platform's SDK script replaced, the APIs
    used listed. External URLs left are listed in ``errors`` (the package would not load them)."""
    files = dict(files)
    origin = origin or detect(files)
    files.pop(MANIFEST, None)
    fb = _json_file(files, "fbapp-config.json").get("instant_games") or {}
    wechat = _json_file(files, "game.json") if origin.name == "wechat" else {}
    project = _json_file(files, "project.config.json") if origin.name == "wechat" else {}
    page = entry_page(files)
    title = ""
    if page:
        found = TITLE.search(_text(files[page]))
        title = html.unescape(found["title"]).strip() if found else ""
    name = (name or title or str(project.get("projectname") or "") or "Imported game").strip()[:60]
    if origin.name == "wechat":
        if "game.js" not in files:
            raise ImportRefused("a WeChat mini game needs game.js at its root")
        page = "index.html"
        files[page] = wechat_page(name, origin)
    if page is None:
        raise ImportRefused("no HTML page in the game (index.html)")

    imported = Imported(origin_sdk=origin, manifest={}, files=files)
    if origin.name != "wechat":
        for path in [path for path in files if path.lower().endswith((".html", ".htm"))]:
            files[path] = _replace_sdk(origin, path, _text(files[path]), imported).encode()
    for path in [path for path in files if path.lower().endswith((".html", ".htm"))]:
        markup = _text(files[path])
        for match in SCRIPT_TAG.finditer(markup):
            if EXTERNAL.match(match["src"]):
                imported.errors.append(f"{path}: script {match['src']} is loaded from the internet")
        for match in LINK_TAG.finditer(markup):
            if EXTERNAL.match(match["href"]) and not re.search(
                r"rel\s*=\s*[\"']?(canonical|alternate)", match[0], re.I
            ):
                imported.errors.append(f"{path}: link {match['href']} is loaded from the internet")

    orientation = _orientation(fb.get("orientation") or wechat.get("deviceOrientation"))
    manifest = {
        "id": app_id or _slug(name),
        "name": name,
        "kind": "game",
        "version": version,
        "entry": page,
        "orientation": orientation,
        "category": category,
        "icon": _icon(files, page, name),
        "description": f"Imported from {origin.title}.",
        "origin_sdk": origin.name,
        "products": [ManifestProduct.model_validate(product).model_dump() for product in products or []],
    }
    if not APP_ID.match(str(manifest["id"])):
        raise ImportRefused(f"{manifest['id']!r} cannot be an app id: name one with --id", field="id")
    imported.manifest = Manifest.model_validate(manifest).model_dump(exclude_defaults=False)
    files[MANIFEST] = (json.dumps(imported.manifest, indent=2, ensure_ascii=False) + "\n").encode()
    imported.uses = scan_apis(origin, files)
    return imported


def _replace_sdk(origin: OriginSdk, path: str, markup: str, imported: Imported) -> str:
    shim = f'<script src="/minis-sdk.js"></script>\n<script src="{origin.shim_path}"></script>'
    done = False

    def replace(match: re.Match[str]) -> str:
        nonlocal done
        if not origin.sdk_script.search(match["src"]):
            return match[0]
        imported.replaced.append(f"{path}: {match['src']}")
        first, done = not done, True
        return shim if first else ""

    return SCRIPT_TAG.sub(replace, markup)


def write(imported: Imported, out: Path) -> None:
    """The package as a folder, or as a zip when ``out`` ends in .zip."""
    if out.suffix.lower() == ".zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path, data in sorted(imported.files.items()):
                archive.writestr(path, data)
        out.write_bytes(buffer.getvalue())
        return
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ImportRefused(f"{out} exists and is not an empty folder", field="out")
    for path, data in imported.files.items():
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
