"""``minis``: run the platform, publish packages, manage the database."""

from __future__ import annotations

import getpass
import hashlib
import hmac
import http.client
import json
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import click
import typer
from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table
from sqlalchemy.orm import Session

from openminis.catalog import releases
from openminis.catalog import service as catalog
from openminis.catalog.package import read_package
from openminis.db import read_one_moment
from openminis.developers import service as developers
from openminis.devtools import cli as devtools
from openminis.errors import Conflict, InvalidArgument, PlatformError
from openminis.identity import accounts
from openminis.jobs.service import Lane
from openminis.migrations import upgrade
from openminis.platform import Platform
from openminis.settings import Settings
from openminis.staff import audit
from openminis.staff import service as staff
from openminis.unit_of_work import unit_of_work
from openminis.wallet.posting import post_all

if TYPE_CHECKING:
    from openminis.developers.models import Developer

app = typer.Typer(help="openminis: a self-hostable mini-program platform.", no_args_is_help=True)
db_app = typer.Typer(help="Database migrations.")
app.add_typer(db_app, name="db")
ledger_app = typer.Typer(help="The coin and money ledger.")
app.add_typer(ledger_app, name="ledger")
drama_app = typer.Typer(help="Short dramas.")
app.add_typer(drama_app, name="drama")
ads_app = typer.Typer(help="The ad server.")
app.add_typer(ads_app, name="ads")
feed_app = typer.Typer(help="The ranked feed.")
app.add_typer(feed_app, name="feed")
report_app = typer.Typer(help="Reports from the analytics store.")
app.add_typer(report_app, name="report")
analytics_app = typer.Typer(help="The analytics store.")
app.add_typer(analytics_app, name="analytics")
staff_app = typer.Typer(help="The platform's staff and their roles.")
app.add_typer(staff_app, name="staff")
console = Console()

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
R = TypeVar("R")

DataDir = typer.Option(None, "--data-dir", help="Where the database, packages and events live (MINIS_DATA_DIR).")


def print_whole(table: Table) -> None:
    """Wider than the terminal rather than numbers cut to "1…": a report is read for its digits."""
    wide = Measurement.get(console, console.options.update_width(1_000), table).maximum
    (console if console.width >= wide else Console(width=wide)).print(table)


def _settings(data_dir: Path | None, **overrides: Any) -> Settings:
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    return Settings(**overrides)


def _platform(settings: Settings) -> Platform:
    platform = Platform(settings)
    # Closed when the command ends, however it ends (an error, typer.Exit): its pooled connections
    # are given back rather than left to the garbage collector. The commands' own close() calls, on
    # their way out, only make that sooner (close is idempotent).
    context = click.get_current_context(silent=True)
    if context is not None:
        context.call_on_close(platform.close)
    upgrade(settings.database)
    # What a command changes (a publish, a takedown) reaches the servers' caches at once.
    platform.start_signals(receive=False)
    return platform


DEMO_DEVELOPER = "demo-studio@example.com"
DEMO_STUDIO = "demo-studio"
WORKER_HEALTHCHECK_SECONDS = 60  # minis serve --workers N: see serve()


def publish_folder(platform: Platform, path: Path, *, developer: str | None = None, skip_existing: bool = False) -> str:
    """The operator's publish: the package becomes a version of an app owned by ``developer`` (an
    email; the account and its developer profile are made if needed), approved and released to
    everyone at once, each step in the version's history as the operator's."""
    package = read_package(path, platform.package_limits)
    with unit_of_work(platform.db) as session:
        owner = _developer_by_email(session, developer) if developer else None
        if owner is None and not catalog.app_exists(session, package.manifest.id):
            raise InvalidArgument(
                f"{package.manifest.id} is a new app: name its developer with --developer EMAIL", field="developer"
            )
        try:
            version = releases.publish_released(session, platform.packages, package)
        except Conflict:
            if not skip_existing:
                raise
            version = None
        if owner is not None:
            developers.adopt_app(session, owner, package.manifest.id)
    if version is None:
        return f"{package.manifest.id} {package.manifest.version} (already published)"
    return f"{version.app_id} {version.version} ({version.size_bytes:,} bytes, {len(version.files)} files)"


def _developer_by_email(session: Session, email: str) -> Developer:
    """The developer profile of the person with this email, both made if needed: the operator
    vouches for the email (its owner signs in with an emailed sign-in link)."""
    user = accounts.vouched_user(session, accounts.normalize_email(email))
    return developers.become_developer(session, user, name=user.email or email, chosen=False)


