"""The platform's own checks of an uploaded version: what its files weigh, and how it starts in
headless Chromium inside the real host page, on a throttled network and on an unthrottled one.

The result is a report (docs: the check report in issue 14's contract) that the developer and the
reviewer see: a speed tier from the throttled start, the errors the app printed or threw, the
content-security-policy violations, and screenshots. A version that fails a hard rule (over a size
budget, never ready, ready too late) cannot be submitted. When Chromium is missing or cannot start,
the report says so and the size checks still stand.

The browser opens the host's preview of the version (``/preview/{app_id}/{version}?check=...``),
where the launcher frames the app on its own origin and marks the frame ``data-ready`` when the app
calls ``ready()``. Times are from the host page's navigation start.
"""

from __future__ import annotations

import json
import logging
import re
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict
from urllib.parse import urlsplit

from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    ViewportSize,
    sync_playwright,
)
from playwright.sync_api import Error as PlaywrightError

from openminis.catalog.models import FileEntry
from openminis.storage import InvalidKey, ObjectStore

if TYPE_CHECKING:
    from openminis.settings import Settings  # the settings module reaches up to identity's mail

log = logging.getLogger("openminis.catalog.checks")

VIEWPORT = ViewportSize(width=390, height=844)
THROTTLED = "1 MB/s, 100 ms"
UNTHROTTLED = "unthrottled"
# Chromium's network emulation (bytes per second, milliseconds), the contract's slow network.
SLOW_NETWORK = {"offline": False, "latency": 100, "downloadThroughput": 1_000_000, "uploadThroughput": 1_000_000}
LAUNCH_TIMEOUT_MS = 15_000
GOTO_TIMEOUT_MS = 10_000
# How long a run waits for ready, in ready budgets: the unthrottled run long enough to tell "late"
# from "never", the throttled one longer, since a package near its size budget needs seconds at 1 MB/s.
UNTHROTTLED_WAIT = 1.3
THROTTLED_WAIT = 2.0
# The launcher fades its loading view out over 250 ms after ready: the screenshot shows the app.
SETTLE_MS = 400
# The whole browser part, past which the check gives up on Chromium (each step has its own timeout
# well inside this; it bounds what no timeout covers, such as a browser that stops answering).
BROWSER_DEADLINE_S = 60
MESSAGE_LIMIT = 500
LIST_LIMIT = 50

SCREENSHOT_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,39}\.png")
APP_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+-]{0,63}")

# Installed in every frame before its own scripts. In the host page it notes when the launcher
# marks the app frame ready; in the app's frame, what the app throws and what its policy blocks
# (page.on("pageerror") hears the main frame only, and the app's frame is another process).
PROBE = """
(() => {
  if (window.__minisCheck) return;
  const record = { readyAt: null, errors: [], csp: [] };
  Object.defineProperty(window, "__minisCheck", { value: record });
  if (window.top === window) {
    const note = () => {
      if (record.readyAt === null && document.querySelector(".app-frame[data-ready]")) {
        record.readyAt = performance.now();
      }
    };
    new MutationObserver(note).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-ready"] });
    return;
  }
  performance.setResourceTimingBufferSize(100000);
  const text = (value) => {
    try {
      return value instanceof Error ? `${value.name}: ${value.message}` : String(value);
    } catch {
      return "(unprintable)";
    }
  };
  addEventListener("error", (event) => {
    if (event instanceof ErrorEvent) {
      record.errors.push(`${event.message} (${event.filename}:${event.lineno}:${event.colno})`);
    }
  }, true);
  addEventListener("unhandledrejection", (event) => {
    record.errors.push(`unhandled rejection: ${text(event.reason)}`);
  }, true);
  addEventListener("securitypolicyviolation", (event) => {
    const blocked = event.blockedURI || "inline";
    record.csp.push(`${event.effectiveDirective} blocked ${blocked} (${event.sourceFile}:${event.lineNumber})`);
  }, true);
})();
"""

# Read in the app's frame after the run. A frame has its own time origin: the host converts with
# the two origins (epoch milliseconds, each process's own reading of the clock: within a
# millisecond or so). Only the app origin's responses that ended before ready count.
READ_APP_FRAME = """
(readyEpoch) => {
  const record = window.__minisCheck || { errors: [], csp: [] };
  const paints = performance.getEntriesByType("paint");
  const paint = paints.find((p) => p.name === "first-paint") || paints.find((p) => p.name === "first-contentful-paint");
  const until = readyEpoch === null ? Infinity : readyEpoch - performance.timeOrigin;
  const entries = [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")];
  const files = entries
    .filter((e) => new URL(e.name).origin === location.origin && e.responseEnd <= until)
    .map((e) => [e.name, e.transferSize || e.encodedBodySize]);
  return {
    timeOrigin: performance.timeOrigin,
    firstPaint: paint ? paint.startTime : null,
    files,
    errors: record.errors.slice(),
    csp: record.csp.slice(),
    url: location.href,
  };
}
"""

