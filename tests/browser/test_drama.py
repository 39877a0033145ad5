"""Short dramas in the host's own player: watch the free episodes, meet the paywall, unlock, resume."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from openminis.client import MinisClient
from tests.browser.ad_studio import AD_TITLE, create_unit
from tests.browser.drama_studio import APP_ID, EPISODE_PRICE, FREE_EPISODES, SERIES_PRICE, TITLE
from tests.browser.host_page import package_zip

pytestmark = pytest.mark.browser

DRAMA_PROBE = Path(__file__).resolve().parents[1] / "fixtures" / "packages" / "drama-probe"

CURRENT_VIDEO = '.drama-slide[aria-hidden="false"] video'


def open_series(host, drama_series: dict):
    """From the Minis hub's Dramas tab, taps the series; returns the player dialog."""
    host.go_to_minis()
    host.page.get_by_role("tab", name="Dramas").click()
    series = host.page.get_by_role("button", name=re.compile(rf"^Watch {TITLE}, drama series, 5 episodes"))
    # A server too busy to list the series (a loaded machine) gets the tab's Try again, tapped as a
    # person would, for as long as a person would; a list still on its way (the panel busy, the
    # last tab's tiles still drawn: a clean-clone run waited 30 s for it) is waited for as long.
    again = host.page.locator("#hub-grid .grid-note").get_by_role("button", name="Try again")
    busy = host.page.locator('#hub-panel[aria-busy="true"]')
    deadline = time.monotonic() + 90
    while True:
        try:
            expect(series.or_(again)).to_be_visible(timeout=30_000)
        except AssertionError as missing:
            if busy.count() and time.monotonic() < deadline:
                continue
            tab = host.page.get_by_role("tab", name="Dramas")
            if tab.get_attribute("aria-selected") != "true" and time.monotonic() < deadline:
                tab.click()  # the tap came before the tabs listened: tapped again, as a person would
                continue
            shown = host.page.locator("#hub-panel").inner_text()
            raise AssertionError(f"no series and no Try again in the Dramas tab, which shows {shown!r}") from missing
        if series.is_visible():
            break
        assert time.monotonic() < deadline, "the Dramas tab's list still could not be loaded after 90 s"
        again.click()
    series.click()
    player = host.page.get_by_role("dialog", name=TITLE)
    expect(player).to_be_visible()
    return player


def drama_state(host) -> dict:
    return host.page.evaluate("() => window.__minisHost.drama")


def wait_until_playing(host, number: int, past: float = 0.2) -> None:
    """Episode `number` is on screen and its video's clock has moved past `past` seconds."""
    host.page.wait_for_function(
        "([number, past]) => { const d = window.__minisHost.drama;"
        " return d.episode === number && d.playing && d.currentTime > past; }",
        arg=[number, past],
    )


def wait_until_buffered(host, number: int) -> None:
    """Episode `number`, not yet on screen, has enough of its video loaded to start playing
    (HAVE_FUTURE_DATA): what the player's prefetch of the next episode reaches while one plays."""
    host.page.wait_for_function(
        "(number) => { const v = document.querySelector(`.drama-slide[data-episode='${number}'] video`);"
        " return v !== null && v.readyState >= HTMLMediaElement.HAVE_FUTURE_DATA; }",
        arg=number,
    )


def skip_to_the_end(host) -> None:
    host.page.evaluate(
        "(selector) => { const v = document.querySelector(selector); v.currentTime = v.duration - 0.25; }",
        CURRENT_VIDEO,
    )