def demo_developer(platform: Platform) -> tuple[str, str]:
    """The demo studio's sign-in: its person owns the studio's apps (the demo games and drama)."""
    password = hmac.new(platform.secret.encode(), b"demo-developer", hashlib.sha256).hexdigest()[:16]
    with unit_of_work(platform.db) as session:
        user = accounts.vouched_user(session, DEMO_DEVELOPER, password=password, passwords=platform.passwords)
        developers.claim_house_developer(session, DEMO_STUDIO, user, name="openminis Demo Studio")
    return DEMO_DEVELOPER, password


def seed_demo_content(platform: Platform) -> None:
    from openminis.ads import demo as ads_demo
    from openminis.creators import demo as creators_demo
    from openminis.drama import demo as drama_demo

    try:
        drama_demo.ensure_app(platform)
        ads_demo.seed(platform, report=console.print)
        drama_demo.seed(platform, report=console.print)
        # After the drama: the creators' posts anchor to its series and episodes.
        creators_demo.seed_demo_creators(platform, report=console.print)
    except Exception:  # the demo's extras must never take the server down
        logging.getLogger("openminis.demo").exception("demo content could not be made")


@app.command()
def publish(
    paths: Annotated[list[Path], typer.Argument(help="Package folders or zips, each with minis.json at its root.")],
    developer: str | None = typer.Option(
        None, "--developer", help="The owner's email (made a developer if needed); required for a new app."
    ),
    data_dir: Path | None = DataDir,
) -> None:
    """Validate packages and release each as a new immutable version, approved by the operator."""
    platform = _platform(_settings(data_dir))
    try:
        for path in paths:
            console.print(f"published {publish_folder(platform, path, developer=developer)}")
    except PlatformError as exc:
        where = f" [{exc.field}]" if exc.field else ""
        # escaped: Rich took the [field] for markup and printed "INVALID_ARGUMENT :" (a probe)
        console.print(f"[red]rejected[/red] {exc.code}{escape(where)}: {escape(exc.message)}", soft_wrap=True)
        raise typer.Exit(1) from None
    finally:
        platform.close()


@app.command("import")
def import_game(
    path: Annotated[Path, typer.Argument(help="The game's folder or zip, as made for its platform.")],
    out: Annotated[Path, typer.Option("--out", help="Where the package goes: a new folder, or a .zip.")],
    origin: str | None = typer.Option(
        None, "--from", help="fbinstant, playables, poki, crazygames or wechat (detected when omitted)."
    ),
    app_id: str | None = typer.Option(None, "--id", help="The app id (default: made from the game's title)."),
    name: str | None = typer.Option(None, "--name", help="The app's name (default: the page's <title>)."),
    version: str = typer.Option("1.0.0", "--version", help="The package's version."),
    category: str = typer.Option("casual", "--category", help="The hub's category."),
    products: Annotated[
        Path | None,
        typer.Option("--products", help="A JSON list of the products it sells (minis.json's shape), for purchases."),
    ] = None,
) -> None:
    """Turn a game made for another platform into an openminis package, and report the platform
    APIs it calls that the platform's shim does not support (docs/compat.md)."""

    from openminis.catalog.package import Limits
    from openminis.compat import importer
    from openminis.compat.origin_sdks import ORIGIN_SDKS

    if origin is not None and origin not in ORIGIN_SDKS:
        console.print(f"[red]rejected[/red] --from: one of {', '.join(ORIGIN_SDKS)}")
        raise typer.Exit(2)
    limits = Limits.from_settings(Settings())
    try:
        sold = json.loads(products.read_text()) if products else []
        if not isinstance(sold, list):
            raise InvalidArgument("--products: a JSON list of products", field="products")
        imported = importer.convert(
            importer.read_source(path, limits),
            origin=ORIGIN_SDKS[origin] if origin else None,
            app_id=app_id,
            name=name,
            version=version,
            category=category,
            products=sold,
        )
    except (PlatformError, OSError, json.JSONDecodeError, ValueError) as exc:
        reason = exc.message if isinstance(exc, PlatformError) else str(exc)
        console.print(f"[red]rejected[/red]: {escape(reason)}", soft_wrap=True)
        raise typer.Exit(1) from None
    manifest = imported.manifest
    console.print(f"{imported.origin_sdk.title} game [bold]{escape(manifest['name'])}[/bold] as {manifest['id']}")
    for replaced in imported.replaced:
        console.print(f"  replaced {escape(replaced)} with {imported.origin_sdk.shim_path}", soft_wrap=True)
    table = Table(title=f"{imported.origin_sdk.title} APIs the game calls")
    for column in ("API", "calls", "in", "shim", "how"):
        table.add_column(column)
    colours = {"supported": "green", "partly": "yellow", "not": "red", "unknown": "red"}
    for use in imported.uses:
        status = "not supported" if use.status in ("not", "unknown") else use.status
        table.add_row(
            use.api,
            str(use.count),
            escape(", ".join(use.files)),
            f"[{colours[use.status]}]{status}[/]",
            escape(use.how),
        )
    print_whole(table)
    unsupported = [use.api for use in imported.unsupported]
    console.print(
        f"{len(unsupported)} not supported: {', '.join(unsupported)}"
        if unsupported
        else "every API it calls is supported"
    )
    for warning in imported.warnings:
        console.print(f"[yellow]warning[/yellow] {escape(warning)}", soft_wrap=True)
    for error in imported.errors:
        console.print(f"[red]error[/red] {escape(error)}", soft_wrap=True)
    if imported.errors:
        console.print("[red]not written[/red]: the platform serves nothing from the internet; bundle these files")
        raise typer.Exit(1)
    try:
        importer.write(imported, out, limits)  # checked as the platform checks an upload, then moved in
    except PlatformError as exc:
        console.print(f"[red]rejected[/red] {exc.code}: {escape(exc.message)}")
        raise typer.Exit(1) from None
    console.print(f"wrote {escape(str(out))}")


