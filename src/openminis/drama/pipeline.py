"""The transcoding job: one uploaded episode through the media pipeline, with visible progress."""

from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta
from functools import partial
from pathlib import Path

from sqlalchemy import case, update
from sqlalchemy.orm import Session

from openminis.db import Database, utcnow
from openminis.drama import media
from openminis.drama.catalog import TRANSCODE_JOB, media_folder, upload_key
from openminis.drama.models import Episode
from openminis.jobs import service as jobs
from openminis.storage import ObjectStore
from openminis.unit_of_work import after_commit, unit_of_work

log = logging.getLogger("openminis.drama")
# Transcoding takes minutes on a busy machine; retry a crash soon, but give up within a day.
POLICY = jobs.Policy(first=timedelta(seconds=30), cap=timedelta(minutes=10), give_up_after=timedelta(hours=24))


def register(
    registry: jobs.Registry, db: Database, store: ObjectStore, work_root: Path, max_seconds: float, preset: str
) -> None:
    def transcode(session: Session, payload: jobs.Payload) -> None:
        # Three kinds of unit, none of them open while ffmpeg runs (on SQLite one would hold the
        # write lock for minutes): the job's own unit (``session``), whose first statement comes
        # after the transcode, with the outcome and the job's end; the progress, each step in a
        # short unit of its own so that the producer sees it meanwhile.
        episode_id, upload = payload["episode_id"], payload["upload"]
        # The media key is the upload's name: a retry after the outputs were stored but before the
        # commit stores them again under the same key, and leaves no orphan folder behind.
        key = Path(upload).stem

        def progress(percent: int) -> None:
            with unit_of_work(db) as tracker:
                tracker.execute(
                    update(Episode).where(Episode.id == episode_id).values(progress=percent, updated_at=utcnow())
                )

        try:
            output = media.transcode_stored(
                store,
                upload_key(upload),
                media_folder(key),
                work_root,
                max_seconds=max_seconds,
                preset=preset,
                progress=progress,
            )
        except media.MediaRejected as exc:
            # A new file for an episode that has media leaves it as it was, playing its media (people
            # paid for it: failed, it was gone for them too); the producer sees why in its error.
            new = Episode.media_key.is_(None)
            session.execute(
                update(Episode)
                .where(Episode.id == episode_id)
                .values(
                    status=case((new, "failed"), else_="ready"),
                    progress=case((new, Episode.progress), else_=100),
                    error=f"{exc.code}: {exc.message}",
                    updated_at=utcnow(),
                )
            )
            after_commit(session, partial(store.delete, upload_key(upload)))
            log.info("episode %s rejected: %s", episode_id, exc.message)
            return
        if output is None:
            found = session.get(Episode, episode_id)
            if found is not None and found.status == "processing" and found.media_key != key:
                # Neither the upload nor its media: the file is on another node's disk (nodes sharing
                # a database without MINIS_STORAGE_URL), not done. Ended "done", the episode stayed
                # processing for good, and every episode after it hidden (attack56); retried, the
                # job may reach a node that has it, and its error tells the operator meanwhile.
                raise FileNotFoundError(
                    f"upload {upload} of episode {episode_id} is not in this node's storage: nodes that share"
                    " a database share storage too (MINIS_STORAGE_URL, docs/deploy.md)"
                )
            return  # done before a crash cut the job's bookkeeping short
        episode = session.get(Episode, episode_id)
        if episode is None:
            # Only a failed episode is deleted (catalog.delete_failed_episode), and none has a job under
            # way: the job fails as it always did, to be retried.
            raise LookupError(f"episode {episode_id} does not exist")
        previous = episode.media_key
        episode.media_key, episode.status, episode.progress, episode.duration_ms, episode.error = (
            key,
            "ready",
            100,
            output.duration_ms,
            None,
        )
        episode.preview = dataclasses.asdict(output.preview) if output.preview else None
        episode.updated_at = utcnow()
        # The objects go once the episode names the new ones: a rollback leaves the upload for the
        # job's next attempt and the previous media in use.
        after_commit(session, partial(store.delete, upload_key(upload)))
        if previous and previous != key:
            after_commit(session, partial(store.delete_folder, media_folder(previous)))

    registry.register(TRANSCODE_JOB, transcode, POLICY)