def test_a_viewer_watches_the_free_episodes_meets_the_paywall_tops_up_unlocks_episode_4_and_it_plays(
    host, drama_series
):
    host.open("?prewarm=0")
    playback_requests: list[str] = []
    host.page.on(
        "request", lambda request: playback_requests.append(request.url) if request.url.endswith("/playback") else None
    )
    player = open_series(host, drama_series)
    expect(player.get_by_text("Episode 1 of 5")).to_be_visible()

    # The free episodes, one after another: each plays to its end and the next starts by itself,
    # already buffered while the one before played.
    for number in range(1, FREE_EPISODES + 1):
        wait_until_playing(host, number)
        expect(player.get_by_text(f"Episode {number} of 5")).to_be_visible()
        if number < FREE_EPISODES:
            wait_until_buffered(host, number + 1)  # a viewer watches for seconds; the test skips
        skip_to_the_end(host)
    host.page.wait_for_function("() => window.__minisHost.drama.episode === 4")
    timings = {timing["number"]: timing for timing in drama_state(host)["timings"]}
    assert timings[1]["cause"] == "open" and timings[1]["prefetched"] is False
    assert [timings[n]["cause"] for n in (2, 3)] == ["autoplay", "autoplay"]
    assert timings[2]["prefetched"] and timings[3]["prefetched"], timings

    # Episode 4 is locked: the platform refuses its media and the player never asked for it.
    sheet = host.sheet
    expect(sheet.get_by_role("heading", name="Unlock episode 4")).to_be_visible()
    assert not any("/episodes/4/" in url for url in playback_requests), playback_requests
    expect(host.page.locator('.drama-slide[data-episode="4"] video')).not_to_have_attribute("src", re.compile(".+"))
    refused = host.call_api("POST", f"/api/dramas/{drama_series['id']}/episodes/4/playback")
    assert (refused["status"], refused["body"]["code"]) == (402, "EPISODE_LOCKED")

    # The paywall: every way in, with the person's balance.
    expect(sheet.locator(".paywall-balance")).to_have_text(re.compile(r"Your balance\s*0"))
    expect(sheet.get_by_role("button", name=f"Unlock all 5 episodes for {SERIES_PRICE} coins")).to_be_visible()
    expect(sheet.get_by_role("button", name=re.compile(r"^Harbor week pass"))).to_be_visible()
    expect(sheet.get_by_role("button", name=re.compile(r"^Watch an ad"))).to_be_visible()

    # Short of coins: the unlock leads through the sandbox top-up and back to the paywall.
    sheet.get_by_role("button", name=f"Unlock episode 4 for {EPISODE_PRICE} coins").click()
    sheet.get_by_role("button", name=re.compile(r"^100 coins for \$0\.99$")).click()
    sheet.get_by_role("button", name="4242 4242 4242 4242").click()
    sheet.get_by_role("button", name="Pay $0.99").click()
    expect(sheet.get_by_role("heading", name="Unlock episode 4")).to_be_visible()
    expect(sheet.get_by_text("100 coins added to your balance.")).to_be_visible()
    expect(sheet.locator(".paywall-balance")).to_have_text(re.compile(r"Your balance\s*100"))

    unlocks: list[str] = []
    host.page.on("request", lambda request: unlocks.append(request.url) if request.url.endswith("/unlock") else None)
    sheet.get_by_role("button", name=f"Unlock episode 4 for {EPISODE_PRICE} coins").click()
    expect(sheet).to_be_hidden()
    expect(host.page.locator("#toast")).to_have_text("Episode 4 unlocked")

    # Episode 4 plays at once: its video has a source and its clock moves.
    wait_until_playing(host, 4, past=0.5)
    expect(host.page.locator('.drama-slide[data-episode="4"] video')).to_have_attribute(
        "src", re.compile(r"/media/drama/.+\.mp4\?exp=")
    )
    assert len(unlocks) == 1
    assert host.balance() == 100 - EPISODE_PRICE
    assert drama_state(host)["locked"] is False