app.command("dev")(devtools.dev_command(publish_folder))
app.command("init")(devtools.init)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to bind."),
    port: int = typer.Option(8000, help="Port to bind."),
    demo: bool = typer.Option(False, help="Publish the example mini-programs first."),
    workers: int = typer.Option(
        1,
        "--workers",
        min=1,
        max=64,
        help="Serving processes on this port, each with its own platform and job workers.",
    ),
    data_dir: Path | None = DataDir,
) -> None:
    """Run the platform: the host and every app's origin, in one process or ``--workers`` of them."""
    import uvicorn

    from openminis.server import ServingApp

    overrides: dict[str, str | bool] = {}
    if "MINIS_PUBLIC_URL" not in os.environ:
        overrides["public_url"] = f"http://localhost:{port}"
    if demo and "MINIS_ADMIN_TOKEN" not in os.environ:
        overrides["admin_token"] = secrets.token_urlsafe(24)
    if demo and "MINIS_SANDBOX_PAYMENTS" not in os.environ:
        overrides["sandbox_payments"] = True  # the demo's coins come from test cards
    settings = _settings(data_dir, **overrides)
    for warning in settings.cookie_warnings():
        console.print(f"[yellow]warning[/yellow]: {warning} (docs/accounts.md)")
    if settings.sandbox_payments:
        console.print(
            "[yellow]sandbox payments are on[/yellow]: test cards top up coins for nothing (MINIS_SANDBOX_PAYMENTS)"
        )
    if workers > 1 and not settings.analytics_url:
        # DuckDB's file opens in one process only: the second process's first event would fail.
        console.print(
            "[red]--workers needs the analytics events in PostgreSQL[/red]: set MINIS_ANALYTICS_URL "
            "(it may be MINIS_DATABASE_URL itself; docs/deploy.md)"
        )
        raise typer.Exit(1)
    if workers > 1 and not settings.redis_url:
        console.print(
            "[yellow]warning[/yellow]: without MINIS_REDIS_URL each of the processes counts rate limits on its own, "
            f"so a limit lets {workers} times as much through (docs/deploy.md)"
        )
    platform = _platform(settings)
    if demo:
        folders = sorted(p for p in EXAMPLES.iterdir() if (p / "minis.json").is_file()) if EXAMPLES.is_dir() else []
        email, password = demo_developer(platform)
        for folder in folders:
            console.print(f"demo: {publish_folder(platform, folder, developer=email, skip_existing=True)}")
        console.print(f"demo: admin token for uploads: {settings.admin_token}")
        console.print(f"demo: the developer console, /console: sign in as {email} / {password}")
        # Generating the demo's ads and drama takes a minute or two: the host is up meanwhile.
        threading.Thread(target=seed_demo_content, args=(platform,), name="demo-content", daemon=True).start()
    # Said once the server answers, not before uvicorn has bound the port and the processes have
    # loaded the platform (tens of seconds with --workers on a loaded machine): a script that waits
    # for the line and then calls the server got "Connection refused" (a probe).
    served = threading.Event()
    if not _answers(_loopback(host), port):  # else the port is someone else's: uvicorn says so and stops
        threading.Thread(
            target=_say_up_once_answering,
            args=(_loopback(host), port, settings.public_url, served),
            name="say-up",
            daemon=True,
        ).start()
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": "warning",
        "proxy_headers": True,
        "forwarded_allow_ips": settings.trusted_proxies,
        # Longer than a balancer's idle timeout (60 s on nginx and ALBs), not uvicorn's 5 s: a client
        # that reuses a connection just as the server closes it gets no answer at all (docs/deploy.md).
        "timeout_keep_alive": 65,
    }
    try:
        if workers == 1:
            uvicorn.run(ServingApp(platform), **options)
        else:
            # Each process makes its own platform from the environment: this command's options go there.
            os.environ.update({f"MINIS_{name.upper()}": str(value) for name, value in overrides.items()})
            os.environ["MINIS_DATA_DIR"] = str(settings.data_dir)
            # uvicorn's supervisor kills and restarts a process that has not answered its health check
            # within 5 s by default: on a loaded machine a process still importing the platform does
            # not, and a probe's `--workers 2` at load 30 was restarted every 5 s and never served.
            # A minute tells a starved process from a hung one.
            options["timeout_worker_healthcheck"] = WORKER_HEALTHCHECK_SECONDS
            uvicorn.run("openminis.server:from_environment", factory=True, workers=workers, **options)
    finally:
        served.set()
        platform.close()


