"""Games made for Poki, CrazyGames, YouTube Playables and Facebook Instant Games run unmodified:
each (tests/fixtures/compat/<platform>) is imported with `minis import`, uploaded by its studio
with an ad unit of each format, and played in Chromium: it boots to ready through its platform's
SDK, plays a round, watches an ad (a rewarded one for its reward where the platform has them),
buys gems where the platform sells things, saves, and is the same on its second launch, opened
from a link the game made (Poki's shareableURL, CrazyGames' inviteLink, FBInstant's share) whose
parameters reach it. The Instant game also posts to a leaderboard, plays in contexts and runs a
tournament over the social SDK."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import httpx
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
            # FB's and YouTube's boards live in their dashboards: the backend declares the game's.
            if platform in ("fbinstant", "playables"):
                board = httpx.put(
                    f"{live_server.url}/openapi/v1/leaderboards/stars",
                    json={"client_scores": True},
                    headers={"Authorization": f"Bearer {client.access_token()}"},
                    timeout=30,
                )
                assert board.status_code == 200, board.text
        out = folder / f"{platform}.zip"
        products = ["--products", str(FIXTURES / "fbinstant-products.json")] if platform == "fbinstant" else []
        live_server.minis("import", str(FIXTURES / platform), "--out", str(out), "--id", app_id, *products)
        studio.upload(app_id, out.read_bytes())
    context.close()


def launch(host, platform: str, link: str | None = None):
    """Launches the game from search, or from a link the game made (a new page of the host)."""
    if link:
        host.page.goto(link)
        host.wait_for_launch(f"compat-{platform}")
    else:
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
        # Over the platform's usual 1 MiB: a game from Playables keeps Playables' 3 MiB save.
        assert frame.evaluate(
            """async () => {
                const big = "🎮".repeat(1000) + "x".repeat(1500000);
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
        # The round's sendScore went to the app's board too.
        posted = """async () => {
            for (;;) {
                const page = await minis.leaderboard.getEntries('stars');
                if (page.entries.length) return page.entries.map((e) => [e.score, e.isMe]);
                await new Promise((resolve) => setTimeout(resolve, 50));
            }
        }"""
        assert frame.evaluate(posted) == [[3, True]]
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
        # Consumed once granted (the game grants, then consumes): nothing waits to be consumed.
        frame.wait_for_function("() => window.__game.consumed === 1")
        assert frame.evaluate("() => FBInstant.payments.getPurchasesAsync()") == []
        signed = frame.evaluate(
            "() => FBInstant.player.getSignedPlayerInfoAsync('x').then((info) => info.getSignature())"
        )
        assert signed and signed == frame.evaluate("() => minis.getLaunchInfo().initData")

    link = None
    if platform == "fbinstant":
        link = instant_social(host, frame)
    elif platform == "poki":
        # The host's own parameters of the address (prewarm) never reach the game.
        link = frame.evaluate("() => PokiSDK.shareableURL({level: '3', from: 'poki'})") + "&prewarm=0"
    elif platform == "crazygames":
        link = frame.evaluate("() => window.CrazyGames.SDK.game.inviteLink({room: '7'})")

    assert frame.evaluate(game.saved)
    played = frame.evaluate("() => window.__game.state()")
    assert played["best"] == 3 and played["rounds"] == 1
    host.close_app()

    frame = launch(host, platform, link)
    assert frame.evaluate("() => window.__game.state()") == played
    # The link's parameters reached the game through its own platform's API.
    if platform == "poki":
        assert frame.evaluate("() => ['level', 'from', 'prewarm'].map(PokiSDK.getURLParam)") == ["3", "poki", ""]
    elif platform == "crazygames":
        assert frame.evaluate("() => window.CrazyGames.SDK.game.getInviteParam('room')") == "7"
    elif platform == "fbinstant":
        assert frame.evaluate("() => window.__game.entry") == {"cup": "spring"}
        assert frame.evaluate("async () => [FBInstant.context.getType(), await FBInstant.getEntryPointAsync()]") == [
            "GROUP",
            "share",
        ]


def instant_social(host, frame) -> str:
    """FBInstant's leaderboards, contexts, shares and tournaments over the social SDK, checked in the
    Instant game's one launch; returns the link of its tournament share for the second launch."""
    assert frame.evaluate("() => window.__game.posted") == 1  # the round's best, through setScoreAsync
    board = frame.evaluate(
        """async () => {
            const board = await FBInstant.getLeaderboardAsync('stars');
            const me = await board.getPlayerEntryAsync();
            const top = await board.getEntriesAsync(10, 0);
            return [board.getName(), board.getContextID(), await board.getEntryCountAsync(), me.getScore(),
                    me.getRank(), me.getPlayer().getID() === FBInstant.player.getID(), top.length,
                    (await board.getConnectedPlayerEntriesAsync()).length];
        }"""
    )
    assert board == ["stars", None, 1, 3, 1, True, 1, 1]
    fails = "(p) => p.then(() => 'ok', (e) => e.code)"
    assert frame.evaluate(f"() => ({fails})(FBInstant.getLeaderboardAsync('nope'))") == "LEADERBOARD_NOT_FOUND"
    assert frame.evaluate("() => [FBInstant.context.getID(), FBInstant.context.getType()]") == [None, "SOLO"]
    assert frame.evaluate(f"() => ({fails})(FBInstant.tournament.postScoreAsync(3))") == "TOURNAMENT_NOT_FOUND"

    # A challenge: the host's share sheet; the player is then in a context of their own link.
    frame.get_by_role("button", name="Challenge a friend").click()
    expect(host.sheet.locator("#share-link")).to_have_value(re.compile(r"\?share=[0-9a-f]{24}$"))
    host.page.keyboard.press("Escape")
    context = frame.evaluate("() => window.__game.shared")
    assert context and context == frame.evaluate("() => minis.getLaunchOptions().context")
    assert frame.evaluate(
        "() => [FBInstant.context.getType(), FBInstant.context.isSizeBetween(1, 2).answer,"
        " FBInstant.context.isSizeBetween(2, null).answer]"
    ) == ["THREAD", True, False]
    assert frame.evaluate("(id) => window.__game.switchContext(id)", context) == "SAME_CONTEXT"
    # FB's contextual board: `name.contextID`, the board among the context's people.
    contextual = frame.evaluate(
        """(id) => FBInstant.getLeaderboardAsync('stars.' + id).then(async (board) =>
            [board.getContextID(), (await board.getEntriesAsync()).map((e) => e.getScore())])""",
        context,
    )
    assert contextual == [context, [3]]

    # A tournament on the app's board: the player's new context, with its own ranking.
    made = frame.evaluate(
        """async () => {
            const t = await FBInstant.tournament.createAsync(
                {initialScore: 2, config: {title: 'Spring cup'}, data: {cup: 1}});
            await FBInstant.tournament.postScoreAsync(3);
            const board = await FBInstant.getLeaderboardAsync('stars.' + t.getContextID());
            const mine = await FBInstant.getTournamentAsync();
            return {id: t.getID(), context: FBInstant.context.getID(), type: FBInstant.context.getType(),
                    title: t.getTitle(), payload: t.getPayload(), days: (t.getEndTime() - Date.now() / 1000) / 86400,
                    scores: (await board.getEntriesAsync()).map((e) => e.getScore()), current: mine.getID(),
                    listed: (await FBInstant.tournament.getTournamentsAsync()).map((x) => x.getID())};
        }"""
    )
    assert (made["context"], made["current"], made["listed"]) == (made["id"], made["id"], [made["id"]])
    assert (made["type"], made["title"], made["payload"], made["scores"]) == ("GROUP", "Spring cup", {"cup": 1}, [3])
    assert 6.9 < made["days"] <= 7
    assert frame.evaluate(f"() => ({fails})(FBInstant.tournament.joinAsync('elsewhere'))") == "INVALID_OPERATION"
    # A shortcut: the platform's home screen (minis.addToHomeScreen, docs/home-screen.md).
    assert frame.evaluate("() => FBInstant.canCreateShortcutAsync()") is True
    # Back to the challenge's context, which the player is in already; none they are not in.
    assert frame.evaluate("(id) => window.__game.switchContext(id)", context) == "ok"
    assert frame.evaluate("() => [FBInstant.context.getID(), FBInstant.context.getType()]") == [context, "THREAD"]
    assert frame.evaluate("() => minis.getLaunchOptions().context") == context
    for elsewhere in ("0" * 20, "not-a-context"):
        assert frame.evaluate("(id) => window.__game.switchContext(id)", elsewhere) == "INVALID_PARAM"
    assert frame.evaluate("(id) => window.__game.switchContext(id)", made["id"]) == "ok"
    frame.evaluate("() => { window.__cup = FBInstant.tournament.shareAsync({score: 3, data: {cup: 'spring'}}); }")
    link = host.sheet.locator("#share-link")
    expect(link).to_have_value(re.compile(r"\?share=[0-9a-f]{24}$"))
    url = link.input_value()
    host.page.keyboard.press("Escape")
    frame.evaluate("() => window.__cup")
    return url


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
    # wx.shareAppMessage: the host's share sheet; its query comes back to whoever opens the link.
    frame.evaluate("() => wx.shareAppMessage({title: 'Catch more stars', query: 'level=3&from=wx'})")
    link = host.sheet.locator("#share-link")
    expect(link).to_have_value(re.compile(r"\?share=[0-9a-f]{24}$"))
    url = link.input_value()
    host.page.keyboard.press("Escape")
    host.close_app()
    frame = launch(host, "wechat", url)
    assert frame.evaluate("() => window.__game.state()") == played == {"coins": 10, "best": 3, "rounds": 1}
    assert frame.evaluate("() => wx.getLaunchOptionsSync().query") == {"level": "3", "from": "wx"}
