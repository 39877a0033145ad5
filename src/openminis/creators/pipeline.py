"""The transcoding job of a post: the episodes' media pipeline, with visible progress; the post is
published (``ready``) the moment its media is."""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import partial
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.orm import Session

from openminis import changes
from openminis.creators.models import Post
from openminis.creators.service import TRANSCODE_JOB, media_folder, upload_key
from openminis.db import Database, utcnow
from openminis.drama import media
from openminis.jobs import service as jobs
from openminis.storage import ObjectStore
from openminis.unit_of_work import after_commit, unit_of_work

log = logging.getLogger("openminis.creators")
# Posts are short videos: a cap of their own, below the episodes' when an operator lowers that.
MAX_POST_SECONDS = 180.0
POLICY = jobs.Policy(first=timedelta(seconds=30), cap=timedelta(minutes=10), give_up_after=timedelta(hours=24))


def transcoder(db: Database, store: ObjectStore, work_root: Path, max_seconds: float, preset: str) -> jobs.Handler:
    """The job handler: the upload ``media/posts/uploads/{upload}`` becomes ``media/posts/{media_key}``."""

    def transcode(session: Session, payload: jobs.Payload) -> None:
        # No unit is open while ffmpeg runs (on SQLite one would hold the write lock for minutes):
        # the post is looked at in a read unit that ends first; the job's own unit (``session``)
        # has its first statement after the transcode, with the outcome and the job's end; each
        # progress step is a short unit of its own, so that the creator sees it meanwhile.
        post_id, upload = payload["post_id"], payload["upload"]
        # The media key is the upload's name: a retry after the outputs were stored but before the
        # commit stores them again under the same key, and leaves no orphan folder behind.
        key = Path(upload).stem
        with unit_of_work(db, reads=True) as reading:
            found = reading.get(Post, post_id)
            status = found.status if found is not None else None  # None: deleted by its creator
        if not store.exists(upload_key(upload)):
            if status == "uploaded":
                # Neither published nor gone: the file is on another node's disk (nodes sharing a
                # database without MINIS_STORAGE_URL), not done. Ended "done", the post stayed
                # uploaded for good (attack56b); retried, the job may reach a node that has it.
                raise FileNotFoundError(
                    f"upload {upload} of post {post_id} is not in this node's storage: nodes that share"
                    " a database share storage too (MINIS_STORAGE_URL, docs/deploy.md)"
                )
            return  # done before a crash cut the job's bookkeeping short
        if status in (None, "ready"):
            # Deleted by its creator before its turn came, or published before a crash left the upload.
            store.delete(upload_key(upload))
            return

        def progress(percent: int) -> None:
            with unit_of_work(db) as tracker:
                tracker.execute(update(Post).where(Post.id == post_id).values(progress=percent))

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
            session.execute(
                update(Post).where(Post.id == post_id).values(status="failed", error=f"{exc.code}: {exc.message}")
            )
            after_commit(session, partial(store.delete, upload_key(upload)))
            log.info("post %s rejected: %s", post_id, exc.message)
            return
        if output is None:
            return  # deleted meanwhile by another attempt of this job
        post = session.get(Post, post_id)
        if post is None:  # deleted while it was being transcoded
            store.delete_folder(media_folder(key))
        else:
            post.media_key, post.status, post.progress, post.duration_ms, post.error = (
                key,
                "ready",
                100,
                output.duration_ms,
                None,
            )
            post.published_at = utcnow()
            after_commit(session, changes.listed)  # the feed lists it once it is committed
        after_commit(session, partial(store.delete, upload_key(upload)))

    return transcode


def register(
    registry: jobs.Registry, db: Database, store: ObjectStore, work_root: Path, max_seconds: float, preset: str
) -> None:
    handler = transcoder(db, store, work_root, min(max_seconds, MAX_POST_SECONDS), preset)
    registry.register(TRANSCODE_JOB, handler, POLICY)
