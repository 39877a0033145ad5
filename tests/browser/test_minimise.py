"""Minimise and resume: closing an app (the capsule, back, Escape, a swipe) keeps it alive in the
page, hidden and paused (`onHide`), so that opening it again resumes it at once (`onShow`) exactly
where it was. At most 3 are kept, the one closed longest ago unloaded first, and none longer than
the host's limit (`?keep=SECONDS` shortens it here). The capsule's "..." menu shares, keeps in
favourites, reports, tells about and restarts the app; and a post's Share button takes its taps."""

from __future__ import annotations

import secrets
from collections import Counter

import pytest
from playwright.sync_api import expect

from openminis.drama.synth import make_clip
from tests.browser.test_creators import become_creator, post_video, wait_until_ready

pytestmark = pytest.mark.browser

WITNESS = "witness-app"
OTHERS = ["merge-2048", "sky-runner", "tower-stack"]  # example games, in the hub with the witness


def kept(host) -> list[str]:
    """The apps kept alive after a close, the one closed longest ago first."""
    return host.host_state()["minimised"]


def test_a_closed_app_resumes_where_it_was_and_a_fourth_closed_app_unloads_the_oldest(host):
    events: list[dict] = []
    host.page.on(
        "request",
        lambda request: (
            events.extend(request.post_data_json["events"])
            if request.method == "POST" and request.url.endswith("/api/events")
            else None
        ),
    )
    host.open("?prewarm=0")
    host.go_to_minis()
    first = host.launch_from_hub(WITNESS)
    assert first["resumed"] is False
    witness = host.app_frame(WITNESS)
    witness.wait_for_function("() => window.__witness.ready")
    witness.evaluate("() => { window.__score = 41; window.__score += 1; }")  # state only in memory

    # Closed: hidden and paused (onHide), the same frame still in the page.
    host.close_app()
    expect(host.frame_element(WITNESS)).to_have_count(1)
    expect(host.frame_element(WITNESS)).to_be_hidden()
    assert host.frame_element(WITNESS).evaluate("(frame) => frame.inert") is True
    assert witness.evaluate("() => [window.__witness.events, minis.isVisible()]") == [["hide"], False]
    assert kept(host) == [WITNESS]

    # Opened again: at once (no loading view), the same document, its score intact, onShow.
    with host.page.expect_response(
        lambda response: response.url.endswith("/api/events") and '"resume"' in (response.request.post_data or "")
    ) as resume_sent:
        resumed = host.launch_from_hub(WITNESS)
        expect(host.page.locator(".app-loading")).to_be_hidden()
        witness.wait_for_function("() => window.__witness.events.length === 2")
        assert witness.evaluate("() => [window.__witness.events, minis.isVisible(), window.__score]") == [
            ["hide", "show"],
            True,
            42,
        ]
        assert (resumed["resumed"], resumed["launchId"]) == (True, first["launchId"])
    assert resume_sent.value.json()["rejected"] == []  # the host's next batch, and the platform took it
    mine = [event for event in events if event["app_id"] == WITNESS and event["type"] != "exposure"]
    # One launch, continued: the resume is no second click, launch or ready for the funnel or the feed.
    assert Counter(event["type"] for event in mine) == {
        "click": 1,
        "launch": 1,
        "ready": 1,
        "session_end": 1,
        "resume": 1,
    }
    assert {event.get("launch_id") for event in mine if event["type"] != "click"} == {first["launchId"]}
    assert kept(host) == []

    # Back closes it too, and keeps it.
    host.page.go_back()
    expect(host.overlay).to_have_count(0)
    assert kept(host) == [WITNESS]

    # Three more games closed: four would be kept, so the one closed longest ago (the witness) goes.
    for app_id in OTHERS:
        assert host.launch_from_hub(app_id)["resumed"] is False
        host.close_app()
    expect(host.frame_element(WITNESS)).to_have_count(0)
    assert kept(host) == OTHERS
    assert host.launch_from_hub(OTHERS[0])["resumed"] is True
    assert kept(host) == OTHERS[1:]
    # The unloaded witness starts afresh: a new launch, a new document.
    host.close_app()
    fresh = host.launch_from_hub(WITNESS)
    assert fresh["resumed"] is False and fresh["launchId"] != first["launchId"]
    assert host.app_frame(WITNESS).evaluate("() => window.__score") is None
    host.close_app()
    assert kept(host) == [OTHERS[2], OTHERS[0], WITNESS]  # sky-runner went, closed longest ago


