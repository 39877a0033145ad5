"""``minis dev`` and ``minis init``, registered by openminis/cli.py.

``minis dev`` takes the operator's publish path from cli.py as an argument (``dev_command``):
cli.py imports this package to register the commands, so this package must not import cli.py back.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import tempfile
import threading
import webbrowser
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from openminis.devtools import init as starters
from openminis.devtools.server import DevServer, DevState, Publish
from openminis.devtools.watch import FolderWatcher
from openminis.migrations import upgrade
from openminis.platform import Platform
from openminis.settings import Settings

console = Console()


def dev_command(publish: Publish) -> Callable[..., None]:
    """The ``minis dev`` command, publishing through ``publish`` (cli.py's publish_folder)."""

    def dev(
        path: Annotated[Path, typer.Argument(help="The package folder, with minis.json at its root.")],
        port: Annotated[int, typer.Option(help="Port to serve on, on 127.0.0.1.")] = 8100,
        open_browser: Annotated[bool, typer.Option("--open/--no-open", help="Open the dev page in a browser.")] = True,
    ) -> None:
        """Simulate one package folder: the real host and runtime, republished whenever a file changes."""
        serve_folder(path, port=port, open_browser=open_browser, publish=publish)

    return dev


# The settings that name a service outside the simulator: each is blanked, so that its embedded
# form (SQLite, DuckDB, files, no mail, the sandbox) is used instead.
OUTSIDE = (
    "database_url",
    "analytics_url",
    "redis_url",
    "smtp_url",
    "stripe_api_key",
    "stripe_webhook_secret",
    "storage_url",
    "storage_endpoint_url",
    "storage_access_key_id",
    "storage_secret_access_key",
    "media_base_url",
    "ads_media_url",
)


def dev_settings(data_dir: Path, port: int) -> Settings:
    """A platform of its own, whatever MINIS_* the shell has: SQLite and DuckDB in a scratch data dir,
    sandbox coins and payouts, files in that dir, and the developer's backend on this machine
    reachable (from apps and for calls). Every setting that names a service outside is blanked: a
    shell set up for production once had `minis dev` pay sandbox earnings out through its live
    Stripe key and write scratch packages into its bucket. The shell's tuning (limits, hashing
    cost) still applies."""
    blank: dict[str, Any] = dict.fromkeys(OUTSIDE, "")
    return Settings(
        data_dir=data_dir,
        **blank,
        public_url=f"http://localhost:{port}",
        apps_domain="",
        secret_key=secrets.token_hex(32),
        admin_token=secrets.token_urlsafe(24),
        sandbox_payments=True,
        payment_provider="sandbox",
        dev_connect_src=os.environ.get("MINIS_DEV_CONNECT_SRC", "http://127.0.0.1:* http://localhost:*"),
        egress_allow_loopback=True,
    )


class _Stop:
    """How ``minis dev`` stops on SIGTERM and SIGINT: by SystemExit, so that its cleanup runs. A
    stop that comes while a part is being made and its removal registered (``deferred``) is raised
    right after, so that nothing is made and left unregistered. Python runs a signal's handler in the
    main thread between two statements, whichever thread the kernel gave the signal to: blocking the
    signals in the main thread (pthread_sigmask) was not enough, CI's run still left the scratch dir."""

    deferring = False
    pending: int | None = None

    @classmethod
    def handle(cls, signum: int, frame: object) -> None:
        # A second stop signal (a double Ctrl-C) would cut the cleanup short: ignored from the first on.
        for stop in (signal.SIGTERM, signal.SIGINT):
            signal.signal(stop, signal.SIG_IGN)
        if cls.deferring:
            cls.pending = signum
            return
        raise SystemExit(128 + signum)

    @classmethod
    @contextmanager
    def deferred(cls) -> Iterator[None]:
        cls.deferring = True
        try:
            yield
        finally:
            cls.deferring = False
        if cls.pending is not None:
            raise SystemExit(128 + cls.pending)


def _scratch_dir(cleanup: ExitStack) -> Path:
    """A new private dir in the temp dir, its removal registered on ``cleanup``: a stop arriving
    between the two (CI, once in a few hundred runs) left the dir behind; it is raised after them."""
    with _Stop.deferred():
        path = Path(tempfile.mkdtemp(prefix="minis-dev-"))
        cleanup.callback(shutil.rmtree, path, ignore_errors=True)
    return path


def serve_folder(folder: Path, *, port: int, open_browser: bool, publish: Publish) -> None:
    from openminis.devtools.app import create_dev_app

    if not (folder / "minis.json").is_file():
        console.print(f"[red]{folder} has no minis.json[/red]: `minis init NAME` writes a starting point")
        raise typer.Exit(1)
    # SIGTERM (a process manager, an editor's task runner, kill) and SIGINT (Ctrl-C) end the process
    # by an exception, so that the cleanup below removes the scratch platform: uvicorn, stopping on
    # either, raises it again for the handler it found, and the default one kills outright (SIGTERM's
    # always; SIGINT's when the parent left it so, as a test runner did).
    for stop in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop, _Stop.handle)
    # Each part is undone from the moment it exists, so that a stop during the start (the migrations,
    # the first publish) leaves no scratch dir behind either.
    cleanup = ExitStack()
    try:
        data_dir = _scratch_dir(cleanup)
        settings = dev_settings(data_dir, port)
        platform = Platform(settings)
        cleanup.callback(platform.close)
        upgrade(settings.database)
        server = DevServer(platform, folder, publish)
        cleanup.callback(server.close)
        publish_and_say(server)
        watcher = FolderWatcher(server.folder, partial(publish_and_say, server))
        watcher.start()
        cleanup.callback(watcher.stop)
        for worker in platform.workers():
            worker.start()
            cleanup.callback(worker.stop)
        page = f"{settings.public_url}/dev"
        console.print(f"[bold green]minis dev[/bold green]: open [link]{page}[/link] (watching {server.folder})")
        if open_browser:
            threading.Timer(0.5, webbrowser.open, args=(page,)).start()
        if not _serve(create_dev_app(server), port, server):  # as uvicorn.run: the port was taken
            raise SystemExit(3)
    finally:
        # A second stop signal (a double Ctrl-C) would cut the cleanup short: from here, ignored
        # (and by _Stop.handle from the first stop on, before this line runs).
        for stop in (signal.SIGTERM, signal.SIGINT):
            signal.signal(stop, signal.SIG_IGN)
        cleanup.close()


