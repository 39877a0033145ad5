"""Cloud save: what an app stores comes back on the next launch; over the quota it is refused."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

WITNESS = "witness-app"
PROGRESS = {"level": 7, "coins": 120, "unlocked": ["forest", "cave"], "muted": False}


def launch_witness(host):
    host.launch_from_hub(WITNESS)
    frame = host.app_frame(WITNESS)
    frame.wait_for_function("() => window.__witness.ready")
    return frame


def test_a_saved_value_is_read_back_after_the_app_is_closed_and_launched_again(host):
    host.open("?prewarm=0&keep=0")  # a close unloads the app: the value comes back from the platform
    host.go_to_minis()
    witness = launch_witness(host)
    assert witness.evaluate("() => minis.storage.get('progress')") is None
    witness.evaluate("(value) => minis.storage.set('progress', value)", PROGRESS)
    host.close_app()
    host.page.wait_for_function("() => document.querySelectorAll('iframe.app-frame').length === 0")

    witness = launch_witness(host)
    assert witness.evaluate("() => minis.storage.get('progress')") == PROGRESS
    witness.evaluate("() => minis.storage.remove('progress')")
    assert witness.evaluate("() => minis.storage.get('progress')") is None


def test_a_save_in_onhide_gets_through_when_the_app_is_unloaded_however_long_onhide_takes(host):
    # A phone's renderer can be slow: here the app's onHide works for a second before it saves.
    # The frame is removed only once its SDK says its onHide callbacks have run (or after a
    # bounded wait for an app that never says): before, it went 300 ms after `hide`, and the save with it.
    host.open("?prewarm=0&keep=0")
    host.go_to_minis()
    witness = launch_witness(host)
    witness.evaluate(
        """() => minis.onHide(() => {
            const until = performance.now() + 1000;
            while (performance.now() < until) {}
            minis.storage.set('closed-at-level', 7);
        })"""
    )
    host.close_app()
    host.page.wait_for_function("() => document.querySelectorAll('iframe.app-frame').length === 0")

    witness = launch_witness(host)
    assert witness.evaluate("() => minis.storage.get('closed-at-level')") == 7


def test_a_save_an_async_onhide_makes_after_awaiting_gets_through_when_the_app_is_unloaded(host):
    # An async callback that awaits something (a timer here, a last score upload in a game), then
    # saves: the SDK says the callbacks have run only once the promise it returned has settled.
    host.open("?prewarm=0&keep=0")
    host.go_to_minis()
    witness = launch_witness(host)
    witness.evaluate(
        """() => minis.onHide(async () => {
            await new Promise((done) => setTimeout(done, 1000));
            await minis.storage.set('closed-at-level', 9);
        })"""
    )
    host.close_app()
    host.page.wait_for_function("() => document.querySelectorAll('iframe.app-frame').length === 0")

    witness = launch_witness(host)
    assert witness.evaluate("() => minis.storage.get('closed-at-level')") == 9


def test_values_over_the_quota_are_refused_with_storage_quota_exceeded(host):
    host.open("?prewarm=0")
    host.go_to_minis()
    witness = launch_witness(host)
    # One value over 64 KiB: the SDK refuses it before sending anything.
    too_big = witness.evaluate(
        "() => minis.storage.set('huge', 'x'.repeat(65 * 1024)).then(() => 'saved', (e) => e.code)"
    )
    assert too_big == "STORAGE_QUOTA_EXCEEDED"
    # The same sent past the SDK, straight to the host (a probe: 1 MB came back INTERNAL).
    raw = witness.evaluate(
        """() => new Promise((resolve) => {
            const id = 900001;
            addEventListener("message", function answered(event) {
                if (event.data?.__minis !== 1 || event.data.type !== "response" || event.data.id !== id) return;
                removeEventListener("message", answered);
                resolve(event.data.ok ? "saved" : event.data.error.code);
            });
            const request = { key: "raw", value: "z".repeat(1200 * 1024) };
            parent.postMessage({ __minis: 1, type: "request", id, method: "storage.set", params: request }, "*");
        })"""
    )
    assert raw == "STORAGE_QUOTA_EXCEEDED"

    # Many values under 64 KiB each, over 1 MiB together: the platform refuses the one past it.
    outcome = witness.evaluate(
        """async () => {
            const chunk = "y".repeat(64000);
            for (let index = 0; index < 40; index++) {
                try {
                    await minis.storage.set(`chunk-${index}`, chunk);
                } catch (error) {
                    return { saved: index, code: error.code };
                }
            }
            return { saved: 40, code: null };
        }"""
    )
    assert outcome["code"] == "STORAGE_QUOTA_EXCEEDED"
    assert 10 <= outcome["saved"] < 40
    assert witness.evaluate("() => minis.storage.get('chunk-0').then((value) => value.length)") == 64000
