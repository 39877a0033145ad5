"""Creators' posts: a viewer scrolls to a creator's post, taps its anchor, buys in the game, and the
creator sees the commission; share links open what they name directly, for a brand-new visitor.

The creator and their post are set up over HTTP, as the creator's browser would: a full account,
the creator profile, and a short vertical clip anchored to Sky Runner, transcoded by the server's
job worker. A new post reaches the feed with the next ranking snapshot (at most a minute), so the
viewer reloads until it is there.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from openminis.drama.synth import make_clip
from openminis.liveserver import LiveServer
from tests.browser.conftest import new_host
from tests.browser.drama_studio import TITLE as DRAMA_TITLE
from tests.browser.host_page import SHORT_OF_A_THUMB, HostPage

pytestmark = pytest.mark.browser

SKY_RUNNER = "sky-runner"
PASSWORD = "creator-password-1"
CAPTION = "Golden bird, first try. Can you beat 40?"


@dataclass
class Creator:
    email: str
    handle: str
    post_id: str


def become_creator(server: LiveServer, email: str, handle: str) -> httpx.Client:
    """A full account that is a creator; the client keeps its cookie (close it when done)."""
    client = httpx.Client(base_url=server.url, timeout=60)
    headers = {"X-CSRF-Token": client.get("/api/me").json()["csrf_token"]}
    registered = client.post("/api/account/register", json={"email": email, "password": PASSWORD}, headers=headers)
    assert registered.status_code == 200, registered.text
    code = server.mailed(email, r"verification code is (\d{6})")
    assert client.post("/api/account/verify", json={"code": code}, headers=headers).status_code == 200
    headers = {"X-CSRF-Token": client.get("/api/me").json()["csrf_token"]}
    created = client.post(
        "/api/creator",
        json={"handle": handle, "display_name": handle.title(), "bio": "Speedruns, mostly."},
        headers=headers,
    )
    assert created.status_code == 200, created.text
    return client


def creator_with_a_wide_name(server: LiveServer) -> tuple[str, str]:
    """A creator whose name is one unbroken run of 60 letters, as anyone may name themselves:
    (their user id, the name). For the screens that show anyone's words and must wrap them."""
    handle = f"wide{secrets.token_hex(3)}"
    name = "W" * 54 + handle[4:].upper()
    creator = become_creator(server, f"{handle}@example.com", handle)
    try:
        headers = {"X-CSRF-Token": creator.get("/api/me").json()["csrf_token"]}
        named = creator.post("/api/creator", json={"handle": handle, "display_name": name}, headers=headers)
        assert named.status_code == 200, named.text
        return creator.get("/api/me").json()["user"]["id"], name
    finally:
        creator.close()


def post_video(client: httpx.Client, clip: Path, *, caption: str, anchor: dict[str, str]) -> str:
    """Uploads the clip as the creator's post (the raw body, as the studio sends it); returns its id."""
    headers = {"X-CSRF-Token": client.get("/api/me").json()["csrf_token"], "Content-Type": "video/mp4"}
    uploaded = client.post(
        "/api/creator/posts", params={"caption": caption, **anchor}, content=clip.read_bytes(), headers=headers
    )
    assert uploaded.status_code == 201, uploaded.text
    return uploaded.json()["id"]


def wait_until_ready(client: httpx.Client, post_id: str, timeout: float = 240) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        posts = {post["id"]: post for post in client.get("/api/creator/posts").json()}
        post = posts[post_id]
        assert post["status"] != "failed", post
        if post["status"] == "ready":
            return post
        assert time.monotonic() < deadline, f"post not transcoded in {timeout} s: {post}"
        time.sleep(0.25)


