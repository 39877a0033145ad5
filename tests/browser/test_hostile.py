"""A hostile app is kept in its sandbox: it reaches neither the host nor other apps, and
cannot wear the bridge down. The probe (tests/fixtures/packages/hostile) runs once, with the
witness app prewarmed beside it as a target, and these tests read what each attempt got."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from playwright.sync_api import Frame, expect

from tests.browser.conftest import new_host
from tests.browser.host_page import HostPage

pytestmark = pytest.mark.browser

HOSTILE = "hostile-probe"
WITNESS = "witness-app"


@dataclass
class Probe:
    host: HostPage
    results: dict
    witness: Frame


@pytest.fixture(scope="module")
def probe(browser, live_server):
    host, context = new_host(browser, live_server)
    host.open()
    # The witness waits prewarmed and hidden in the feed: another app for the probe to attack.
    host.feed_card(WITNESS).scroll_into_view_if_needed()
    prewarmed = host.page.locator(f'iframe.app-frame[data-app-id="{WITNESS}"][data-prewarmed][data-ready]')
    expect(prewarmed).to_have_count(1)
    witness = prewarmed.element_handle().content_frame()
    witness.wait_for_function("() => window.__witness.ready")

    host.go_to_minis()
    host.page.get_by_role("searchbox", name="Search minis").fill("hostile")
    host.page.locator(f'#search-results .app-tile[data-app-id="{HOSTILE}"]').click()
    host.wait_for_launch(HOSTILE)
    frame = host.app_frame(HOSTILE)
    frame.wait_for_function("() => window.__results.done", timeout=30_000)
    yield Probe(host, frame.evaluate("() => window.__results"), witness)
    context.close()
    assert host.errors == [], f"uncaught errors in the host page: {host.errors}"


def test_a_hostile_app_cannot_read_the_hosts_cookies_or_local_storage(probe):
    assert probe.results["parentCookie"] == {"threw": True, "error": "SecurityError"}
    assert probe.results["parentLocalStorage"] == {"threw": True, "error": "SecurityError"}


def test_a_hostile_app_can_neither_navigate_the_hosts_tab_nor_open_a_popup(probe):
    page = probe.host.page
    assert page.url.startswith(f"{probe.host.server.url}/") and "hijacked" not in page.url
    assert page.evaluate("() => window.__minisHost.launches.length") >= 1  # the same host document
    assert probe.results["popup"] in ({"threw": False, "value": False}, {"threw": True, "error": "SecurityError"})
    assert probe.results["topNavigationByOpen"] in (
        {"threw": False, "value": False},
        {"threw": True, "error": "SecurityError"},
    )
    assert probe.results["topNavigation"]["threw"] is True
    assert len(probe.host.page.context.pages) == 1


def test_a_hostile_app_cannot_pose_as_the_host_to_another_app(probe):
    assert probe.results["forgedTo"] >= 1
    # The forgeries did reach the witness (22 per frame), and its SDK acted on none of them.
    probe.witness.wait_for_function("() => window.__witness.foreignMessages >= 22")
    assert probe.witness.evaluate("() => [window.__witness.events, minis.isVisible()]") == [[], False]


def test_the_bridge_refuses_calls_before_init_and_unknown_methods_and_drops_malformed_messages(probe):
    assert probe.results["beforeInit"] == "NOT_INITIALIZED"
    assert probe.results["unknownMethod"] == "UNKNOWN_METHOD"
    assert probe.results["init"] == "ok" and probe.results["ready"] == "ok"
    assert probe.results["strayAnswers"] == 0  # no malformed message got an answer
    assert probe.host.host_state()["bridge"]["dropped"] == probe.results["malformedSent"]


def test_the_social_methods_refuse_calls_before_init_bad_parameters_and_what_needs_a_gesture_or_a_context(probe):
    assert probe.results["scoreBeforeInit"] == "NOT_INITIALIZED"
    assert probe.results["social"] == {
        "boardPath": "INVALID_ARGUMENT",
        "fractionalScore": "INVALID_ARGUMENT",
        "hugeScore": "INVALID_ARGUMENT",
        "hugeLimit": "INVALID_ARGUMENT",
        "contextWithoutOne": "NOT_FOUND",
        "clipboardUnasked": "NOT_ALLOWED",
        "clipboardBadText": "INVALID_ARGUMENT",
        "shareBadQuery": "INVALID_ARGUMENT",
        "shareHugeQuery": "INVALID_ARGUMENT",
        "tournamentShareAlone": "NOT_ALLOWED",
        "tournamentBadEnd": "INVALID_ARGUMENT",
        "vibrateForever": "INVALID_ARGUMENT",
        "openItself": "INVALID_ARGUMENT",
        "openBadId": "INVALID_ARGUMENT",
        "sidewaysOrientation": "INVALID_ARGUMENT",
        "messagesUnasked": "NOT_ALLOWED",
        "messagesBadIds": "INVALID_ARGUMENT",
        "messagesTooMany": "INVALID_ARGUMENT",
        "homeScreenUnasked": "NOT_ALLOWED",
        "homeScreenUnaskedAgain": "NOT_ALLOWED",
    }
    assert probe.host.host_state()["sheetOpen"] is False  # no attempt got a sheet in front of the person


def test_a_flood_of_bridge_calls_is_rate_limited_and_afterwards_the_host_and_other_apps_still_work(probe):
    flood = probe.results["flood"]
    assert flood["ok"] + flood["RATE_LIMITED"] == 5000 and flood["other"] == 0  # one answer each
    # The burst of 200 (less the probe's first few calls), plus what refilled at 100/s meanwhile.
    # The bucket held 200 at the start: the probe's calls before the flood took some of them.
    assert 200 - probe.results["callsBeforeFlood"] <= flood["ok"] <= 200 + 100 * flood["seconds"]
    assert probe.host.host_state()["bridge"]["rateLimited"] == flood["RATE_LIMITED"]

    host = probe.host
    host.close_app()
    host.page.get_by_role("link", name="Feed").click()
    card = host.feed_card(WITNESS)
    expect(card).to_be_in_viewport()
    card.get_by_role("button", name="Play").click()
    launch = host.wait_for_launch(WITNESS)
    assert launch["prewarmed"] is True
    witness = host.app_frame(WITNESS)
    witness.evaluate("() => minis.storage.set('after-flood', 1)")
    assert witness.evaluate("() => minis.storage.get('after-flood')") == 1