def _loopback(host: str) -> str:
    """Where this machine reaches a server bound to ``host`` (every address: the loopback one)."""
    return {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)


def _answers(address: str, port: int) -> bool:
    """Something accepts connections on the port."""
    try:
        socket.create_connection((address, port), timeout=1).close()
    except OSError:
        return False
    return True


def _say_up_once_answering(address: str, port: int, public_url: str, stopped: threading.Event) -> None:
    """Print "openminis is up" once ``GET /healthz`` answers 200: the port is bound and a serving
    process (the first of ``--workers``) has loaded the platform and reaches the database. Until
    then the supervisor's socket may accept a connection that no process serves yet, so a bound
    port alone is not "up"."""
    while not stopped.is_set():
        connection = http.client.HTTPConnection(address, port, timeout=5)
        try:
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                console.print(f"[bold green]openminis[/bold green] is up: open [link]{public_url}[/link]")
                return
        except (OSError, http.client.HTTPException):  # not bound yet, or a process starting dropped it
            pass
        finally:
            connection.close()
        stopped.wait(0.1)


@app.command()
def worker(
    once: bool = typer.Option(False, help="Run the jobs that are due now, then exit."), data_dir: Path | None = DataDir
) -> None:
    """Run background jobs (notifications, confirmations) from the shared job table."""
    platform = _platform(_settings(data_dir))
    single = platform.worker() if once else None
    lanes: list[Lane] = [single] if single is not None else platform.workers()
    try:
        if single is not None:
            ran = single.drain()
            posted = post_all(platform.db, platform.settings.posting_batch)
            console.print(f"ran {ran} jobs, posted {posted} pending ledger credits")
            return
        platform.sweep_scratch()
        platform.start_signals()
        for lane in lanes:
            lane.start()
        console.print(f"{', '.join(lane.name for lane in lanes)} running; Ctrl-C stops them")
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        for lane in lanes:
            lane.stop()
        platform.close()


@app.command("apps")
def list_apps(data_dir: Path | None = DataDir) -> None:
    """List published apps."""
    platform = _platform(_settings(data_dir))
    table = Table("app", "kind", "category", "released", "name")
    with unit_of_work(platform.db, reads=True) as session:
        for app_row, version in catalog.list_apps(session, limit=1000).apps:
            table.add_row(app_row.id, app_row.kind, app_row.category, version.version, app_row.name)
    console.print(table)
    platform.close()


@staff_app.command("add")
def staff_add(
    email: Annotated[str, typer.Argument(help="The person's email; their account is made if there is none.")],
    role: str = typer.Option(..., "--role", help="owner, admin, reviewer, moderator, finance or support"),
    data_dir: Path | None = DataDir,
) -> None:
    """Make a person staff of the platform with a role (a reviewer reviews versions at /admin)."""
    platform = _platform(_settings(data_dir))
    try:
        with unit_of_work(platform.db) as session:
            user = accounts.vouched_user(session, accounts.normalize_email(email))
            staff.add(session, user.id, role, by=f"terminal:{getpass.getuser()}", email=user.email)
    except PlatformError as exc:
        console.print(f"[red]refused[/red] {exc.code}: {exc.message}")
        raise typer.Exit(1) from None
    # The default public_url names port 8000, wherever the platform is served: said only when set.
    settings = platform.settings
    where = f"{settings.public_url}/admin" if "public_url" in settings.model_fields_set else "the platform's /admin"
    console.print(f"{email} is {role}; they sign in with an emailed sign-in link and work at {where}", soft_wrap=True)


