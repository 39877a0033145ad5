"""Reading a package (a folder or a zip) safely, all of it checked before anything is stored.

Everything that can be wrong with an upload is found here: a manifest that breaks the schema,
paths that would escape the package root, links, zip bombs, sizes over the limits. The result is
either a whole, valid :class:`Package` in memory or a :class:`PackageError` naming the problem.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import struct
import unicodedata
import zipfile
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from openminis import text
from openminis.catalog.manifest import Manifest, describe
from openminis.catalog.models import FileEntry
from openminis.errors import InvalidArgument

if TYPE_CHECKING:
    from openminis.settings import Settings  # the settings module reaches up to identity's mail

MANIFEST = "minis.json"
# A few MiB of zeros compress a thousandfold; below this size a high ratio is harmless.
RATIO_CHECK_FLOOR = 1024 * 1024
# A manifest is a few kilobytes; the largest the schema allows (200 products titled in 20 languages)
# is about 1.5 MB of UTF-8. Refused by this limit of its own before anything else is read, an
# over-long minis.json is named as such rather than taken for a zip bomb: text compresses well, and
# a 5 MB description made the whole archive's ratio look like one (a probe).
MAX_MANIFEST_BYTES = 2 * 1024 * 1024


class PackageError(InvalidArgument):
    code = "INVALID_PACKAGE"


@dataclass(frozen=True)
class Limits:
    max_package_bytes: int
    max_uncompressed_bytes: int
    max_file_bytes: int
    max_files: int
    max_compression_ratio: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            max_package_bytes=settings.max_package_bytes,
            max_uncompressed_bytes=settings.max_uncompressed_bytes,
            max_file_bytes=settings.max_file_bytes,
            max_files=settings.max_files,
            max_compression_ratio=settings.max_compression_ratio,
        )


@dataclass(frozen=True)
class Package:
    manifest: Manifest
    files: dict[str, bytes]

    @property
    def size_bytes(self) -> int:
        return sum(len(data) for data in self.files.values())

    def file_index(self) -> dict[str, FileEntry]:
        return {
            path: {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            for path, data in sorted(self.files.items())
        }

    def digest(self) -> str:
        """One hash over every path and content, the package's identity."""
        outer = hashlib.sha256()
        for path, entry in self.file_index().items():
            outer.update(f"{path}\0{entry['sha256']}\n".encode())
        return outer.hexdigest()


def safe_path(name: str) -> str:
    """The package-relative path for an archive or folder entry, or a PackageError if it is unsafe."""
    if not name or len(name) > 255:
        raise PackageError(f"path {name[:80]!r} is empty or longer than 255 characters", code="UNSAFE_PATH")
    if "\\" in name:
        raise PackageError(f"path {name!r} contains a backslash", code="UNSAFE_PATH")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise PackageError(f"path {name!r} is absolute", code="UNSAFE_PATH")
    if any(ord(ch) < 32 or ch == "\x7f" for ch in name):
        raise PackageError(f"path {name!r} contains a control character", code="UNSAFE_PATH")
    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise PackageError(f"path {name!r} has an empty, '.' or '..' component", code="UNSAFE_PATH")
    if not text.is_valid(name):
        raise PackageError(f"path {name!r} is not valid text", code="UNSAFE_PATH")
    # As names are (a probe, dev54): "ok/\u202egnp.js" showed as "ok/sj.png" in the check report and
    # the reviewer's view of the files.
    if text.has_controls(name) or text.has_invisible(name):
        raise PackageError(
            f"path {name!r} contains a bidi, zero-width or other invisible character", code="UNSAFE_PATH"
        )
    # Spaces other than the plain one read as it, or as nothing at a name's end (attack54b: "a.js",
    # "a.js" with a no-break space and with an em space, three files in one package).
    if any(unicodedata.category(ch) == "Zs" and ch != " " for ch in name):
        raise PackageError(f"path {name!r} contains a space other than the plain one", code="UNSAFE_PATH")
    # File systems allow 255 bytes a name: 100 "€" are 100 characters and 300 bytes of UTF-8.
    if any(len(part.encode()) > 255 for part in parts):
        raise PackageError(f"path {name[:80]!r} has a name longer than 255 bytes", code="UNSAFE_PATH")
    return name