CSP_PRINTED = "Content Security Policy"
# The compat shims' runtime log (compat/shims/common.js, docs/compat.md): one console warning at
# the first call of each API the game's shim supports partly or not at all.
COMPAT_LINE = re.compile(r"\[minis compat\] ([A-Za-z0-9_.]{1,100}): (partly supported|not supported): (.*)", re.S)

READ_HOST = "() => ({ timeOrigin: performance.timeOrigin, readyAt: window.__minisCheck?.readyAt ?? null })"


@dataclass(frozen=True)
class Budgets:
    main_bytes: int = 4_000_000
    total_bytes: int = 30_000_000
    ready_within_s: float = 5.0
    fast_s: float = 1.8
    ok_s: float = 2.75

    @classmethod
    def from_settings(cls, settings: Settings) -> Budgets:
        return cls(main_bytes=settings.main_package_budget, total_bytes=settings.total_package_budget)

    def tier(self, ready_ms: float | None) -> str:
        if ready_ms is not None and ready_ms <= self.fast_s * 1000:
            return "fast"
        if ready_ms is not None and ready_ms <= self.ok_s * 1000:
            return "ok"
        return "slow"


class Finding(TypedDict):
    code: str
    message: str
    file: str | None


class Run(TypedDict):
    network: str
    first_frame_ms: float | None
    ready_ms: float | None
    bytes_before_ready: int | None


class Sizes(TypedDict):
    total_bytes: int
    total_budget: int
    main_bytes: int | None
    main_budget: int


@dataclass
class StaticReport:
    total_bytes: int
    hard_failures: list[Finding] = field(default_factory=list)


@dataclass
class BrowserReport:
    browser: str  # "ran", "disabled" or "unavailable: <why>"
    runs: list[Run] = field(default_factory=list)
    # What the app fetched from its origin before ready on the unthrottled run, by file, biggest first.
    main_files: list[tuple[str, int]] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    # The platform APIs the game called that its shim supports partly or not at all: API -> line.
    compat_apis: dict[str, str] = field(default_factory=dict)
    screenshots: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # how the checks ran, when not as planned

    @property
    def main_bytes(self) -> int | None:
        return sum(size for _, size in self.main_files) if self.browser == "ran" else None

    def run(self, network: str) -> Run | None:
        return next((run for run in self.runs if run["network"] == network), None)


def static_checks(files: dict[str, FileEntry], budgets: Budgets) -> StaticReport:
    total = sum(entry["size"] for entry in files.values())
    report = StaticReport(total_bytes=total)
    if total > budgets.total_bytes:
        biggest = sorted(files.items(), key=lambda item: item[1]["size"], reverse=True)[:5]
        report.hard_failures.append(
            Finding(
                code="total_budget",
                message=f"the package weighs {_mb(total)}, over the {_mb(budgets.total_bytes)} budget; "
                f"the biggest files: {_listing([(path, entry['size']) for path, entry in biggest])}",
                file=biggest[0][0] if biggest else None,
            )
        )
    return report


def browser_checks(page_url: str, *, chromium: str, screenshot_dir: Path, budgets: Budgets) -> BrowserReport:
    """Open ``page_url`` (the host's preview of the version) unthrottled, then throttled.

    Playwright runs on a thread of its own: its sync API refuses a thread that runs an event loop,
    or that already drives another Playwright (a test session's browser)."""
    pool = ThreadPoolExecutor(1, thread_name_prefix="minis-check")
    future = pool.submit(_browser_checks, page_url, chromium, screenshot_dir, budgets)
    try:
        return future.result(timeout=BROWSER_DEADLINE_S)
    except TimeoutError:
        return BrowserReport(browser=f"unavailable: Chromium did not finish within {BROWSER_DEADLINE_S} s")
    finally:
        pool.shutdown(wait=False)  # a stuck browser's thread is left behind, not waited for


