"""The demo makes and publishes its own series offline; producers upload folders from the CLI."""

from __future__ import annotations

import shutil

import pytest
from typer.testing import CliRunner

from openminis.cli import app as cli
from openminis.drama import catalog, demo
from openminis.drama.models import Series
from openminis.drama.synth import make_subtitles
from openminis.unit_of_work import unit_of_work


@pytest.mark.slow
# The demo is the README's first command, on the embedded defaults: SQLite only. Transcoding and
# publishing on PostgreSQL are tests/drama/test_pipeline.py's and tests/creators/test_posts.py's.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_demo_generates_transcodes_and_publishes_a_ten_episode_series(platform):
    worker = platform.worker()
    worker.start(poll_seconds=0.1)
    try:
        series_id = demo.seed(platform, seconds=1.5, report=lambda line: None)
    finally:
        worker.stop()
    with platform.db.session() as session:
        series = session.get(Series, series_id)
        assert series.status == "published" and series.free_episodes == 3
        # Every episode has its dialogue in English and Spanish.
        assert {tuple(sorted(e.subtitles)) for e in catalog.episodes(session, series_id)} == {("en", "es")}
        assert [e.number for e in catalog.episodes(session, series_id, ready_only=True)] == list(range(1, 11))
    assert demo.seed(platform, seconds=1.5, report=lambda line: None) == series_id  # seeding twice adds nothing


def test_minis_drama_upload_transcodes_a_folder_with_progress_and_reports_bad_files(tmp_path, clips):
    from openminis.migrations import upgrade
    from openminis.platform import Platform
    from openminis.settings import Settings

    data = tmp_path / "data"
    data.mkdir()
    settings = Settings(data_dir=data, secret_key="x")
    upgrade(settings.database)
    platform = Platform(settings)
    with unit_of_work(platform.db) as session:
        from openminis.developers import service as developers
        from openminis.developers.models import Developer

        studio = Developer(id="cli-studio", user_id=None, name="CLI Studio")
        session.add(studio)
        session.flush()
        developers.register_app(session, studio, app_id="cli-dramas", name="CLI Dramas", kind="drama")
        series_id = catalog.create_series(session, "cli-dramas", title="From the CLI").id
    platform.close()
    folder = tmp_path / "episodes"
    folder.mkdir()
    shutil.copy(clips["episode"], folder / "01.mp4")
    shutil.copy(clips["landscape"], folder / "02.mp4")
    # Subtitles beside an episode, named for it and their language; a broken one is reported.
    (folder / "01.en.vtt").write_text(make_subtitles(seconds=3, lines=["From the CLI"]))
    (folder / "01.es.vtt").write_text("WEBVTT\n\n00:02.000 --> 00:01.000\nAl revés\n")
    result = CliRunner().invoke(
        cli, ["drama", "upload", str(folder), "--app", "cli-dramas", "--series", series_id, "--data-dir", str(data)]
    )
    assert result.exit_code == 1, result.output
    assert "episode 1: ready (3 s)" in result.output
    assert "episode 2: failed WRONG_SHAPE" in result.output
    assert "episode 1: subtitles en (01.en.vtt)" in result.output
    assert "subtitles 01.es.vtt: SUBTITLES_REJECTED" in " ".join(result.output.split())
    platform = Platform(settings)
    with platform.db.session() as session:
        assert sorted(catalog.find_episode(session, series_id, 1).subtitles) == ["en"]
    platform.close()
