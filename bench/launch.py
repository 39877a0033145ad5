"""Tap-to-ready in Chromium for a ~1 MB package, three ways in one run.

- feed, cold: the host with prewarming off (``/?prewarm=0``), a fresh browser context (empty
  cache); time from the tap on the card to the app's ``ready()``, as the host records it.
- feed, prewarmed: the host prewarms the card in view; time from the tap to the app's first
  frame on screen after it is revealed (``lifecycle.shown``), as the host records it.
- direct: the same package opened as a top-level page in a fresh context; time from navigation
  start to ``ready()``. This is the bare limit: no host, no iframe, no bridge.

Prints the medians and each one's ratio to direct. Run: ``python -m bench.launch [--runs N]``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright
from rich.console import Console
from rich.progress import track

from bench import launch_package
from bench.report import results_table
from openminis.liveserver import LiveServer

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = dict(
    executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox", "--disable-background-networking"]
)
VIEWPORT = {"width": 390, "height": 844}
CARD = '[data-app-id="{app}"]'
TARGETS = {"feed, prewarmed": 0.3, "feed, cold": 1.3}


def measure_direct(browser, server: LiveServer) -> float:
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(f"{server.app_origin(launch_package.APP_ID)}/v/1.0.0/direct.html")
    page.wait_for_function("() => window.__bench !== undefined")
    elapsed = page.evaluate("window.__bench.readyAt")
    context.close()
    return elapsed


def _tap_card(page) -> float:
    card = page.locator(CARD.format(app=launch_package.APP_ID)).first
    card.wait_for(state="visible")
    card.click()
    page.wait_for_function("() => window.__minisHost && window.__minisHost.launches.length > 0", timeout=30_000)
    launch = page.evaluate("window.__minisHost.launches[0]")
    return launch["loadMs"], launch["prewarmed"]


def measure_feed(browser, server: LiveServer, *, prewarm: bool) -> float:
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(server.url + ("/" if prewarm else "/?prewarm=0"))
    if prewarm:
        # Wait until the prewarmed frame has loaded and drawn, as a person lingering on the card would.
        page.wait_for_function(
            """(origin) => [...document.querySelectorAll('iframe')].some(f => f.src.startsWith(origin))""",
            arg=server.app_origin(launch_package.APP_ID),
        )
        frame = None
        while frame is None:
            frame = next((f for f in page.frames if f.url.startswith(server.app_origin(launch_package.APP_ID))), None)
            page.wait_for_timeout(20)
        frame.wait_for_function("() => window.__bench !== undefined")
        page.wait_for_timeout(200)
    load_ms, prewarmed = _tap_card(page)
    context.close()
    if prewarmed != prewarm:
        raise RuntimeError(
            f"expected a {'prewarmed' if prewarm else 'cold'} launch, the host reports prewarmed={prewarmed}"
        )
    return load_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    console = Console()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        package = launch_package.write(tmp / "package")
        size = sum(p.stat().st_size for p in package.iterdir())
        examples = sorted(p for p in (ROOT / "examples").iterdir() if (p / "minis.json").is_file())
        (tmp / "data").mkdir()
        # The bench package is published last, so it is the newest: the first card of the feed.
        with LiveServer(tmp / "data", packages=[*examples, package]) as server, sync_playwright() as playwright:
            browser = playwright.chromium.launch(**CHROMIUM)
            modes = {
                "direct": lambda: measure_direct(browser, server),
                "feed, cold": lambda: measure_feed(browser, server, prewarm=False),
                "feed, prewarmed": lambda: measure_feed(browser, server, prewarm=True),
            }
            for measure in modes.values():  # one warm-up each: first-start costs are not what we measure
                measure()
            samples: dict[str, list[float]] = {mode: [] for mode in modes}
            # Interleaved, so a slow moment of the machine falls on every mode alike.
            for _ in track(range(args.runs), description="launching", console=console):
                for mode, measure in modes.items():
                    samples[mode].append(measure())
            browser.close()
    direct = statistics.median(samples["direct"])
    table = results_table(
        f"tap to ready, package of {size / 1e6:.2f} MB, {args.runs} runs each (median)",
        ("mode", "median ms", "min ms", "max ms", "ratio to direct", "target"),
    )
    for mode, values in samples.items():
        median = statistics.median(values)
        target = TARGETS.get(mode)
        verdict = "" if target is None else f"<= {target} {'met' if median / direct <= target else 'MISSED'}"
        table.add_row(
            mode, f"{median:.1f}", f"{min(values):.1f}", f"{max(values):.1f}", f"{median / direct:.2f}", verdict
        )
    console.print(table)


if __name__ == "__main__":
    main()
