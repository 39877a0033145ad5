"""A real ``minis serve`` in a child process on a free loopback port, for browser tests and benchmarks."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Coroutine, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

import httpx

from openminis.settings import DATABASE_FILE

if TYPE_CHECKING:
    from openminis.zygote import Child, Zygote

T = TypeVar("T")

PG_ADMIN = os.environ.get("MINIS_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextmanager
def scratch_postgres(template: str | None = None) -> Iterator[str]:
    """A new, migrated PostgreSQL database (SQLAlchemy URL) for the duration, dropped afterwards.
    With ``template`` (the name of a migrated database no one is connected to), a copy of it: a
    fraction of a second, where running the migrations takes seconds."""
    import psycopg

    from openminis.migrations import upgrade

    name = f"minis_scratch_{os.getpid()}_{secrets.token_hex(3)}"
    url = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"
    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as admin:
        admin.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        try:
            if template is None:
                upgrade(url)
            yield url
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_apart(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on a thread of its own, for a client driving a live server: the caller's
    thread may already run a loop (Playwright's sync API keeps one on the test session's main
    thread), where ``asyncio.run`` refuses to start."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


STUDIO = "house-studio@example.com"


class Subprocesses:
    """``minis`` commands as new Python processes (``python -m openminis.cli``), as an operator
    starts them. The tests use the same interface on a zygote (openminis.zygote), which forks the
    commands from a process that has imported the platform already."""

    def popen(
        self,
        args: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        stdout: IO[Any] | None = None,
        stderr: IO[Any] | int | None = None,
    ) -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-m", "openminis.cli", *args], env=env, stdout=stdout, stderr=stderr)

    def run(
        self,
        args: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        check: bool = False,
        timeout: float | None = None,
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "openminis.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            check=check,
            timeout=timeout,
        )


class LiveServer:
    # How the server and its commands start: a test session replaces this with a zygote.
    commands: Subprocesses | Zygote = Subprocesses()
    # A migrated SQLite database to copy into a new data directory, so that the server (or the
    # publish before it) finds the schema made: a test session sets one. Migrating a new database
    # from nothing costs 0.74 s of CPU, and the tests start a few hundred servers a run.
    sqlite_template: Path | None = None

    def __init__(
        self,
        data_dir: Path,
        *,
        demo: bool = False,
        packages: Iterable[Path] = (),
        env: dict[str, str] | None = None,
        workers: int = 1,
    ):
        self.data_dir = Path(data_dir)
        self.demo = demo
        self.workers = workers
        self.packages = list(packages)
        self.port = free_port()
        self.url = f"http://localhost:{self.port}"
        self.env = {**os.environ, "MINIS_PUBLIC_URL": self.url, **(env or {})}
        self.process: subprocess.Popen[bytes] | Child | None = None

    def app_origin(self, app_id: str) -> str:
        return f"http://{app_id}.apps.localhost:{self.port}"

    def approve(self, app_id: str, version: str, *, percent: int | None = 100) -> dict[str, Any]:
        """A reviewer's approval of a submitted version (with the operator's admin token, which the
        server must have: MINIS_ADMIN_TOKEN), released to ``percent`` % of people unless None."""

        token = self.env.get("MINIS_ADMIN_TOKEN")
        if not token:
            raise RuntimeError("this server has no MINIS_ADMIN_TOKEN to approve with")
        answer = httpx.post(
            f"{self.url}/api/admin/review/{app_id}/{version}/approve",
            json={"percent": percent},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        answer.raise_for_status()
        result: dict[str, Any] = answer.json()
        return result

    def mailed(self, to: str, pattern: str, wait: float = 10) -> str:
        """The first group of ``pattern`` in the last email the server sent to ``to``: without
        MINIS_SMTP_URL its log is the mailbox (a verification code, a sign-in link). Waits up to
        ``wait`` seconds for it, as a person waits for their mail after pressing a button."""
        import re

        deadline = time.monotonic() + wait
        while True:
            log = Path(self.log.name).read_text()
            start = log.rfind(f"mail to {to} (")
            found = re.search(pattern, log[start:]) if start >= 0 else None
            if found is not None:
                return found.group(1)
            if time.monotonic() > deadline:
                raise LookupError(f"no email to {to} matching {pattern!r} in the server's log")
            time.sleep(0.1)

    def minis(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.commands.run(args, env=self.env, check=True)

    def __enter__(self) -> LiveServer:
        database = self.data_dir / DATABASE_FILE
        if self.sqlite_template is not None and "MINIS_DATABASE_URL" not in self.env and not database.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.sqlite_template, database)
        if self.packages:
            # The operator's publish, owned by the server's house studio (every app has an owner).
            paths = [str(package) for package in self.packages]
            self.minis("publish", *paths, "--developer", STUDIO, "--data-dir", str(self.data_dir))
        command = ["serve", "--port", str(self.port), "--data-dir", str(self.data_dir)]
        if self.demo:
            command.append("--demo")
        if self.workers != 1:
            command += ["--workers", str(self.workers)]
        self.log = open(self.data_dir.parent / f"server-{self.port}.log", "w")
        self.process = self.commands.popen(command, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        # One client for the whole wait: a new one per try (httpx.get) loads the CA bundle each time,
        # which cost the test suite more CPU than the servers' own start.
        with httpx.Client(timeout=1) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(
                        f"minis serve exited with {self.process.returncode}: {Path(self.log.name).read_text()[-2000:]}"
                    )
                try:
                    if client.get(f"http://127.0.0.1:{self.port}/healthz").status_code == 200:
                        return self
                except httpx.HTTPError:
                    pass
                time.sleep(0.05)
        self.__exit__(None, None, None)
        raise RuntimeError("minis serve did not become ready within 60 s")

    def __exit__(self, *exc: object) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()
