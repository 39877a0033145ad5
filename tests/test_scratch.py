"""Work done in files outside the database (a transcode, an upload on its way in) leaves nothing
behind when its process is killed: the next server or worker to start on the machine removes it,
and never a folder another process is still working in.

A probe found a worker killed during a transcode left its scratch folder (3.4 MB) in the data
folder for good, and an upload cut by a killed server its staging file (as large as the upload
limit): nothing removed them, at any start.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from openminis import scratch
from openminis.drama.synth import make_clip
from openminis.liveserver import LiveServer
from tests.browser.drama_studio import DramaStudio
from tests.test_bursts import serve

HOLD = """
import sys, time
from pathlib import Path
from openminis import scratch
with scratch.folder(Path(sys.argv[1]), "transcode-") as folder:
    (folder / "frames.bin").write_bytes(bytes(100_000))
    print(folder, flush=True)
    time.sleep(60)
"""


@contextlib.contextmanager
def holder(root: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    """A process working in a scratch folder of its own under ``root``, and that folder; killed
    at the end of the block if it is still running."""
    with subprocess.Popen([sys.executable, "-c", HOLD, str(root)], stdout=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        try:
            yield process, Path(process.stdout.readline().strip())
        finally:
            process.kill()


def test_the_sweep_removes_the_folder_of_a_killed_process_and_keeps_one_in_use(tmp_path: Path):
    root = tmp_path / "work"
    with holder(root) as (killed, left), holder(root) as (working, used):
        killed.send_signal(signal.SIGKILL)
        killed.wait()
        assert left.is_dir()  # a SIGKILL runs no cleanup
        fresh = root / "upload-fresh"  # made a moment ago, its lock not yet taken
        fresh.mkdir()

        assert scratch.sweep(root) == [left.name]
        assert not left.exists()
        assert (used / "frames.bin").is_file() and fresh.is_dir()
        working.kill()
        working.wait()
        assert scratch.sweep(root) == [used.name]


def test_a_finished_folder_is_removed_by_its_own_process(tmp_path: Path):
    with scratch.folder(tmp_path, "check-") as folder:
        (folder / "shot.png").write_bytes(b"png")
    assert list(tmp_path.iterdir()) == []


def restarted(server: LiveServer) -> LiveServer:
    """Another server on the same data folder and database, as a supervisor starts one."""
    env = {key: value for key, value in server.env.items() if key.startswith("MINIS_") and key != "MINIS_PUBLIC_URL"}
    return LiveServer(server.data_dir, env=env)


def cut_upload(server: LiveServer, studio: DramaStudio, path: str) -> socket.socket:
    """An episode upload that sends 1 MB of a declared 10 MB and waits: the server stages it."""
    connection = socket.create_connection(("127.0.0.1", server.port))
    head = [f"PUT {path} HTTP/1.1", f"Host: localhost:{server.port}", "Content-Type: video/mp4"]
    head += [f"{name}: {value}" for name, value in studio.headers.items()]
    head += ["Content-Length: 10000000", "", ""]
    connection.sendall("\r\n".join(head).encode() + bytes(1_000_000))
    return connection


def appears(find, seconds: float = 60) -> list[Path]:
    deadline = time.monotonic() + seconds
    while not (found := find()) and time.monotonic() < deadline:
        time.sleep(0.02)
    return found


@pytest.mark.slow  # a real server killed in the middle of a transcode, and another started
def test_a_server_killed_mid_transcode_and_mid_upload_leaves_nothing_after_the_next_start(
    tmp_path: Path, database_url: str
):
    clip = make_clip(tmp_path / "long.mp4", seconds=12, lines=["Killed"], width=360, height=640).read_bytes()
    with serve(tmp_path, database_url) as server:
        data = server.data_dir
        studio = DramaStudio.open(server)
        episodes = f"{server.url}/openapi/v1/series/{studio.series_id}/episodes"
        # What is on disk outside the store while both run: the upload's file (it waits for the rest
        # of its body for good), the transcode's folder (the server is killed the moment it is held:
        # killed between making it and taking its lock, a matter of microseconds that a loaded CI
        # machine once stretched, it is one a sweep leaves for UNLOCKED_GRACE_SECONDS, scratch.py).
        upload = cut_upload(server, studio, f"/openapi/v1/series/{studio.series_id}/episodes/2")
        staged = appears(lambda: [p for p in data.rglob("upload*") if p.is_file()])
        sent = httpx.put(f"{episodes}/1", content=clip, headers={**studio.headers, "Content-Type": "video/mp4"})
        assert sent.status_code == 202, sent.text
        transcoding = appears(lambda: sorted(p for p in data.glob("work/transcode-*") if (p / scratch.LOCK).exists()))
        os.kill(server.process.pid, signal.SIGKILL)
        assert transcoding and staged, sorted(str(p.relative_to(data)) for p in data.rglob("*"))
        server.process.wait()
        upload.close()
    assert all(path.exists() for path in transcoding + staged)

    with restarted(server) as again:
        assert httpx.get(f"{again.url}/healthz").status_code == 200
        assert not any(path.exists() for path in transcoding + staged)
        assert [p for p in data.rglob("upload*") if p.is_file()] == []


def test_a_platform_whose_scratch_space_is_a_file_does_not_start(platform):
    """An attack made `data/work` a file: the server started, and every upload answered 500."""
    platform.settings.work_dir.parent.mkdir(parents=True, exist_ok=True)
    platform.settings.work_dir.write_text("not a folder")
    with pytest.raises(RuntimeError, match="must be a folder"):
        platform.sweep_scratch()
