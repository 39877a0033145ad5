"""``minis backup DIR`` and ``minis restore DIR``: the database and the files, taken while serving.

A backup folder holds:

- ``minis.db`` (SQLite, through SQLite's online backup API: one consistent snapshot, while other
  connections go on writing) or ``database.dump`` (PostgreSQL, ``pg_dump -Fc``, which reads in one
  snapshot transaction), or, where ``pg_dump`` is not installed, ``snapshot/``: every platform
  table read in one REPEATABLE READ transaction, one JSON line per row;
- ``analytics.dump`` when analytics events live in a PostgreSQL database of their own, or
  ``events.duckdb`` (a copy of the DuckDB file, checked by opening it: a serving process holds
  DuckDB's lock, so the file is copied, not read through DuckDB);
- ``files/``: packages, media (episodes, posts), ad creatives and the signing secret;
- ``backup.json``: what was taken, when, from which migration revision.

With object storage in a bucket (``MINIS_STORAGE_URL``), ``files/`` holds the signing secret only:
the bucket's objects are not copied (they may be terabytes, and a copy through this machine
would be slow and partial). Keep them with the bucket's own versioning or replication
(docs/storage.md); the report and ``backup.json`` name the bucket that was left out.

The database is copied before the files: packages and media are written before the rows that name
them are committed, so every file the database refers to is in the copy.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Date, DateTime, Table, create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.types import TypeEngine

from openminis.db import utcnow
from openminis.errors import Conflict
from openminis.migrations import upgrade
from openminis.settings import Settings

MANIFEST = "backup.json"
FORMAT = 1
# The data dir's folders that hold what the database refers to, and the secret that signs sessions,
# CSRF tokens and media links (without it every signed-in person would be signed out).
FOLDERS = ("packages", "media", "ads")
SNAPSHOT = "snapshot"
SECRET = "secret.key"
# Tables whose rows make a database "in use": restore refuses to overwrite them.
IN_USE = ("users", "ledger_transfers", "apps")


class BackupFailed(Conflict):
    code = "BACKUP_FAILED"


@dataclass
class Report:
    folder: Path
    database: str
    revision: str | None
    parts: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # What the backup left out on purpose: the bucket of object storage, when there is one.
    not_copied: list[str] = field(default_factory=list)


def _kind(url: str) -> str:
    return "postgresql" if url.startswith("postgresql") else "sqlite"


def _sqlite_path(url: str) -> Path:
    return Path(make_url(url).database or "")


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A SQLAlchemy URL as pg_dump/pg_restore take it, and the environment that carries its password."""
    parsed = make_url(url)
    env = {**os.environ}
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    return parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def _where(url: str) -> tuple[str | None, int | None, str | None]:
    parsed = make_url(url)
    return parsed.host, parsed.port, parsed.database


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupFailed(
            f"{name} is not installed: install the PostgreSQL client (Debian: apt-get install postgresql-client)",
            code="PG_TOOLS_MISSING",
        )
    return found


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupFailed(f"{Path(command[0]).name} failed: {result.stderr.strip()[-500:]}")


def _revision(url: str) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()


def _in_use(url: str) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            return any(
                connection.execute(text(f"SELECT 1 FROM {name} LIMIT 1")).first() for name in IN_USE if name in tables
            )
    finally:
        engine.dispose()


def _copy_duckdb(source: Path, target: Path, attempts: int = 5) -> None:
    """The DuckDB file and its write-ahead log, copied until the copy opens and reads: a checkpoint
    of the serving process landing mid-copy makes one unreadable, the next try gets a whole one."""
    import duckdb

    for attempt in range(attempts):
        for suffix in ("", ".wal"):
            part = source.with_name(source.name + suffix)
            copy = target.with_name(target.name + suffix)
            copy.unlink(missing_ok=True)
            if part.exists():
                shutil.copy2(part, copy)
        try:
            connection = duckdb.connect(str(target))
            try:
                connection.execute("SELECT count(*) FROM events").fetchone()
                connection.execute("CHECKPOINT")  # the log folded into the file: one file to restore
            finally:
                connection.close()
            target.with_name(target.name + ".wal").unlink(missing_ok=True)
            return
        except duckdb.Error:
            time.sleep(0.2 * (attempt + 1))
    raise BackupFailed(f"could not take a readable copy of {source}")


