"""Browser tests: real Chromium through Playwright, against one live ``minis serve --demo``.

The server is shared by the whole session (with the demo games and the two test-only packages
in tests/fixtures/packages); each test gets a fresh browser context, so a new guest with
empty recents and cloud save. When Chromium or the server cannot start, the tests are skipped
locally and fail in CI (``CI=true``).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Error, sync_playwright

from openminis.liveserver import LiveServer
from tests.browser.host_page import HostPage
from tests.conftest import unavailable

CHROMIUM = "/usr/bin/chromium"
FIXTURE_PACKAGES = Path(__file__).resolve().parents[1] / "fixtures" / "packages"


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("browser") / "data"
    data_dir.mkdir()
    server = LiveServer(data_dir, demo=True, packages=[FIXTURE_PACKAGES / "hostile", FIXTURE_PACKAGES / "witness"])
    try:
        server.__enter__()
    except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", "") or ""
        unavailable(f"minis serve could not start: {exc} {detail}".strip())
    yield server
    server.__exit__(None, None, None)


@pytest.fixture(scope="session")
def browser():
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-background-networking"]
        )
    except Error as exc:
        playwright.stop()
        unavailable(f"Chromium could not start from {CHROMIUM}: {exc.message.splitlines()[0]}")
    yield browser
    browser.close()
    playwright.stop()


def new_host(browser, live_server) -> tuple[HostPage, object]:
    """A new browser context (a first-time visitor) on the host page at 390x844."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1)
    return HostPage(context.new_page(), live_server), context


@pytest.fixture
def host(browser, live_server) -> Iterator[HostPage]:
    """The host page at 390x844, as a new guest. Fails the test on any uncaught host error."""
    page, context = new_host(browser, live_server)
    yield page
    context.close()
    assert page.errors == [], f"uncaught errors in the host page: {page.errors}"
