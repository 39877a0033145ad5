"""The zygote (openminis/zygote.py) starts ``minis`` commands as subprocess does: their own
arguments, environment, working directory and output, their exit status, and signals that reach
them. The suite's live servers and commands all start through it."""

from __future__ import annotations

import os
import signal
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

from openminis.liveserver import LiveServer, Subprocesses, free_port
from openminis.zygote import Zygote


@pytest.fixture(scope="module")
def zygote() -> Zygote:
    commands = LiveServer.commands
    assert isinstance(commands, Zygote)  # tests/conftest.py installs it for the session
    return commands


def test_a_command_gets_its_arguments_environment_and_folder_and_exits_with_its_status(zygote, tmp_path):
    in_folder = zygote.run(["db", "upgrade"], cwd=tmp_path)  # the data dir's default is ./minis-data
    by_environment = zygote.run(["db", "upgrade"], env={**os.environ, "MINIS_DATA_DIR": str(tmp_path / "data")})
    assert (in_folder.returncode, by_environment.returncode) == (0, 0), in_folder.stderr + by_environment.stderr
    assert (tmp_path / "minis-data" / "minis.db").is_file()
    assert (tmp_path / "data" / "minis.db").is_file()

    unknown = zygote.run(["no-such-command"])
    assert unknown.returncode == Subprocesses().run(["no-such-command"]).returncode == 2
    assert "No such command" in unknown.stderr
    with pytest.raises(subprocess.CalledProcessError):
        zygote.run(["no-such-command"], check=True)


def test_a_server_is_signalled_and_waited_for_like_a_subprocess(zygote, tmp_path):
    port = free_port()
    with (tmp_path / "log").open("w") as log:
        server = zygote.popen(
            ["serve", "--port", str(port), "--data-dir", str(tmp_path / "data")],
            env={**os.environ, "MINIS_PUBLIC_URL": f"http://localhost:{port}"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        assert server.poll() is None
        with pytest.raises(subprocess.TimeoutExpired):
            server.wait(timeout=0.1)
        os.kill(server.pid, signal.SIGKILL)  # a crash, as the crash tests cause one
        assert server.wait(timeout=10) == -signal.SIGKILL
        assert server.poll() == -signal.SIGKILL
        server.terminate()  # after the exit: nothing to signal, no error


def test_threads_first_commands_start_one_zygote_and_a_dead_one_is_started_again(tmp_path):
    zygote = Zygote()
    try:
        with ThreadPoolExecutor(4) as pool:
            assert list(pool.map(lambda _: zygote.run(["--help"]).returncode, range(4))) == [0, 0, 0, 0]
        first = zygote.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        os.waitpid(first, 0)  # dead for sure before the next command (it is this process's child)
        assert zygote.run(["--help"]).returncode == 0
        assert zygote.pid not in (None, first)
    finally:
        zygote.close()