def _one_spelling_a_path(paths: Collection[str]) -> None:
    """No two paths, nor their folders, differ only by case or by how their letters are composed
    (``Index.html`` and ``index.html``, ``café`` with é as one character or two): on a case-insensitive
    or normalising file system or object store one overwrites the other (a probe, dev54, uploaded
    both; attack54b, a file ``lib`` beside a folder ``LIB``)."""
    names = set(paths)
    for path in paths:
        folder = path.rpartition("/")[0]
        while folder:
            names.add(folder)
            folder = folder.rpartition("/")[0]
    seen: dict[str, str] = {}
    for name in sorted(names):
        other = seen.setdefault(unicodedata.normalize("NFC", name).casefold(), name)
        if other != name:
            raise PackageError(
                f"{other!r} and {name!r} differ only by case or by how their letters are written: name them apart",
                code="UNSAFE_PATH",
            )


def _no_file_is_a_folder(paths: Collection[str]) -> None:
    """No path is also the folder of another (``x`` and ``x/y``): such a package cannot be laid out
    as files (unpacked, the second write fails)."""
    for path in paths:
        folder = path.rpartition("/")[0]
        while folder:
            if folder in paths:
                raise PackageError(f"{folder} is a file and the folder of {path}", code="UNSAFE_PATH")
            folder = folder.rpartition("/")[0]


