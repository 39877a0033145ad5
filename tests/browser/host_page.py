"""The host page as a person uses it, for the browser tests: open, scroll, tap, close.

Waits use arrow functions: the host's CSP has no 'unsafe-eval', and Playwright evaluates
a bare expression string with eval when it polls.
"""

from __future__ import annotations

import base64
import io
import json
import re
import zipfile
from pathlib import Path

from playwright.sync_api import Frame, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from openminis.liveserver import LiveServer

# Every control in view that a 44 px square around its centre does not wholly reach: the point 21 px
# each way from the centre (44 px, less a pixel each side) lands on something else.
SHORT_OF_A_THUMB = """() => [...document.querySelectorAll(
    'button, a[href], input:not([type=hidden]), select, [role=tab], [role=button], summary')]
  .filter((control) => {
    const drawn = control.getBoundingClientRect();
    return drawn.width > 0 && drawn.height > 0 && drawn.top >= 0 && drawn.bottom <= innerHeight
      && getComputedStyle(control).visibility === 'visible' && !control.closest('[inert], [hidden]')
      && document.elementFromPoint(drawn.x + drawn.width / 2, drawn.y + drawn.height / 2)?.closest(
        'button, a, input, select, [role=tab], [role=button], summary') === control;
  })
  .filter((control) => {
    const drawn = control.getBoundingClientRect();
    const [x, y] = [drawn.x + drawn.width / 2, drawn.y + drawn.height / 2];
    return [[x - 21, y], [x + 21, y], [x, y - 21], [x, y + 21]].some(([px, py]) => {
      const hit = document.elementFromPoint(px, py);
      return !hit || !(hit === control || control.contains(hit) || hit.closest('a, button') === control);
    });
  })
  .map((control) => `${(control.getAttribute('aria-label') || control.textContent).trim().slice(0, 24)}`
    + ` ${Math.round(control.getBoundingClientRect().width)}x${Math.round(control.getBoundingClientRect().height)}`)"""