def test_a_viewer_who_leaves_mid_episode_resumes_there_after_a_reload(host, drama_series):
    # The save made at the swipe (episode 2 at 0 s) is held back until the close's save has been
    # answered, as a busy server may answer them (a stress run resumed from the swipe's).
    held = []

    def hold_the_swipes_save(route):
        body = route.request.post_data_json
        if not held and body["episode_number"] == 2 and body["position_ms"] < 1000:
            held.append(route)
        else:
            route.continue_()

    host.page.route(lambda url: url.endswith("/progress"), hold_the_swipes_save)
    host.open("?prewarm=0")
    player = open_series(host, drama_series)
    wait_until_playing(host, 1)

    # The wheel moves between episodes like a swipe does.
    host.page.mouse.move(195, 420)
    host.page.mouse.wheel(0, 300)
    wait_until_playing(host, 2)
    assert drama_state(host)["timings"][-1]["cause"] == "swipe"
    # The person pauses and drags the scrubber to 1.2 s. Where the episode stops is theirs, not the
    # machine's: left playing, a slow run closed it past 1.5 s of this 3-second episode, within
    # RESUME_TAIL_MS of its end, and the player rightly started it over.
    host.page.keyboard.press("k")
    host.page.wait_for_function("() => !window.__minisHost.drama.playing")
    player.get_by_role("slider", name="Playback position").fill("1.2")
    host.page.wait_for_function("() => Math.abs(window.__minisHost.drama.currentTime - 1.2) < 0.05")
    for _ in range(200):
        if held:
            break
        host.page.wait_for_timeout(100)
    assert held, "the swipe's save was not sent"
    with host.page.expect_request(
        lambda request: request.url.endswith("/progress") and request.method == "PUT"
    ) as saved:
        player.get_by_role("button", name="Close player").click()
    expect(player).to_be_hidden()
    saved_body = saved.value.post_data_json
    assert saved_body["episode_number"] == 2 and saved_body["position_ms"] >= 1200
    answered = saved.value.response()
    assert answered is not None and answered.ok
    # The swipe's save lands last, and is answered; the close's stays on record.
    with host.page.expect_response(lambda response: response.request.post_data_json == held[0].request.post_data_json):
        held[0].continue_()

    host.page.reload()
    open_series(host, drama_series)
    host.page.wait_for_function("() => window.__minisHost.drama.episode === 2 && window.__minisHost.drama.playing")
    assert drama_state(host)["currentTime"] >= 1.1
    expect(host.page.get_by_role("dialog", name=TITLE).get_by_text("Episode 2 of 5")).to_be_visible()

    host.page.keyboard.press("PageUp")
    wait_until_playing(host, 1)
    # A drag up (a finger's swipe, here with the mouse's pointer) moves on too.
    host.page.mouse.move(195, 600)
    host.page.mouse.down()
    host.page.mouse.move(195, 450, steps=4)
    host.page.mouse.move(195, 300, steps=4)
    host.page.mouse.up()
    wait_until_playing(host, 2)
    host.page.keyboard.press("Escape")
    expect(host.page.get_by_role("dialog", name=TITLE)).to_be_hidden()
    # Focus goes back to the card that opened the player.
    expect(host.page.get_by_role("button", name=re.compile(rf"^Watch {TITLE}"))).to_be_focused()


def test_the_episode_list_shows_locks_and_prices_and_buying_the_series_opens_every_episode(host, drama_series):
    host.open("?prewarm=0")
    host.top_up("coins-100")
    player = open_series(host, drama_series)
    wait_until_playing(host, 1)

    player.get_by_role("button", name="Episodes").click()
    sheet = host.sheet
    episodes = sheet.get_by_role("list", name="Episodes")
    expect(episodes.get_by_role("button", name="Episode 1, The Crossing: playing")).to_have_attribute(
        "aria-current", "true"
    )
    expect(episodes.get_by_role("button", name="Episode 3, Salt: Free")).to_be_visible()
    expect(episodes.get_by_role("button", name=f"Episode 5, Low Tide: locked, {EPISODE_PRICE} coins")).to_contain_text(
        str(EPISODE_PRICE)
    )

    episodes.get_by_role("button", name=re.compile(r"^Episode 5,")).click()
    expect(sheet.get_by_role("heading", name="Unlock episode 5")).to_be_visible()
    sheet.get_by_role("button", name=f"Unlock all 5 episodes for {SERIES_PRICE} coins").click()
    expect(sheet).to_be_hidden()
    wait_until_playing(host, 5, past=0.3)
    assert host.balance() == 100 - SERIES_PRICE

    detail = host.call_api("GET", f"/api/dramas/{drama_series['id']}")["body"]
    assert [episode["access"] for episode in detail["episodes"]] == ["free", "free", "free", "series", "series"]
    player.get_by_role("button", name="Episodes").click()
    expect(sheet.locator(".episode-tile.is-locked")).to_have_count(0)