@pytest.fixture(scope="module")
def creator(live_server, tmp_path_factory) -> Creator:
    """A creator with one ready post anchored to Sky Runner."""
    clip = make_clip(
        tmp_path_factory.mktemp("posts") / "post.mp4",
        seconds=3,
        lines=["Sky Runner", "Golden bird run"],
        width=360,
        height=640,
        seed=7,
    )
    client = become_creator(live_server, "skyfan@example.com", "skyfan")
    try:
        post_id = post_video(client, clip, caption=CAPTION, anchor={"anchor_kind": "app", "anchor_app_id": SKY_RUNNER})
        wait_until_ready(client, post_id)
    finally:
        client.close()
    return Creator(email="skyfan@example.com", handle="skyfan", post_id=post_id)


def find_post(host: HostPage, post_id: str, query: str = "", timeout: float = 150):
    """Opens the host and swipes down the feed to the post. A post made moments ago enters the
    feed with the next ranking snapshot: until then the feed ends without it, and the page is
    opened again."""
    deadline = time.monotonic() + timeout
    while True:
        host.open(query)
        if host.scroll_feed_to(f'[data-post-id="{post_id}"]'):
            # The showing in view: after the caught-up card the feed comes round to the post again,
            # and its first showing, further up, never plays (it was the test's wait, not the feed).
            return host.page.locator(f'.feed-post[data-current][data-post-id="{post_id}"]')
        assert time.monotonic() < deadline, f"post {post_id} did not reach the feed in {timeout} s"
        host.page.wait_for_timeout(2000)


def signed_in_host(browser, live_server, email: str) -> tuple[HostPage, object]:
    """A second browser, signed in to the account, on the host page."""
    host, context = new_host(browser, live_server)
    host.page.goto(f"{live_server.url}/?prewarm=0")
    signed_in = host.call_api("POST", "/api/account/sign-in", {"email": email, "password": PASSWORD})
    assert signed_in["status"] == 200, signed_in
    host.page.reload()  # the page's CSRF token belongs to the new session
    return host, context


def test_a_viewer_taps_a_creators_post_anchor_buys_the_golden_bird_and_the_creators_earnings_grow(
    browser, live_server, host, creator
):
    # The creator watches their earnings on the Me screen: nothing earned yet.
    studio, studio_context = signed_in_host(browser, live_server, creator.email)
    try:
        studio.go_to_me()
        earnings = studio.page.get_by_role("region", name="Earnings")
        coins = earnings.locator("[data-earnings-coins]")
        expect(coins).to_have_attribute("data-earnings-coins", "0")
        my_post = studio.page.locator(f'.post-item[data-post-id="{creator.post_id}"]')
        expect(my_post).to_contain_text("Live in the feed")

        # A new viewer, with coins, scrolls the feed to the post: it plays, muted, on its own.
        post = find_post(host, creator.post_id)
        assert host.top_up("coins-550") == 550
        expect(post).to_contain_text(f"@{creator.handle}")
        expect(post).to_contain_text(CAPTION)
        video = post.locator("video")
        # Decoding starts once the post is in view; under the whole suite's load it once took over 30 s.
        host.page.wait_for_function(
            "(video) => !video.paused && video.currentTime > 0", arg=video.element_handle(), timeout=90_000
        )
        sound = post.get_by_role("button", name="Turn sound on")
        expect(sound).to_have_attribute("aria-pressed", "true")
        assert video.evaluate("(video) => video.muted") is True
        sound.click()
        expect(post.get_by_role("button", name="Mute")).to_have_attribute("aria-pressed", "false")
        assert video.evaluate("(video) => video.muted") is False

        # Settled on the post, its anchor's game is loaded ahead, hidden: the chip opens it at once.
        host.wait_until_settled_on(SKY_RUNNER)
        expect(
            host.page.locator(
                f'iframe.app-frame[data-app-id="{SKY_RUNNER}"][data-prewarmed][data-ready]:not(.is-active)'
            )
        ).to_have_count(1)
        chip = post.get_by_role("button", name="Play Sky Runner")
        with host.page.expect_response("**/api/launches") as recorded:
            chip.click()
        assert recorded.value.ok, recorded.value.text()
        assert recorded.value.request.post_data_json["source"] == "post"
        assert recorded.value.request.post_data_json["post_id"] == creator.post_id
        launch = host.wait_for_launch(SKY_RUNNER)
        assert launch["source"] == "post" and launch["postId"] == creator.post_id and launch["prewarmed"] is True
        assert video.evaluate("(video) => video.paused") is True  # the game has the screen, and the sound

        # The Golden bird, paid on the host's sheet: the purchase names the launch from the post.
        game = host.app_frame(SKY_RUNNER)
        game.get_by_role("button", name="Golden bird — 300 coins").click()
        sheet = host.sheet
        expect(sheet.get_by_role("heading", name="Confirm purchase")).to_be_visible()
        with host.page.expect_request("**/api/apps/sky-runner/purchases") as purchase:
            sheet.get_by_role("button", name="Pay 300 coins").click()
        assert purchase.value.post_data_json["launch_id"] == launch["launchId"]
        expect(sheet).to_be_hidden()
        game.wait_for_function("() => window.__game.state().skin === 'golden'")
        assert host.balance() == 250

        # Back in the feed the post plays again.
        host.close_app()
        host.page.wait_for_function("(video) => !video.paused", arg=video.element_handle())

        # The creator's earnings: the commission, and the purchase from the post behind it.
        earnings.get_by_role("button", name="Refresh earnings").click()
        expect(coins).not_to_have_attribute("data-earnings-coins", "0")
        assert int(coins.get_attribute("data-earnings-coins")) > 0
        conversion = earnings.locator(f'.conversion[data-post-id="{creator.post_id}"][data-kind="purchase"]')
        expect(conversion).to_be_visible()
        expect(conversion).to_contain_text("Purchase in Sky Runner")
        expect(conversion).to_contain_text(CAPTION)
    finally:
        studio_context.close()


