"""Fixtures shared by every test: a clean database (SQLite or PostgreSQL), a platform, a client."""

from __future__ import annotations

import gc
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import cast

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.dependencies import models as fastapi_models
from sqlalchemy import text
from starlette.testclient import TestClient

from openminis.app import create_app, create_host_app
from openminis.liveserver import PG_ADMIN, LiveServer, scratch_postgres
from openminis.migrations import upgrade
from openminis.models import Base
from openminis.platform import Platform
from openminis.settings import Settings
from openminis.zygote import Zygote
from tests import inline, tls_context

pytest_plugins = ["tests.studio", "tests.s3"]

# Every TestClient runs the app on the calling thread's own loop (tests/inline.py).
inline.install()
# Every httpx client shares one TLS context (tests/tls_context.py).
tls_context.install()

IN_CI = os.environ.get("CI") == "true"
ROOT = Path(__file__).resolve().parents[1]

# Passwords are hashed at argon2id's cheapest cost in the tests (the default, OWASP's, takes tens
# of milliseconds a hash), and episodes and posts transcoded at x264's least effort (the same
# renditions, larger files, a third of the CPU): in this process's Settings and in every `minis`
# process the tests start, which inherit this environment.
os.environ.update(MINIS_PASSWORD_TIME_COST="1", MINIS_PASSWORD_MEMORY_KIB="8", MINIS_PASSWORD_PARALLELISM="1")
os.environ.update(MINIS_TRANSCODE_PRESET="ultrafast")


