"""Games made for Poki, CrazyGames, YouTube Playables and Facebook Instant Games run unmodified:
each (tests/fixtures/compat/<platform>) is imported with `minis import`, uploaded by its studio
with an ad unit of each format, and played in Chromium: it boots to ready through its platform's
SDK, plays a round, watches an ad (a rewarded one for its reward where the platform has them),
buys gems where the platform sells things, saves, and is the same on its second launch."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect

from openminis.client import MinisClient
from tests.browser.ad_studio import create_unit
from tests.browser.conftest import new_host
from tests.browser.host_page import Developer

pytestmark = pytest.mark.browser

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "compat"


@dataclass(frozen=True)
class Game:
    name: str
    ad_button: str
    rewarded: bool  # Playables has interstitials only
    sells: bool  # FBInstant's payments
    saved: str  # a function for the frame: resolves once the game's progress is in cloud save


def saved_in_cloud(key: str, field: str) -> str:
    """Resolves once the shim's background save put the game's state in cloud save."""
    return f"""async () => {{
        const wanted = JSON.stringify(window.__game.state());
        for (;;) {{
            const text = await window.__minisCompat.loadText("{key}");
            const value = text ? JSON.parse(text)["{field}"] : undefined;
            if (value === wanted || JSON.stringify(value) === wanted) return true;
            await new Promise((resolve) => setTimeout(resolve, 50));
        }}
    }}"""


GAMES = {
    # Poki games keep progress in localStorage, which Chromium denies this frame (its origin is a
    # third party to the host's): the shim's localStorage over cloud save stands in.
    "poki": Game(
        "Poki Star Catcher",
        "Watch an ad for 10 coins",
        True,
        False,
        saved_in_cloud("compat.localStorage", "star-catcher"),
    ),
    "crazygames": Game(
        "Crazy Star Catcher", "Watch an ad for 10 coins", True, False, saved_in_cloud("compat.crazygames", "progress")
    ),
    "playables": Game(
        "Playable Star Catcher", "Take a break", False, False, "() => window.__game.saved().then(() => true)"
    ),
    "fbinstant": Game(
        "Instant Star Catcher", "Watch an ad for 10 coins", True, True, "() => window.__game.saved().then(() => true)"
    ),
}


WECHAT = "WeChat Star Catcher"


@pytest.fixture(scope="module")
def imported_games(browser, live_server, house_ads, tmp_path_factory) -> None:
    """One studio imports each game with `minis import` and uploads it with its two ad units."""
    studio_host, context = new_host(browser, live_server)
    studio = Developer(studio_host, "compat-studio@example.com")
    folder = tmp_path_factory.mktemp("compat")
    for platform, name in [*((platform, game.name) for platform, game in GAMES.items()), ("wechat", WECHAT)]:
        app_id = f"compat-{platform}"
        with MinisClient(app_id, studio.register_app(app_id, name), base_url=live_server.url) as client:
            rewarded = {"name": "Coins", "kind": "rewarded", "reward": {"type": "coins", "amount": 10}}
            create_unit(client, live_server.url, {**rewarded, "min_watch_seconds": 2})
            create_unit(client, live_server.url, {"name": "Between rounds", "kind": "interstitial"})
        out = folder / f"{platform}.zip"
        products = ["--products", str(FIXTURES / "fbinstant-products.json")] if platform == "fbinstant" else []
        live_server.minis("import", str(FIXTURES / platform), "--out", str(out), "--id", app_id, *products)
        studio.upload(app_id, out.read_bytes())
    context.close()


def launch(host, platform: str):
    host.launch_from_search(
        GAMES[platform].name if platform in GAMES else WECHAT, f"compat-{platform}"
    )  # returns once the host saw ready
    frame = host.app_frame(f"compat-{platform}")
    frame.wait_for_function("() => window.__game && window.__game.ready")
    return frame


@pytest.mark.parametrize("platform", list(GAMES))
def test_a_game_made_for_another_platform_plays_saves_and_comes_back_the_same(host, imported_games, platform):
    game = GAMES[platform]
    host.open("?prewarm=0")
    if game.sells:
        assert host.top_up("coins-100") == 100
    host.go_to_minis()
    frame = launch(host, platform)
    # The platform's SDK came from the platform's shim, not from the internet.
    assert frame.evaluate("() => [...document.scripts].map((s) => s.getAttribute('src')).filter(Boolean)") == [
        "/minis-sdk.js",
        f"/sdk/compat/{platform}.js",
        "game.js",
    ]
    before = frame.evaluate("() => window.__game.state()")
    assert before["best"] == 0 and before["rounds"] == 0
    if platform == "playables":
        # A save larger than one cloud-save value comes back whole, no emoji cut at a piece's edge
        # (the round's save replaces it); over Playables' 3 MiB it is refused before anything is sent.
        assert frame.evaluate(
            """async () => {
                const big = "é🎮".repeat(40000);
                await ytgame.game.saveData(big);
                return (await ytgame.game.loadData()) === big;
            }"""
        )
        too_big = "() => ytgame.game.saveData('x'.repeat(3 * 1024 * 1024 + 1)).then(() => 'saved', (e) => e.code)"
        assert frame.evaluate(too_big) == "STORAGE_QUOTA_EXCEEDED"

    frame.get_by_role("button", name="Play").click()
    for _ in range(3):
        frame.locator("canvas").click()
    frame.get_by_role("button", name="End round").click()
    frame.wait_for_function("() => window.__game.state().best === 3")

    frame.get_by_role("button", name=game.ad_button).click()
    ad = host.page.get_by_role("dialog", name=re.compile(r"^Ad: "))
    expect(ad).to_be_visible()
    if game.rewarded:
        expect(ad.get_by_text("Reward earned", exact=True)).to_be_visible()
    close = ad.get_by_role("button", name="Close ad")
    expect(close).to_be_visible()
    close.click()
    expect(ad).to_be_hidden()
    if game.rewarded:
        frame.wait_for_function("() => window.__game.state().coins === 10")
    else:
        frame.wait_for_function("() => window.__game.state().breaks === 1")
        # Paused while the host played the ad above it, resumed after.
        assert frame.evaluate(
            "() => [window.__game.pauses(), window.__game.paused(), ytgame.system.isAudioEnabled()]"
        ) == [
            1,
            False,
            True,
        ]

    if game.sells:
        catalog = frame.evaluate("() => FBInstant.payments.getCatalogAsync()")
        assert [(item["productID"], item["priceAmount"], item["priceCurrencyCode"]) for item in catalog] == [
            ("gems-5", 20, "COIN")
        ]
        frame.get_by_role("button", name="Buy 5 gems").click()
        host.sheet.get_by_role("button", name="Pay 20 coins").click()
        frame.wait_for_function("() => window.__game.state().gems === 5")
        assert host.balance() == 80  # through the ledger, as a native app's purchase
        # Consumed once granted: nothing waits to be consumed.
        assert frame.evaluate("() => FBInstant.payments.getPurchasesAsync()") == []
        assert frame.evaluate("() => window.__game.leaderboard()") == "CLIENT_UNSUPPORTED_OPERATION"
        signed = frame.evaluate(
            "() => FBInstant.player.getSignedPlayerInfoAsync('x').then((info) => info.getSignature())"
        )
        assert signed and signed == frame.evaluate("() => minis.getLaunchInfo().initData")

    assert frame.evaluate(game.saved)
    played = frame.evaluate("() => window.__game.state()")
    assert played["best"] == 3 and played["rounds"] == 1
    host.close_app()

    frame = launch(host, platform)
    assert frame.evaluate("() => window.__game.state()") == played


def test_a_wechat_canvas_game_gets_a_page_touches_storage_and_a_rewarded_ad(host, imported_games):
    host.open("?prewarm=0")
    host.go_to_minis()
    frame = launch(host, "wechat")
    assert frame.evaluate("() => window.__game.scene") == 1001
    # game.js required js/stars.js, which required js/margin.js: WeChat's module loader.
    placed = frame.evaluate("() => window.__game.placed")
    assert placed["x"] >= 30 and placed["y"] >= 90
    frame.wait_for_function("() => window.__loggedIn === true")  # wx.login: a code from minis.login
    canvas = frame.locator("canvas")
    height = frame.evaluate("() => innerHeight")
    assert frame.evaluate("() => [canvas.width, canvas.height]") == [frame.evaluate("() => innerWidth"), height]

    # The game draws its own buttons: the top bar plays and ends a round, taps between catch stars.
    canvas.click(position={"x": 100, "y": 30})
    for _ in range(3):
        canvas.click(position={"x": 100, "y": height // 2})
    canvas.click(position={"x": 100, "y": 30})
    frame.wait_for_function("() => window.__game.state().best === 3")

    canvas.click(position={"x": 100, "y": height - 30})
    ad = host.page.get_by_role("dialog", name=re.compile(r"^Ad: "))
    expect(ad.get_by_text("Reward earned", exact=True)).to_be_visible()
    ad.get_by_role("button", name="Close ad").click()
    expect(ad).to_be_hidden()
    frame.wait_for_function("() => window.__game.state().coins === 10 && !window.__game.hidden()")

    assert frame.evaluate(saved_in_cloud("compat.wechat", "progress"))
    played = frame.evaluate("() => window.__game.state()")
    host.close_app()
    frame = launch(host, "wechat")
    assert frame.evaluate("() => window.__game.state()") == played == {"coins": 10, "best": 3, "rounds": 1}
