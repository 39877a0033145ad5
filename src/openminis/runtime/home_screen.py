"""Add to home screen: each released app's web app manifest and its icons (docs/home-screen.md).

The manifest names the app and opens ``/play/{app_id}?scene=home_screen`` standalone; its icons are
made from the app's own icon at the released version, so their URLs carry the version and never
change (cached immutable). An icon Pillow cannot read (SVG, a broken file, one too large to decode)
gives way to a tile of the app's initial on a colour of its own: a person still tells apps apart.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image, ImageDraw, ImageFont, ImageStat
from sqlalchemy.orm import Session

from openminis.catalog import service as catalog
from openminis.catalog.cards import cards
from openminis.errors import NotFound

if TYPE_CHECKING:
    from openminis.settings import Settings

SIZES = (192, 512)
# The host's own colours (index.html's theme-color): the splash and the title bar of a launched app.
BACKGROUND = "#0c0c11"
# A maskable icon's safe zone is the centred circle of 80% of its width; a square in it is ~56%.
MASKABLE_SCALE = 0.6
# Icons larger than this are not decoded (a decompression bomb would take the server's memory).
MAX_SOURCE_PIXELS = 4096 * 4096
RASTER = (".png", ".jpg", ".jpeg", ".webp", ".gif")


@dataclass(frozen=True)
class IconSource:
    """What an app's icons are made from: its icon file (None: the initial's tile) and its name."""

    app_id: str
    name: str
    path: Path | None


def web_app_manifest(session: Session, settings: Settings, app_id: str) -> dict[str, object]:
    """The manifest of a released app that people can see (not taken down, not a preview)."""
    card = cards(session, settings, [app_id]).get(app_id)
    if card is None:
        raise NotFound(f"no released app {app_id!r}")
    base = f"/home-screen/{app_id}/{card.version}"
    icons: list[dict[str, str]] = []
    for size in SIZES:
        icons.append({"src": f"{base}/icon-{size}.png", "sizes": f"{size}x{size}", "type": "image/png"})
    for size in SIZES:
        maskable = {"src": f"{base}/icon-{size}-maskable.png", "sizes": f"{size}x{size}", "type": "image/png"}
        icons.append(maskable | {"purpose": "maskable"})
    return {
        "id": f"/play/{app_id}",
        "name": card.name,
        "short_name": card.name if len(card.name) <= 12 else card.name[:11].rstrip() + "…",
        "description": card.description,
        "start_url": f"/play/{app_id}?scene=home_screen",
        "scope": f"/play/{app_id}",
        "display": "standalone",
        "orientation": card.orientation,
        "background_color": BACKGROUND,
        "theme_color": BACKGROUND,
        "icons": icons,
    }


def icon_source(
    session: Session, packages_path: Callable[[str, str], Path | None], app_id: str, version: str
) -> IconSource:
    """The icon of a version that was released (its files are public for good), of an app people
    can see; NotFound for a preview, a version never released, or an app taken down."""
    found = catalog.get_version(session, app_id, version)
    if not found.public or catalog.is_taken_down(session, app_id):
        raise NotFound(f"version {version!r} of {app_id!r} was never released")
    app = catalog.get_app(session, app_id)
    icon = str(found.manifest.get("icon") or "")
    path = None
    if icon.lower().endswith(RASTER) and icon in found.files:
        path = packages_path(found.storage_key, icon)
    return IconSource(app_id=app_id, name=app.name, path=path)


def render_icon(source: IconSource, size: int, *, maskable: bool) -> bytes:
    """A square PNG of ``size`` pixels: the app's icon, or its initial's tile."""
    picture = _read(source.path)
    background = _average(picture) if picture is not None else _colour_of(source.app_id)
    canvas = Image.new("RGBA", (size, size), background if maskable or picture is None else (0, 0, 0, 0))
    if picture is None:
        _draw_initial(canvas, source.name, scale=MASKABLE_SCALE if maskable else 0.8)
    else:
        inner = round(size * MASKABLE_SCALE) if maskable else size
        scale = inner / max(picture.width, picture.height)  # up or down: a small icon fills it too
        fitted = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
        picture = picture.resize(fitted, Image.Resampling.LANCZOS)
        canvas.alpha_composite(picture, ((size - picture.width) // 2, (size - picture.height) // 2))
    out = io.BytesIO()
    canvas.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _read(path: Path | None) -> Image.Image | None:
    if path is None:
        return None
    try:
        with Image.open(path) as opened:
            if opened.width * opened.height > MAX_SOURCE_PIXELS:
                return None
            opened.seek(0)  # an animated GIF's first frame
            picture: Image.Image = opened.convert("RGBA")
            return picture
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        return None


def _average(picture: Image.Image) -> tuple[int, int, int, int]:
    """The icon's mean colour over its opaque pixels, for a maskable icon's full-bleed background."""
    mask = picture.getchannel("A").point(lambda alpha: 255 if alpha > 127 else 0)
    if mask.getbbox() is None:
        return (12, 12, 17, 255)
    red, green, blue = (round(value) for value in ImageStat.Stat(picture.convert("RGB"), mask).mean[:3])
    return (red, green, blue, 255)


def _colour_of(app_id: str) -> tuple[int, int, int, int]:
    """A colour of the app's own, the same every time: a hue from its id, dark enough for white text."""
    hue = hashlib.sha256(app_id.encode()).digest()[0] / 255
    tile = Image.new("HSV", (1, 1), (round(hue * 255), 170, 150)).convert("RGB")
    red, green, blue = tile.getpixel((0, 0))  # type: ignore[misc]
    return (red, green, blue, 255)


def _draw_initial(canvas: Image.Image, name: str, *, scale: float) -> None:
    letter = next((char for char in name if char.isalnum()), "?").upper()
    font = ImageFont.load_default(size=round(canvas.width * scale * 0.7))
    draw = ImageDraw.Draw(canvas)
    draw.text((canvas.width / 2, canvas.height / 2), letter, fill="white", font=font, anchor="mm")
