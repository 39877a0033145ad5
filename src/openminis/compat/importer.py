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
import posixpath
import re
import secrets
import shutil
import stat
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from openminis import text
from openminis.catalog.manifest import APP_ID, Manifest, ManifestProduct
from openminis.catalog.package import MANIFEST, Limits, PackageError, read_package, safe_path
from openminis.compat import configs, loads, page
from openminis.compat.loads import browser_url, is_outside
from openminis.compat.origin_sdks import ORIGIN_SDKS, OriginSdk
from openminis.settings import Settings

ICON_NAMES = ("icon.png", "icon.svg", "icon.webp", "icon.jpg", "logo.png", "logo.svg")
ICON_NAMES_SUFFIXES = (".png", ".svg", ".webp", ".jpg", ".jpeg")
PAGES = (".html", ".htm")
SCRIPTS = (".js", ".mjs")


class ImportRefused(PackageError):
    code = "IMPORT_REFUSED"


# The calls of each origin's SDK that buy a product through the shim (the platform's minis.pay).
PURCHASES = frozenset({"payments.purchaseAsync"})


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
    warnings: list[str] = field(default_factory=list)  # written, but something will not work as it did

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
        path = safe_path(path)
        if path in files:
            raise ImportRefused(f"{path} appears twice in {source}", code="UNSAFE_PATH")
        files[path] = data

    if source.is_dir():
        for current, dirnames, filenames in os.walk(source):
            dirnames[:] = sorted(name for name in dirnames if not name.startswith("."))
            names = sorted(name for name in filenames if not name.startswith("."))
            for name in [*dirnames, *names]:
                relative = Path(current, name).relative_to(source).as_posix()
                if Path(current, name).is_symlink():
                    # Walked, it would be skipped (a folder) or read as its target, which may be
                    # anywhere: refused as in a zip, and as the platform refuses it in a folder.
                    raise _symbolic_link(relative)
            for name in names:
                full = Path(current, name)
                relative = full.relative_to(source).as_posix()
                status = full.lstat()
                if not stat.S_ISREG(status.st_mode):  # a pipe or a device would be read forever
                    raise ImportRefused(f"{relative} is not a regular file: a package holds files only")
                if status.st_size > limits.max_file_bytes:
                    raise ImportRefused(f"{relative} is over the {limits.max_file_bytes}-byte file limit")
                add(relative, full.read_bytes())
    elif source.is_file():
        try:
            archive = zipfile.ZipFile(source)
        except zipfile.BadZipFile as exc:
            raise ImportRefused(f"{source} is not a readable zip file: {exc}") from None
        with archive:
            for info in archive.infolist():
                if info.is_dir() or info.filename.startswith("__MACOSX/"):
                    continue
                if stat.S_ISLNK(info.external_attr >> 16):
                    # Unpacked, it would point anywhere; read as a file, it is the target's name.
                    raise _symbolic_link(info.filename)
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
    for path in files:  # a zip may hold "a" and "a/b": no package can (catalog.package)
        folder = path.rpartition("/")[0]
        while folder:
            if folder in files:
                raise ImportRefused(f"{folder} is a file and the folder of {path}", code="UNSAFE_PATH")
            folder = folder.rpartition("/")[0]
    return files


def _symbolic_link(path: str) -> ImportRefused:
    return ImportRefused(
        f"{path} is a symbolic link: a package holds files only; put the file it points to in its place",
        code="UNSAFE_PATH",
    )


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _pages(files: dict[str, bytes]) -> list[str]:
    return [path for path in files if path.lower().endswith(PAGES)]


def entry_page(files: dict[str, bytes]) -> str | None:
    if "index.html" in files:
        return "index.html"
    pages = sorted(_pages(files), key=lambda p: (p.count("/"), p))
    return pages[0] if pages else None


def _sdk_scripts(elements: list[page.Element]) -> Iterator[tuple[page.Element, str]]:
    """The page's HTML ``<script src>`` elements with their URL as the browser reads it."""
    for element in elements:
        if element.name == "script" and not element.foreign and "src" in element.attributes:
            yield element, browser_url(element.attributes["src"])


def detect(files: dict[str, bytes]) -> OriginSdk:
    """The platform the game was made for, from its files (docs/compat.md, `minis import`, step 1)."""
    entry = entry_page(files)
    markup = _text(files[entry]) if entry else ""
    sources = " ".join(url.lower() for _, url in _sdk_scripts(page.read(markup)))
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


def _inline_scripts(markup: str) -> str:
    """The code of a page's scripts written in the page (a script with a src runs only that)."""
    return "\n".join(
        element.text or ""
        for element in page.read(markup)
        if element.name == "script" and not element.foreign and "src" not in element.attributes
    )