def test_a_share_link_opened_by_a_new_visitor_launches_the_game_directly_with_the_sharer_as_source(
    browser, live_server, host
):
    host.open("?prewarm=0")
    made = host.call_api("POST", "/api/share", {"kind": "app", "app_id": SKY_RUNNER})
    assert made["status"] == 200, made
    code, url = made["body"]["code"], made["body"]["url"]
    assert url.endswith(f"/s/{code}")

    visitor, context = new_host(browser, live_server)
    try:
        with visitor.page.expect_response("**/api/launches") as recorded:
            visitor.page.goto(url)
        assert recorded.value.ok, recorded.value.text()
        sent = recorded.value.request.post_data_json
        assert (sent["app_id"], sent["source"], sent["share"]) == (SKY_RUNNER, "share", code)
        expect(visitor.overlay).to_be_visible()
        launch = visitor.wait_for_launch(SKY_RUNNER)
        assert launch["source"] == "share" and launch["share"] == code
        expect(visitor.app_frame(SKY_RUNNER).get_by_role("button", name="Golden bird — 300 coins")).to_be_attached()

        # Closing the game leaves the visitor in the feed, like anyone else.
        visitor.close_app()
        expect(visitor.feed_items.first).to_be_visible()
        assert visitor.errors == []
    finally:
        context.close()


