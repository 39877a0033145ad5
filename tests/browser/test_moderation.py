"""Moderation in real Chromium: a person reports a creator's post from the feed, a moderator takes
it down in /admin, and the post is gone from the feed, its share link and its media URL for
everyone at once (the reporter and a brand-new visitor alike); the creator reads the reason on
their Me screen and appeals; the reporter reads on theirs that it was removed.

The post is made over HTTP as the creator's browser would (tests/browser/test_creators.py), with a
handle of its own, so that taking it down changes nothing the other tests on the shared server see.
"""

from __future__ import annotations

import secrets

import httpx
import pytest
from playwright.sync_api import expect

from openminis.drama.synth import make_clip
from tests.browser.ad_studio import ADMIN_TOKEN
from tests.browser.conftest import new_host
from tests.browser.staff import signed_in_staff
from tests.browser.test_creators import (
    SKY_RUNNER,
    become_creator,
    creator_with_a_wide_name,
    find_post,
    post_video,
    signed_in_host,
    wait_until_ready,
)

pytestmark = pytest.mark.browser

CAPTION = "Free coins: send me your card number"
NOTE = "Asks people for their card numbers."


def signed_in_moderator(browser, live_server, email: str):
    return signed_in_staff(browser, live_server, email, "moderator", viewport={"width": 1280, "height": 900})


def test_a_reported_post_taken_down_in_admin_is_gone_everywhere_at_once_and_its_creator_reads_why(
    browser, live_server, host, tmp_path
):
    handle = f"mod{secrets.token_hex(3)}"
    email = f"{handle}@example.com"
    clip = make_clip(tmp_path / "post.mp4", seconds=2, lines=["Free coins"], width=360, height=640, seed=11)
    creator = become_creator(live_server, email, handle)
    try:
        post_id = post_video(creator, clip, caption=CAPTION, anchor={"anchor_kind": "app", "anchor_app_id": SKY_RUNNER})
        media = wait_until_ready(creator, post_id)["video_url"]
    finally:
        creator.close()

    # A viewer finds the post in the feed, keeps a link to it, and reports it from its rail.
    post = find_post(host, post_id, "?prewarm=0")
    shared = host.call_api("POST", "/api/share", {"kind": "post", "post_id": post_id})
    assert shared["status"] == 200, shared
    link = shared["body"]["url"]
    assert host.page.request.get(media).ok
    post.get_by_role("button", name=f"Report @{handle}’s post").click()
    sheet = host.sheet
    expect(sheet.get_by_role("heading", name="Report")).to_be_visible()
    sheet.get_by_label("Scam or fraud").check()
    sheet.get_by_label("Anything else moderators should know (optional)").fill("Wants my card number")
    with host.page.expect_response("**/api/reports") as sent:
        sheet.get_by_role("button", name="Report", exact=True).click()
    assert sent.value.status == 201, sent.value.text()
    expect(sheet).to_be_hidden()

    # A moderator finds it in the queue with its report, and takes it down with a reason.
    page, context, errors = signed_in_moderator(browser, live_server, f"moderator-{secrets.token_hex(3)}@example.com")
    try:
        expect(page.get_by_role("heading", name="Moderation")).to_be_visible()
        item = page.locator(f'.moderation-item[data-kind="post"][data-item-id="{post_id}"]')
        expect(item).to_contain_text("1 open report: Scam or fraud ×1")
        expect(item).to_contain_text(f"@{handle}")
        item.get_by_text("Reports (1)").click()
        expect(item).to_contain_text("Wants my card number")
        item.get_by_label("Reason").select_option("scam_or_fraud")
        item.get_by_label("Note to the owner (they read it)").fill(NOTE)
        item.get_by_role("button", name="Take down").click()
        expect(page.locator("#admin-status")).to_have_text(f"Took down {CAPTION}.")
        page.get_by_role("button", name="Taken down").click()
        expect(page.locator(f'.moderation-item[data-item-id="{post_id}"][data-down="true"]')).to_be_visible()
        assert errors == []
    finally:
        context.close()

    # Gone for the reporter, and for a visitor who never saw it: the feed, the link, the media.
    visitor, visitor_context = new_host(browser, live_server)
    try:
        for person in (host, visitor):
            person.open("?prewarm=0")
            assert not person.scroll_feed_to(f'[data-post-id="{post_id}"]')
            assert person.page.request.get(media).status == 404
            person.page.goto(link)  # the link opens the feed, without the post
            expect(person.feed_items.first).to_be_visible()
            expect(person.feed_post(post_id)).to_have_count(0)
        assert httpx.get(media).status_code == 404  # no cookie, no browser: the URL itself is dead
        # The reporter learns what became of the report on their Me screen; the visitor, who
        # reported nothing, has no such section. The moderator's note is the owner's to read.
        host.go_to_me()
        reports = host.page.get_by_role("region", name="Your reports")
        expect(reports).to_contain_text(CAPTION)
        expect(reports).to_contain_text("Post · Scam or fraud · reported")
        expect(reports).to_contain_text("Removed after review. Thank you for reporting it.")
        expect(reports).not_to_contain_text(NOTE)
        visitor.go_to_me()
        expect(visitor.page.get_by_role("heading", name="Your reports")).to_be_hidden()
    finally:
        visitor_context.close()

    # The creator reads why on their Me screen, and appeals once.
    studio, studio_context = signed_in_host(browser, live_server, email)
    try:
        studio.go_to_me()
        notices = studio.page.get_by_role("region", name="Taken down by the platform")
        expect(notices).to_contain_text("was taken down by the platform: Scam or fraud.")
        expect(notices).to_contain_text(NOTE)
        expect(studio.page.locator(f'.post-item[data-post-id="{post_id}"]')).to_contain_text(
            "Taken down by the platform"
        )
        notices.get_by_label("Appeal (once): why should it come back?").fill("It was a joke about scams.")
        notices.get_by_role("button", name="Appeal").click()
        expect(notices).to_contain_text("Your appeal is waiting for a moderator.")
        assert studio.errors == []
    finally:
        studio_context.close()
    assert host.errors == []