def run_checks(
    files: dict[str, FileEntry],
    page_url: str,
    *,
    budgets: Budgets,
    chromium: str,
    screenshot_dir: Path,
    browser: bool = True,
) -> dict[str, Any]:
    """The version's check report (the contract's schema), ready to store."""
    sizes = static_checks(files, budgets)
    if browser:
        ran = browser_checks(page_url, chromium=chromium, screenshot_dir=screenshot_dir, budgets=budgets)
    else:
        ran = BrowserReport(browser="disabled")
    hard_failures, warnings = list(sizes.hard_failures), []
    tier = None
    if ran.browser == "ran":
        hard_failures += _start_failures(ran, budgets)
        warnings += [Finding(code="browser", message=note, file=None) for note in ran.notes]
        throttled = ran.run(THROTTLED)
        tier = budgets.tier(throttled["ready_ms"] if throttled else None)
        if tier == "slow":
            warnings.append(
                Finding(
                    code="slow_start",
                    message=f"on a {THROTTLED} network the app was not ready within {budgets.ok_s} s",
                    file=None,
                )
            )
        if any(run["first_frame_ms"] is None for run in ran.runs):
            warnings.append(Finding(code="no_first_frame", message="the app's frame painted nothing", file=None))
        # What the shim cannot do for the game: the developer's to know, never a failure.
        warnings += [Finding(code="COMPAT_API", message=line, file=None) for line in ran.compat_apis.values()]
    else:
        warnings.append(
            Finding(code="browser", message=f"the start was not checked in a browser ({ran.browser})", file=None)
        )
    return {
        "passed": not hard_failures,
        "tier": tier,
        "hard_failures": hard_failures,
        "warnings": warnings,
        "sizes": Sizes(
            total_bytes=sizes.total_bytes,
            total_budget=budgets.total_bytes,
            main_bytes=ran.main_bytes,
            main_budget=budgets.main_bytes,
        ),
        "runs": ran.runs,
        "console_errors": ran.console_errors,
        "exceptions": ran.exceptions,
        "csp_violations": ran.csp_violations,
        "screenshots": ran.screenshots,
        "browser": ran.browser,
        "checked_at": datetime.now(UTC).isoformat(),
    }


def _start_failures(ran: BrowserReport, budgets: Budgets) -> list[Finding]:
    failures = []
    main_bytes = ran.main_bytes or 0
    if main_bytes > budgets.main_bytes:
        failures.append(
            Finding(
                code="main_budget",
                message=f"the app fetched {_mb(main_bytes)} before it was ready, over the "
                f"{_mb(budgets.main_bytes)} budget; the biggest files: {_listing(ran.main_files[:5])}",
                file=ran.main_files[0][0],
            )
        )
    unthrottled = ran.run(UNTHROTTLED)
    ready_ms = unthrottled["ready_ms"] if unthrottled else None
    if ready_ms is None:
        failures.append(
            Finding(
                code="never_ready",
                message=f"the app never called ready() (waited {budgets.ready_within_s * UNTHROTTLED_WAIT:.1f} s)",
                file=None,
            )
        )
    elif ready_ms > budgets.ready_within_s * 1000:
        failures.append(
            Finding(
                code="ready_late",
                message=f"the app called ready() after {ready_ms / 1000:.2f} s, later than {budgets.ready_within_s} s",
                file=None,
            )
        )
    return failures


def _browser_checks(page_url: str, chromium: str, screenshot_dir: Path, budgets: Budgets) -> BrowserReport:
    with sync_playwright() as playwright:
        try:
            browser = _launch(playwright, chromium)
        except PlaywrightError as exc:
            return BrowserReport(browser=f"unavailable: Chromium could not start from {chromium}: {_first_line(exc)}")
        report = BrowserReport(browser="ran")
        screenshot_dir.mkdir(parents=True, exist_ok=True)

        def run(network: str, wait: float, *, frames: bool = True) -> None:
            started = time.monotonic()
            _run(browser, page_url, network, budgets.ready_within_s * wait, screenshot_dir, report, frames=frames)
            # The check's own cost, for whoever sizes the job workers (the page's query is a credential).
            log.info("check run %s of %s took %.1f s", network, page_url.split("?")[0], time.monotonic() - started)

        try:
            # Unthrottled first: it also warms what a first start in a new browser pays once
            # (processes, compiled code of the host), which would otherwise weigh on the tier.
            run(UNTHROTTLED, UNTHROTTLED_WAIT)
            try:
                run(THROTTLED, THROTTLED_WAIT)
            except FramesNotThrottled:
                browser.close()
                # The documented way round (see _throttle): the app's frame in the host's process.
                browser = _launch(playwright, chromium, "--disable-site-isolation-trials")
                report.notes.append("the slow network was emulated with the app's frame in the host's process")
                run(THROTTLED, THROTTLED_WAIT, frames=False)
            return report
        except HostUnavailable as exc:
            return BrowserReport(browser=f"unavailable: {exc}")
        except PlaywrightError as exc:
            return BrowserReport(browser=f"unavailable: {_first_line(exc)}")
        finally:
            browser.close()