@app.command("audit")
def audit_log(
    target: str | None = typer.Option(None, help="Only this item's entries (an id: an app, a post, an order, ...)."),
    limit: int = typer.Option(50, min=1, max=10_000, help="How many, newest first."),
    data_dir: Path | None = DataDir,
) -> None:
    """The staff's audit log: who did what to which item, when and why."""
    platform = _platform(_settings(data_dir))
    table = Table("at", "actor", "action", "item", "reason", "before", "after")
    with unit_of_work(platform.db, reads=True) as session:
        found, _ = audit.entries(session, target_id=target, limit=limit)
        for entry in found:
            table.add_row(
                entry.at.isoformat(timespec="seconds"),
                entry.actor,
                entry.action,
                f"{entry.target_kind} {entry.target_id}",
                entry.reason,
                json.dumps(entry.before, sort_keys=True) if entry.before else "",
                json.dumps(entry.after, sort_keys=True) if entry.after else "",
            )
    print_whole(table)
    platform.close()


@db_app.command("upgrade")
def db_upgrade(data_dir: Path | None = DataDir) -> None:
    """Apply the Alembic migrations to the configured database."""
    settings = _settings(data_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database)
    console.print(f"database at head: {settings.database.split('@')[-1]}")


@drama_app.command("upload")
def drama_upload(
    folder: Annotated[
        Path, typer.Argument(help="Episode videos named so that they sort in order (01.mp4, 02.mov, ...).")
    ],
    app_id: str = typer.Option(..., "--app", help="The drama app the series belongs to."),
    series_id: str = typer.Option(..., "--series", help="The series (create it with POST /openapi/v1/series)."),
    first: int = typer.Option(1, help="Number of the first episode in the folder."),
    data_dir: Path | None = DataDir,
) -> None:
    """Upload a folder of episodes into a series and transcode them here, with progress. An
    episode's subtitles are WebVTT files beside it named for it and their language
    (01.en.vtt, 01.pt-BR.vtt for 01.mp4)."""
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

    from openminis.drama import catalog as drama_catalog
    from openminis.drama import subtitles

    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".mp4", ".mov", ".webm"))
    if not files:
        console.print(f"[red]no .mp4, .mov or .webm files in {folder}[/red]")
        raise typer.Exit(1)
    platform = _platform(_settings(data_dir))
    incoming = platform.settings.data_dir / "incoming"
    worker = platform.worker()
    failed = 0
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeRemainingColumn(), console=console
    ) as progress:
        for offset, file in enumerate(files):
            number = first + offset
            task = progress.add_task(f"episode {number} ({file.name})", total=100)
            copy = incoming / file.name
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_bytes(file.read_bytes())
            try:
                with unit_of_work(platform.db) as session:
                    episode_id = drama_catalog.accept_upload(
                        session, platform.storage, app_id, series_id, number, title=file.stem, source=copy
                    ).id
            except PlatformError as exc:
                progress.update(task, description=f"episode {number}: [red]{exc.code}[/red] {exc.message}")
                failed += 1
                continue
            finally:
                copy.unlink(missing_ok=True)  # moved into the store, or uploaded to it
            for track in sorted(folder.glob(f"{file.stem}.*.vtt")):
                language = track.name[len(file.stem) + 1 : -len(".vtt")]
                try:
                    with unit_of_work(platform.db) as session:
                        subtitles.attach(
                            session, platform.storage, app_id, series_id, number, language, track.read_bytes()
                        )
                    console.print(f"episode {number}: subtitles {language} ({track.name})")
                except PlatformError as exc:
                    console.print(f"episode {number}: [red]subtitles {track.name}: {exc.code}[/red] {exc.message}")
                    failed += 1
            runner = threading.Thread(target=worker.drain)
            runner.start()
            while runner.is_alive():
                with unit_of_work(platform.db, reads=True) as session:
                    progress.update(task, completed=drama_catalog.get_episode(session, episode_id).progress)
                runner.join(0.5)
            with unit_of_work(platform.db, reads=True) as session:
                episode = drama_catalog.get_episode(session, episode_id)
                if episode.status == "ready":
                    progress.update(
                        task, completed=100, description=f"episode {number}: ready ({episode.duration_ms / 1000:.0f} s)"
                    )
                else:
                    progress.update(task, description=f"episode {number}: [red]failed[/red] {episode.error}")
                    failed += 1
    platform.close()
    if failed:
        raise typer.Exit(1)