def long_captioned_post(server, tmp_path) -> str:
    """A ready post with a caption of three full lines, whose text reaches up the rail's height."""
    clip = make_clip(tmp_path / "post.mp4", seconds=2, lines=["Minimise"], width=360, height=640, seed=3)
    handle = f"minimiser{secrets.token_hex(3)}"
    client = become_creator(server, f"{handle}@example.com", handle)
    try:
        caption = "A long caption about tower stacking that runs on and on, " * 4
        post_id = post_video(
            client, clip, caption=caption, anchor={"anchor_kind": "app", "anchor_app_id": "tower-stack"}
        )
        wait_until_ready(client, post_id)
    finally:
        client.close()
    return post_id


def test_the_menu_shares_favourites_reports_tells_about_and_restarts_and_the_time_limit_unloads(host, tmp_path):
    # A post's Share button (and Report under it) is what a tap at its centre lands on, at 390x844.
    post_id = long_captioned_post(host.server, tmp_path)
    host.page.goto(f"{host.server.url}/p/{post_id}?prewarm=0&keep=3")
    post = host.feed_post(post_id)
    expect(post).to_have_attribute("data-current", "")
    for name in ("Share", "Report"):
        button = post.get_by_role("button", name=name).first
        expect(button).to_be_visible()
        assert button.evaluate(
            """(button) => {
                const box = button.getBoundingClientRect();
                const hit = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
                return button.contains(hit);
            }"""
        ), f"the post's {name} button is covered"

    host.go_to_minis()
    first = host.launch_from_hub(WITNESS)
    witness = host.app_frame(WITNESS)
    witness.wait_for_function("() => window.__witness.ready")
    more = host.page.get_by_role("button", name="More options")
    assert (more.get_attribute("aria-haspopup"), more.get_attribute("aria-expanded")) == ("menu", "false")

    # The menu: a real menu of items; the arrow keys move through it; Escape closes it, not the app.
    more.click()
    menu = host.page.get_by_role("menu", name="App options")
    expect(menu).to_be_visible()
    expect(more).to_have_attribute("aria-expanded", "true")
    items = menu.get_by_role("menuitem")
    expect(items).to_have_text(
        ["Share", "Add to favourites", "Add to home screen", "Mute", "Report", "About", "Restart"]
    )
    expect(items.first).to_be_focused()
    host.page.keyboard.press("ArrowDown")
    expect(items.nth(1)).to_be_focused()
    host.page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(more).to_be_focused()
    expect(host.overlay).to_be_visible()

    # Favourites: kept by the platform, and the item then offers to remove it.
    more.click()
    menu.get_by_role("menuitem", name="Add to favourites").click()
    expect(host.page.locator("#toast")).to_contain_text("Witness added to favourites")
    listed = host.call_api("GET", "/api/me/favourites")["body"]["items"]
    assert [card["app_id"] for card in listed] == [WITNESS]
    more.click()
    expect(menu.get_by_role("menuitem", name="Remove from favourites")).to_be_visible()

    # Share: the host's share sheet with a link that opens the app.
    menu.get_by_role("menuitem", name="Share").click()
    expect(host.sheet.get_by_role("heading", name="Share")).to_be_visible()
    link = host.sheet.get_by_role("textbox", name="Link").input_value()
    assert "/s/" in link
    host.sheet.get_by_role("button", name="Close").click()
    expect(host.sheet).to_be_hidden()

    # Report: the host's report sheet, for this app.
    more.click()
    menu.get_by_role("menuitem", name="Report").click()
    expect(host.sheet.get_by_text("Why are you reporting Witness?")).to_be_visible()
    host.sheet.get_by_role("button", name="Close").click()

    # About: the version running, the developer and the privacy policy as the platform has them.
    more.click()
    menu.get_by_role("menuitem", name="About").click()
    expect(host.sheet.get_by_role("heading", name="About Witness")).to_be_visible()
    facts = host.sheet.locator(".app-about-facts")
    expect(facts).to_contain_text("Version1.0.0")
    expect(facts).to_contain_text("PrivacyNone given")
    host.sheet.get_by_role("button", name="Close").click()

    # Restart: onHide runs first (its save gets through), then a new launch in a new document.
    witness.evaluate("() => { window.__score = 7; minis.onHide(() => minis.storage.set('hidden', 'yes')); }")
    more.click()
    menu.get_by_role("menuitem", name="Restart").click()
    restarted = host.wait_for_launch(WITNESS, count=2)
    assert restarted["resumed"] is False and restarted["launchId"] != first["launchId"]
    expect(host.frame_element(WITNESS)).to_have_count(1)
    witness = host.app_frame(WITNESS)
    witness.wait_for_function("() => window.__witness.ready")
    assert witness.evaluate("() => window.__score") is None
    assert witness.evaluate("() => minis.storage.get('hidden')") == "yes"

    # Closed, it is kept for the limit (3 s here), then unloaded.
    host.close_app()
    assert kept(host) == [WITNESS]
    expect(host.frame_element(WITNESS)).to_have_count(0, timeout=15_000)
    assert kept(host) == []
