"""The demo's ads: two made-up advertisers and the platform's own house ads, with video and image
creatives generated on this machine, and ad units for the demo games and the demo drama under
stable ids (the games carry them in their packages, as a real game carries its unit ids)."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import select
from sqlalchemy.orm import Session

from openminis.ads import campaigns, inventory, media
from openminis.ads.models import AdUnit, Advertiser
from openminis.catalog import service as apps
from openminis.drama.synth import make_clip
from openminis.unit_of_work import unit_of_work

if TYPE_CHECKING:
    from openminis.platform import Platform  # the composition root, above this domain: named, not imported

UNITS = [
    # (app, stable unit id, fields)
    (
        "sky-runner",
        "au_sky_continue",
        inventory.UnitFields(
            name="Continue the run", kind="rewarded", reward_type="continue", reward_amount=1, min_watch_seconds=10
        ),
    ),
    (
        "merge-2048",
        "au_merge_between_rounds",
        inventory.UnitFields(name="Between rounds", kind="interstitial", min_interval_seconds=60),
    ),
    (
        "demo-dramas",
        "au_drama_unlock",
        inventory.UnitFields(
            name="Unlock an episode", kind="rewarded", reward_type="episode", reward_amount=1, min_watch_seconds=10
        ),
    ),
]
# (advertiser, is house, bid CPM in USD micros, what it says, colour seed, click-through)
CAMPAIGNS = [
    (
        "Lumen Tea",
        False,
        6_000_000,
        ["Lumen Tea", "Calm in every cup", "Try the winter blend"],
        3,
        "https://example.com/lumen-tea",
    ),
    (
        "Orbit Runners",
        False,
        4_500_000,
        ["Orbit Runners", "Shoes that keep up", "Run the night city"],
        5,
        "https://example.com/orbit-runners",
    ),
    (
        "openminis",
        True,
        0,
        ["Night Shift", "A new short drama", "Three episodes free"],
        7,
        "https://example.com/night-shift",
    ),
]


def _poster(lines: list[str], seed: int) -> bytes:
    image = Image.new("RGB", (720, 1280), (20 + seed * 20 % 200, 30, 70 + seed * 25 % 150))
    draw = ImageDraw.Draw(image)
    y: float = 480
    for index, line in enumerate(lines):
        font = ImageFont.load_default(size=64 if index == 0 else 40)
        box = draw.textbbox((0, 0), line, font=font)
        draw.text(((720 - (box[2] - box[0])) / 2, y), line, font=font, fill=(255, 255, 255))
        y += (box[3] - box[1]) + 36
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _creatives(
    store: media.CreativeStore, limit: int, seconds: float, lines: list[str], colour: int
) -> list[tuple[media.MediaFile, int | None]]:
    """A campaign's video and poster, made on this machine and stored: (file, duration in ms)."""
    with tempfile.TemporaryDirectory() as tmp:
        video = make_clip(Path(tmp) / f"{colour}.mp4", seconds=seconds, lines=lines, seed=colour)
        made = [(video.read_bytes(), int(seconds * 1000)), (_poster(lines, colour), None)]
    return [(media.store(store, data, limit), duration) for data, duration in made]


def create_units(session: Session) -> None:
    """The demo games' ad units under the ids their packages carry, for those of the games that
    are published; a unit already there is left as it is. Without them a demo game's ad requests
    name units the platform does not know (422)."""
    for app_id, unit_id, fields in UNITS:
        if apps.app_exists(session, app_id) and session.get(AdUnit, unit_id) is None:
            inventory.create_unit(session, app_id, fields, unit_id=unit_id)


def seed(platform: Platform, *, seconds: float = 15, report: Callable[[str], object] = print) -> None:
    """Create the demo ads once; a second call finds them and does nothing."""
    server = platform.ads
    limit = platform.settings.ads_max_creative_bytes
    with unit_of_work(platform.db, reads=True) as session:
        missing = session.scalar(select(Advertiser.id).where(Advertiser.name == "Lumen Tea")) is None
    # The videos take seconds to make: made before the unit of work that writes, which would hold
    # SQLite's write lock meanwhile.
    files = {}
    if missing:
        for _name, _house, _bid, lines, colour, _click in CAMPAIGNS:
            files[colour] = _creatives(server.media, limit, seconds, lines, colour)
    made: list[str] = []
    with unit_of_work(platform.db) as session:
        if missing and session.scalar(select(Advertiser.id).where(Advertiser.name == "Lumen Tea")) is None:
            for name, house, bid, lines, colour, click in CAMPAIGNS:
                advertiser = campaigns.create_advertiser(session, name=name)
                if house:
                    campaign = campaigns.create_campaign(
                        session,
                        advertiser_id=advertiser.id,
                        house=True,
                        name=f"{name} house",
                        status="active",
                        bid_cpm=0,
                        total_budget=None,
                        daily_budget=None,
                        categories=None,
                        markets=None,
                        frequency_count=None,
                        frequency_seconds=None,
                    )
                else:
                    campaigns.deposit(session, advertiser.id, amount=50_000_000, idempotency_key="demo-funding")
                    campaign = campaigns.create_campaign(
                        session,
                        advertiser_id=advertiser.id,
                        name=f"{name} launch",
                        status="active",
                        bid_cpm=bid,
                        total_budget=20_000_000,
                        daily_budget=5_000_000,
                        categories=None,
                        markets=None,
                        frequency_count=5,
                        frequency_seconds=3600,
                    )
                for stored, duration in files[colour]:
                    size = (540, 960) if stored.kind == "video" else (720, 1280)
                    campaigns.add_creative(
                        session,
                        server.media,
                        campaign.id,
                        file=stored.name,
                        click_url=click,
                        title=lines[0],
                        width=size[0],
                        height=size[1],
                        duration_ms=duration,
                    )
                made.append(name)
        create_units(session)
    for name in made:
        report(f"demo: ads for {name} ready")