class _Budget:
    """Counts files and bytes against the limits as entries are read."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.files = 0
        self.bytes = 0

    def add(self, path: str, size: int) -> None:
        self.files += 1
        self.bytes += size
        if self.files > self.limits.max_files:
            raise PackageError(f"more than {self.limits.max_files} files", code="TOO_MANY_FILES")
        if size > self.limits.max_file_bytes:
            raise PackageError(
                f"{path} is {size} bytes, over the {self.limits.max_file_bytes}-byte file limit", code="FILE_TOO_LARGE"
            )
        if self.bytes > self.limits.max_uncompressed_bytes:
            raise PackageError(
                f"package unpacks to more than {self.limits.max_uncompressed_bytes} bytes", code="PACKAGE_TOO_LARGE"
            )


def _alone(data: bytes) -> bool:
    """Whether the bytes are one zip archive and nothing else: it begins with its first entry (or,
    empty, its end record), and its end record, at the very end, finds its directory where it is.
    Python's reader takes an archive behind other data, such as a program's (dev54 uploaded one
    behind "MZ..."), or the last of two (attack54b: four bytes of an entry's signature first)."""
    if not data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return False
    end = data.rfind(b"PK\x05\x06", max(len(data) - 22 - 65_535, 0))
    if end < 0 or len(data) - end < 22:
        return False
    size, offset, comment = (int(field) for field in struct.unpack_from("<IIH", data, end + 12))
    if end + 22 + comment != len(data):
        return False  # something after the archive
    if offset == 0xFFFFFFFF or size == 0xFFFFFFFF:
        return True  # a ZIP64 archive's directory is found through its own records: read as it is
    return offset + size == end  # with data before it, the directory is not where its record says


def read_zip(data: bytes, limits: Limits) -> Package:
    if len(data) > limits.max_package_bytes:
        raise PackageError(
            f"package is {len(data)} bytes, over the {limits.max_package_bytes}-byte limit", code="PACKAGE_TOO_LARGE"
        )
    if not _alone(data):
        raise PackageError(
            "not a zip file alone: other data comes before or after its archive (send the zip alone)", code="NOT_A_ZIP"
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise PackageError(f"not a readable zip file: {exc}", code="NOT_A_ZIP") from None
    budget = _Budget(limits)
    files: dict[str, bytes] = {}
    with archive:
        infos = [info for info in archive.infolist() if not info.filename.startswith("__MACOSX/")]
        manifest = _manifest_path({info.filename for info in infos if not info.is_dir()})
        for info in infos:
            if info.filename == manifest:
                _check_manifest_size(info.file_size)
        # The manifest is bounded by its own limit above: the ratios are of the rest.
        declared = sum(info.file_size for info in infos if info.filename != manifest)
        if declared > RATIO_CHECK_FLOOR and declared > limits.max_compression_ratio * max(len(data), 1):
            raise PackageError("compression ratio of the whole archive is over the limit (zip bomb?)", code="ZIP_BOMB")
        for info in infos:
            if info.is_dir():
                safe_path(info.filename.rstrip("/"))
                continue
            path = safe_path(info.filename)
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise PackageError(f"{path} is a symbolic link; packages may not contain links", code="SYMLINK")
            if info.flag_bits & 0x1:
                raise PackageError(f"{path} is encrypted", code="UNSAFE_PATH")
            if (
                path != manifest
                and info.file_size > RATIO_CHECK_FLOOR
                and info.file_size > limits.max_compression_ratio * max(info.compress_size, 1)
            ):
                raise PackageError(
                    f"{path} has a compression ratio over {limits.max_compression_ratio} (zip bomb?)", code="ZIP_BOMB"
                )
            budget.add(path, info.file_size)
            if path in files:
                raise PackageError(f"{path} appears twice in the archive", code="UNSAFE_PATH")
            # The header's size may lie: read at most one byte past it and compare.
            try:
                with archive.open(info) as handle:
                    content = handle.read(info.file_size + 1)
            except (zipfile.BadZipFile, RuntimeError, OSError, EOFError) as exc:
                raise PackageError(f"{path} cannot be read: {exc}", code="NOT_A_ZIP") from None
            if len(content) != info.file_size:
                raise PackageError(
                    f"{path} does not unpack to the size its header declares (zip bomb?)", code="ZIP_BOMB"
                )
            files[path] = content
    _no_file_is_a_folder(files.keys())
    _one_spelling_a_path(files.keys())
    return _with_manifest(_strip_single_root(files))


def read_folder(root: Path, limits: Limits) -> Package:
    root = Path(root)
    if root.is_symlink() or not root.is_dir():
        raise PackageError(f"{root} is not a folder", code="NOT_A_FOLDER")
    budget = _Budget(limits)
    files: dict[str, bytes] = {}
    for current, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            full = Path(current, name)
            relative = full.relative_to(root).as_posix()
            safe_path(relative)
            if full.is_symlink():
                raise PackageError(f"{relative} is a symbolic link; packages may not contain links", code="SYMLINK")
        for name in filenames:
            full = Path(current, name)
            relative = full.relative_to(root).as_posix()
            info = full.lstat()
            if not stat.S_ISREG(info.st_mode):
                raise PackageError(f"{relative} is not a regular file", code="UNSAFE_PATH")
            budget.add(relative, info.st_size)
            files[relative] = full.read_bytes()
    if sum(len(data) for data in files.values()) > limits.max_package_bytes:
        raise PackageError(f"package is over the {limits.max_package_bytes}-byte limit", code="PACKAGE_TOO_LARGE")
    _one_spelling_a_path(files.keys())
    return _with_manifest(files)


def read_package(source: Path | bytes, limits: Limits) -> Package:
    if isinstance(source, bytes):
        return read_zip(source, limits)
    source = Path(source)
    if source.is_dir() and not source.is_symlink():
        return read_folder(source, limits)
    if source.is_file():
        if source.stat().st_size > limits.max_package_bytes:
            raise PackageError(f"package is over the {limits.max_package_bytes}-byte limit", code="PACKAGE_TOO_LARGE")
        return read_zip(source.read_bytes(), limits)
    raise PackageError(f"{source} is neither a folder nor a zip file", code="NOT_A_FOLDER")


def _manifest_path(paths: Collection[str]) -> str | None:
    """Where the manifest is among a package's file paths: at the root, or in the one folder that
    zips made by "compress folder" wrap everything in."""
    if MANIFEST in paths:
        return MANIFEST
    roots = {path.split("/", 1)[0] for path in paths}
    if len(roots) == 1 and all("/" in path for path in paths):
        wrapped = f"{roots.pop()}/{MANIFEST}"
        if wrapped in paths:
            return wrapped
    return None


def _check_manifest_size(size: int) -> None:
    if size > MAX_MANIFEST_BYTES:
        raise PackageError(
            f"{MANIFEST} is {size} bytes, over the {MAX_MANIFEST_BYTES}-byte limit for a manifest: one is a few "
            "kilobytes (a description at most 500 characters)",
            code="MANIFEST_TOO_LARGE",
            field=MANIFEST,
        )


def _strip_single_root(files: dict[str, bytes]) -> dict[str, bytes]:
    """Zips made by "compress folder" wrap everything in one folder; accept that form too."""
    found = _manifest_path(files.keys())
    if found is None or found == MANIFEST:
        return files
    root = found.removesuffix(MANIFEST)
    return {path.removeprefix(root): data for path, data in files.items()}


def _with_manifest(files: dict[str, bytes]) -> Package:
    raw = files.get(MANIFEST)
    if raw is None:
        raise PackageError(f"no {MANIFEST} at the package root", code="INVALID_MANIFEST", field=MANIFEST)
    _check_manifest_size(len(raw))  # a folder's, read whole: a zip's was checked by its header first
    try:
        # A key twice: the platform stored the last "id" while a reader of the first saw another
        # app (the admin upload made a new app of it: a probe, input52).
        document = text.json_value(raw.decode("utf-8"), unique_keys=True)
    except ValueError as exc:  # not UTF-8, not JSON, nested too deeply, or a key twice
        raise PackageError(f"{MANIFEST} is not valid JSON: {exc}", code="INVALID_MANIFEST", field=MANIFEST) from None
    if not isinstance(document, dict):
        raise PackageError(f"{MANIFEST} must be a JSON object", code="INVALID_MANIFEST", field=MANIFEST)
    if not text.is_valid_json_text(raw):
        # The edge guard never sees inside a zip: a "\ud800" here would be stored and break every answer carrying it.
        raise PackageError(
            f"{MANIFEST} contains invalid text (a lone surrogate or a NUL)", code="INVALID_MANIFEST", field=MANIFEST
        )
    try:
        manifest = Manifest.model_validate(document)
    except ValidationError as exc:
        field, reason = describe(exc)
        raise PackageError(f"{MANIFEST}: {field}: {reason}", code="INVALID_MANIFEST", field=field) from None
    for field in ("entry", "icon", "preview"):
        path = getattr(manifest, field)
        if path is None:
            continue
        if "://" in path or path.startswith("//"):
            # "has an empty, '.' or '..' component" was all a URL here was told (a probe, dev54).
            raise PackageError(
                f"{MANIFEST}: {field}: {path[:80]!r} is a URL; name a file in the package (e.g. icon.png)",
                code="INVALID_MANIFEST",
                field=field,
            )
        try:
            safe_path(path)
        except PackageError as exc:
            raise PackageError(f"{MANIFEST}: {field}: {exc.message}", code="INVALID_MANIFEST", field=field) from None
        if path not in files:
            raise PackageError(
                f"{MANIFEST}: {field}: {path} is not in the package", code="INVALID_MANIFEST", field=field
            )
    if manifest.preview is not None:
        _check_preview(manifest.preview, files[manifest.preview])
    return Package(manifest=manifest, files=files)


# A card's preview plays in every feed that shows the app: small, so that it never costs a person
# more than a glance's worth of data.
MAX_PREVIEW_BYTES = 2 * 1024 * 1024


def _check_preview(path: str, data: bytes) -> None:
    """The preview is under the size limit and is what its name says (the bytes, not the name)."""
    if len(data) > MAX_PREVIEW_BYTES:
        raise PackageError(
            f"{MANIFEST}: preview: {path} is over the {MAX_PREVIEW_BYTES}-byte limit for a preview",
            code="INVALID_MANIFEST",
            field="preview",
        )
    suffix = path.lower().rsplit(".", 1)[-1]
    matches = {
        "mp4": data[4:8] == b"ftyp",
        "webm": data[:4] == b"\x1a\x45\xdf\xa3",
        "gif": data[:6] in (b"GIF87a", b"GIF89a"),
        "webp": data[:4] == b"RIFF" and data[8:12] == b"WEBP",
        "png": data[:8] == b"\x89PNG\r\n\x1a\n",
    }
    if not matches.get(suffix, False):
        raise PackageError(
            f"{MANIFEST}: preview: {path} is not a {suffix} file", code="INVALID_MANIFEST", field="preview"
        )