class HostPage:
    def __init__(self, page: Page, server: LiveServer):
        self.page = page
        self.server = server
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def open(self, query: str = "") -> HostPage:
        self.page.goto(f"{self.server.url}/{query}")
        expect(self.feed_items.first).to_be_visible()
        # And the feed has marked the item in view (its observer runs after the first draw, late
        # on a busy machine): swipes and "is this the end?" start from it.
        expect(self.current_item).to_have_count(1)
        return self

    @property
    def feed_items(self):
        """Everything in the feed, in order: mini-program cards and creators' posts."""
        return self.page.locator(".feed-item")

    @property
    def current_item(self):
        return self.page.locator(".feed-item[data-current]")

    @property
    def feed_cards(self):
        return self.page.locator(".feed-card")

    def feed_card(self, app_id: str):
        """The app's card in the feed. Creators' posts fill three slots in four, so the card may be
        on a later page than the first: when it is not loaded yet, the feed is swiped down to it."""
        card = self.page.locator(f'.feed-card[data-app-id="{app_id}"]')
        if card.count() == 0 and self.feed_items.count() > 0:
            self.scroll_feed_to(f'.feed-card[data-app-id="{app_id}"]')
        return card.first  # after the caught-up card the feed shows everything again

    def feed_post(self, post_id: str):
        """The post in the feed (its first showing: after the caught-up card it may come again)."""
        return self.page.locator(f'.feed-post[data-post-id="{post_id}"]').first

    def current_card_app_id(self) -> str:
        return self.page.locator(".feed-card[data-current]").get_attribute("data-app-id")

    def swipe_up(self) -> None:
        """One swipe: the feed snaps to the next item."""
        before = self.current_item.get_attribute("data-item-id")
        # On the last item loaded, the next page may still be on its way from a busy server: a
        # swipe now would stop at the end, as a person's would. Wait for the page as they would.
        self.page.wait_for_function(
            """() => {
                const current = document.querySelector(".feed-item[data-current]");
                const busy = document.getElementById("feed").getAttribute("aria-busy") === "true";
                return current.nextElementSibling !== null || !busy;
            }""",
            timeout=30_000,
        )
        self.page.mouse.move(195, 400)
        self.page.mouse.wheel(0, 844)
        expect(self.current_item).not_to_have_attribute("data-item-id", before)

    def at_feed_end(self) -> bool:
        """The item in view is the last one, and the platform has no more."""
        return self.page.evaluate(
            """() => {
                const current = document.querySelector(".feed-item[data-current]");
                return current.getAttribute("aria-setsize") === current.getAttribute("aria-posinset");
            }"""
        )

    def scroll_feed_to(self, selector: str, limit: int = 80) -> bool:
        """Swipes down the feed until an item matching `selector` is the one in view; False if the
        feed has shown everything first: the new items, the caught-up card, then a whole round of
        the older ones after it (the feed never ends: the round would begin again). (Posts come
        three in four slots: cards are found within a few swipes.)"""
        target = self.page.locator(f".feed-item[data-current]{selector}")
        past_caught_up, round_ = False, set()
        for _ in range(limit):
            if target.count() == 1:
                return True
            if self.at_feed_end():
                return False
            item = self.current_item.get_attribute("data-item-id")
            if item == "caught_up":
                past_caught_up = True
            elif past_caught_up:
                if item in round_:
                    return False
                round_.add(item)
            self.swipe_up()
        return target.count() == 1

    def scroll_to_app_card(self, among: set[str]) -> str:
        """Swipes to the first card of one of these apps (posts and other apps may come before it:
        the feed's order depends on what the other tests did); returns its app id."""
        selector = ".feed-card:is({})".format(", ".join(f'[data-app-id="{app_id}"]' for app_id in sorted(among)))
        assert self.scroll_feed_to(selector), f"no card of {sorted(among)} in the feed"
        return self.current_card_app_id()

    def wait_until_settled_on(self, app_id: str) -> None:
        """The feed has kept this card in view long enough to act on it (prewarm or not)."""
        self.page.wait_for_function("(id) => window.__minisHost.settledAppId === id", arg=app_id)

    def go_to_minis(self) -> None:
        self.page.get_by_role("navigation", name="Main").get_by_role("link", name="Minis").click()
        expect(self.page.get_by_role("heading", name="Minis")).to_be_visible()

    def go_to_me(self) -> None:
        self.page.get_by_role("navigation", name="Main").get_by_role("link", name="Me").click()
        expect(self.page.get_by_role("heading", name="Me", exact=True)).to_be_visible()

    def launch_from_search(self, query: str, app_id: str) -> dict:
        """Searches the Minis hub and taps the app's result; waits until the host records the launch."""
        self.page.get_by_role("searchbox", name="Search minis").fill(query)
        # The query's own results, not the suggestions the focus brought: a tile of those, tapped
        # as the typed query's results replaced them, was lost (a clean-clone run, once).
        expect(self.page.locator("#search-status")).to_have_text(re.compile(r"^\d+ results?$"))
        expect(self.page.locator("#search-results")).to_have_attribute("aria-busy", "false")
        before = self.page.evaluate("(id) => window.__minisHost.launches.filter((l) => l.appId === id).length", app_id)
        self.page.locator(f'#search-results .app-tile[data-app-id="{app_id}"]').click()
        return self.wait_for_launch(app_id, count=before + 1)

    @property
    def sheet(self):
        """The host's sheet (pay, consent, top-up), drawn above the app and never by it."""
        return self.page.locator("#sheet-layer .sheet")

    def call_api(self, method: str, path: str, body: object = None) -> dict:
        """A platform call as the host page makes it: this visitor's cookie and CSRF token."""
        return self.page.evaluate(
            """async ([method, path, body]) => {
                const { csrf_token } = await (await fetch("/api/me")).json();
                const response = await fetch(path, {
                    method,
                    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf_token },
                    body: body === null ? undefined : JSON.stringify(body),
                });
                return { status: response.status, body: await response.json().catch(() => null) };
            }""",
            [method, path, body],
        )

    def top_up(self, pack_id: str = "coins-100") -> int:
        """Buys a coin pack through the sandbox with the card that succeeds; returns the new balance."""
        pack = next(
            p for p in self.call_api("GET", "/api/wallet/packs?market=US")["body"]["items"] if p["id"] == pack_id
        )
        shown = {"amount": pack["amount"], "currency": pack["currency"], "coins": pack["coins"] + pack["bonus_coins"]}
        topup = self.call_api("POST", "/api/wallet/topups", {"pack_id": pack_id, "market": "US", **shown})
        assert topup["status"] == 201, topup
        paid = self.call_api(
            "POST", f"/api/wallet/topups/{topup['body']['id']}/sandbox/pay", {"card_number": "4242424242424242"}
        )
        assert paid["body"]["status"] == "succeeded", paid
        return self.balance()

    def balance(self) -> int:
        return self.call_api("GET", "/api/wallet")["body"]["balance"]

    def time_presses(self) -> None:
        """From now on, the page records by its own clock when the next sheet appears and when each
        press comes (``presses_after_sheet``): what an armed button's test checks on a slow machine."""
        self.page.evaluate(
            """() => {
                window.__presses = [];
                addEventListener("pointerdown", () => window.__presses.push(performance.now()), true);
                const layer = document.getElementById("sheet-layer");
                new MutationObserver(() => { if (!layer.hidden) window.__shown ??= performance.now(); })
                    .observe(layer, { attributes: true });
            }"""
        )

    def presses_after_sheet(self) -> tuple[float, list[float]]:
        """When the sheet appeared and when each press came since time_presses, in ms."""
        shown, presses = self.page.evaluate("() => [window.__shown, window.__presses]")
        return shown, presses

    def hub_shelf(self, section_id: str) -> list[str]:
        """The app ids the server puts on a hub shelf now. Other tests on this worker's server publish
        apps too, so a shelf of the newest is checked against this, not against a seeded app."""
        sections = self.call_api("GET", "/api/hub/sections")["body"]["sections"]
        return next([card["app_id"] for card in s["cards"]] for s in sections if s["id"] == section_id)

    def hub_tile(self, app_id: str):
        return self.page.locator(f'#hub-grid .app-tile[data-app-id="{app_id}"]')

    def launch_from_hub(self, app_id: str) -> dict:
        """Taps the app's tile in the Minis hub and waits until the host records the launch."""
        before = self.page.evaluate("(id) => window.__minisHost.launches.filter((l) => l.appId === id).length", app_id)
        # The shelves above the grid and the grid itself drawn first: shelves drawn in after the
        # tile was found push it down between Playwright's aim and its press, and the press lands
        # on whatever took the tile's place (another app, which then holds the screen).
        expect(self.page.locator("#hub-sections")).to_have_attribute("aria-busy", "false")
        expect(self.page.locator("#hub-panel")).to_have_attribute("aria-busy", "false")
        self.hub_tile(app_id).click()
        return self.wait_for_launch(app_id, count=before + 1)

    @property
    def overlay(self):
        return self.page.locator("#app-layer.is-open")

    def frame_element(self, app_id: str):
        return self.page.locator(f'iframe.app-frame[data-app-id="{app_id}"]')

    def tap_app(self, app_id: str, x: float, y: float) -> None:
        """A person's tap at (x, y) in the open app's frame. Not a locator's click: a tap whose
        effect is a host sheet over the app (a guide, a prompt) can cover the frame between the
        press and the release on a busy machine, and a locator's click then takes the release as
        intercepted by the sheet, and presses again, and again, until it times out. A finger
        presses once."""
        frame = self.page.locator(f'iframe.app-frame.is-active[data-app-id="{app_id}"]')
        expect(frame).to_be_visible()
        box = frame.bounding_box()
        assert box is not None
        # Two frames of the page's rendering first: the browser routes a tap into the app's frame
        # by what it last drew, and a sheet that has just closed (the frame inert under it) may
        # not have been drawn away yet.
        self.wait_for_drawing()
        self.page.mouse.click(box["x"] + x, box["y"] + y)

    def wait_for_drawing(self) -> None:
        """Until the page has drawn two frames: what changed before this call is on screen."""
        self.page.evaluate("() => new Promise((drawn) => requestAnimationFrame(() => requestAnimationFrame(drawn)))")

    def app_frame(self, app_id: str) -> Frame:
        """The document inside the app's frame (the open one if there are several)."""
        element = self.page.locator(f'iframe.app-frame.is-active[data-app-id="{app_id}"]')
        if element.count() == 0:
            element = self.frame_element(app_id)
        frame = element.first.element_handle().content_frame()
        assert frame is not None
        return frame

    def wait_for_launch(self, app_id: str, count: int = 1) -> dict:
        """The host recorded the `count`-th finished launch of this app; returns the newest."""
        try:
            self.page.wait_for_function(
                "([id, count]) => window.__minisHost.launches.filter((l) => l.appId === id).length >= count",
                arg=[app_id, count],
            )
        except PlaywrightTimeoutError:
            # What the host did instead, so that a failure says which tap went where.
            seen = self.page.evaluate(
                """() => ({
                    launches: window.__minisHost.launches.map((l) => [l.appId, l.source, l.resumed]),
                    open: document.querySelector("iframe.app-frame.is-active")?.dataset.appId ?? null,
                })"""
            )
            raise AssertionError(f"no launch #{count} of {app_id}; the host saw {seen}") from None
        # The loading view was dismissed at the launch (pointer-events: none, then hidden): two
        # frames drawn first, or a click in the app right after lands on its last drawn picture
        # and never reaches the app (a clean-clone run's tap on Tower Stack's pill showed nothing).
        self.wait_for_drawing()
        return self.page.evaluate("(id) => window.__minisHost.launches.filter((l) => l.appId === id).at(-1)", app_id)

    def set_safe_area_insets(self, *, top: int = 0, right: int = 0, bottom: int = 0, left: int = 0) -> None:
        """The device's insets (a notch, a home bar): what Chromium then gives env(safe-area-inset-*)."""
        cdp = self.page.context.new_cdp_session(self.page)
        insets = {"top": top, "right": right, "bottom": bottom, "left": left}
        cdp.send("Emulation.setSafeAreaInsetsOverride", {"insets": insets})

    def close_app(self) -> None:
        self.page.locator(".capsule-close").click()
        expect(self.overlay).to_have_count(0)

    def host_state(self) -> dict:
        return self.page.evaluate("() => JSON.parse(JSON.stringify(window.__minisHost))")

    def distinct_colors(self, png: bytes) -> int:
        """How many different colours a screenshot has; a blank or one-colour frame has 1."""
        return self.page.evaluate(
            """async (data) => {
                const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
                const bitmap = await createImageBitmap(new Blob([bytes], { type: "image/png" }));
                const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
                const context = canvas.getContext("2d");
                context.drawImage(bitmap, 0, 0);
                const pixels = context.getImageData(0, 0, bitmap.width, bitmap.height).data;
                const colours = new Set();
                for (let i = 0; i < pixels.length; i += 4) {
                    colours.add((pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2]);
                }
                return colours.size;
            }""",
            base64.b64encode(png).decode(),
        )