def _launch(playwright: Playwright, chromium: str, *args: str) -> Browser:
    return playwright.chromium.launch(
        executable_path=chromium,
        headless=True,
        args=["--no-sandbox", "--disable-background-networking", *args],
        timeout=LAUNCH_TIMEOUT_MS,
    )


class HostUnavailable(Exception):
    """The host's preview page did not load: the platform's problem, not the app's."""


class FramesNotThrottled(Exception):
    """Chromium refused the session that throttles the app's out-of-process frame."""


def _run(
    browser: Browser,
    page_url: str,
    network: str,
    wait_s: float,
    screenshots: Path,
    report: BrowserReport,
    *,
    frames: bool = True,
) -> None:
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    try:
        context.add_init_script(script=PROBE)
        page = context.new_page()
        console: list[ConsoleMessage] = []
        page.on("console", lambda message: console.append(message) if _kept(message) else None)
        if network == THROTTLED:
            _throttle(context, page, frames=frames)
        try:
            response = page.goto(page_url, wait_until="commit", timeout=GOTO_TIMEOUT_MS)
        except PlaywrightError as exc:
            raise HostUnavailable(f"the preview page did not load: {_first_line(exc)}") from exc
        if response is None or not response.ok:
            status = response.status if response else "no answer"
            raise HostUnavailable(f"the preview page answered {status}")
        with suppress(PlaywrightError):  # never ready within the wait: measured as such below
            page.wait_for_selector(".app-frame[data-ready]", state="attached", timeout=wait_s * 1000)
        page.wait_for_timeout(SETTLE_MS)
        name = "throttled.png" if network == THROTTLED else "unthrottled.png"
        page.screenshot(path=screenshots / name, timeout=5_000)
        report.screenshots.append(name)
        _measure(page, network, console, report)
    finally:
        context.close()


def _measure(page: Page, network: str, console: list[ConsoleMessage], report: BrowserReport) -> None:
    host = page.evaluate(READ_HOST)
    ready_ms: float | None = host["readyAt"]
    app = _read_app_frame(page, None if ready_ms is None else host["timeOrigin"] + ready_ms)
    first_frame_ms = None
    if app is not None and app["firstPaint"] is not None:
        first_frame_ms = round(app["timeOrigin"] + app["firstPaint"] - host["timeOrigin"], 1)
    files = _by_file(app) if app is not None else []
    report.runs.append(
        Run(
            network=network,
            first_frame_ms=first_frame_ms,
            ready_ms=None if ready_ms is None else round(ready_ms, 1),
            bytes_before_ready=sum(size for _, size in files) if app is not None else None,
        )
    )
    if network == UNTHROTTLED:
        report.main_files = files
    if app is None:
        return
    origin, base = _origin(app["url"]), _base(app["url"])
    # Chromium also prints each violation to the console: it is reported once, as a violation.
    ours = [m for m in console if _origin(m.location.get("url", "")) == origin]
    printed = [m for m in ours if m.type == "error" and CSP_PRINTED not in m.text]
    for message in ours:
        compat = COMPAT_LINE.fullmatch(message.text) if message.type == "warning" else None
        if compat and len(report.compat_apis) < LIST_LIMIT:
            api, level, how = compat.groups()
            report.compat_apis.setdefault(api, f"{api}: {level}: {how}"[:MESSAGE_LIMIT])
    _add(report.exceptions, app["errors"], base)
    _add(report.csp_violations, app["csp"], base)
    _add(report.console_errors, [_console_line(message) for message in printed], base)


def _read_app_frame(page: Page, ready_epoch: float | None) -> dict[str, Any] | None:
    element = page.query_selector(".app-frame[data-app-id]")
    frame = element.content_frame() if element is not None else None
    if frame is None:
        return None
    try:
        found: dict[str, Any] = frame.evaluate(READ_APP_FRAME, ready_epoch)
    except PlaywrightError:
        return None  # the frame never loaded a document of its own, or went away
    return found


