"""The demo's short drama, "Night Shift": ten episodes generated on this machine, then put through
the same upload and transcoding pipeline as a producer's, and published when all are ready."""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from openminis.catalog import service as apps
from openminis.developers import service as developers
from openminis.drama import catalog, subtitles
from openminis.drama.models import Series
from openminis.drama.synth import make_clip, make_subtitles
from openminis.unit_of_work import unit_of_work

if TYPE_CHECKING:
    from openminis.platform import Platform  # the composition root, above this domain: named, not imported

log = logging.getLogger("openminis.demo")
APP_ID = "demo-dramas"
TITLE = "Night Shift"
# Each episode's dialogue, for its subtitles (English, and Spanish as a second track).
DIALOGUE = {
    "en": ["Who's there?", "It's only the night shift.", "Then why is the light still on?"],
    "es": ["¿Quién anda ahí?", "Solo es el turno de noche.", "¿Entonces por qué sigue encendida la luz?"],
}
EPISODES = [
    ("The First Call", "Mia starts her first night at Saint Clare's."),
    ("Room 214", "A patient who should not be awake asks for her by name."),
    ("The Chart", "Someone has changed the medication chart."),
    ("Dr. Hale", "The new surgeon knows more than he says."),
    ("Blackout", "The power fails at 3 a.m."),
    ("The Basement", "Mia follows the sound of a ringing phone."),
    ("Old Records", "A file from 1998 carries her mother's name."),
    ("Confession", "Hale tells her why he came back."),
    ("Code Blue", "Everything happens at once on the fourth floor."),
    ("Morning", "The night ends. Not everyone is who they seemed."),
]


def ensure_app(platform: Platform) -> None:
    """The demo studio's drama app, which the series (and its ad unit) belong to."""
    with unit_of_work(platform.db) as session:
        if not apps.app_exists(session, APP_ID):
            studio = developers.house_developer(session, "demo-studio", name="openminis Demo Studio")
            developers.register_app(session, studio, app_id=APP_ID, name="Demo Dramas", kind="drama")


def seed(platform: Platform, *, seconds: float = 20, report: Callable[[str], object] = print) -> str | None:
    """Create the demo series if it is not there yet. Returns its id once published."""
    ensure_app(platform)
    with unit_of_work(platform.db) as session:
        existing = session.scalar(select(Series).where(Series.app_id == APP_ID, Series.title == TITLE))
        if existing is not None and existing.status == "published":
            return existing.id
        if existing is None:
            existing = catalog.create_series(
                session,
                APP_ID,
                title=TITLE,
                synopsis=(
                    "A nurse's first night shift at an old hospital, and the secret it keeps. A ten-episode mystery."
                ),
                genres=["mystery", "romance"],
                free_episodes=3,
                episode_price=30,
                series_price=200,
                ad_unlock=True,
                ad_unlocks_per_day=5,
            )
        series_id = existing.id
        done = {e.number for e in catalog.episodes(session, series_id) if e.status in ("processing", "ready")}
    with tempfile.TemporaryDirectory() as tmp:
        for number, (title, line) in enumerate(EPISODES, start=1):
            if number in done:
                continue
            clip = make_clip(
                Path(tmp) / f"ep{number}.mp4",
                seconds=seconds,
                lines=[TITLE, f"Episode {number}: {title}", line],
                seed=number,
            )
            with unit_of_work(platform.db) as session:
                catalog.accept_upload(session, platform.storage, APP_ID, series_id, number, title=title, source=clip)
                for language, spoken in DIALOGUE.items():
                    vtt = make_subtitles(seconds=seconds, lines=[line, *spoken])
                    subtitles.attach(
                        session, platform.storage, APP_ID, series_id, number, language, vtt.encode("utf-8")
                    )
            report(f"demo: drama episode {number}/{len(EPISODES)} generated; transcoding")
    # The job worker transcodes; publish once every episode is ready.
    deadline = time.monotonic() + 1800
    while time.monotonic() < deadline:
        with unit_of_work(platform.db) as session:
            states = [e.status for e in catalog.episodes(session, series_id)]
            if states.count("ready") == len(EPISODES):
                catalog.publish(session, APP_ID, series_id)
                report(f"demo: drama series '{TITLE}' published ({len(EPISODES)} episodes)")
                return series_id
            if "failed" in states:
                log.error("a demo episode failed to transcode; the series stays unpublished")
                return None
        time.sleep(2)
    return None
