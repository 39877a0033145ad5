"""Paid episodes' media links live seconds here (MINIS_PAID_MEDIA_URL_SECONDS=3), and in Chromium
the host's player still plays paid episodes through: a fetch with an expired link (403 from the
server) gets new links and goes on from the same moment, and an episode loaded ahead whose links
expired meanwhile asks again before it plays."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from openminis.liveserver import LiveServer
from tests.browser.conftest import EXAMPLES, new_host
from tests.browser.drama_studio import SERIES_PRICE, TITLE, DramaStudio, make_clips

pytestmark = pytest.mark.browser

LINK_SECONDS = 3
CURRENT_VIDEO = '.drama-slide[aria-hidden="false"] video'


@pytest.fixture(scope="module")
def short_links(tmp_path_factory):
    data = tmp_path_factory.mktemp("short-links") / "data"
    data.mkdir()
    env = {"MINIS_SANDBOX_PAYMENTS": "true", "MINIS_PAID_MEDIA_URL_SECONDS": str(LINK_SECONDS)}
    # A game in the feed, so that the host page opens as it does for everyone (it waits for the feed).
    with LiveServer(data, packages=[EXAMPLES / "tower-stack"], env=env) as server:
        studio = DramaStudio.start(server, make_clips(tmp_path_factory.mktemp("clips"), seconds=6))
        yield server, studio.publish()


def playing(host, number: int, past: float) -> None:
    host.page.wait_for_function(
        "([number, past]) => { const d = window.__minisHost.drama;"
        " return d.episode === number && d.playing && d.currentTime > past; }",
        arg=[number, past],
        timeout=30_000,
    )


def test_a_paid_episode_plays_on_through_expired_links_in_chromium(browser, short_links):
    server, series = short_links
    host, context = new_host(browser, server)
    try:
        host.open("?prewarm=0")
        assert host.top_up("coins-100") == 100
        bought = host.call_api(
            "POST", f"/api/dramas/{series['id']}/purchase", {"amount": SERIES_PRICE, "currency": "COIN"}
        )
        assert bought["status"] == 200, bought
        refused: list[str] = []
        host.page.on(
            "response",
            lambda response: (
                refused.append(response.url) if "/media/drama/" in response.url and response.status == 403 else None
            ),
        )
        asked: list[str] = []
        host.page.on(
            "request", lambda request: asked.append(request.url) if request.url.endswith("/playback") else None
        )

        host.go_to_minis()
        host.page.get_by_role("tab", name="Dramas").click()
        host.page.get_by_role("button", name=re.compile(rf"^Watch {TITLE}")).click()
        player = host.page.get_by_role("dialog", name=TITLE)
        expect(player).to_be_visible()
        playing(host, 1, 0.2)
        for number in (2, 3, 4):
            host.page.keyboard.press("PageDown")
            playing(host, number, 0.2)
        playing(host, 4, 1.0)

        # The links of episode 4 expire; then its video fetches with them bytes the browser does not
        # hold (Chromium keeps what it fetched per URL, so the URL gets a query parameter the server
        # ignores): the server refuses, the player asks for new links and goes on.
        host.page.evaluate("(s) => document.querySelector(s).pause()", CURRENT_VIDEO)
        at = host.page.evaluate("(s) => document.querySelector(s).currentTime", CURRENT_VIDEO)
        time.sleep(LINK_SECONDS + 1)
        asked_before = sum("/episodes/4/" in url for url in asked)
        host.page.evaluate(
            "(s) => { const v = document.querySelector(s); const t = v.currentTime;"
            " v.src = v.src + '&again=1'; v.currentTime = t; v.play().catch(() => {}); }",
            CURRENT_VIDEO,
        )
        playing(host, 4, at + 0.3)
        assert any("/media/drama/" in url for url in refused), "the expired link was not refused"
        assert sum("/episodes/4/" in url for url in asked) > asked_before
        assert (
            host.page.evaluate("(s) => document.querySelector(s).currentTime", CURRENT_VIDEO) >= at
        )  # from the same moment, not the start
        expect(player.get_by_text("This episode could not be played")).to_have_count(0)

        # Episode 5 was loaded ahead while 4 played, and its links expired meanwhile: it asks again and plays.
        host.page.evaluate(
            "(s) => { const v = document.querySelector(s); v.currentTime = v.duration - 0.25; }", CURRENT_VIDEO
        )
        playing(host, 5, 0.5)
        assert sum("/episodes/5/" in url for url in asked) >= 2
        expect(player.get_by_text("This episode could not be played")).to_have_count(0)
        assert host.errors == [], host.errors
    finally:
        context.close()