def _tables() -> list[Table]:
    from openminis.models import Base  # every domain's tables

    return Base.metadata.sorted_tables  # parents before children: the order rows can be loaded in


def _snapshot(url: str, folder: Path) -> None:
    """Every platform table as of one moment: one REPEATABLE READ, read-only transaction sees one
    snapshot of the whole database however many rows commit meanwhile (where pg_dump is missing)."""
    folder.mkdir()
    engine = create_engine(url)
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection, connection.begin():
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")
            for table in _tables():
                with (folder / f"{table.name}.jsonl").open("w") as out:
                    for row in connection.execute(table.select()).mappings():
                        out.write(json.dumps(dict(row), default=_plain, separators=(",", ":")) + "\n")
    finally:
        engine.dispose()


def _plain(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot go into a snapshot")


def _load_snapshot(url: str, folder: Path, revision: str | None) -> None:
    """A snapshot's rows into a database migrated to the snapshot's revision, in one transaction;
    then each table's id sequence is moved past its rows (PostgreSQL)."""
    upgrade(url, revision or "head")
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            for table in reversed(_tables()):  # rows the migrations seeded (coin packs) make way, children first
                connection.execute(table.delete())
            for table in _tables():
                path = folder / f"{table.name}.jsonl"
                if not path.exists():
                    continue
                when = {
                    column.name: column.type
                    for column in table.columns
                    if isinstance(column.type, DateTime | Date)
                    or isinstance(getattr(column.type, "impl", None), DateTime)
                }
                rows = [_typed(json.loads(line), when) for line in path.read_text().splitlines() if line]
                for start in range(0, len(rows), 1000):
                    connection.execute(table.insert(), rows[start : start + 1000])
            if connection.dialect.name == "postgresql":
                for table in _tables():
                    column = table.autoincrement_column
                    if column is not None:
                        connection.exec_driver_sql(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                            f"coalesce(max({column.name}), 1), max({column.name}) IS NOT NULL) FROM {table.name}"
                        )
    finally:
        engine.dispose()


def _typed(row: dict[str, Any], when: dict[str, TypeEngine[Any]]) -> dict[str, Any]:
    for name, kind in when.items():
        value = row.get(name)
        if isinstance(value, str):
            row[name] = date.fromisoformat(value) if isinstance(kind, Date) else datetime.fromisoformat(value)
    return row


def backup(settings: Settings, folder: Path) -> Report:
    """Everything the platform keeps, into ``folder`` (new or empty), while it serves."""
    started = time.monotonic()
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise Conflict(f"{folder} is not empty: back up into a new folder", code="BACKUP_FOLDER_NOT_EMPTY")
    folder.mkdir(parents=True, exist_ok=True)
    url = settings.database
    report = Report(folder=folder, database=_kind(url), revision=_revision(url))

    if report.database == "sqlite":
        source = sqlite3.connect(_sqlite_path(url), timeout=30)
        target = sqlite3.connect(folder / "minis.db")
        try:
            source.backup(target)  # all pages in one step: one read transaction, one snapshot
        finally:
            target.close()
            source.close()
        report.parts.append("minis.db")
    elif shutil.which("pg_dump") is None:
        _snapshot(url, folder / SNAPSHOT)
        report.parts.append(SNAPSHOT)
    else:
        dsn, env = _libpq(url)
        _run(
            [
                _tool("pg_dump"),
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--file={folder / 'database.dump'}",
                f"--dbname={dsn}",
            ],
            env,
        )
        report.parts.append("database.dump")

    analytics = settings.analytics_url
    if analytics.startswith("postgresql"):
        if report.database != "postgresql" or _where(analytics) != _where(url):  # else in database.dump already
            dsn, env = _libpq(analytics)
            _run(
                [
                    _tool("pg_dump"),
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--file={folder / 'analytics.dump'}",
                    f"--dbname={dsn}",
                ],
                env,
            )
            report.parts.append("analytics.dump")
    elif settings.analytics_path.exists():
        _copy_duckdb(settings.analytics_path, folder / "events.duckdb")
        report.parts.append("events.duckdb")

    files = folder / "files"
    files.mkdir()
    if settings.storage_url:
        report.not_copied.append(
            f"objects in {settings.storage_url}: keep them with the bucket's versioning or replication"
        )
    for name in () if settings.storage_url else FOLDERS:
        if (settings.data_dir / name).is_dir():
            shutil.copytree(settings.data_dir / name, files / name, ignore=shutil.ignore_patterns("*.part", "staging*"))
            report.parts.append(f"files/{name}")
    if (settings.data_dir / SECRET).exists():
        shutil.copy2(settings.data_dir / SECRET, files / SECRET)
        report.parts.append(f"files/{SECRET}")

    report.seconds = time.monotonic() - started
    manifest = {
        "format": FORMAT,
        "taken_at": utcnow().isoformat(),
        "database": report.database,
        "revision": report.revision,
        "parts": report.parts,
        "not_copied": report.not_copied,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return report


def restore(settings: Settings, folder: Path, *, force: bool = False) -> Report:
    """A backup into the configured data dir and database, which must hold no platform data
    (``force`` overwrites it); then migrations bring an older backup up to this version."""
    started = time.monotonic()
    folder = Path(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        raise BackupFailed(f"{folder} is not a backup: no readable {MANIFEST}", code="NOT_A_BACKUP") from None
    url = settings.database
    kind = _kind(url)
    if manifest.get("database") != kind:
        raise BackupFailed(
            f"this backup is of a {manifest.get('database')} database and the target is {kind}: "
            f"set MINIS_DATABASE_URL to a {manifest.get('database')} database",
            code="BACKUP_KIND_MISMATCH",
        )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    fresh = kind == "sqlite" and not _sqlite_path(url).exists()
    if not fresh and not force and _in_use(url):
        raise Conflict(
            "the target database already holds platform data: restore into a new one, or pass --force",
            code="RESTORE_TARGET_IN_USE",
        )
    report = Report(folder=folder, database=kind, revision=manifest.get("revision"))

    if kind == "sqlite":
        path = _sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(folder / "minis.db")
        target = sqlite3.connect(path, timeout=30)
        try:
            source.backup(target)  # into the live file through SQLite, so its WAL and readers stay coherent
        finally:
            target.close()
            source.close()
        report.parts.append("minis.db")
    elif (folder / SNAPSHOT).is_dir():
        _load_snapshot(url, folder / SNAPSHOT, manifest.get("revision"))
        report.parts.append(SNAPSHOT)
    else:
        dsn, env = _libpq(url)
        _run(
            [
                _tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                f"--dbname={dsn}",
                str(folder / "database.dump"),
            ],
            env,
        )
        report.parts.append("database.dump")

    if (folder / "analytics.dump").exists():
        if not settings.analytics_url.startswith("postgresql"):
            raise BackupFailed(
                "this backup's analytics events are in PostgreSQL: set MINIS_ANALYTICS_URL to a PostgreSQL database",
                code="BACKUP_KIND_MISMATCH",
            )
        dsn, env = _libpq(settings.analytics_url)
        _run(
            [
                _tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                f"--dbname={dsn}",
                str(folder / "analytics.dump"),
            ],
            env,
        )
        report.parts.append("analytics.dump")
    elif (folder / "events.duckdb").exists():
        events = settings.analytics_path
        events.with_name(events.name + ".wal").unlink(missing_ok=True)
        shutil.copy2(folder / "events.duckdb", events)
        report.parts.append("events.duckdb")

    files = folder / "files"
    for name in FOLDERS:
        if (files / name).is_dir():
            shutil.copytree(files / name, settings.data_dir / name, dirs_exist_ok=True)
            report.parts.append(f"files/{name}")
    if (files / SECRET).exists():
        shutil.copy2(files / SECRET, settings.data_dir / SECRET)
        (settings.data_dir / SECRET).chmod(0o600)
        report.parts.append(f"files/{SECRET}")

    upgrade(url)
    report.seconds = time.monotonic() - started
    return report
