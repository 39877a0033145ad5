"""``minis dev`` removes its scratch platform when it stops, however it is told to stop: Ctrl-C in
its terminal, or SIGTERM from a process manager, an editor's task runner or ``kill``."""

from __future__ import annotations

import signal
import time

import pytest

from openminis.devtools import init
from tests.devtools.test_dev import DevProcess


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_minis_dev_removes_its_scratch_data_when_stopped(tmp_path, monkeypatch, stop):
    """A probe: after SIGTERM the scratch data dir stayed in /tmp, its database and sessions in it
    (and after SIGINT when the parent left SIGINT at its default, as the test runner does)."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))  # where the process makes its minis-dev-* dir
    folder = tmp_path / "star-catcher"
    init.write(folder, app_id="star-catcher", template=init.Template.game)
    dev = DevProcess(folder, tmp_path / "minis-dev.log")
    try:
        dev.wait_until_published()
        assert [path.name[:10] for path in scratch.iterdir()] == ["minis-dev-"]
        dev.process.send_signal(stop)
        assert dev.process.wait(timeout=30) == 128 + stop  # the exit status of a stop by that signal
    finally:
        if dev.process.poll() is None:
            dev.process.kill()
        dev.process.wait()
        dev.log.close()
    assert list(scratch.iterdir()) == [], (tmp_path / "minis-dev.log").read_text()[-2000:]


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_minis_dev_stopped_while_it_starts_or_twice_over_still_removes_its_scratch_data(tmp_path, monkeypatch, stop):
    """The attack on the first fix: a signal during the start (the migrations), or a second one
    while the first's cleanup ran, left the scratch dir (5 of 5, and 2 of 8)."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    folder = tmp_path / "star-catcher"
    init.write(folder, app_id="star-catcher", template=init.Template.game)
    for double in (False, True):
        dev = DevProcess(folder, tmp_path / "minis-dev.log")
        try:
            if double:
                dev.wait_until_published()
                dev.process.send_signal(stop)
                time.sleep(0.05)
                dev.process.send_signal(stop)
            else:
                while not any(scratch.iterdir()) and dev.process.poll() is None:
                    time.sleep(0.005)
                dev.process.send_signal(stop)  # as its scratch dir appears: the start is under way
            dev.process.wait(timeout=30)
        finally:
            if dev.process.poll() is None:
                dev.process.kill()
            dev.process.wait()
            dev.log.close()
        assert list(scratch.iterdir()) == [], (double, (tmp_path / "minis-dev.log").read_text()[-2000:])