def unavailable(reason: str) -> None:
    """Skip locally; in CI a test that cannot run is a failure, not a skip."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: required, not skippable)")
    pytest.skip(reason)


@pytest.fixture(scope="session", autouse=True)
def _zygote(sqlite_template) -> Iterator[None]:
    """The worker's live servers and ``minis`` commands are forked from one process that has
    imported the platform (openminis/zygote.py): a test starts a hundred-odd of them a run, each of
    which spent two seconds of CPU importing it, on the two cores the tests run on. A live server on
    a new SQLite data directory starts from a copy of the migrated template, not from migrations."""
    zygote = Zygote()
    LiveServer.commands, LiveServer.sqlite_template = zygote, sqlite_template
    yield
    zygote.close()


@pytest.fixture(autouse=True)
def _forget_finished_apps() -> Iterator[None]:
    """FastAPI remembers what kind of callable each endpoint and dependency is, in caches of 4,096
    callables each (fastapi/dependencies/models.py, pinned in pyproject.toml). A test's apps are
    closures over its platform, so those caches kept hundreds of finished tests' platforms alive,
    with their engines and compiled statements: 2.5 million objects in a worker after 480 tests,
    which every full collection walked (7-10 s of a worker's 130). In production an app is made
    once a process, and the caches hold its endpoints only."""
    yield
    for cache in (
        fastapi_models._is_gen_callable_cached,
        fastapi_models._is_async_gen_callable_cached,
        fastapi_models._is_coroutine_callable_cached,
    ):
        cache.cache_clear()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "minis.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def transcoded(tmp_path_factory) -> dict:
    """Episode transcodes made this run (tests/drama/conftest.py's transcode_once), by clip and
    length limit: the folder and what the transcode returned."""
    return {"root": tmp_path_factory.mktemp("transcoded")}


# This worker's migrated PostgreSQL database that no test connects to, made on first need: every
# test database is a copy of it (CREATE DATABASE ... TEMPLATE), not a new run of the migrations.
_postgres_template: list[str] = []


def _template() -> str:
    if not _postgres_template:
        name = f"minis_template_{os.getpid()}_{secrets.token_hex(3)}"
        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        upgrade(PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}")
        _postgres_template.append(name)
    return _postgres_template[0]


@pytest.fixture(scope="session", autouse=True)
def _drop_postgres_template() -> Iterator[None]:
    yield
    if _postgres_template:
        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{_postgres_template[0]}" WITH (FORCE)')


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new, migrated PostgreSQL database for the duration, dropped afterwards."""
    try:
        database = scratch_postgres(template=_template())
        url = database.__enter__()
    except psycopg.OperationalError as exc:
        unavailable(f"PostgreSQL is not reachable at {PG_ADMIN}: {exc}")
    try:
        yield url
    finally:
        database.__exit__(None, None, None)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with postgres_database() as url:
        yield url


# The platform's tables, children before parents: emptied in this order, no row's parent goes first.
_TABLES = [table.name for table in reversed(Base.metadata.sorted_tables)]


def empty_postgres(platform: Platform) -> None:
    """Empty the worker's PostgreSQL database, the analytics events too (they live in it), for the
    next test. DELETE, not TRUNCATE: a test leaves a few rows in a few tables, which DELETE removes
    in a millisecond or two, where TRUNCATE makes every table's files anew (80 to 400 ms a test)."""
    with platform.db.engine.begin() as connection:
        tables = _TABLES + (["events"] if connection.scalar(text("SELECT to_regclass('events')")) else [])
        connection.exec_driver_sql("; ".join(f"DELETE FROM {table}" for table in tables))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "minis.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def settings(tmp_path, database_url) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        # Analytics in the same form as the database: the DuckDB file beside SQLite, the partitioned
        # table beside PostgreSQL (DESIGN.md: every part with a scale form is tested in both).
        analytics_url=database_url if database_url.startswith("postgresql") else "",
        public_url="http://localhost:8000",
        secret_key="test-secret",
        admin_token="test-admin-token",
        sandbox_payments=True,  # test cards pay for the tests' coins (off in production)
        egress_allow_loopback=True,  # the tests' developer backends listen on loopback (off in production)
        # A version's checks in Chromium run in the tests that are about them (tests/catalog/test_checks.py,
        # the console's browser tests); elsewhere an upload gets the package's own checks at once.
        browser_checks=False,
    )


@pytest.fixture
def platform(settings) -> Iterator[Platform]:
    platform = Platform(settings)
    if platform.db.engine.dialect.name == "postgresql":
        empty_postgres(platform)
    yield platform
    platform.close()


@pytest.fixture
def session(platform):
    with platform.db.session() as session:
        yield session


class _RunningTestsPlatform:
    """Stands for the platform of the test running now, so that one host app serves every test of
    a worker: FastAPI builds an app's routes on its first requests (0.1 to 0.3 s, which a new app
    per test paid again, measured in about a thousand tests). The host's routes look the platform
    up at request time (``request.app.state.platform``) and keep nothing between requests; the
    apps' origins and the wrappers around both are still made per test (create_app)."""

    target: Platform | None = None

    def __getattr__(self, name: str) -> object:
        return getattr(self.target, name)


_RUNNING = _RunningTestsPlatform()
_SHARED_HOST: list[FastAPI] = []


def _shared_host(platform: Platform) -> FastAPI:
    _RUNNING.target = platform
    if not _SHARED_HOST:
        _SHARED_HOST.append(create_host_app(cast(Platform, _RUNNING)))
    return _SHARED_HOST[0]


@pytest.fixture
def client(platform) -> Iterator[TestClient]:
    app = create_app(platform=platform, host=_shared_host(platform))
    with TestClient(app, base_url="http://localhost:8000") as client:
        yield client
    _RUNNING.target = None


def app_client(client: TestClient, app_id: str) -> TestClient:
    """The same server, addressed on an app's own origin."""
    return TestClient(client.app, base_url=f"http://{app_id}.apps.localhost:8000")


@pytest.fixture
def csrf(client) -> dict[str, str]:
    """Headers of a signed-in guest's state-changing request (the client keeps its cookie)."""
    return {"X-CSRF-Token": client.get("/api/me").json()["csrf_token"]}


CHROMIUM = "/usr/bin/chromium"

# Chromium 156 in headless mode gives each new window (a test's browser context) its omnibox
# popup as web pages of their own, top-chrome WebUI renderers that run for a second or two at a
# third of a core each, for a popup no test can open: turned off, 14 browser tests took 25.3 s of
# CPU instead of 28.0 s. Chromium takes the last --disable-features it is given, so the features
# Playwright turns off are named again: its list as of the version pinned in pyproject.toml (read
# from chrome://version).
_PLAYWRIGHT_DISABLED = (
    "AvoidUnnecessaryBeforeUnloadCheckSync,DestroyProfileOnBrowserClose,HttpsUpgrades,"
    "HttpsFirstBalancedModeAutoEnable,LensOverlay,MediaRouter,PaintHolding,ThirdPartyStoragePartitioning,"
    "AvoidCorsURLLoaderRestartOnRedirect,TcpPortRandomizationWin,OptimizationHints,NetworkTimeServiceQuerying,"
    "AimEnabled,PreconnectToSearch,msForceBrowserSignIn,msEdgeUpdateLaunchServicesPreferredVersion"
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    f"--disable-features={_PLAYWRIGHT_DISABLED},WebUIOmniboxPopup,WebUIOmniboxAimPopup",
]


@pytest.fixture(scope="session")
def browser():
    """One Chromium for a worker's whole session, shared by every test that drives one (the browser
    tests, minis dev's): Playwright's sync API allows one instance per thread."""
    from playwright.sync_api import Error, expect, sync_playwright

    # How long an expectation waits for the page to come to it (Playwright's default: 5 s). It is a
    # bound on waiting, not a figure the page must beat: on a machine three times slower than usual,
    # under a full suite, a renderer took more than 5 s to show a sheet after a tap.
    expect.set_options(timeout=20_000)
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    except Error as exc:
        playwright.stop()
        unavailable(f"Chromium could not start from {CHROMIUM}: {exc.message.splitlines()[0]}")
    yield browser
    browser.close()
    playwright.stop()


# The longest files, run first: xdist's workers take whole files in collection order, and a long
# one taken last leaves the other worker idle at the end of the run (measured: the backups and the
# bursts, collected last, ran alone for the last minute). Each worker sorts alike, as xdist needs.
LONGEST_FIRST = (
    # Measured with --durations in a clean-clone run (seconds, both databases): the schema's whole
    # host and Open API (180), the bursts (120), backups (86), the payout crash (68), a staged
    # release (60), the drama player's browser tests (60), then the rest down to 20 s a file.
    "tests/openapi/conformance/",
    "tests/browser/test_compat.py",  # five imported games played in Chromium, 45-60 s each under load
    "tests/test_bursts.py",
    "tests/test_backup.py",
    "tests/payouts/test_payout_crash.py",
    "tests/catalog/test_staged_release.py",
    "tests/browser/test_drama.py",
    "tests/feed/test_forged_traffic.py",
    "tests/payments/test_refund_storm.py",
    "tests/payments/test_crash.py",
    "tests/creators/test_demo.py",
    "tests/browser/test_drama_media.py",
    "tests/payments/test_admin_refund_storm.py",
    "tests/payouts/test_payout_storms.py",
    "tests/browser/test_creators.py",
    "tests/drama/test_demo_and_cli.py",
    "tests/payments/test_slow_backends.py",
    "tests/catalog/test_publishing_attacks.py",
    "tests/browser/test_moderation.py",
    "tests/devtools/test_dev.py",
    "tests/test_cluster.py",  # 30 s: two nodes, a worker and nginx
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        return next((n for n, prefix in enumerate(LONGEST_FIRST) if item.nodeid.startswith(prefix)), len(LONGEST_FIRST))

    items.sort(key=rank)  # stable: within a file, and among the rest, the order stays as collected


def pytest_collection_finish(session: pytest.Session) -> None:
    """The cyclic collector, tuned for a test worker: what the imports and the collection made
    lives until the end (frozen, never scanned again), and a collection comes after 20,000 new
    objects rather than 700. A worker's requests make objects fast; with Python's defaults the
    collector took 6-11 s of a worker's 120 s (measured with gc.callbacks on 692 tests), 2-4 s
    with these, and those tests ran in 114 s instead of 123."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
