"""A process that has imported the platform once and forks ``minis`` commands from it on request.

``python -m openminis.cli serve`` spends about two seconds of CPU importing FastAPI, Pydantic,
SQLAlchemy and the platform's 230 modules before it serves anything, and as much again for every
``minis`` command. The test suite starts such processes a few hundred times a run, on two cores
that the tests themselves need. Forked from this process, which has done the imports once, a
command starts in milliseconds. What runs is unchanged: the child is its own process, with the
command line, environment, working directory and standard files it was given, parses its arguments
with the same Typer app as ``python -m openminis.cli``, and is signalled, waited for and exits as a
process started by :mod:`subprocess` does (:class:`Child` has ``Popen``'s interface).

The preloaded parent imports, but creates nothing: no engine, no thread, no event loop (forking a
process with threads is unsafe); everything a command makes, it makes in its own child.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

_REQUEST = 1 << 20  # the largest request (command line and environment) read from a client


class Child:
    """A ``minis`` command forked by the zygote, with the part of ``subprocess.Popen``'s interface
    the tests use. Its exit status comes over the connection it was asked for on, since the
    zygote, not this process, is its parent."""

    def __init__(self, connection: socket.socket, pid: int, args: list[str]):
        self._connection = connection
        self.pid = pid
        self.args = args
        self.returncode: int | None = None

    def poll(self) -> int | None:
        return self._wait(0)

    def wait(self, timeout: float | None = None) -> int:
        code = self._wait(timeout)
        if code is None:
            raise subprocess.TimeoutExpired(self.args, timeout or 0)
        return code

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:
            with contextlib.suppress(ProcessLookupError):  # it has exited; its status is on the way
                os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def _wait(self, timeout: float | None) -> int | None:
        if self.returncode is not None:
            return self.returncode
        readable, _, _ = select.select([self._connection], [], [], timeout)
        if not readable:
            return None
        line = self._connection.recv(64).decode()
        self._connection.close()
        if not line.startswith("exit "):
            raise RuntimeError("the zygote went away before the command exited")
        self.returncode = int(line.split()[1])
        return self.returncode


class Zygote:
    """The client: starts the preloaded process on first use and asks it for commands."""

    def __init__(self, preload: Sequence[str] = ("openminis.cli", "openminis.app")):
        self.preload = list(preload)
        self._process: subprocess.Popen[bytes] | None = None
        self._starting = threading.Lock()  # two threads' first commands start one zygote
        self._folder = tempfile.mkdtemp(prefix="minis-zygote-")
        self._address = str(Path(self._folder) / "socket")

    @property
    def pid(self) -> int | None:
        """The zygote's own process, once a command has started it."""
        return None if self._process is None else self._process.pid

    def _start(self) -> None:
        with self._starting:
            if self._process is None or self._process.poll() is not None:
                self._spawn()

    def _spawn(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._address)  # a zygote that died left its address behind
        self._process = subprocess.Popen(
            [sys.executable, "-m", "openminis.zygote", self._address, *self.preload], stdin=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 60
        while not os.path.exists(self._address):
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the zygote did not start")
            time.sleep(0.02)

    def popen(
        self,
        args: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | Path | None = None,
        stdout: IO[Any] | None = None,
        stderr: IO[Any] | int | None = None,
    ) -> Child:
        """``minis ARGS`` as a new process; ``stdout`` and ``stderr`` are open files (or
        ``subprocess.STDOUT`` for stderr), this process's own when None."""
        self._start()
        out = (stdout or sys.stdout).fileno()
        err = (
            out
            if stderr == subprocess.STDOUT
            else (sys.stderr if stderr is None or isinstance(stderr, int) else stderr).fileno()
        )
        with open(os.devnull, "rb") as devnull:
            connection = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            connection.connect(self._address)
            request = {
                "args": list(args),
                "env": dict(os.environ if env is None else env),
                "cwd": str(cwd or os.getcwd()),
            }
            socket.send_fds(connection, [json.dumps(request).encode()], [devnull.fileno(), out, err])
        answer = connection.recv(64).decode()
        if not answer.startswith("pid "):
            connection.close()
            raise RuntimeError(f"the zygote refused the command: {answer.strip()}")
        return Child(connection, int(answer.split()[1]), ["minis", *args])

    def run(
        self,
        args: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | Path | None = None,
        check: bool = False,
        timeout: float | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """``subprocess.run(..., capture_output=True, text=True)`` for ``minis ARGS``."""
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            child = self.popen(args, env=env, cwd=cwd, stdout=out, stderr=err)
            try:
                code = child.wait(timeout)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
                raise
            out.seek(0)
            err.seek(0)
            result = subprocess.CompletedProcess(child.args, code, out.read().decode(), err.read().decode())
        if check:
            result.check_returncode()
        return result

    def close(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=10)
        self._process = None
        for path in (self._address, self._folder):
            with contextlib.suppress(OSError):
                os.rmdir(path) if path == self._folder else os.unlink(path)


def _child(request: dict[str, Any], fds: list[int]) -> None:
    """In the forked child: become the command asked for, then exit with its status."""
    code = 1
    try:
        for number, fd in enumerate(fds):
            os.dup2(fd, number)
            os.close(fd)
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD):
            signal.signal(signum, signal.SIG_DFL)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = ["minis", *request["args"]]
        from openminis.cli import app

        try:
            app(args=request["args"], prog_name="minis")
            code = 0
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else (0 if exit.code is None else 1)
    except BaseException:  # a child must never return into the zygote's loop
        import traceback

        traceback.print_exc()
    finally:
        import atexit

        atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)


def serve(address: str, preload: Sequence[str]) -> None:
    """The zygote's loop: one connection per command (a sequenced-packet socket, so that a request
    arrives whole, with the standard files it passes); the command's exit status goes back on it.
    Single-threaded, so that forking is safe. It ends with the process that started it."""
    import importlib

    for module in preload:
        importlib.import_module(module)
    parent = os.getppid()
    with contextlib.suppress(FileNotFoundError):
        os.unlink(address + ".new")  # left by a zygote killed while it started
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(address + ".new")
    listener.listen(64)
    os.rename(address + ".new", address)  # the client waits for the address to exist
    running: dict[int, socket.socket] = {}
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while os.getppid() == parent:
            readable, _, _ = select.select([listener], [], [], 0.05)
            if readable:
                connection, _ = listener.accept()
                message, fds, _, _ = socket.recv_fds(connection, _REQUEST, 3)
                pid = os.fork()
                if pid == 0:
                    listener.close()
                    connection.close()
                    for other in running.values():
                        other.close()
                    _child(json.loads(message), fds)
                for fd in fds:
                    os.close(fd)
                connection.sendall(f"pid {pid}\n".encode())
                running[pid] = connection
            while running:
                pid, status = os.waitpid(-1, os.WNOHANG)
                if pid == 0:
                    break
                connection = running.pop(pid)
                with contextlib.suppress(OSError):  # the client may have gone
                    connection.sendall(f"exit {os.waitstatus_to_exitcode(status)}\n".encode())
                connection.close()
    finally:
        for pid in running:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2:])
