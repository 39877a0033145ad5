"""Every host screen a person reaches loads clean: no error in the console and no request that
fails (status 400 or more), the games' own frames included. The one failure expected is the error
page's own status."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from openminis.drama.synth import make_clip
from tests.browser.drama_studio import TITLE
from tests.browser.test_creators import PASSWORD, Creator, become_creator, post_video, wait_until_ready
from tests.browser.test_drama import wait_until_playing

pytestmark = pytest.mark.browser

SKY_RUNNER = "sky-runner"


@pytest.fixture(scope="module")
def creator(live_server, tmp_path_factory) -> Creator:
    """A creator of this module's own (test_creators.py has its own) with one ready post."""
    clip = make_clip(
        tmp_path_factory.mktemp("clean") / "post.mp4", seconds=2, lines=["Clean run"], width=360, height=640
    )
    client = become_creator(live_server, "cleanrun@example.com", "cleanrun")
    try:
        post_id = post_video(
            client, clip, caption="A clean run", anchor={"anchor_kind": "app", "anchor_app_id": SKY_RUNNER}
        )
        wait_until_ready(client, post_id)
    finally:
        client.close()
    return Creator(email="cleanrun@example.com", handle="cleanrun", post_id=post_id)


def test_every_host_screen_loads_without_a_console_error_or_a_failed_request(
    host,
    live_server,
    drama_series,
    creator,
    example_ad_units,
    house_ads,
):
    """As in the demo, Sky Runner's ad unit exists and the house campaign fills it: its ad request
    at start is answered, not refused."""
    page = host.page
    console: list[str] = []
    failed: list[str] = []
    page.on("console", lambda message: console.append(message.text) if message.type == "error" else None)
    page.on(
        "response",
        lambda response: failed.append(f"{response.status} {response.url}") if response.status >= 400 else None,
    )

    # The feed, the hub's two tabs and search.
    host.open("?prewarm=0")
    host.go_to_minis()
    page.get_by_role("tab", name="Dramas").click()
    expect(page.get_by_role("button", name=re.compile(rf"^Watch {TITLE}, drama series"))).to_be_visible()
    page.get_by_role("tab", name="Games").click()
    expect(host.hub_tile(SKY_RUNNER)).to_be_visible()
    page.get_by_role("searchbox", name="Search minis").fill("sky")
    expect(page.locator(f'#search-results .app-tile[data-app-id="{SKY_RUNNER}"]')).to_be_visible()
    page.get_by_role("button", name="Cancel").click()

    # A game, played until it is ready, then closed.
    host.launch_from_hub(SKY_RUNNER)
    expect(host.app_frame(SKY_RUNNER).locator("canvas").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    host.close_app()

    # The drama player, an episode playing.
    page.get_by_role("tab", name="Dramas").click()
    page.get_by_role("button", name=re.compile(rf"^Watch {TITLE}, drama series")).click()
    player = page.get_by_role("dialog", name=TITLE)
    expect(player).to_be_visible()
    wait_until_playing(host, 1)
    player.get_by_role("button", name="Close player").click()

    # Me as a guest. A mistyped email is told under the field, in words, and the field points to it.
    host.go_to_me()
    form = page.get_by_role("form", name="Create account")
    form.get_by_label("Email").fill("no-at-sign")
    form.get_by_label("Password").fill("a long password")
    form.get_by_role("button", name="Create account").click()
    email = form.get_by_label("Email")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_be_focused()
    note = form.locator("#account-email-error")
    expect(note).to_have_text("Enter your email address with an @, like name@example.com.")
    expect(email).to_have_attribute("aria-describedby", "account-error account-email-error")
    email.press_sequentially("@example")  # typing fixes it: the note goes
    expect(note).to_have_count(0)
    expect(email).not_to_have_attribute("aria-invalid", "true")
    # That refusal is the one failed request expected so far (and its console line).
    failed.remove(f"422 {live_server.url}/api/account/register")
    console.remove("Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)")

    # A post's link, then Me signed in (a creator, with the studio).
    page.goto(f"{live_server.url}/p/{creator.post_id}?prewarm=0")
    expect(host.feed_post(creator.post_id)).to_be_visible()
    signed_in = host.call_api("POST", "/api/account/sign-in", {"email": creator.email, "password": PASSWORD})
    assert signed_in["status"] == 200, signed_in
    page.goto(f"{live_server.url}/?prewarm=0#/me")
    expect(page.get_by_role("region", name="Profile").get_by_text(creator.email)).to_be_visible()
    page.wait_for_load_state("networkidle")

    assert (failed, console) == ([], [])

    # An error page: its own 404 is all that fails.
    page.goto(f"{live_server.url}/no/such/page")
    expect(page.get_by_role("heading", name="This page isn’t here")).to_be_visible()
    expect(page.get_by_role("link", name="Go to the feed")).to_have_attribute("href", "/")
    page.wait_for_load_state("networkidle")
    assert failed == [f"404 {live_server.url}/no/such/page"], failed
    assert all("404" in text for text in console), console


def test_a_game_opened_from_the_feed_is_sent_nothing_before_it_listens(host):
    """Chromium warned at every launch from the feed: the host sent the game's frame its first
    events (`show`, `audio`) while the frame was still on its way to the app's origin, and the
    browser dropped them. The game hears them from its init on, in the init answer and after it."""
    page = host.page
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    host.open("?prewarm=0")
    app_id = host.scroll_to_app_card({SKY_RUNNER, "tower-stack", "merge-2048"})
    host.current_item.get_by_role("button", name="Play").click()
    launch = host.wait_for_launch(app_id)
    assert launch["appId"] == app_id
    page.wait_for_load_state("networkidle")
    assert [text for text in console if "postMessage" in text] == []