def scan_apis(origin: OriginSdk, files: dict[str, bytes]) -> list[ApiUse]:
    """Every use of the platform's API in the game's scripts (its .js files and inline scripts)."""
    counts: Counter[str] = Counter()
    where: dict[str, set[str]] = {}
    for path, data in sorted(files.items()):
        if path.endswith(SCRIPTS):
            code = _text(data)
        elif path.lower().endswith(PAGES):
            code = _inline_scripts(_text(data))
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


def _refused(problems: list[str]) -> ImportRefused:
    """One problem in one line; several, a line each under a count."""
    if len(problems) == 1:
        return ImportRefused(problems[0])
    return ImportRefused(f"{len(problems)} problems:\n" + "\n".join(f"  {problem}" for problem in problems))


def _config(files: dict[str, bytes], path: str, spec: dict[str, configs.Spec], problems: list[str]) -> dict[str, Any]:
    """A platform's config file, its fields checked against ``spec`` (wrong ones are ``problems``)."""
    if path not in files:
        return {}
    try:
        document = text.json_value(files[path])
    except ValueError as exc:  # not UTF-8, not JSON, or nested too deeply
        raise ImportRefused(f"{path} is not valid JSON: {exc}") from None
    found = configs.check(document, spec)
    problems += [f"{path}: {problem}" for problem in found]
    return document if isinstance(document, dict) and not found else {}


def _orientation(value: str | None) -> str:
    value = (value or "").lower()
    return "landscape" if "landscape" in value else "portrait" if "portrait" in value else "auto"


def _title(markup: str) -> str:
    """The page's title as the browser shows it: the first HTML ``<title>``, its spaces collapsed."""
    for element in page.read(markup):
        if element.name == "title" and not element.foreign:
            return re.sub(r"[\t\n\f\r ]+", " ", element.text or "").strip(" ")
    return ""