def publish_and_say(server: DevServer) -> DevState:
    """Publishes the folder and says how it went in the terminal, each time: a developer running with
    --no-open, or watching the terminal, heard nothing after the first publish (a probe), and an edit
    the platform refused left the old version on screen unsaid."""
    state = server.publish()
    # escape: a refusal quotes the manifest's [field], which Rich would read as markup
    if state.error is None:
        said = f"published {escape(str(state.published))}"
    elif state.version is None:
        said = f"[yellow]not published yet[/yellow]: {escape(state.error)}"
    else:
        said = f"[yellow]not published[/yellow]: {escape(state.error)} ({state.version} stays on screen)"
    console.print(said, soft_wrap=True)  # one line each, whatever the terminal's width
    return state


def _serve(app: Any, port: int, dev: DevServer) -> bool:
    """Serves ``app`` with uvicorn until a stop signal; whether it started (uvicorn.run's check).
    The dev page's long poll (routes.py) is answered as soon as the stop comes: left waiting, it was
    cancelled after the grace second, and nearly every Ctrl-C printed "Exception in ASGI
    application" with a CancelledError's traceback (a probe)."""
    import uvicorn

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            # On a thread: a signal handler runs between two statements of the main thread, which
            # may hold the dev state's lock that close() takes.
            threading.Thread(target=dev.close, daemon=True).start()
            super().handle_exit(sig, frame)

    server = Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=1))
    server.run()
    return bool(server.started)


def init(
    name: Annotated[str, typer.Argument(help="The app's id: 3-40 lowercase letters, digits and hyphens.")],
    template: Annotated[starters.Template, typer.Option(help="What to start from.")] = starters.Template.game,
    directory: Annotated[Path | None, typer.Option("--dir", help="Where to write it (default: ./NAME).")] = None,
) -> None:
    """Write a working starting point: a game, a drama app, or a developer backend."""
    target = directory or Path(name)
    try:
        written = starters.write(target, app_id=name, template=template)
    except starters.InitError as exc:
        console.print(f"[red]not written[/red]: {exc}")
        raise typer.Exit(1) from None
    console.print(f"wrote {len(written)} files to {target}")
    for hint in starters.next_steps(target, template):
        console.print(f"  {hint}")