def package_zip(folder: Path, *, manifest: dict | None = None, files: dict[str, str] | None = None) -> bytes:
    """A package folder as the zip a developer uploads: minis.json updated with `manifest`,
    and the files named in `files` replaced by the text given."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.iterdir()):
            data = path.read_bytes()
            if path.name == "minis.json":
                data = json.dumps({**json.loads(data), **(manifest or {})}).encode()
            if path.name in (files or {}):
                data = files[path.name].encode()
            archive.writestr(path.name, data)
    return buffer.getvalue()


class Developer:
    """A studio on the developer API: a full account that registers apps and uploads versions."""

    def __init__(self, host: HostPage, email: str):
        self.host = host
        host.page.goto(host.server.url + "/?prewarm=0")
        assert (
            host.call_api("POST", "/api/account/register", {"email": email, "password": "studio-password-1"})["status"]
            == 200
        )
        code = host.server.mailed(email, r"verification code is (\d{6})")
        assert host.call_api("POST", "/api/account/verify", {"code": code})["status"] == 200
        assert host.call_api("POST", "/api/developer", {"name": email.split("@")[0]})["status"] == 200

    def register_app(self, app_id: str, name: str) -> str:
        """Registers the app id; returns its secret (shown this once)."""
        created = self.host.call_api("POST", "/api/developer/apps", {"app_id": app_id, "name": name, "kind": "game"})
        assert created["status"] == 201, created
        return created["body"]["app_secret"]

    def upload(self, app_id: str, package: bytes) -> None:
        csrf = self.host.call_api("GET", "/api/me")["body"]["csrf_token"]
        response = self.host.page.request.post(
            f"{self.host.server.url}/api/developer/apps/{app_id}/versions",
            data=package,
            headers={"Content-Type": "application/zip", "X-CSRF-Token": csrf},
        )
        assert response.status == 201, response.text()
        # Checked at once (the shared server runs without the browser checks), submitted, approved
        # by the operator's token and released to everyone.
        version = response.json()["version"]
        submitted = self.host.page.request.post(
            f"{self.host.server.url}/api/developer/apps/{app_id}/versions/{version}/submit",
            headers={"X-CSRF-Token": csrf},
        )
        assert submitted.status == 200, submitted.text()
        self.host.server.approve(app_id, version)