@ads_app.command("rotate-key")
def ads_rotate_key(data_dir: Path | None = DataDir) -> None:
    """Make a new signing key for reward callbacks; the old one stays published for verifiers."""
    from openminis.ads.signing import rotate_signing_key

    platform = _platform(_settings(data_dir))
    with unit_of_work(platform.db) as session:
        key = rotate_signing_key(session)
        console.print(f"reward callbacks are now signed with key {key.kid}")
    platform.close()


@feed_app.command("explain")
def feed_explain(
    user: str = typer.Option(..., "--user", help="The person: a user id or an email."),
    limit: int = typer.Option(20, help="How many slots from the top."),
    data_dir: Path | None = DataDir,
) -> None:
    """Show the top of a person's feed in a new ranking snapshot, with each item's score parts."""
    import duckdb

    from openminis.feed import service as feed

    platform = _platform(_settings(data_dir))
    try:
        with unit_of_work(platform.db) as session:
            explanation = feed.explain(session, platform.ranking, person=user, limit=limit, fresh=True)
    except PlatformError as exc:
        console.print(f"[red]{exc.code}[/red]: {exc.message}")
        raise typer.Exit(1) from None
    except duckdb.IOException:
        # DuckDB lets one process at a time open the events file: a running server has it.
        console.print(
            "[red]the events store is in use by a running server[/red]: "
            "ask it instead, GET /api/admin/feed/explain?user_id=..."
        )
        raise typer.Exit(1) from None
    finally:
        platform.close()
    table = Table(
        "#",
        "item",
        "category",
        "shown",
        "fresh",
        "ctr",
        "completion",
        "affinity",
        "explore",
        "total",
        title=f"feed of {explanation.user_id}, snapshot {explanation.snapshot}",
    )
    for row in explanation.items:
        parts = (row.freshness, row.ctr, row.completion, row.affinity, row.exploration, row.total)
        table.add_row(
            str(row.position + 1), row.id, row.category, str(row.exposures), *(f"{part:.3f}" for part in parts)
        )
    print_whole(table)


@app.command("backup")
def backup_command(
    folder: Annotated[Path, typer.Argument(help="A new or empty folder for the backup.")],
    data_dir: Path | None = DataDir,
) -> None:
    """Copy the database, the analytics events and the files (packages, media) while the platform serves."""
    from openminis import backup

    try:
        report = backup.backup(_settings(data_dir), folder)
    except PlatformError as error:
        console.print(f"[red]{error.code}[/red] {error.message}")
        raise typer.Exit(1) from None
    console.print(
        f"backed up {report.database} (revision {report.revision}) to {report.folder} "
        f"in {report.seconds:.1f} s: {', '.join(report.parts)}"
    )
    for left_out in report.not_copied:
        console.print(f"[yellow]not copied[/yellow]: {left_out}")


@app.command("restore")
def restore_command(
    folder: Annotated[Path, typer.Argument(help="A folder made by minis backup.")],
    force: bool = typer.Option(False, help="Overwrite a database that already holds platform data."),
    data_dir: Path | None = DataDir,
) -> None:
    """Put a backup into the data dir and database (MINIS_DATA_DIR, MINIS_DATABASE_URL), then migrate it."""
    from openminis import backup

    try:
        report = backup.restore(_settings(data_dir), folder, force=force)
    except PlatformError as error:
        console.print(f"[red]{error.code}[/red] {error.message}")
        raise typer.Exit(1) from None
    console.print(
        f"restored {report.database} (revision {report.revision}) from {report.folder} "
        f"in {report.seconds:.1f} s: {', '.join(report.parts)}"
    )
    for left_out in report.not_copied:
        console.print(f"[yellow]not copied[/yellow]: {left_out}")