def test_a_post_shared_from_its_share_button_opens_first_for_a_new_visitor_and_its_chip_launches_from_the_link(
    browser, live_server, host, creator
):
    post = find_post(host, creator.post_id, "?prewarm=0")
    post.get_by_role("button", name=f"Share @{creator.handle}’s post").click()
    sheet = host.sheet
    expect(sheet.get_by_role("heading", name="Share")).to_be_visible()
    link = sheet.get_by_role("textbox", name="Link")
    expect(link).to_have_value(re.compile(r"/s/"))
    url = link.input_value()
    code = url.rsplit("/s/", 1)[1]
    sheet.get_by_role("button", name="Close").click()

    visitor, context = new_host(browser, live_server)
    try:
        visitor.page.goto(url)  # prewarming on, as for anyone following a link
        first = visitor.feed_items.first
        expect(first).to_have_attribute("data-post-id", creator.post_id)
        expect(first).to_have_attribute("data-current", "")
        visitor.page.wait_for_function("(video) => !video.paused", arg=first.locator("video").element_handle())
        # The shared post is the one in view, so its game is loaded ahead for this visitor too.
        expect(
            visitor.page.locator(f'iframe.app-frame[data-app-id="{SKY_RUNNER}"][data-prewarmed][data-ready]')
        ).to_have_count(1)
        # The launch comes from the link: the platform credits the sharer, and the post's creator.
        with visitor.page.expect_response("**/api/launches") as recorded:
            first.get_by_role("button", name="Play Sky Runner").click()
        assert recorded.value.ok, recorded.value.text()
        sent = recorded.value.request.post_data_json
        assert (sent["source"], sent["share"], sent.get("post_id")) == ("share", code, None)
        launch = visitor.wait_for_launch(SKY_RUNNER)
        assert (
            launch["source"] == "share"
            and launch["share"] == code
            and launch["postId"] == creator.post_id
            and launch["prewarmed"] is True
        )
        assert visitor.errors == []
    finally:
        context.close()


def test_a_guest_is_asked_to_sign_in_then_becomes_a_creator_and_posts_a_video_that_goes_live(host, tmp_path):
    host.open("?prewarm=0")
    host.go_to_me()
    studio = host.page.get_by_role("region", name="Creator studio")
    expect(studio.get_by_text("Sign in to become a creator")).to_be_visible()

    # An account, made on the same screen, and then the creator profile.
    account = host.page.get_by_role("form", name="Create account")
    account.get_by_role("textbox", name="Email").fill("newcreator@example.com")
    account.get_by_label("Password").fill(PASSWORD)
    account.get_by_role("button", name="Create account").click()
    verify = host.page.get_by_role("form", name="Verify email")
    verify.get_by_role("textbox", name="Verification code").fill(
        host.server.mailed("newcreator@example.com", r"verification code is (\d{6})")
    )
    verify.get_by_role("button", name="Verify").click()
    join = studio.get_by_role("form", name="Become a creator")
    join.get_by_role("textbox", name="Handle").fill("new_creator")
    join.get_by_role("button", name="Become a creator").click()
    expect(studio.get_by_text("@new_creator")).to_be_visible()
    expect(studio.get_by_role("region", name="Earnings").locator("[data-earnings-coins]")).to_have_attribute(
        "data-earnings-coins", "0"
    )

    # A post: a vertical clip, a caption, and a link to Tower Stack.
    clip = make_clip(
        tmp_path / "mine.mp4", seconds=2, lines=["Tower Stack", "Twelve floors"], width=360, height=640, seed=11
    )
    compose = studio.get_by_role("form", name="New post")
    compose.get_by_label("Video").set_input_files(clip)
    compose.get_by_role("textbox", name="Caption").fill("Twelve floors without a wobble")
    compose.get_by_role("combobox", name="Link to").select_option(label="Tower Stack")
    compose.get_by_role("button", name="Post").click()

    item = studio.locator(".post-item").filter(has_text="Twelve floors without a wobble")
    expect(item).to_be_visible()
    expect(item).to_contain_text("Tower Stack")
    expect(item).to_contain_text("Live in the feed", timeout=120_000)  # converted by the server's worker


