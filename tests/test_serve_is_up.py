"""``minis serve`` says "openminis is up" only once the server answers: a script that waits for the
line and then calls the server gets an answer, never "Connection refused" (a probe's
``--workers 2`` printed it 45 s before the port answered)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from openminis.liveserver import LiveServer, free_port
from tests.conftest import postgres_database

UP = "is up: open"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request, tmp_path) -> Iterator[dict[str, str]]:
    """The environment of a server on a new, migrated database (the analytics events in it on
    PostgreSQL, which ``--workers`` needs)."""
    if request.param == "sqlite":
        path = tmp_path / "minis.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield {"MINIS_DATABASE_URL": f"sqlite:///{path}"}
        return
    with postgres_database() as url:
        yield {"MINIS_DATABASE_URL": url, "MINIS_ANALYTICS_URL": url}


def first_answer_after_the_line(tmp_path: Path, env: dict[str, str], *args: str) -> httpx.Response:
    """Start ``minis serve``, wait for its "is up" line as a script does, then call the server at
    once: its answer."""
    port = free_port()
    data = tmp_path / "data"
    log_path = tmp_path / "serve.log"
    env = {**os.environ, "MINIS_PUBLIC_URL": f"http://localhost:{port}", "MINIS_BROWSER_CHECKS": "false", **env}
    command = ["serve", "--port", str(port), "--data-dir", str(data), *args]
    started = time.monotonic()
    with open(log_path, "w") as log:
        process = LiveServer.commands.popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        while UP not in log_path.read_text():
            assert process.poll() is None, f"minis serve exited: {log_path.read_text()[-2000:]}"
            assert time.monotonic() - started < 120, f"no 'is up' line in 120 s: {log_path.read_text()[-2000:]}"
            time.sleep(0.005)
        said = time.monotonic() - started
        try:
            # One try, as a script makes: the line promised an answer. A server that has bound its
            # port but whose processes are still loading holds the request, hence the read limit.
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=httpx.Timeout(10, connect=2))
        except httpx.HTTPError as exc:
            pytest.fail(f"'is up' after {said:.2f} s, then {exc!r}: {log_path.read_text()[-2000:]}")
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def test_one_serving_process_says_it_is_up_once_it_answers(tmp_path, database):
    answer = first_answer_after_the_line(tmp_path, database)
    assert answer.status_code == 200, answer.text


@pytest.mark.postgres
@pytest.mark.slow
def test_two_serving_processes_say_they_are_up_once_one_answers(tmp_path):
    with postgres_database() as url:
        answer = first_answer_after_the_line(
            tmp_path, {"MINIS_DATABASE_URL": url, "MINIS_ANALYTICS_URL": url}, "--workers", "2"
        )
    assert answer.status_code == 200, answer.text
