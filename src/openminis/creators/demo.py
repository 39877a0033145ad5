"""The demo's creators: four accounts with original posts, videos generated on this machine and put
through the same upload and transcoding pipeline as anyone's, anchored to the demo games and drama."""

from __future__ import annotations

import hashlib
import hmac
import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from openminis.creators import service
from openminis.drama import catalog as drama
from openminis.drama import demo as drama_demo
from openminis.drama.synth import make_clip
from openminis.errors import Conflict, InvalidArgument
from openminis.identity import accounts
from openminis.identity.service import new_user
from openminis.unit_of_work import unit_of_work

if TYPE_CHECKING:
    from openminis.creators.models import Creator
    from openminis.platform import Platform

log = logging.getLogger("openminis.demo")
EMAIL_DOMAIN = "example.com"


@dataclass(frozen=True)
class DemoPost:
    caption: str
    anchor: tuple[str, str | int | None] | None  # ("app", app_id), ("series", None), ("episode", number)
    lines: tuple[str, str]  # what the video shows under the handle


@dataclass(frozen=True)
class DemoCreator:
    handle: str
    display_name: str
    bio: str
    posts: tuple[DemoPost, ...]


CREATORS = (
    DemoCreator(
        "skyjumper",
        "Sky Jumper",
        "Running above the clouds since patch 1.0. Daily high-score attempts.",
        (
            DemoPost(
                "Forty pillars, zero revives. The trick: jump on the beat, not on the gap.",
                ("app", "sky-runner"),
                ("40 pillars", "zero revives"),
            ),
            DemoPost(
                "Is the golden bird worth 300 coins? I flew it for a week. Verdict inside.",
                ("app", "sky-runner"),
                ("Golden bird", "worth it?"),
            ),
            DemoPost("POV: you said 'one more run' at 2 a.m.", None, ("One more run", "it's 2 a.m.")),
        ),
    ),
    DemoCreator(
        "mergequeen",
        "Merge Queen",
        "Tiles, corners and patience. 2048 in under six minutes.",
        (
            DemoPost(
                "Corner strategy in 30 seconds: pick a corner, never swipe up, let the big tile sit.",
                ("app", "merge-2048"),
                ("Corner strategy", "never swipe up"),
            ),
            DemoPost("The 1024 + 1024 moment never gets old.", ("app", "merge-2048"), ("1024 + 1024", "= 2048")),
        ),
    ),
    DemoCreator(
        "stackmaster",
        "Stack Master",
        "Perfect drops only. Tower reviews every Friday.",
        (
            DemoPost(
                "25 perfect drops in a row. Watch the shadow, not the block.",
                ("app", "tower-stack"),
                ("25 perfect drops", "watch the shadow"),
            ),
            DemoPost(
                "Rating this week's towers from wobbly to skyscraper.",
                ("app", "tower-stack"),
                ("Tower review", "wobbly to sky"),
            ),
        ),
    ),
    DemoCreator(
        "nightshiftfan",
        "Night Shift Fan",
        "Recaps, theories and zero spoilers past the episode I link.",
        (
            DemoPost(
                "Episode 1 had me in 90 seconds. Who asks for a nurse by name at 3 a.m.?",
                ("episode", 1),
                ("Night Shift", "ep 1 reaction"),
            ),
            DemoPost(
                "My Dr. Hale theory, spoiler-free. Start the series and tell me I'm wrong.",
                ("series", None),
                ("Dr. Hale", "a theory"),
            ),
            DemoPost(
                "The blackout episode. I rewatched the stairwell scene three times.",
                ("episode", 5),
                ("Blackout", "ep 5"),
            ),
        ),
    ),
)


def password_for(platform: Platform, handle: str) -> str:
    """The demo accounts' passwords: derived from the platform's secret, so they are stable across
    restarts of one demo and unguessable from another."""
    return hmac.new(platform.secret.encode(), f"demo-creator:{handle}".encode(), hashlib.sha256).hexdigest()[:16]


def _account(session: Session, platform: Platform, spec: DemoCreator) -> Creator:
    """The demo creator's full account and profile, made on the first run."""
    email = f"{spec.handle}@{EMAIL_DOMAIN}"
    user = accounts.user_by_email(session, email)
    if user is None:
        user = accounts.register(
            session, platform.passwords, new_user(session), email=email, password=password_for(platform, spec.handle)
        )
    accounts.rename(session, user, spec.display_name)
    return service.become_creator(session, user.id, handle=spec.handle, display_name=spec.display_name, bio=spec.bio)


def _anchor(session: Session, anchor: tuple[str, str | int | None] | None) -> service.Anchor | None:
    """What a demo post links to, or None when its target is not there (not published)."""
    if anchor is None:
        return service.Anchor()
    kind, target = anchor
    series_id = None
    if kind != "app":
        titled = (s.id for s in drama.list_series(session, app_id=drama_demo.APP_ID) if s.title == drama_demo.TITLE)
        series_id = next(titled, None)
    try:
        return service.check_anchor(
            session,
            kind,
            app_id=target if isinstance(target, str) else None,
            series_id=series_id,
            episode=target if isinstance(target, int) else None,
        )
    except InvalidArgument:
        return None


def seed_demo_creators(
    platform: Platform, *, seconds: float = 8, process_now: bool = False, report: Callable[[str], object] = print
) -> int:
    """Make the demo creators and their posts, skipping whatever exists. Returns how many posts were
    added. The job workers transcode them; ``process_now`` runs those jobs here before returning."""
    added = 0
    with tempfile.TemporaryDirectory() as tmp:
        for index, spec in enumerate(CREATORS):
            with unit_of_work(platform.db) as session:
                try:
                    creator = _account(session, platform, spec)
                except Conflict:  # someone took the handle for real before the demo made it
                    creator_id = None
                else:
                    creator_id = creator.user_id
                    posted = {post.caption for post in service.list_posts(session, creator.user_id)}
            if creator_id is None:
                log.warning("demo: @%s is taken; its posts are skipped", spec.handle)
                continue
            before = added
            for number, item in enumerate(spec.posts):
                if item.caption in posted:
                    continue
                # Each step a unit of its own: the clip takes seconds to make, and on SQLite an open
                # transaction would hold the write lock meanwhile.
                with unit_of_work(platform.db, reads=True) as session:
                    anchor = _anchor(session, item.anchor)
                if anchor is None:
                    log.warning("demo: @%s's post skipped, its anchor %s is not published", spec.handle, item.anchor)
                    continue
                clip = make_clip(
                    Path(tmp) / f"{spec.handle}-{number}.mp4",
                    seconds=seconds,
                    lines=[f"@{spec.handle}", *item.lines],
                    seed=11 + 7 * index + number,
                )
                with unit_of_work(platform.db) as session:
                    service.create_post(
                        session,
                        platform.storage,
                        creator_id=creator_id,
                        caption=item.caption,
                        source=clip,
                        anchor_kind=anchor.kind,
                        anchor_app_id=anchor.app_id,
                        anchor_series_id=anchor.series_id,
                        anchor_episode=anchor.episode,
                    )
                added += 1
            if added > before:
                password = password_for(platform, spec.handle)
                report(f"demo: creator @{spec.handle} posted (sign in as {spec.handle}@{EMAIL_DOMAIN} / {password})")
    if process_now:
        platform.worker(only=frozenset({service.TRANSCODE_JOB})).drain()
    return added