def test_a_post_linked_to_a_drama_episode_opens_the_host_player_at_that_episode_as_a_launch_from_the_post(
    browser, live_server, host, creator, drama_series, tmp_path
):
    # The creator posts from the studio, linking one episode of the series.
    studio, studio_context = signed_in_host(browser, live_server, creator.email)
    try:
        studio.go_to_me()
        compose = studio.page.get_by_role("form", name="New post")
        clip = make_clip(
            tmp_path / "harbor.mp4", seconds=2, lines=[DRAMA_TITLE, "Episode 2 reaction"], width=360, height=640, seed=5
        )
        compose.get_by_label("Video").set_input_files(clip)
        compose.get_by_role("textbox", name="Caption").fill("Did NOT see that fog coming")
        compose.get_by_role("combobox", name="Link to").select_option(label=DRAMA_TITLE)
        compose.get_by_role("combobox", name="Episode").select_option(label="Episode 2")
        compose.get_by_role("button", name="Post").click()
        item = studio.page.locator(".post-item").filter(has_text="Did NOT see that fog coming")
        expect(item).to_contain_text(f"Ep 2 · {DRAMA_TITLE}")
        expect(item).to_contain_text("Live in the feed", timeout=120_000)
        post_id = item.get_attribute("data-post-id")
    finally:
        studio_context.close()

    post = find_post(host, post_id, "?prewarm=0")
    chip = post.get_by_role("button", name=f"Watch Ep 2 · {DRAMA_TITLE}")
    with host.page.expect_request("**/api/launches") as recorded:
        chip.click()
    sent = recorded.value.post_data_json
    assert (sent["app_id"], sent["source"], sent["post_id"]) == (drama_series["app_id"], "post", post_id)
    player = host.page.get_by_role("dialog", name=DRAMA_TITLE)
    expect(player).to_be_visible()
    expect(player.get_by_text("Episode 2 of 5")).to_be_visible()
    state = host.page.evaluate("() => window.__minisHost.drama")
    assert state["launch"]["source"] == "post" and state["launch"]["postId"] == post_id
    assert recorded.value.response().ok, recorded.value.response().text()


def test_a_posts_url_opens_the_feed_at_the_post_and_back_from_its_game_returns_to_it(host, creator):
    # A post made moments ago may not be ranked into the feed yet; its URL shows it regardless.
    host.page.goto(f"{host.server.url}/p/{creator.post_id}?prewarm=0")
    first = host.feed_items.first
    expect(first).to_have_attribute("data-post-id", creator.post_id)
    expect(first).to_have_attribute("data-current", "")

    first.get_by_role("button", name="Play Sky Runner").click()
    expect(host.overlay).to_be_visible()
    assert host.wait_for_launch(SKY_RUNNER)["postId"] == creator.post_id
    assert host.page.evaluate("() => location.pathname") == f"/play/{SKY_RUNNER}"

    host.page.go_back()
    expect(host.overlay).to_have_count(0)
    assert host.page.evaluate("() => location.pathname + location.search") == f"/p/{creator.post_id}?prewarm=0"
    expect(first).to_have_attribute("data-current", "")


def test_every_control_of_a_creators_post_takes_a_tap_44_px_across(host, creator):
    """A probe measured the post's @handle link 21 px high and its Follow button 26, one above the
    other: a thumb meant for one opened the other, or nothing. Each control of a post in the feed
    takes a tap anywhere in a 44 px square around its centre."""
    host.page.goto(f"{host.server.url}/p/{creator.post_id}?prewarm=0")
    first = host.feed_items.first
    expect(first).to_have_attribute("data-current", "")
    expect(first.get_by_role("button", name=re.compile("^Follow"))).to_be_visible()
    assert host.page.evaluate(SHORT_OF_A_THUMB) == []


def test_a_posts_video_refused_once_by_a_busy_server_plays_after_a_retry(host, creator):
    """A busy server answers a media request 503 with Retry-After (admission.py); the feed's video
    asks again, as the host's API calls do, instead of staying blank until the person scrolls away."""
    refused: list[str] = []

    def busy_once(route):
        if not refused:
            refused.append(route.request.url)
            route.fulfill(status=503, headers={"Retry-After": "1"}, json={"code": "OVERLOADED"})
        else:
            route.continue_()

    host.page.route(re.compile(r".*/media/posts/.*\.mp4.*"), busy_once)
    post = find_post(host, creator.post_id)
    video = post.locator("video")
    host.page.wait_for_function(
        "(video) => !video.paused && video.currentTime > 0", arg=video.element_handle(), timeout=30_000
    )
    assert refused