def _throttle(context: BrowserContext, page: Page, *, frames: bool) -> None:
    """The slow network for the host page and the app's frame.

    The app's frame is on another site, so in a process of its own (an out-of-process iframe, with
    a DevTools target of its own): the page's emulation does not reach the files that frame
    fetches (measured: a 500 kB script took no longer). Playwright offers no session on that
    target before it runs, so this session auto-attaches to it too, paused at its start, sets the
    emulation there and lets it go. It uses the older, non-flat mode (messages wrapped in
    Target.sendMessageToTarget): Playwright's CDPSession cannot address a flat child session.
    Should Chromium drop that mode, the run is made again in a browser launched with
    --disable-site-isolation-trials, which keeps the app's frame in the host's process, where the
    page's emulation covers it (at the cost of running the app less as people run it)."""
    session = context.new_cdp_session(page)
    session.send("Network.enable")
    session.send("Network.emulateNetworkConditions", SLOW_NETWORK)
    ids = iter(range(1, 1_000_000))

    def attached(event: dict[str, Any]) -> None:
        target = event["sessionId"]
        steps: list[tuple[str, dict[str, Any]]] = [("Runtime.runIfWaitingForDebugger", {})]
        if event["targetInfo"]["type"] == "iframe":
            steps.insert(0, ("Network.emulateNetworkConditions", SLOW_NETWORK))
        for method, params in steps:
            message = json.dumps({"id": next(ids), "method": method, "params": params})
            try:
                session.send("Target.sendMessageToTarget", {"sessionId": target, "message": message})
            except PlaywrightError:
                log.warning("could not throttle %s", event["targetInfo"].get("url"), exc_info=True)

    if not frames:
        return
    session.on("Target.attachedToTarget", attached)
    try:
        session.send("Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": True, "flatten": False})
    except PlaywrightError as exc:
        raise FramesNotThrottled(_first_line(exc)) from exc


def _base(url: str) -> str:
    """The folder of the app's entry document: files are named relative to it, which also keeps a
    preview's capability (a path segment) out of the report."""
    return url.split("#")[0].split("?")[0].rsplit("/", 1)[0] + "/"


# What the platform serves on every app's origin, beside the versions (runtime/serving.py): the SDK,
# the compat shims, the offline worker and its pages. Not the app's bytes, so not its main package (a
# probe: a 7 KB package's main package read 14 KB, the SDK's size and more).
PLATFORM_FILES = ("/minis-sdk.js", "/sdk/", "/minis-sw.js", "/minis-offline/")


def _by_file(app: dict[str, Any]) -> list[tuple[str, int]]:
    """Bytes per file of the app's own, named relative to the app's entry document, biggest first."""
    base = _base(app["url"])
    sizes: dict[str, int] = {}
    for url, size in app["files"]:
        name = url.split("#")[0]
        name = name[len(base) :] if name.startswith(base) else urlsplit(name).path
        if name.startswith(PLATFORM_FILES):
            continue
        sizes[name] = sizes.get(name, 0) + int(size)
    return sorted(sizes.items(), key=lambda item: item[1], reverse=True)


def _kept(message: ConsoleMessage) -> bool:
    """The console lines the report reads: errors, and the compat shims' warnings."""
    return message.type == "error" or (message.type == "warning" and message.text.startswith("[minis compat] "))


def _console_line(message: ConsoleMessage) -> str:
    where = message.location.get("url", "")
    line = message.location.get("lineNumber", 0) + 1  # Playwright counts from 0, browsers' consoles from 1
    return f"{message.text} ({where}:{line})" if where else message.text


def _add(into: list[str], lines: list[str], base: str) -> None:
    for line in lines:
        line = line.replace(base, "")[:MESSAGE_LIMIT]
        if line not in into and len(into) < LIST_LIMIT:
            into.append(line)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _first_line(exc: PlaywrightError) -> str:
    return (exc.message or str(exc)).strip().splitlines()[0][:MESSAGE_LIMIT] if (exc.message or str(exc)) else "error"


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def _listing(files: list[tuple[str, int]]) -> str:
    return ", ".join(f"{path} ({_mb(size)})" for path, size in files)


# Screenshots: taken into a scratch folder, kept in the object store (``checks/{app}/{version}/``,
# in the data dir or the bucket) by app and version, served to the team and the reviewers.


def screenshot_folder(app_id: str, version: str) -> str:
    """Where a version's screenshots live in the object store; refuses names that could leave it."""
    if not APP_ID.fullmatch(app_id) or not VERSION.fullmatch(version):
        raise ValueError(f"not an app id and version: {app_id!r} {version!r}")
    return f"checks/{app_id}/{version}"


def read_screenshot(store: ObjectStore, app_id: str, version: str, name: str) -> bytes | None:
    """A screenshot's PNG, or None when there is no such screenshot (or the names are not ours)."""
    if not SCREENSHOT_NAME.fullmatch(name):
        return None
    try:
        return store.get(f"{screenshot_folder(app_id, version)}/{name}")
    except (ValueError, InvalidKey):
        return None