def test_suspending_an_app_asks_for_its_reason_and_a_note_before_anything_happens(browser, live_server):
    """A probe (operator48): the reason was set to Spam before anyone chose one, and the note could
    be empty: one click on Suspend took a whole app down "as spam", with no word to its owner, when
    its one report said "something else: broken". The moderator chooses the reason, and says why to
    the owner, before a suspension goes; until then nothing is taken down."""
    from tests.browser.test_finance import shop  # an app of this test's own, released by the operator

    app_id = shop(live_server)
    with httpx.Client(base_url=live_server.url, timeout=30) as reporter:
        token = reporter.get("/api/me").json()["csrf_token"]
        reported = reporter.post(
            "/api/reports",
            json={"kind": "app", "id": app_id, "reason": "other", "text": "broken"},
            headers={"X-CSRF-Token": token},
        )
        assert reported.status_code == 201, reported.text
    page, context, errors = signed_in_moderator(browser, live_server, f"moderator-{secrets.token_hex(3)}@example.com")
    try:
        item = page.locator(f'.moderation-item[data-kind="app"][data-item-id="{app_id}"]')
        expect(item).to_contain_text("1 open report: Something else ×1")
        reason = item.get_by_label("Reason")
        expect(reason).to_have_value("")
        item.get_by_role("button", name="Suspend").click()
        expect(item.get_by_role("alert")).to_have_text("Choose the reason the owner will read.")
        expect(reason).to_be_focused()
        reason.select_option("other")
        item.get_by_role("button", name="Suspend").click()
        expect(item.get_by_role("alert")).to_have_text("Say why, for the owner: a suspension stops the whole app.")
        detail = httpx.get(
            f"{live_server.url}/api/admin/moderation/items/app/{app_id}",
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            timeout=30,
        )
        assert detail.status_code == 200, detail.text
        assert not (detail.json()["takedown"] or {}).get("down")  # still up
        item.get_by_label("Note to the owner (they read it)").fill("It does not start: fix it and ask us again.")
        item.get_by_role("button", name="Suspend").click()
        expect(page.locator("#admin-status")).to_have_text("Suspended Fee Game.")
        assert errors == []
    finally:
        context.close()


def test_your_reports_wrap_a_long_unbroken_name_within_a_phone_screen(live_server, host):
    """Anyone's words are in the list (a creator's name, a caption): one unbroken run of 60 letters
    made every card of Me 1,047 px wide at 390 px, its buttons out of reach (a probe)."""
    user_id, name = creator_with_a_wide_name(live_server)
    host.open("?prewarm=0")
    reported = host.call_api("POST", "/api/reports", {"kind": "creator", "id": user_id, "reason": "spam"})
    assert reported["status"] == 201, reported
    host.go_to_me()
    reports = host.page.get_by_role("region", name="Your reports")
    expect(reports).to_contain_text(name)
    widths = host.page.evaluate(
        "() => [document.documentElement.scrollWidth, ...[...document.querySelectorAll('#me-view section')]"
        ".filter((s) => !s.hidden).map((s) => s.getBoundingClientRect().right)]"
    )
    assert max(widths) <= 390, widths