def _icon(files: dict[str, bytes], entry: str | None, name: str) -> str:
    if entry:
        for element in page.read(_text(files[entry])):
            rel = page.lower(element.attributes.get("rel", ""))
            if element.name != "link" or element.foreign or "icon" not in rel or "href" not in element.attributes:
                continue
            href = re.split(r"[?#]", browser_url(element.attributes["href"]), maxsplit=1)[0]
            if is_outside(href) or not href:
                continue
            path = href.lstrip("/") if href.startswith("/") else posixpath.join(posixpath.dirname(entry), href)
            path = posixpath.normpath(path)
            if path in files and path.lower().endswith(ICON_NAMES_SUFFIXES):
                return path
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
    used listed. What a page or script would still load from outside the package is listed in
    ``errors`` (the package would not load it). A problem with what was given is ImportRefused,
    one line a problem naming the file or option and the field."""
    files = dict(files)
    origin = origin or detect(files)
    files.pop(MANIFEST, None)
    problems: list[str] = []
    fb: dict[str, Any] = {}
    wechat: dict[str, Any] = {}
    project: dict[str, Any] = {}
    if origin.name == "fbinstant":
        fb = _config(files, "fbapp-config.json", configs.FBAPP_CONFIG, problems).get("instant_games") or {}
    if origin.name == "wechat":
        wechat = _config(files, "game.json", configs.GAME_JSON, problems)
        project = _config(files, "project.config.json", configs.PROJECT_CONFIG_JSON, problems)
    if problems:
        raise _refused(problems)
    entry = entry_page(files)
    title = _title(_text(files[entry])) if entry else ""
    name_from = "--name" if name else f"{entry}: <title>" if title else "project.config.json: projectname"
    name = (name or title or project.get("projectname") or "").strip()[:60] or "Imported game"
    if origin.name == "wechat":
        if "game.js" not in files:
            raise ImportRefused("a WeChat mini game needs game.js at its root")
        entry = "index.html"
        files[entry] = wechat_page(name, origin)
    if entry is None:
        raise ImportRefused("no HTML page in the game (index.html)")

    imported = Imported(origin_sdk=origin, manifest={}, files=files)
    if origin.name != "wechat":
        for path in _pages(files):
            replaced = _replace_sdk(origin, path, _text(files[path]), imported)
            if replaced is not None:  # a page left as it was keeps its bytes (and its encoding)
                files[path] = replaced.encode()
        if not imported.replaced:
            raise ImportRefused(
                f"no <script> of {entry} loads the {origin.title} SDK, so the game would find no "
                f"{origin.global_name}: the shim takes that script's place (name the right platform with --from)"
            )
    for path, data in files.items():
        if loads.checked(path):
            imported.errors += [f"{path}: {error}" for error in loads.outside_loads(path, data)]

    sold = []
    for number, product in enumerate(products or [], 1):
        try:
            sold.append(ManifestProduct.model_validate(product).model_dump())
        except ValidationError as exc:
            problems += [
                f"--products: product {number}: {field + ': ' if field else ''}{message}"
                for field, message in configs.explain(exc)
            ]
    manifest = {
        "id": app_id or _slug(name),
        "name": name,
        "kind": "game",
        "version": version,
        "entry": entry,
        "orientation": _orientation(fb.get("orientation") or wechat.get("deviceOrientation")),
        "category": category,
        "icon": _icon(files, entry, name),
        "description": f"Imported from {origin.title}.",
        "origin_sdk": origin.name,
        "products": sold,
    }
    if not APP_ID.match(str(manifest["id"])):
        raise ImportRefused(f"{manifest['id']!r} cannot be an app id: name one with --id", field="id")
    sources = {"name": name_from, "id": "--id", "version": "--version", "category": "--category", "icon": entry}
    try:
        imported.manifest = Manifest.model_validate(manifest).model_dump(exclude_defaults=False)
    except ValidationError as exc:
        for field, message in configs.explain(exc):
            top, _, rest = field.partition(".")
            where = sources.get(top, f"{MANIFEST}: {top}")
            problems.append(f"{where}: {rest + ': ' if rest else ''}{message}")
    if problems:
        raise _refused(problems)
    files[MANIFEST] = (json.dumps(imported.manifest, indent=2, ensure_ascii=False) + "\n").encode()
    imported.uses = scan_apis(origin, files)
    buying = [use.api for use in imported.uses if use.api in PURCHASES and use.status != "not"]
    if buying and not sold:
        # Reported "supported", every purchase would then be refused: no product is on sale (dev54).
        imported.warnings.append(
            f"the game buys with {', '.join(buying)} but sells no product: every purchase will be refused"
            " until you name its products with --products (a JSON list: id, type, price, title)"
        )
    return imported


def _replace_sdk(origin: OriginSdk, path: str, markup: str, imported: Imported) -> str | None:
    """The page with its SDK ``<script>`` elements (start tag, text and end tag, however written)
    replaced by the SDK and the shim, or None when it has none."""
    shim = f'<script src="/minis-sdk.js"></script>\n<script src="{origin.shim_path}"></script>'
    parts: list[str] = []
    done = 0
    for element, url in _sdk_scripts(page.read(markup)):
        if not origin.sdk_script.search(url):
            continue
        imported.replaced.append(f"{path}: {url}")
        parts += [markup[done : element.start], shim if len(parts) == 0 else ""]
        done = element.end
    return "".join([*parts, markup[done:]]) if parts else None


def write(imported: Imported, out: Path, limits: Limits | None = None) -> None:
    """The package as a folder, or as a zip when ``out`` ends in .zip, once it passed the checks
    the platform makes of an upload (``read_package``, with ``limits``, the settings' by default).

    It is written beside ``out`` under a name of its own and renamed to ``out`` only when every
    check passed: a package refused (or a disk full) leaves nothing at ``out``, not half a package."""
    limits = limits or Limits.from_settings(Settings())
    as_zip = out.suffix.lower() == ".zip"
    if as_zip and out.is_dir():
        raise ImportRefused(f"{out} is a folder: name a new .zip file", field="out")
    if not as_zip and out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ImportRefused(f"{out} exists and is not an empty folder", field="out")
    parent = out.absolute().parent
    made = next((folder for folder in reversed([parent, *parent.parents]) if not folder.exists()), None)
    # A name of its own in out's folder, so the last step is a rename (never a copy that may stop halfway).
    staging = parent / f".{out.name}.{secrets.token_hex(6)}.partial"
    try:
        parent.mkdir(parents=True, exist_ok=True)
        if as_zip:
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for path, data in sorted(imported.files.items()):
                    archive.writestr(path, data)
            read_package(buffer.getvalue(), limits)
            with staging.open("xb") as handle:
                handle.write(buffer.getvalue())
        else:
            staging.mkdir()
            for path, data in imported.files.items():
                target = staging / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
            read_package(staging, limits)
        os.replace(staging, out)  # a folder replaces an empty one, a zip any file
    except (PackageError, OSError) as exc:
        if staging.is_dir():
            shutil.rmtree(staging, ignore_errors=True)
        else:
            staging.unlink(missing_ok=True)
        folder = parent
        while made is not None and folder != made.parent:  # the folders made for out, if still empty
            try:
                folder.rmdir()
            except OSError:
                break
            folder = folder.parent
        if isinstance(exc, PackageError):
            raise
        raise ImportRefused(f"{out} cannot be written: {exc.strerror or exc}", field="out") from None