@ledger_app.command("verify")
def ledger_verify(data_dir: Path | None = DataDir) -> None:
    """Check that every transfer balances, every balance equals its entries and each currency sums
    to zero; and that orders, top-ups, episode unlocks, series purchases and passes are exactly
    their transfers."""

    from sqlalchemy.exc import OperationalError

    from openminis.drama import reconciliation as drama_records
    from openminis.identity import accounts
    from openminis.payments import reconciliation as payment_records
    from openminis.payouts import service as payouts
    from openminis.wallet import service as ledger

    try:
        platform = _platform(_settings(data_dir))
        try:
            with unit_of_work(platform.db, reads=True) as session:
                read_one_moment(session)  # a ledger in use: what is compared is read at one moment
                check = ledger.verify(session)
                # The ledger knows transfers, not what they were for: each domain checks its own records.
                problems = [
                    *check.problems,
                    *payment_records.verify(session),
                    *drama_records.verify(session),
                    *payouts.verify(session),
                    *accounts.verify(session),
                ]
        finally:
            platform.close()
    except OperationalError as unreachable:
        # Not a problem of the ledger's: it ended with the driver's trace, which read like one
        # (drama55: PostgreSQL out of connections). Exit 2, not 1: nothing was checked.
        reason = str(unreachable.orig or unreachable).strip().splitlines()[0]
        console.print(f"[red]could not read the ledger[/red]: the database answered {escape(reason)!r}; try again")
        raise typer.Exit(2) from None
    for problem in problems:
        console.print(f"[red]problem[/red] {escape(problem)}")
    if problems:
        raise typer.Exit(1)
    console.print(
        f"ledger verifies: {check.accounts} accounts, {check.transfers} transfers, every currency sums to zero; "
        "orders, top-ups, unlocks, passes and payouts match their transfers"
    )


def _report(data_dir: Path | None, make: Callable[[Session, Platform], R]) -> R:
    """``make(session, platform)``'s report; a refusal is printed with its code and exits 1."""

    platform = _platform(_settings(data_dir))
    try:
        with unit_of_work(platform.db, reads=True) as session:
            return make(session, platform)
    except PlatformError as exc:
        where = escape(f" [{exc.field}]") if exc.field else ""
        console.print(f"[red]{exc.code}[/red]{where}: {escape(exc.message)}")
        raise typer.Exit(1) from None
    finally:
        platform.close()


@report_app.command("funnel")
def report_funnel(
    app_id: str | None = typer.Option(None, "--app", help="One app; every app when omitted (the operator's view)."),
    by: str = typer.Option(
        "source",
        "--by",
        help="Group by source (its scene), app, creator, origin_sdk (games from other platforms), or none.",
    ),
    first: Annotated[
        datetime | None,
        typer.Option("--from", formats=["%Y-%m-%d"], help="First UTC day (default: a week up to --to)."),
    ] = None,
    last: Annotated[
        datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help="Last UTC day, included (default: today).")
    ] = None,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    data_dir: Path | None = DataDir,
) -> None:
    """Exposure -> click -> launch -> ready -> paid or rewarded: rates, revenue, ARPU and ARPPU."""
    import dataclasses
    import json
    from datetime import timedelta

    from openminis.analytics import funnel as funnels

    result = _report(
        data_dir,
        lambda session, platform: funnels.report(
            session,
            platform.events,
            app_id=app_id,
            first=first and first.date(),
            last=last and last.date(),
            by=by,
            pending=platform.conversions,
        ),
    )
    if as_json:
        typer.echo(json.dumps(dataclasses.asdict(result), default=datetime.isoformat, indent=2))
        return

    def step(count: int, rate: float | None) -> str:
        return f"{count:,}\n{rate:.1%}" if rate is not None else f"{count:,}\n-"

    def money(value: float | None) -> str:
        return f"{value:,.2f}" if value is not None else "-"

    days = f"{result.start:%Y-%m-%d} to {result.end - timedelta(days=1):%Y-%m-%d}"
    table = Table(title=f"funnel of {app_id or 'every app'}, {days} (UTC)")
    table.add_column(result.by or "")
    for column in (
        "exposure",
        "click",
        "launch",
        "ready",
        "paid or\nrewarded",
        "paid",
        "rewarded",
        "active\npersons",
        "paying\npersons",
        "coins",
        "ad USD",
        "ARPU",
        "ARPPU",
    ):
        table.add_column(column, justify="right")
    for line in [*result.lines, result.total]:
        name = "total" if line is result.total else escape(line.key or "(none)")
        table.add_row(
            name,
            f"{line.exposure:,}",
            step(line.click, line.click_rate),
            step(line.launch, line.launch_rate),
            step(line.ready, line.ready_rate),
            step(line.converted, line.conversion_rate),
            f"{line.paid:,}",
            f"{line.rewarded:,}",
            f"{line.active_persons:,}",
            f"{line.paying_persons:,}",
            f"{line.revenue_coins:,}",
            money(line.ad_revenue_usd_micros / 1_000_000),
            money(line.arpu),
            money(line.arppu),
            end_section=bool(result.lines) and line is result.lines[-1],
        )
    print_whole(table)