@pytest.fixture(scope="module")
def drama_app(drama_studio, drama_series) -> str:
    """The producer ships a player of their own (the drama probe) as the series' app."""
    drama_studio.upload_package(package_zip(DRAMA_PROBE, manifest={"id": APP_ID, "name": "Harbor Dramas"}))
    return APP_ID


def test_a_drama_app_with_its_own_player_lists_its_series_plays_free_episodes_and_unlocks_through_the_host(
    host, drama_series, drama_app, drama_ad_unit
):
    host.open("?prewarm=0")
    assert host.top_up("coins-100") == 100
    host.go_to_minis()
    host.launch_from_search("Harbor Dramas", drama_app)
    app = host.app_frame(drama_app)
    app.wait_for_function("() => window.__probe.ready")

    series = app.evaluate("() => window.__probe.series")
    assert {
        key: series[key] for key in ("id", "title", "episodeCount", "freeEpisodes", "episodePrice", "seriesPrice")
    } == {
        "id": drama_series["id"],
        "title": TITLE,
        "episodeCount": 5,
        "freeEpisodes": FREE_EPISODES,
        "episodePrice": EPISODE_PRICE,
        "seriesPrice": SERIES_PRICE,
    }
    entitlements = app.evaluate("(id) => minis.drama.getEntitlements(id)", series["id"])
    assert entitlements == {"1": "free", "2": "free", "3": "free", "4": None, "5": None}
    # Only the app's own series: any other id is unknown to it.
    assert app.evaluate("() => minis.drama.getEpisodes('ser_0000000000000000').catch((e) => e.code)") == "NOT_FOUND"

    # A free episode plays in the app's own <video>, from the host's signed URL.
    source = app.evaluate("() => window.__probe.play(1)")
    assert source.startswith(f"{host.server.url}/media/drama/") and "/480p.mp4?exp=" in source
    app.wait_for_function("() => window.__probe.currentTime() > 0.3")
    assert app.evaluate("() => window.__probe.play(4)") == "EPISODE_LOCKED"
    # Already watchable: nothing to confirm, nothing charged.
    assert app.evaluate("(id) => minis.drama.unlock(id, 2, 'coins')", series["id"]) == {"number": 2, "access": "free"}

    # A locked one: the host's paywall, with only the way the app asked for; the person confirms.
    app.evaluate("() => window.__probe.unlock(4, 'coins')")
    sheet = host.sheet
    expect(sheet.get_by_role("heading", name="Unlock episode 4")).to_be_visible()
    expect(sheet.get_by_text("In Harbor Dramas")).to_be_visible()
    expect(sheet.locator(".paywall-option")).to_have_count(1)
    assert app.evaluate("() => window.__probe.outcome") is None and host.balance() == 100
    sheet.get_by_role("button", name=f"Unlock episode 4 for {EPISODE_PRICE} coins").click()
    expect(sheet).to_be_hidden()
    app.wait_for_function("() => window.__probe.outcome !== null")
    assert app.evaluate("() => window.__probe.outcome") == {"ok": True, "result": {"number": 4, "access": "coins"}}
    assert host.balance() == 100 - EPISODE_PRICE
    assert "/480p.mp4?exp=" in app.evaluate("() => window.__probe.play(4)")

    # "ad": the app's own button was the person's choice; the host plays the ad above the app.
    app.evaluate("() => window.__probe.unlock(5, 'ad')")
    ad = host.page.get_by_role("dialog", name=re.compile(rf"^Ad: {re.escape(AD_TITLE)}"))
    expect(ad.get_by_text("Reward earned", exact=True)).to_be_visible()
    assert app.evaluate("() => minis.isVisible()") is False
    ad.get_by_role("button", name="Close ad").click()
    app.wait_for_function("() => window.__probe.outcome !== null")
    assert app.evaluate("() => window.__probe.outcome") == {"ok": True, "result": {"number": 5, "access": "ad"}}
    assert app.evaluate("() => minis.isVisible()") is True


