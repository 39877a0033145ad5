"""What needs a tap in the app (the clipboard, the home-screen sheet, message consent) gets it only
from a tap in the app: not from the person's press on one of the host's own sheets, which
activates the host page as a tap in the game does, and one tap opens one sheet.

The hostile code here is installed as the context's init script, in the witness app's frame: never
through Playwright's evaluate in that frame, which would itself give the frame an activation."""

from __future__ import annotations

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.browser.conftest import new_host

pytestmark = pytest.mark.browser

WITNESS = "witness-app"

# In the witness's frame: once it is ready, it asks for the person's profile; when the person
# refuses, it asks at once for the clipboard, the home screen and message consent, each as the SDK
# would (its "gesture" flag set, the browser asked to report the frame's activation).
ON_REFUSAL = """
if (location.hostname.startsWith("witness-app.")) {
  window.__hostile = {};
  let next = 920000;
  const ask = (method, params) => new Promise((resolve) => {
    const id = ++next;
    addEventListener("message", function answered(event) {
      if (event.data?.__minis !== 1 || event.data.type !== "response" || event.data.id !== id) return;
      removeEventListener("message", answered);
      resolve(event.data.ok ? "ok" : event.data.error.code);
    });
    parent.postMessage({ __minis: 1, type: "request", id, method, params },
                       { targetOrigin: "*", includeUserActivation: true });
  });
  const waiting = setInterval(async () => {
    if (!window.__witness?.ready) return;
    clearInterval(waiting);
    window.__hostile.profile = await ask("getUserProfile", {});
    window.__hostile.clipboard = await ask("setClipboardData", { text: "pasted by the app", activated: true });
    window.__hostile.home = await ask("addToHomeScreen", { activated: true });
    window.__hostile.messages = await ask("requestSubscribeMessage", { templateIds: ["turn"], activated: true });
  }, 50);
}
"""


def in_the_host(page, script: str) -> object:
    """Runs `script` as the person's own act in the host page (the clipboard, which answers only a
    focused document). Under a loaded clean-clone run Chromium once answered "Document is not
    focused" to the host page the test had just opened: the page is brought to the front and its
    document given the focus (an opened app's frame holds it, launcher.js), then asked again."""
    for attempt in range(3):
        try:
            return page.evaluate(script)
        except PlaywrightError as error:
            if "not focused" not in str(error) or attempt == 2:
                raise
            page.bring_to_front()
            page.evaluate("() => { document.activeElement?.blur(); window.focus(); }")
    raise AssertionError("unreachable")


def test_the_persons_press_on_a_host_sheet_is_no_tap_in_the_app(browser, live_server):
    """A probe: refused its profile, the app wrote the clipboard and opened the home-screen sheet
    (or the message sheet) on the person's "Don't allow"."""
    host, context = new_host(browser, live_server)
    try:
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
        context.add_init_script(ON_REFUSAL)
        host.page.goto(f"{live_server.url}/play/{WITNESS}")
        in_the_host(host.page, "() => navigator.clipboard.writeText('the person copied this')")
        expect(host.sheet.get_by_role("button", name="Don’t allow")).to_be_visible()
        host.sheet.get_by_role("button", name="Don’t allow").click()
        frame = host.app_frame(WITNESS)
        frame.wait_for_function("() => window.__hostile.messages !== undefined")
        assert frame.evaluate("() => window.__hostile") == {
            "profile": "USER_DENIED",
            "clipboard": "NOT_ALLOWED",
            "home": "NOT_ALLOWED",
            "messages": "NOT_ALLOWED",
        }
        assert host.host_state()["sheetOpen"] is False
        assert in_the_host(host.page, "() => navigator.clipboard.readText()") == "the person copied this"
        assert host.errors == []
    finally:
        context.close()


def test_one_tap_in_the_app_opens_one_sheet_and_is_spent_on_it(host, live_server):
    """A probe: an app that asked again as soon as the person closed the home-screen guide reopened
    it, again and again, on one tap (the tap stays active in its frame for 5 s); and the attack on
    that fix opened the message sheet next, then wrote the clipboard, on the same tap."""
    host.page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    host.page.goto(f"{live_server.url}/play/{WITNESS}")
    in_the_host(host.page, "() => navigator.clipboard.writeText('the person copied this')")  # the host has focus
    witness = host.app_frame(WITNESS)
    witness.wait_for_function("() => window.__witness.ready")
    witness.evaluate(
        """() => addEventListener('pointerdown', async () => {
            const outcome = (call) => call.then((answer) => answer ?? "ok", (error) => error.code);
            window.__first = await outcome(minis.addToHomeScreen());
            // The moment the guide closed, on the same tap:
            window.__again = await outcome(minis.addToHomeScreen());
            window.__messages = await outcome(minis.requestSubscribeMessage(["turn"]));
            window.__clipboard = await outcome(minis.setClipboardData("pasted by the app"));
        }, { once: true })"""
    )
    host.tap_app(WITNESS, 40, 400)
    guide = host.sheet.get_by_role("heading", name="Add Witness to your home screen")
    expect(guide).to_be_visible()
    host.sheet.get_by_role("button", name="Done").click()
    witness.wait_for_function("() => window.__clipboard !== undefined")
    assert witness.evaluate("() => [window.__first, window.__again, window.__messages, window.__clipboard]") == [
        {"added": False, "guided": True},
        "NOT_ALLOWED",
        "NOT_ALLOWED",
        "NOT_ALLOWED",
    ]
    assert host.host_state()["sheetOpen"] is False
    assert in_the_host(host.page, "() => navigator.clipboard.readText()") == "the person copied this"


FLOOD = """
if (location.hostname.startsWith("witness-app.")) {
  const waiting = setInterval(() => {
    if (!window.__witness?.ready) return;
    clearInterval(waiting);
    const big = "x".repeat(5 * 1024 * 1024);
    let id = 930000;
    window.__flooding = true;
    const started = performance.now();
    (function flood() {
      if (performance.now() - started > 40000) return;  // the test is long over by then
      const params = { key: "b", value: big };
      parent.postMessage({ __minis: 1, type: "request", id: ++id, method: "storage.set", params }, "*");
      setTimeout(flood, 0);
    })();
  }, 50);
}
"""


def test_an_app_flooding_the_host_with_huge_messages_does_not_keep_the_person_from_closing_it(browser, live_server):
    """A probe: an app posting 5 MB requests as fast as it could kept the host from acting on the
    person's tap on Close for 74 to 92 s (the host read each message before its rate limit could
    refuse it). The host reads an app's messages for at most a tenth of each second."""
    host, context = new_host(browser, live_server)
    try:
        context.add_init_script(FLOOD)
        host.page.goto(f"{live_server.url}/play/{WITNESS}")
        frame = host.app_frame(WITNESS)
        frame.wait_for_function("() => window.__flooding === true")
        host.page.wait_for_function("() => window.__minisHost.bridge.unread > 0")  # the flood is on
        host.page.get_by_role("button", name="Close").first.click(no_wait_after=True)
        # The bound is Playwright's patience, far past the second the close takes, far short of a minute.
        open_app = host.page.locator(f'iframe.app-frame.is-active[data-app-id="{WITNESS}"]:not([data-minimised])')
        expect(open_app).to_have_count(0, timeout=15_000)
        host.go_to_minis()  # and the host goes on serving the person
        expect(host.page.locator("#hub-grid .app-tile").first).to_be_visible()
    finally:
        context.close()
