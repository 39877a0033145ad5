"""A hostile app is kept in its sandbox: it reaches neither the host nor other apps, and
cannot wear the bridge down. The probe (tests/fixtures/packages/hostile) runs once, with the
witness app kept alive, hidden, beside it as a target, and these tests read what each attempt got."""

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
    lifecycle: list[str]  # the callbacks the witness's own launch and close ran


@pytest.fixture(scope="module")
def probe(browser, live_server):
    host, context = new_host(browser, live_server)
    # Nothing is prewarmed, so that the probe runs once, in the frame its tap opened: where the
    # feed had left it near another card, the feed prewarmed it as well, and its counts doubled.
    host.open("?prewarm=0")
    # The witness is kept alive and hidden (opened, then closed to a minimised frame): another app
    # for the probe to attack, whatever the feed's order.
    host.go_to_minis()
    host.launch_from_search("witness", WITNESS)
    witness = host.app_frame(WITNESS)
    witness.wait_for_function("() => window.__witness.ready")
    host.close_app()
    expect(host.page.locator(f'iframe.app-frame[data-app-id="{WITNESS}"][data-minimised]')).to_have_count(1)
    lifecycle = witness.evaluate("() => [...window.__witness.events]")

    host.launch_from_search("hostile", HOSTILE)
    frame = host.app_frame(HOSTILE)
    frame.wait_for_function("() => window.__results.done", timeout=30_000)
    yield Probe(host, frame.evaluate("() => window.__results"), witness, lifecycle)
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
    # Its callbacks are those of its own launch and close, no more.
    assert probe.witness.evaluate("() => [window.__witness.events, minis.isVisible()]") == [probe.lifecycle, False]


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
    launch = host.launch_from_search("witness", WITNESS)
    assert launch["resumed"] is True  # the frame the probe attacked
    witness = host.app_frame(WITNESS)
    witness.evaluate("() => minis.storage.set('after-flood', 1)")
    assert witness.evaluate("() => minis.storage.get('after-flood')") == 1
