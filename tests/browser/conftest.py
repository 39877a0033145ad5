"""Browser tests: real Chromium through Playwright, against one live ``minis serve``.

The server is shared by the whole session: the test-only packages in tests/fixtures/packages, then
the example games (published last, as ``--demo`` does, so they lead the feed), a small drama
series (drama_studio.py) and, for the ad tests, a house campaign (ad_studio.py). It runs without
``--demo``: the demo's drama series keeps the server's one job worker transcoding for minutes,
which would hold up the jobs the tests wait on (a reward callback, say) behind it. Each test gets
a fresh browser context, so a new guest with empty recents, cloud save and no coins. When
Chromium or the server cannot start, the tests are skipped locally and fail in CI (``CI=true``).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from openminis.ads import demo as ads_demo
from openminis.liveserver import LiveServer
from openminis.platform import Platform
from openminis.settings import Settings
from openminis.unit_of_work import unit_of_work
from tests.browser.ad_studio import ADMIN_TOKEN, house_campaign
from tests.browser.drama_studio import DramaStudio, make_clips
from tests.browser.host_page import HostPage
from tests.conftest import unavailable

FIXTURE_PACKAGES = Path(__file__).resolve().parents[1] / "fixtures" / "packages"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("browser") / "data"
    data_dir.mkdir()
    packages = [FIXTURE_PACKAGES / name for name in ("hostile", "witness", "pay-probe")]
    packages += sorted(path for path in EXAMPLES.iterdir() if (path / "minis.json").is_file())
    # Games in the tests reach their own backends on loopback (test_identity.py).
    # The admin token lets the ad tests set up a house campaign as the operator would.
    env = {
        "MINIS_DEV_CONNECT_SRC": "http://127.0.0.1:*",
        "MINIS_ADMIN_TOKEN": ADMIN_TOKEN,
        "MINIS_SANDBOX_PAYMENTS": "true",
        "MINIS_EGRESS_ALLOW_LOOPBACK": "true",
        # A version's checks in Chromium are tested in tests/catalog/test_checks.py; here an upload
        # gets the package's own checks at once, so that a test can submit it without waiting.
        "MINIS_BROWSER_CHECKS": "false",
    }
    # Every test's browser is a new person, and all of them come from 127.0.0.1, for the whole session.
    env |= {"MINIS_RATE_GUESTS_PER_IP": "6000/minute", "MINIS_RATE_CHANGES_PER_IP": "60000/minute"}
    server = LiveServer(data_dir, packages=packages, env=env)
    try:
        server.__enter__()
    except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", "") or ""
        unavailable(f"minis serve could not start: {exc} {detail}".strip())
    yield server
    server.__exit__(None, None, None)


@pytest.fixture(scope="session")
def drama_studio(live_server, tmp_path_factory) -> DramaStudio:
    """A producer's drama app with a series of 5 short episodes (drama_studio.py), uploaded when a
    drama test first needs it: transcoding takes the server's CPU for a few seconds, which must not
    slow the tests that run meanwhile."""
    return DramaStudio.start(live_server, make_clips(tmp_path_factory.mktemp("clips")))


@pytest.fixture(scope="session")
def drama_series(drama_studio) -> dict:
    """The producer's series, published once its episodes are transcoded."""
    return drama_studio.publish()


@pytest.fixture(scope="session")
def example_ad_units(live_server) -> None:
    """The example games' ad units, made as ``minis serve --demo`` makes them (ads/demo.py): the
    games ship their ids. Written to the live server's database, where it reads them on request."""
    platform = Platform(Settings(data_dir=live_server.data_dir))
    with unit_of_work(platform.db) as session:
        ads_demo.create_units(session)


@pytest.fixture(scope="session")
def house_ads(live_server, tmp_path_factory) -> dict:
    """The operator's house campaign: a 3 s video that fills every unit without paid demand."""
    return house_campaign(live_server.url, tmp_path_factory.mktemp("ads"))


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