@pytest.fixture(scope="module")
def drama_ad_unit(live_server, drama_studio, house_ads) -> str:
    """The producer's rewarded unit: GET /api/dramas/{id} names it as the series' ad unlock unit."""
    with MinisClient(APP_ID, drama_studio.secret, base_url=live_server.url) as client:
        unit = create_unit(
            client,
            live_server.url,
            {
                "name": "Unlock an episode",
                "kind": "rewarded",
                "reward": {"type": "episode", "amount": 1},
                "min_watch_seconds": 2,
            },
        )
    return unit["id"]


def test_a_rewarded_ad_watched_on_the_paywall_unlocks_the_episode_and_it_plays(host, drama_series, drama_ad_unit):
    host.open("?prewarm=0")
    player = open_series(host, drama_series)
    wait_until_playing(host, 1)
    player.get_by_role("button", name="Episodes").click()
    host.sheet.get_by_role("list", name="Episodes").get_by_role("button", name=re.compile(r"^Episode 5,")).click()

    host.sheet.get_by_role("button", name="Watch an ad to unlock episode 5").click()
    ad = host.page.get_by_role("dialog", name=re.compile(rf"^Ad: {re.escape(AD_TITLE)}"))
    expect(ad.get_by_text("Reward earned", exact=True)).to_be_visible()
    ad.get_by_role("button", name="Close ad").click()
    expect(ad).to_be_hidden()

    expect(host.sheet).to_be_hidden()
    wait_until_playing(host, 5, past=0.3)
    detail = host.call_api("GET", f"/api/dramas/{drama_series['id']}")["body"]
    assert detail["episodes"][4]["access"] == "ad" and host.balance() == 0


def test_a_viewer_finds_their_drama_pass_on_the_me_screen_and_cancels_it(host, drama_series):
    host.open("?prewarm=0")
    series = host.call_api("GET", f"/api/dramas/{drama_series['id']}")["body"]
    [week] = [item for item in series["passes"] if item["title"] == "Harbor week pass"]
    host.top_up()
    subscribed = host.call_api(
        "POST", f"/api/passes/{week['id']}/subscribe", {"amount": week["price"], "currency": "COIN"}
    )
    assert subscribed["status"] == 200, subscribed

    host.go_to_me()
    item = (
        host.page.get_by_role("region", name="Drama passes").get_by_role("listitem").filter(has_text="Harbor week pass")
    )
    expect(item).to_contain_text("60 coins every 7 days · Renews on")
    item.get_by_role("button", name="Cancel Harbor week pass").click()
    expect(item).to_contain_text("Cancelled · watch until")
    expect(item.get_by_role("button")).to_have_count(0)  # nothing left to cancel
    assert host.call_api("GET", "/api/subscriptions")["body"]["items"][0]["status"] == "cancelled"


def watching(drama_studio, series_id: str) -> dict[int, tuple[int, int]]:
    """Per episode, (plays, completes) as the producer's report has them."""
    response = httpx.get(
        f"{drama_studio.server_url}/openapi/v1/reports/episodes",
        params={"series_id": series_id},
        headers=drama_studio.headers,
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return {line["number"]: (line["plays"], line["completes"]) for line in response.json()["episodes"]}


def test_the_player_reports_each_episode_started_and_finished_for_the_producers_drop_off(
    host, drama_series, drama_studio
):
    before = watching(drama_studio, drama_series["id"])
    host.open("?prewarm=0")
    open_series(host, drama_series)
    wait_until_playing(host, 1)
    skip_to_the_end(host)
    wait_until_playing(host, 2)
    deadline = time.monotonic() + 20  # the host sends its events every 5 s
    while True:
        after = watching(drama_studio, drama_series["id"])
        if (after[1][0] - before[1][0], after[1][1] - before[1][1], after[2][0] - before[2][0]) == (1, 1, 1):
            break
        assert time.monotonic() < deadline, (before, after)
        time.sleep(0.5)