@report_app.command("activity")
def report_activity(
    app_id: str | None = typer.Option(None, "--app", help="One app; every app when omitted (the operator's view)."),
    first: Annotated[
        datetime | None,
        typer.Option("--from", formats=["%Y-%m-%d"], help="First UTC day (default: 30 days up to --to)."),
    ] = None,
    last: Annotated[
        datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help="Last UTC day, included (default: today).")
    ] = None,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    data_dir: Path | None = DataDir,
) -> None:
    """Daily active, new and returning people (DAU), and D1, D7 and D30 retention of each day's new people."""
    import dataclasses
    import json
    from datetime import date

    from openminis.analytics import activity

    result = _report(
        data_dir,
        lambda session, platform: activity.report(
            session, platform.events, app_id=app_id, first=first and first.date(), last=last and last.date()
        ),
    )
    if as_json:
        typer.echo(json.dumps(dataclasses.asdict(result), default=date.isoformat, indent=2))
        return

    def share(count: int | None, rate: float | None) -> str:
        return "-" if count is None else f"{count:,} ({rate:.0%})" if rate is not None else f"{count:,}"

    table = Table(
        title=f"activity of {app_id or 'every app'}, {result.first} to {result.last} (UTC), "
        f"average {result.average_active:,.1f} active a day"
    )
    for column in ("day", "active", "new", "returning", "cohort", "D1", "D7", "D30"):
        table.add_column(column, justify="left" if column == "day" else "right")
    for day, cohort in zip(result.days, result.cohorts, strict=False):
        table.add_row(
            f"{day.day}",
            f"{day.active:,}",
            f"{day.new:,}",
            f"{day.returning:,}",
            f"{cohort.size:,}",
            share(cohort.d1, cohort.d1_rate),
            share(cohort.d7, cohort.d7_rate),
            share(cohort.d30, cohort.d30_rate),
        )
    print_whole(table)


@report_app.command("episodes")
def report_episodes(
    app_id: str = typer.Option(..., "--app", help="The series' app."),
    series_id: str = typer.Option(..., "--series", help="The series."),
    first: Annotated[
        datetime | None,
        typer.Option("--from", formats=["%Y-%m-%d"], help="First UTC day (default: 30 days up to --to)."),
    ] = None,
    last: Annotated[
        datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help="Last UTC day, included (default: today).")
    ] = None,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    data_dir: Path | None = DataDir,
) -> None:
    """How far people watch a drama series: per episode, plays, viewers, completion and reach."""
    import dataclasses
    import json
    from datetime import date

    from openminis.analytics import episodes

    result = _report(
        data_dir,
        lambda session, platform: episodes.report(
            session,
            platform.events,
            app_id=app_id,
            series_id=series_id,
            first=first and first.date(),
            last=last and last.date(),
        ),
    )
    if as_json:
        typer.echo(json.dumps(dataclasses.asdict(result), default=date.isoformat, indent=2))
        return

    def share(rate: float | None) -> str:
        return "-" if rate is None else f"{rate:.0%}"

    table = Table(
        title=f"{result.title}, {result.first} to {result.last} (UTC)",
        caption=f"episodes after {result.free_episodes} are paid (below the line)",
    )
    for column in ("episode", "plays", "viewers", "completes", "completion", "reach"):
        table.add_column(column, justify="right")
    for line in result.episodes:
        table.add_row(
            str(line.number),
            f"{line.plays:,}",
            f"{line.viewers:,}",
            f"{line.completes:,}",
            share(line.completion),
            share(line.reach),
            end_section=line.number == result.free_episodes,
        )
    print_whole(table)


@analytics_app.command("prune")
def analytics_prune(
    before: Annotated[
        datetime, typer.Option("--before", formats=["%Y-%m-%d"], help="Remove the events from before this UTC day.")
    ],
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
    data_dir: Path | None = DataDir,
) -> None:
    """Remove old analytics events (on PostgreSQL, whole months go with their partitions). Reports
    of the removed days count nothing afterwards; the platform's own data is not touched."""
    from datetime import UTC

    cutoff = before.replace(tzinfo=UTC)
    if not yes and not typer.confirm(f"Remove every analytics event from before {cutoff:%Y-%m-%d} (UTC)?"):
        raise typer.Exit(1)
    platform = _platform(_settings(data_dir))
    try:
        removed = platform.events.prune(cutoff)
    finally:
        platform.close()
    console.print(f"removed {removed:,} events from before {cutoff:%Y-%m-%d}")


if __name__ == "__main__":
    app()
